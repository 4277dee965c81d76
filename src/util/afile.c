/* afile.c - see afile.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"

/* What is at path now: 0 none (or a regular file), -EISDIR a directory,
 * 1 something else (a device, a FIFO, a socket). */
static int target_kind(const char *path)
{
    struct stat st;
    char link[64];
    /* /dev/stdout and its kind (links into /proc/self/fd) name an open file
     * of this process, whatever it is: written directly, never renamed over
     * (as root, a rename onto /dev/stdout once replaced the link) */
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (strncmp(path, "/proc/", 6) == 0 ||
        (n > 0 && (link[n] = '\0', strncmp(link, "/proc/", 6) == 0)))
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? -EISDIR : 1;
    /* a regular file elsewhere, /dev/shm's included: temporary and rename */
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
        return 0;
    return S_ISDIR(st.st_mode) ? -EISDIR : 1;
}

/* Creates tmpl's file (its last six characters replaced) with mode, which the
 * umask trims as it would any new file (mkstemp's 0600 ignores it). */
static int create_tmp(char *tmpl, mode_t mode)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char *x = tmpl + strlen(tmpl) - 6;
    for (int tries = 0; tries < 100; tries++) {
        unsigned char r[6];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
            return -1;
        for (int i = 0; i < 6; i++)
            x[i] = abc[r[i] % (sizeof abc - 1)];
        int fd = open(tmpl, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/* Which process table a pid belongs to: this host and its pid namespace (a
 * container), as 8 hex digits. A temporary file of another host (a shared
 * file system) or another container names a pid this one cannot check. */
static unsigned long pid_space(void)
{
    char host[256] = "", ns[64] = "";
    gethostname(host, sizeof host - 1);
    ssize_t n = readlink("/proc/self/ns/pid", ns, sizeof ns - 1);
    if (n > 0)
        ns[n] = '\0';
    unsigned long h = 2166136261u; /* FNV-1a */
    for (const char *p = host; *p; p++)
        h = ((h ^ (unsigned char)*p) * 16777619u) & 0xffffffffu;
    for (const char *p = ns; *p; p++)
        h = ((h ^ (unsigned char)*p) * 16777619u) & 0xffffffffu;
    return h;
}

/* Temporary files of path left by writers that died before renaming them
 * (SIGKILL, a node's crash): "<path>.tmp.<space>.<pid>.XXXXXX" of this host
 * and pid namespace whose process is gone is removed; a live writer's, or
 * one from elsewhere, is left alone. */
static void clean_stale(const char *path, unsigned long space)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    char *slash = strrchr(copy, '/');
    const char *dir = slash ? (slash == copy ? "/" : copy) : ".";
    const char *base = slash ? slash + 1 : copy;
    if (slash)
        *slash = '\0';
    size_t blen = strlen(base);
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char *end;
        if (strncmp(e->d_name, base, blen) != 0 || strncmp(e->d_name + blen, ".tmp.", 5) != 0)
            continue;
        const char *rest = e->d_name + blen + 5;
        unsigned long sp = strtoul(rest, &end, 16);
        if (end != rest + 8 || *end != '.' || sp != space)
            continue; /* not ours, or another host's or container's */
        rest = end + 1;
        long pid = strtol(rest, &end, 10);
        if (end == rest || *end != '.' || strlen(end + 1) != 6 || pid <= 0)
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno == EPERM)
            continue; /* its writer is still there (perhaps another user's) */
        char full[4096], partial[4096];
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        /* what a killed writer had written (a timeline streamed as it ran)
         * is kept as <path>.partial, not deleted; an empty one goes */
        struct stat st;
        if (stat(full, &st) == 0 && st.st_size > 0 &&
            snprintf(partial, sizeof partial, "%s.partial", path) < (int)sizeof partial &&
            rename(full, partial) == 0)
            continue;
        unlink(full);
    }
    if (d)
        closedir(d);
    free(copy);
}

int eb__afile_open(eb__afile *a, const char *path)
{
    size_t n = strlen(path);

    memset(a, 0, sizeof *a);
    if (n == 0)
        return -ENOENT;
    int kind = target_kind(path);
    if (kind < 0)
        return kind;
    if (kind > 0) /* renaming a file over a device or a FIFO would replace it */
        return -ENOTSUP;
    /* a link to a file: the file is replaced, the link stays */
    char real[PATH_MAX], text[PATH_MAX];
    struct stat lst;
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        ssize_t k;
        if (realpath(path, real)) {
            path = real;
        } else if ((k = readlink(path, text, sizeof text - 1)) > 0) {
            /* a link to a file not there yet: where it points */
            text[k] = '\0';
            const char *slash = strrchr(path, '/');
            int dl = slash ? (int)(slash - path) : 0;
            if (text[0] == '/' || !slash)
                snprintf(real, sizeof real, "%s", text);
            else if (snprintf(real, sizeof real, "%.*s/%s", dl, path, text) >= (int)sizeof real)
                real[0] = '\0';
            if (real[0])
                path = real;
        }
        n = strlen(path);
    }
    a->path = strdup(path);
    a->tmp = malloc(n + 48);
    if (!a->path || !a->tmp) {
        eb__afile_abort(a);
        return -ENOMEM;
    }
    unsigned long space = pid_space();
    clean_stale(path, space);
    snprintf(a->tmp, n + 48, "%s.tmp.%08lx.%ld.XXXXXX", path, space, (long)getpid());
    /* a file that is there keeps its mode; a new one gets 0666 less the umask */
    struct stat st;
    int keep = stat(path, &st) == 0;
    int fd = create_tmp(a->tmp, 0666);
    if (fd < 0) {
        int err = errno;
        free(a->tmp);
        a->tmp = NULL;
        eb__afile_abort(a);
        return -err;
    }
    if (keep)
        fchmod(fd, st.st_mode & 07777);
    a->f = fdopen(fd, "w");
    if (!a->f) {
        int err = errno;
        close(fd);
        eb__afile_abort(a);
        return -err;
    }
    return 0;
}

int eb__afile_open_stream(eb__afile *a, const char *path)
{
    memset(a, 0, sizeof *a);
    int kind = strcmp(path, "-") == 0 ? 1 : path[0] ? target_kind(path) : 0;
    if (kind <= 0)
        return kind < 0 ? kind : eb__afile_open(a, path);
    /* written directly: "-" (a copy of standard output, so closing it leaves
     * stdout open), or a device, FIFO or socket, never replaced. A FIFO with no
     * reader is an error now rather than a hang (O_NONBLOCK: ENXIO) */
    int fd = -1;
    /* /dev/stdout, /dev/stderr, /proc/self/fd/N: this process's own file, shared
     * with it (its offset too: a new open of a file behind `> out` would write
     * over what the command writes) */
    struct stat sp, sf;
    if (strcmp(path, "-") == 0)
        fd = dup(STDOUT_FILENO);
    for (int own = 1; fd < 0 && own <= 2 && stat(path, &sp) == 0; own++)
        if (fstat(own, &sf) == 0 && sp.st_dev == sf.st_dev && sp.st_ino == sf.st_ino)
            fd = dup(own);
    if (fd < 0)
        fd = open(path, O_WRONLY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    a->path = strdup(path);
    a->f = a->path ? fdopen(fd, "w") : NULL;
    if (!a->f) {
        int err = a->path ? errno : ENOMEM;
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
    if (!err && a->tmp && rename(a->tmp, a->path) != 0)
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
