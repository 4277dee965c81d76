/* afile.c - see afile.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"

int eb__afile_open(eb__afile *a, const char *path)
{
    struct stat st;
    size_t n = strlen(path);

    memset(a, 0, sizeof *a);
    if (n == 0)
        return -ENOENT;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return -EISDIR;
    a->path = strdup(path);
    a->tmp = malloc(n + sizeof ".tmp.XXXXXX");
    if (!a->path || !a->tmp) {
        eb__afile_abort(a);
        return -ENOMEM;
    }
    memcpy(a->tmp, path, n);
    memcpy(a->tmp + n, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    int fd = mkstemp(a->tmp);
    if (fd < 0) {
        int err = errno;
        free(a->tmp);
        a->tmp = NULL;
        eb__afile_abort(a);
        return -err;
    }
    fchmod(fd, 0644);
    a->f = fdopen(fd, "w");
    if (!a->f) {
        int err = errno;
        close(fd);
        eb__afile_abort(a);
        return -err;
    }
    return 0;
}

int eb__afile_commit(eb__afile *a)
{
    int err = 0;
    if (fflush(a->f) != 0 || ferror(a->f))
        err = errno ? errno : EIO;
    if (fclose(a->f) != 0 && !err)
        err = errno;
    a->f = NULL;
    if (!err && rename(a->tmp, a->path) != 0)
        err = errno;
    if (!err) {
        free(a->tmp);
        a->tmp = NULL;
    }
    eb__afile_abort(a);
    return -err;
}

void eb__afile_abort(eb__afile *a)
{
    if (a->f)
        fclose(a->f);
    if (a->tmp)
        unlink(a->tmp);
    free(a->tmp);
    free(a->path);
    memset(a, 0, sizeof *a);
}
