/*
 * fuzz_report.c - the readers of saved reports: `ebench report` (table, CSV,
 * JSON), `compare`, `merge` and `plot` (its gnuplot script: PATH has no
 * gnuplot here, so the script is written and nothing drawn), whose inputs are
 * files users and other tools
 * hand them. Each input is written to a file and read by one of the commands
 * themselves (make fuzz closes their output: -close_fd_mask=3). A crash, a
 * sanitizer report or a hang is a finding; an error message and a non-zero
 * exit are the right answer to garbage.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/cli/cli.h"
#include "fuzz_common.h"

static char dir[4096], in[4200], out[4200], png[4200], gp[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_scratch_dir("report", dir, sizeof dir);
    snprintf(in, sizeof in, "%s/in.json", dir);
    snprintf(out, sizeof out, "%s/job.json", dir);
    snprintf(png, sizeof png, "%s/p.png", dir);
    snprintf(gp, sizeof gp, "%s/p.gp", dir);
    setenv("PATH", "/nonexistent", 1); /* plot: no gnuplot, the script alone */
    return 0;
}

static int run(int (*cmd)(int, char **), const char *const *args)
{
    char *argv[12];
    int argc = 0;
    for (; args[argc]; argc++)
        argv[argc] = (char *)args[argc];
    argv[argc] = NULL;
    return cmd(argc, argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(in, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    /* one reader per input (the input's length picks it, so the JSON itself
     * stays whole): seven times the executions of running them all */
    switch (size % 7) {
    case 0:
        run(eb_cmd_report, (const char *[]){"report", in, NULL});
        break;
    case 1:
        run(eb_cmd_report, (const char *[]){"report", "--format", "csv", in, NULL});
        break;
    case 2:
        run(eb_cmd_report, (const char *[]){"report", "--format", "json", in, NULL});
        break;
    case 3:
        run(eb_cmd_compare, (const char *[]){"compare", in, in, NULL});
        break;
    case 4:
        run(eb_cmd_plot,
            (const char *[]){"plot", in, "--split", "--energy", "-o", png, "--script", gp, NULL});
        break;
    case 5:
        run(eb_cmd_plot,
            (const char *[]){"plot", in, in, "--size", "column", "-o", png, "--script", gp, NULL});
        break;
    default:
        unlink(out);
        if (run(eb_cmd_merge, (const char *[]){"merge", "--force", in, in, "-o", out, NULL}) == 0)
            /* what merge wrote is a report too: read it back */
            run(eb_cmd_report, (const char *[]){"report", out, NULL});
    }
    return 0;
}
