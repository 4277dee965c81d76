/* utf8.c - see utf8.h. */
#include "utf8.h"

#include <stddef.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0. */
static size_t valid_at(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n = c >= 0xc2 && c <= 0xdf   ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) || (c == 0xf0 && s[1] < 0x90) ||
        (c == 0xf4 && s[1] > 0x8f))
        return 0;
    return n;
}

char *eb__id_scrub(char *s, const char *punct)
{
    for (char *p = s; p && *p; p++) {
        int alnum =
            (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        if (!alnum && !(p > s && strchr(punct, *p)))
            *p = '_';
    }
    return s;
}

char *eb__text_scrub(char *s)
{
    if (!s)
        return s;
    eb__utf8_scrub(s);
    for (unsigned char *p = (unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
    return s;
}

char *eb__utf8_scrub(char *s)
{
    for (unsigned char *p = (unsigned char *)s; p && *p;) {
        size_t n = valid_at(p);
        if (n == 0)
            *p++ = '?';
        else
            p += n;
    }
    return s;
}
