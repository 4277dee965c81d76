/*
 * marker_fdreuse.c - a program under `ebench run` that closes the marker
 * descriptor it inherited and gets the same number again for a socket of its
 * own (a daemon's "close everything", Python's close_fds), then uses
 * libebench: the library must see the descriptor is not the parent's any
 * more, measure on its own, and write nothing into the program's socket.
 * Then, with the parent's socket, it closes the descriptor after eb_open and
 * opens a file in its place: nothing may reach that file either.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ebench.h"

int main(int argc, char **argv)
{
    const char *v = getenv("EBENCH_MARKER_FD");
    if (!v || argc < 2)
        return 2;
    int fd = atoi(v), sv[2];
    eb_bench *b;
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    if (strcmp(argv[1], "before") == 0) {
        close(fd);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
            return 1;
        if (sv[0] != fd && dup2(sv[0], fd) < 0)
            return 1;
        if (eb_open(&b, NULL) != EB_OK)
            return 1;
        eb_begin(b, "mine");
        eb_end(b, "mine", &r);
        char buf[256];
        ssize_t n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
        printf("marker mode: %d, domains: %zu, bytes to my socket: %zd\n", eb_is_marker(b),
               eb_domain_count(b), n < 0 ? (ssize_t)0 : n);
    } else { /* after */
        if (eb_open(&b, NULL) != EB_OK)
            return 1;
        close(fd);
        char path[] = "/tmp/eb-fdreuse.XXXXXX";
        int f = mkstemp(path);
        if (f != fd && dup2(f, fd) < 0)
            return 1;
        eb_begin(b, "late");
        eb_end(b, "late", &r);
        off_t size = lseek(fd, 0, SEEK_END);
        unlink(path);
        printf("bytes to my file: %lld\n", (long long)size);
    }
    eb_close(b);
    return 0;
}
