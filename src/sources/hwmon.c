/* hwmon.c - placeholder */
#include "source.h"
static void hw_probe(void *priv, eb__probe_ctx *ctx)
{
    (void)priv;
    (void)ctx;
}
static int hw_read(void *priv, size_t local, eb__reading *out, char *why, size_t why_len)
{
    (void)priv; (void)local; (void)out; (void)why; (void)why_len;
    return EB__READ_BAD;
}
static void hw_close(void *priv) { (void)priv; }
const eb__source_ops eb__hwmon_ops = {.name = "hwmon", .flag = EB_SOURCE_HWMON, .priv_size = 1, .probe = hw_probe, .read = hw_read, .close = hw_close};
