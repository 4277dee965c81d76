/*
 * fuzz_markers.c - the phase-marker protocol (src/lib/markers.c), both ends:
 * what `ebench run` takes from the programs it starts (B/E/W lines and
 * questions, each answered on a socket nobody reads), and what a program
 * takes from its parent (the domain list, the answers). The first byte
 * picks the end; the rest is one message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../src/lib/internal.h"
#include "fuzz_common.h"

static eb_bench *parent;
static eb_marker_server *server;
static int answers[2];
static const eb_config *parent_cfg;

/* The parent keeps every window it is sent (as ebench run does): a new one
 * every 200 inputs keeps its memory and its timeline (which every question
 * scans) small. */
static void renew_parent(void)
{
    static unsigned long n;
    if (++n % 200)
        return;
    eb__markers_free(server);
    eb_close(parent);
    if (eb_open(&parent, parent_cfg) != EB_OK || !(server = eb__markers_new(parent)))
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static char procfs[4096];
    char stat_file[4200];
    fuzz_scratch_dir("markers", procfs, sizeof procfs);
    snprintf(stat_file, sizeof stat_file, "%s/stat", procfs);
    FILE *f = fopen(stat_file, "w");
    fputs("cpu  100 0 100 800 0 0 0 0 0 0\n", f);
    fclose(f);
    eb_config cfg;
    eb_config_init(&cfg);
    cfg.manual = 1;
    cfg.sources = EB_SOURCE_CPUMODEL;
    cfg.procfs_root = procfs;
    cfg.sysfs_root = "/nonexistent";
    static eb_config keep;
    keep = cfg;
    parent_cfg = &keep;
    if (eb_open(&parent, &cfg) != EB_OK || !(server = eb__markers_new(parent)))
        abort();
    /* answers go to a socket whose other end is drained now and then */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, answers) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *msg = malloc(size);
    memcpy(msg, data + 1, size - 1);
    msg[size - 1] = '\0';
    switch (data[0] % 3) {
    case 0: /* the parent: one message from a program */
        renew_parent();
        eb__markers_feed(server, answers[0], msg, size - 1);
        char sink[4096];
        while (recv(answers[1], sink, sizeof sink, MSG_DONTWAIT) > 0)
            ;
        break;
    case 1: { /* a program: the parent's domain list */
        eb_config cfg;
        eb_bench *b;
        eb_config_init(&cfg);
        cfg.manual = 1;
        cfg.sources = 0;
        if (eb_open(&b, &cfg) == EB_OK) {
            eb__marker_mirror_json(b, msg);
            eb_close(b);
        }
        break;
    }
    default: { /* a program: an answer, for as many domains as it mirrors */
        static eb__result r;
        memset(&r, 0, sizeof r);
        r.n_domains = (size_t)(size % (EB_MAX_DOMAINS + 1));
        eb__marker_result_json(msg, &r);
        break;
    }
    }
    free(msg);
    return 0;
}
