/* errors.c - messages and names generated from EB_ERROR_LIST. */
#include "ebench.h"

static const char *const messages[] = {"success",
#define X(name, msg) msg,
                                       EB_ERROR_LIST(X)
#undef X
};

static const char *const names[] = {"EB_OK",
#define X(name, msg) "EB_" #name,
                                    EB_ERROR_LIST(X)
#undef X
};

_Static_assert(sizeof messages / sizeof *messages == EB__INDEX_COUNT, "one message per error");

EB_EXPORT const char *eb_strerror(int err)
{
    if (err > 0 || -err >= EB__INDEX_COUNT)
        return "unknown error";
    return messages[-err];
}

EB_EXPORT const char *eb_err_name(int err)
{
    if (err > 0 || -err >= EB__INDEX_COUNT)
        return "EB_UNKNOWN";
    return names[-err];
}

EB_EXPORT const char *eb_method_name(eb_method m)
{
    switch (m) {
    case EB_METHOD_COUNTER:
        return "counter";
    case EB_METHOD_POWER:
        return "power";
    case EB_METHOD_MODEL:
        return "model";
    }
    return "unknown";
}
