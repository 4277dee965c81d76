/*
 * marker_hostile.c - a program that abuses the phase-marker protocol of the
 * `ebench run` that started it (src/lib/markers.c): garbage on the shared
 * descriptor, a "C" without a descriptor and one with three, a private
 * connection that floods questions and never reads an answer, questions
 * that do not parse, a window that ends before it begins. The parent must
 * keep its own figures, finish promptly and exit 0. Then, as a well-behaved
 * program, it asks for one window through libebench and prints the figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ebench.h"

static void say(int fd, const char *msg, size_t n)
{
    if (send(fd, msg, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        /* a full buffer or a closed peer: what a careless program would meet */
    }
}

static void send_fds(int fd, const char *msg, const int *fds, int n)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(3 * sizeof(int))];
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)msg, strlen(msg)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (n > 0) {
        m.msg_control = ctl.buf;
        m.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
    }
    if (sendmsg(fd, &m, MSG_NOSIGNAL) < 0)
        perror("sendmsg");
}

int main(void)
{
    const char *v = getenv("EBENCH_MARKER_FD");
    if (!v)
        return 2;
    int shared = atoi(v);
    static const char *garbage[] = {"",        "B",       "E 1e400 x\n", "W nan flop\n",
                                    "Q\n",     "Q 1 2\n", "Q x y z w\n", "B nan \n",
                                    "E -1 \n", "C 2\n",   "Z 1 2 3\n",   "W 1e308 J x\n",
                                    "B 1 a\nE"};
    for (size_t i = 0; i < sizeof garbage / sizeof *garbage; i++)
        say(shared, garbage[i], strlen(garbage[i]));
    char big[4096];
    memset(big, 'B', sizeof big);
    say(shared, big, sizeof big);
    send_fds(shared, "C 1\n", NULL, 0); /* no descriptor */
    int three[3], sv[2];
    for (int i = 0; i < 3; i++)
        three[i] = dup(1);
    send_fds(shared, "C 1\n", three, 3);   /* too many: the first taken, the rest closed */
    send_fds(shared, "B 1 x\n", three, 1); /* a descriptor on a line that is no "C" */
    for (int i = 0; i < 3; i++)
        close(three[i]);

    /* a connection that asks and never reads */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        return 1;
    send_fds(shared, "C 1\n", &sv[1], 1);
    close(sv[1]);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double now = (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
    char q[128];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(q, sizeof q, "Q %d %.9f %.9f 0\n", i, now - 1, now);
        say(sv[0], q, (size_t)n);
    }
    say(sv[0], "Q 1 5 4 0\n", 10);  /* ends before it begins */
    for (int i = 0; i < 300; i++) { /* about the far future: answered now, never waited for */
        int n = snprintf(q, sizeof q, "Q %d %.9f %.9f 1\n", i, now - 1, now + 1e6);
        say(sv[0], q, (size_t)n);
    }
    /* a window of no length at all: kept, not dropped */
    char tiny[96];
    int tn = snprintf(tiny, sizeof tiny, "B %.9f tiny\n", now);
    say(shared, tiny, (size_t)tn);
    tn = snprintf(tiny, sizeof tiny, "E %.9f tiny\n", now);
    say(shared, tiny, (size_t)tn);
    say(sv[0], "E 1 never-begun\n", 16);

    /* and one that behaves */
    eb_bench *b;
    eb_domain_energy r_d[EB_MAX_DOMAINS];
    eb_result r = EB_RESULT_INIT(r_d);
    if (eb_open(&b, NULL) != EB_OK)
        return 1;
    eb_begin(b, "fine");
    struct timespec nap = {0, 400000000};
    while (nanosleep(&nap, &nap) != 0)
        ;
    eb_end(b, "fine", &r);
    printf("fine: %zu domains, %s\n", r.n_domains,
           r.n_domains && !(r.total_energy_j != r.total_energy_j) ? "a figure" : "no figure");
    eb_close(b);
    close(sv[0]);
    return 0;
}
