/*
 * fuzz_common.h - what the harnesses share: a scratch directory for the
 * files they hand the parsers, on tmpfs (/dev/shm) where there is one, since
 * writing a file per input to a disk's filesystem costs more than parsing it.
 * TMPDIR overrides; /tmp is the fallback.
 */
#ifndef EB_FUZZ_COMMON_H
#define EB_FUZZ_COMMON_H

#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libFuzzer's entry points, which each harness defines */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_scratch[4096];

static int fuzz_remove(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path), 0;
}

static void fuzz_scratch_remove(void)
{
    nftw(fuzz_scratch, fuzz_remove, 8, FTW_DEPTH | FTW_PHYS);
}

/* Makes <tmp>/eb-fuzz-<name>.XXXXXX into dir (size len), removed at exit;
 * aborts on failure. */
static inline void fuzz_scratch_dir(const char *name, char *dir, size_t len)
{
    const char *base = getenv("TMPDIR");
    struct stat st;
    if (!base || !*base)
        base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
                   ? "/dev/shm"
                   : "/tmp";
    if ((size_t)snprintf(dir, len, "%s/eb-fuzz-%s.XXXXXX", base, name) >= len || !mkdtemp(dir))
        abort();
    snprintf(fuzz_scratch, sizeof fuzz_scratch, "%s", dir);
    atexit(fuzz_scratch_remove);
}

#endif
