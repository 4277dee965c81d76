/*
 * markers.c - phase markers, as LIKWID's marker API under likwid-perfctr -m:
 * a program started by `ebench run` sends its windows to the parent through
 * an inherited descriptor instead of sampling on its own, and the parent
 * answers each window's figures, so the program prints and saves the same
 * results as when it runs alone. Both ends of the protocol live here: the
 * program's (eb__marker_*) and the parent's server (eb_markers_serve).
 *
 * The inherited descriptor ($EBENCH_MARKER_FD) is one end of an AF_UNIX
 * SOCK_SEQPACKET pair: every write is one message, so writes from several
 * threads or processes never interleave. Each message is one line:
 *   B <CLOCK_MONOTONIC seconds> <name>\n     a window begins
 *   E <CLOCK_MONOTONIC seconds> <name>\n     the latest window of that name ends
 *   W <amount> <unit> <name>\n               work done in the last closed window
 *   C 1\n + a descriptor (SCM_RIGHTS)        a private connection for this process
 * On its private connection a process gets, at once,
 *   D <JSON {"version":1, "pid":N, "domains":[...]}>   the parent's domains
 * and sends the same B/E/W lines and its questions:
 *   Q <seq> <t0> <t1>\n                      a window's figures (CLOCK_MONOTONIC
 *                                            seconds; times after now are now)
 *   R <seq> <JSON>                           the answer (eb_result's fields)
 * A descriptor that is a pipe (an older parent) carries B/E/W only: the
 * program's figures are then NaN and the parent's report has them. Names
 * have newlines replaced by spaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/mono.h"
#include "internal.h"

#define EB__MARKER_VERSION 1
#define EB__MARKER_MSG 512          /* a B/E/W/Q line */
#define EB__MARKER_BIG (256 * 1024) /* a D or R message */
#define EB__MARKER_ANSWER_S 2.0     /* how long a program waits for an answer */
#define EB__MARKER_SETTLE_MAX_S 1.5 /* how long a program asks again for a final one */

/* ---- JSON numbers: NaN and infinities as null ------------------------- */

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static double num_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static long long int_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

static void str_of(const json_t *o, const char *key, char *buf, size_t len)
{
    const char *s = json_string_value(json_object_get(o, key));
    snprintf(buf, len, "%s", s ? s : "");
}

/* ---- the program's end ------------------------------------------------- */

/* $EBENCH_MARKER_FD is "FD:INODE" (an older parent: "FD", a pipe): the
 * descriptor counts only while it is still that socket, so a program that
 * closed it and reused the number for its own (a daemon's "close every
 * descriptor", Python's close_fds) measures on its own instead of writing
 * markers into its own file. */
int eb__marker_fd_from_env(unsigned long long *ino)
{
    const char *v = getenv("EBENCH_MARKER_FD");
    char *end;
    struct stat st;
    if (!v || !*v)
        return -1;
    long fd = strtol(v, &end, 10);
    unsigned long long want = 0;
    if (*end == ':')
        want = strtoull(end + 1, &end, 10);
    if (*end || fd < 3 || fd > 65535 || fstat((int)fd, &st) != 0 ||
        !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) || (want && st.st_ino != want))
        return -1; /* not ours: measure on our own */
    *ino = st.st_ino;
    return (int)fd;
}

/* Whether fd is still the file whose inode was ino. */
static int fd_is(int fd, unsigned long long ino)
{
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && st.st_ino == ino;
}

/* A sequenced-packet socket: what the protocol's connections are. */
static int is_seqpacket(int fd)
{
    int type = 0;
    socklen_t len = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET;
}

/* Sends one message, whole; -1 on failure. MSG_NOSIGNAL: a peer that is
 * gone is an error here, not a SIGPIPE that kills the process. The parent
 * adds MSG_DONTWAIT: a program that asks and never reads loses its answers
 * rather than stalling everyone's. */
static int send_msg(int fd, const char *msg, size_t n, int flags)
{
    struct stat st;
    int sock = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
    for (;;) {
        ssize_t w = sock ? send(fd, msg, n, MSG_NOSIGNAL | flags) : write(fd, msg, n);
        if (w >= 0)
            return (size_t)w == n ? 0 : -1;
        if (errno != EINTR)
            return -1;
    }
}

/* Receives one message into buf (NUL-terminated), waiting at most wait_s;
 * its length, -1 on a timeout, -2 once the peer is gone. */
static ssize_t recv_msg(int fd, char *buf, size_t len, double wait_s)
{
    double deadline = eb__mono_s() + wait_s;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        double left = deadline - eb__mono_s();
        if (left <= 0)
            return -1;
        int rc = poll(&p, 1, (int)ceil(left * 1e3));
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return -1;
        ssize_t n = recv(fd, buf, len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -2;
        buf[n] = '\0';
        return n;
    }
}

/* Adds the parent's domains to b as mirrors: described, never read. */
static int mirror_domains(eb_bench *b, const char *json)
{
    json_error_t e;
    json_t *root = json_loads(json, 0, &e), *d;
    size_t i;
    if (!root || int_of(root, "version") != EB__MARKER_VERSION) {
        json_decref(root);
        return -1;
    }
    b->marker_parent = (long)int_of(root, "pid");
    json_array_foreach(json_object_get(root, "domains"), i, d)
    {
        if (b->n_dom >= EB_MAX_DOMAINS)
            break;
        eb__domain *dom = &b->dom[b->n_dom];
        eb__domain_desc *s = &dom->desc;
        memset(dom, 0, sizeof *dom);
        str_of(d, "id", s->id, sizeof s->id);
        str_of(d, "kind", s->kind, sizeof s->kind);
        str_of(d, "vendor", s->vendor, sizeof s->vendor);
        str_of(d, "name", s->name, sizeof s->name);
        str_of(d, "location", s->location, sizeof s->location);
        str_of(d, "part_of", s->part_of, sizeof s->part_of);
        str_of(d, "note", s->note, sizeof s->note);
        str_of(d, "uuid", s->uuid, sizeof s->uuid);
        str_of(d, "pci_bus_id", s->pci_bus_id, sizeof s->pci_bus_id);
        str_of(d, "visible_var", s->visible_var, sizeof s->visible_var);
        str_of(d, "visible_entry", s->visible_entry, sizeof s->visible_entry);
        str_of(d, "scope", s->scope, sizeof s->scope);
        s->vendor_index = (int)int_of(d, "vendor_index");
        str_of(d, "readings", s->readings, sizeof s->readings);
        str_of(d, "source", dom->mirror_source, sizeof dom->mirror_source);
        s->method = (eb_method)int_of(d, "method");
        s->update_period_s = num_of(d, "update_period_s");
        s->in_total = (int)int_of(d, "in_total");
        s->counter_holds = (int)int_of(d, "counter_holds");
        s->simulated = (int)int_of(d, "simulated");
        s->uncertainty_rel = num_of(d, "uncertainty_rel");
        s->sensor_window_s = num_of(d, "sensor_window_s");
        dom->idle_power_w = num_of(d, "idle_power_w");
        dom->source = SIZE_MAX;
        dom->mirror = 1;
        eb__fill_info(dom);
        dom->info.source = dom->mirror_source;
        b->n_dom++;
    }
    json_decref(root);
    return 0;
}

/* A private connection to the parent, made by this process: its answers
 * come to no one else. */
static int connect_parent(eb_bench *b, int mirror)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    char hello[] = "C 1\n";
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {hello, sizeof hello - 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &sv[1], sizeof(int));
    ssize_t n;
    while ((n = sendmsg(b->marker_fd, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    close(sv[1]);
    char *buf = n > 0 ? malloc(EB__MARKER_BIG) : NULL;
    if (!buf || recv_msg(sv[0], buf, EB__MARKER_BIG, EB__MARKER_ANSWER_S) < 2 ||
        strncmp(buf, "D ", 2) != 0 || (mirror && mirror_domains(b, buf + 2) != 0)) {
        free(buf);
        close(sv[0]);
        return -1;
    }
    free(buf);
    struct stat st;
    fstat(sv[0], &st);
    b->marker_conn = sv[0];
    b->marker_conn_ino = st.st_ino;
    b->marker_pid = getpid();
    return 0;
}

void eb__marker_connect(eb_bench *b)
{
    if (b->marker_fd < 0 || !is_seqpacket(b->marker_fd))
        return; /* a pipe: markers only */
    connect_parent(b, 1);
}

/* The shared descriptor, while it is still the parent's; -1 once the
 * program closed it (or its number now names something else). */
static int shared_of(eb_bench *b)
{
    if (b->marker_fd >= 0 && !fd_is(b->marker_fd, b->marker_ino)) {
        b->marker_fd = -1;
        if (b->marker_conn != -1)
            b->marker_conn = -2; /* the private connection is told apart on its own */
    }
    return b->marker_fd;
}

/* This process's connection: after a fork the child makes its own; one the
 * program closed (or whose number it reused) is lost, never written to. */
static int conn_of(eb_bench *b)
{
    if (b->marker_conn >= 0 && !fd_is(b->marker_conn, b->marker_conn_ino))
        b->marker_conn = -2; /* not ours any more: not closed either */
    if (b->marker_conn >= 0 && b->marker_pid != getpid()) {
        close(b->marker_conn);
        b->marker_conn = -1;
        if (shared_of(b) < 0 || connect_parent(b, 0) != 0)
            b->marker_conn = -2; /* mirrored, but no one answers */
    }
    return b->marker_conn;
}

void eb__marker_disconnect(eb_bench *b)
{
    /* closed only if it is still ours: the program may have closed it and
     * reused the number for a file of its own */
    if (b->marker_conn >= 0 && fd_is(b->marker_conn, b->marker_conn_ino))
        close(b->marker_conn);
    b->marker_conn = b->marker_conn == -1 ? -1 : -2;
}

int eb__marker_mirror(const eb_bench *b)
{
    return b->marker_conn != -1;
}

void eb__marker_send(eb_bench *b, char kind, const char *name, double amount, const char *unit,
                     double t_mono)
{
    char line[EB__MARKER_MSG];
    int n, fd = conn_of(b) >= 0 ? b->marker_conn : shared_of(b);
    if (fd < 0)
        return;
    if (isnan(t_mono))
        t_mono = eb__mono_s();
    if (kind == 'W')
        n = snprintf(line, sizeof line, "W %.17g %.40s %.400s\n", amount, unit, name);
    else
        n = snprintf(line, sizeof line, "%c %.9f %.400s\n", kind, t_mono, name);
    if (n < 0 || (size_t)n >= sizeof line)
        n = (int)sizeof line - 1, line[n - 1] = '\n';
    for (int i = 2; i < n - 1; i++)
        if (line[i] == '\n')
            line[i] = ' ';
    send_msg(fd, line, (size_t)n, 0);
}

static void result_from_json(const json_t *o, eb__result *r)
{
    r->total_energy_j = num_of(o, "total_energy_j");
    r->total_incomplete = (size_t)int_of(o, "total_incomplete");
    r->total_uncertainty_j = num_of(o, "total_uncertainty_j");
    r->total_net_energy_j = num_of(o, "total_net_energy_j");
    const json_t *doms = json_object_get(o, "domains");
    for (size_t i = 0; i < r->n_domains; i++) {
        const json_t *d = json_array_get(doms, i);
        eb_domain_energy *e = &r->domains[i];
        if (!d) {
            e->energy_j = e->avg_power_w = e->peak_power_w = NAN;
            continue;
        }
        e->energy_j = num_of(d, "energy_j");
        e->avg_power_w = num_of(d, "avg_power_w");
        e->peak_power_w = num_of(d, "peak_power_w");
        e->samples = (size_t)int_of(d, "samples");
        e->covered_s = num_of(d, "covered_s");
        e->method = (eb_method)int_of(d, "method");
        e->lost_at_s = num_of(d, "lost_at_s");
        e->uncertainty_j = num_of(d, "uncertainty_j");
        e->idle_power_w = num_of(d, "idle_power_w");
        e->net_energy_j = num_of(d, "net_energy_j");
        e->unreliable = (int)int_of(d, "unreliable");
        e->peak_span_s = num_of(d, "peak_span_s");
        e->provisional = (int)int_of(d, "provisional");
    }
}

int eb__marker_mirror_json(eb_bench *b, const char *json)
{
    return mirror_domains(b, json);
}

static void ask_parent(eb_bench *b, double t0, double t1, eb__result *r)
{
    memset(r, 0, sizeof *r);
    r->t_begin_s = t0;
    r->t_end_s = t1;
    r->duration_s = t1 - t0;
    r->n_domains = b->n_dom;
    r->total_energy_j = r->total_uncertainty_j = r->total_net_energy_j = NAN;
    for (size_t i = 0; i < b->n_dom; i++) {
        eb_domain_energy *e = &r->domains[i];
        e->energy_j = e->avg_power_w = e->peak_power_w = e->covered_s = NAN;
        e->lost_at_s = e->uncertainty_j = e->net_energy_j = e->peak_span_s = NAN;
        e->idle_power_w = b->dom[i].idle_power_w;
        e->method = b->dom[i].desc.method;
    }
    int fd = conn_of(b);
    if (fd < 0)
        return;
    char q[128], *buf = malloc(EB__MARKER_BIG);
    unsigned seq = ++b->marker_seq;
    int n = snprintf(q, sizeof q, "Q %u %.9f %.9f\n", seq, t0 + b->t0_abs, t1 + b->t0_abs);
    if (!buf || send_msg(fd, q, (size_t)n, 0) != 0) {
        free(buf);
        return;
    }
    double deadline = eb__mono_s() + EB__MARKER_ANSWER_S;
    for (;;) {
        ssize_t got = recv_msg(fd, buf, EB__MARKER_BIG, deadline - eb__mono_s());
        if (got == -2) { /* the parent is gone: figures it did not answer are missing */
            close(fd);
            b->marker_conn = -2;
        }
        if (got < 0)
            break;
        char *end;
        unsigned long s = strtoul(buf + (got > 2 ? 2 : got), &end, 10);
        if (strncmp(buf, "R ", 2) != 0 || s != seq || *end != ' ')
            continue; /* the answer to an earlier question that timed out */
        json_error_t e;
        json_t *o = json_loads(end + 1, 0, &e);
        if (o)
            result_from_json(o, r);
        json_decref(o);
        break;
    }
    free(buf);
}

void eb__marker_result_json(const char *json, eb__result *r)
{
    json_error_t e;
    json_t *o = json_loads(json, 0, &e);
    if (o)
        result_from_json(o, r);
    json_decref(o);
}

/* A window's figures from the parent, on b's domains; the energies stay NaN
 * if it does not answer. After eb_stop the figure must be final: while a
 * stepping counter has not moved past the window's end, the question is
 * asked again (every 20 ms, 1.5 s at most: about one update period), here,
 * never by making the parent wait. Caller holds the lock (one question at a
 * time on the connection). */
void eb__marker_result_locked(eb_bench *b, double t0, double t1, eb__result *r)
{
    int final = b->stopped || b->stopping;
    double give_up = eb__mono_s() + EB__MARKER_SETTLE_MAX_S;
    for (;;) {
        ask_parent(b, t0, t1, r);
        int provisional = 0;
        for (size_t i = 0; i < r->n_domains; i++)
            provisional |= r->domains[i].provisional;
        if (!final || !provisional || eb__mono_s() > give_up || b->marker_conn < 0)
            return;
        struct timespec nap = {0, 20000000};
        nanosleep(&nap, NULL);
    }
}

EB_EXPORT int eb_is_marker(const eb_bench *b)
{
    return b && b->marker_fd >= 0;
}

EB_EXPORT int eb_drop_last_window(eb_bench *b, const char *name)
{
    if (!b || !name)
        return EB_EINVAL;
    pthread_mutex_lock(&b->lock);
    int rc = eb__window_drop_locked(b, name);
    pthread_mutex_unlock(&b->lock);
    return rc;
}

EB_EXPORT int eb_add_window(eb_bench *b, const char *name, double t0_s, double t1_s)
{
    if (!b || !name || !(t1_s >= t0_s) || isinf(t0_s) || isinf(t1_s))
        return EB_EINVAL;
    eb__window w = {.name = strdup(name), .t0 = t0_s, .t1 = t1_s};
    if (!w.name)
        return eb__fail(b, EB_ENOMEM, "no memory for window '%s'", name);
    pthread_mutex_lock(&b->lock);
    w.edge = ++b->edges;
    b->win_gen++;
    int rc = eb__list_push(&b->closed_win, &w, sizeof w);
    if (rc == 0 && (rc = eb__window_closed_locked(b)) < 0)
        b->closed_win.n--; /* not kept: no memory for its name */
    pthread_mutex_unlock(&b->lock);
    if (rc < 0) {
        free(w.name);
        return eb__fail(b, rc, "no memory for window '%s'", name);
    }
    return EB_OK;
}

/* ---- the parent's end: eb_markers_serve -------------------------------- */

#define MAX_OPEN_MARKS 256
#define MAX_CONNS 255

struct eb_marker_server {
    eb_bench *b;
    int rfd, wfd; /* ours, the programs' (inherited) */
    pthread_t thread;
    int stop;                         /* read and written with __atomic builtins */
    double offset;                    /* CLOCK_MONOTONIC - the bench's clock */
    char *domains;                    /* the D message */
    struct pollfd fds[1 + MAX_CONNS]; /* [0]: rfd; then private connections */
    size_t n_fds;
    struct {
        char name[256];
        double t0;
        int fd; /* the connection that opened it */
    } open[MAX_OPEN_MARKS];
    size_t n_open;
    double warm_until; /* eb_markers_warmup; __atomic_load/__atomic_store */
    struct {
        char name[256];
        int warm;
    } ended[16]; /* the last windows ended, for the work added to them */
    size_t n_ended;
};

EB_EXPORT void eb_markers_warmup(eb_marker_server *s, double until)
{
    if (s)
        __atomic_store(&s->warm_until, &until, __ATOMIC_RELEASE);
}

static int is_warm(eb_marker_server *s, double t0)
{
    double until;
    __atomic_load(&s->warm_until, &until, __ATOMIC_ACQUIRE);
    return t0 < until;
}

/* Whether the newest window of this name that ended was a warm-up's. */
static int ended_warm(const eb_marker_server *s, const char *name)
{
    size_t n = s->n_ended < 16 ? s->n_ended : 16;
    for (size_t i = 0; i < n; i++) {
        size_t at = (s->n_ended - 1 - i) % 16;
        if (strcmp(s->ended[at].name, name) == 0)
            return s->ended[at].warm;
    }
    return 0;
}

/* The event's time on this bench's clock: both processes read CLOCK_MONOTONIC,
 * and one offset, taken once, converts every event alike (two conversions at
 * different moments could put a window's end before its begin). */
static double bench_time(eb_marker_server *s, double t_mono)
{
    return t_mono - s->offset;
}

static char *domains_message(eb_bench *b)
{
    json_t *doms = json_array();
    pthread_mutex_lock(&b->lock);
    for (size_t i = 0; i < b->n_dom; i++) {
        const eb__domain *d = &b->dom[i];
        const eb__domain_desc *s = &d->desc;
        json_array_append_new(
            doms,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, "
                      "s:s, s:i, s:o, s:i, s:i, s:i, s:o, s:o, s:o}",
                      "id", s->id, "kind", s->kind, "vendor", s->vendor, "name", s->name,
                      "location", s->location, "part_of", s->part_of, "note", s->note, "uuid",
                      s->uuid, "pci_bus_id", s->pci_bus_id, "visible_var", s->visible_var,
                      "visible_entry", s->visible_entry, "scope", s->scope, "vendor_index",
                      s->vendor_index, "readings", s->readings, "source",
                      d->info.source ? d->info.source : "", "method", (int)s->method,
                      "update_period_s", num(s->update_period_s), "in_total", s->in_total,
                      "counter_holds", s->counter_holds, "simulated", s->simulated,
                      "uncertainty_rel", num(s->uncertainty_rel), "sensor_window_s",
                      num(s->sensor_window_s), "idle_power_w", num(d->idle_power_w)));
    }
    pthread_mutex_unlock(&b->lock);
    json_t *root = json_pack("{s:i, s:I, s:o}", "version", EB__MARKER_VERSION, "pid",
                             (json_int_t)getpid(), "domains", doms);
    char *body = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    char *msg = body ? malloc(strlen(body) + 3) : NULL;
    if (msg)
        sprintf(msg, "D %s", body);
    free(body);
    return msg;
}

/* The answer to a question about [t0, t1], at once: the figure as it stands
 * now (provisional where a stepping counter has not moved past t1; the
 * program asks again if it needs it final). Times after now are now: a
 * program cannot make this server wait for the future or read the sensors
 * faster than its own windows would. */
static char *answer_message(eb_bench *b, unsigned long seq, double t0, double t1)
{
    eb__result *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    pthread_mutex_lock(&b->lock);
    double now = b->stopped || b->stopping ? b->t_stop : eb__clock_now(b);
    t1 = fmin(t1, now);
    t0 = fmin(t0, t1);
    /* the timeline reaches the window's end, as the program's own edge sample
     * would make it (a utilization model's energy up to t1 needs a sample
     * after it); the parent's report then holds the same sample */
    int behind = 0;
    for (size_t i = 0; i < b->n_dom; i++) {
        const eb__series *v = &b->dom[i].series;
        behind |= v->n == 0 || v->v[v->n - 1].t_s < t1;
    }
    if (behind && !b->stopped && !b->stopping)
        eb__tick_edge_locked(b);
    eb__result_locked(b, t0, t1, r);
    pthread_mutex_unlock(&b->lock);
    json_t *doms = json_array();
    for (size_t i = 0; i < r->n_domains; i++) {
        const eb_domain_energy *e = &r->domains[i];
        json_array_append_new(
            doms, json_pack("{s:o, s:o, s:o, s:I, s:o, s:i, s:o, s:o, s:o, s:o, s:i, s:o, s:i}",
                            "energy_j", num(e->energy_j), "avg_power_w", num(e->avg_power_w),
                            "peak_power_w", num(e->peak_power_w), "samples", (json_int_t)e->samples,
                            "covered_s", num(e->covered_s), "method", (int)e->method, "lost_at_s",
                            num(e->lost_at_s), "uncertainty_j", num(e->uncertainty_j),
                            "idle_power_w", num(e->idle_power_w), "net_energy_j",
                            num(e->net_energy_j), "unreliable", e->unreliable, "peak_span_s",
                            num(e->peak_span_s), "provisional", e->provisional));
    }
    json_t *root = json_pack("{s:o, s:I, s:o, s:o, s:o}", "total_energy_j", num(r->total_energy_j),
                             "total_incomplete", (json_int_t)r->total_incomplete,
                             "total_uncertainty_j", num(r->total_uncertainty_j),
                             "total_net_energy_j", num(r->total_net_energy_j), "domains", doms);
    free(r);
    char *body = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    char *msg = body ? malloc(strlen(body) + 32) : NULL;
    if (msg)
        sprintf(msg, "R %lu %s", seq, body);
    free(body);
    return msg;
}

/* The names `ebench run` gives its own windows: a program's window of one of
 * these names is kept as "<name> (program)", so it never joins the run's
 * (one run once showed as "2 runs, +-904%"). */
static const char *program_name(const char *name, int warm, char *buf, size_t len)
{
    static const char *const reserved[] = {"run", "run (warmup)", "idle"};
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        if (strcmp(name, reserved[i]) == 0) {
            snprintf(buf, len, "%s (program)%s", name, warm ? " (warmup)" : "");
            return buf;
        }
    if (!warm)
        return name;
    snprintf(buf, len, "%s (warmup)", name);
    return buf;
}

/* One line from a program; fd is where an answer goes. */
static void serve_line(eb_marker_server *s, int fd, char *line)
{
    char kind = line[0], *rest = line + 2, *name, *end;
    if (strlen(line) < 3 || line[1] != ' ')
        return;
    if (kind == 'W') {
        double amount = strtod(rest, &end);
        char *unit = end + 1, *sp = strchr(unit, ' ');
        if (*end != ' ' || !sp)
            return;
        *sp = '\0';
        char own[300];
        eb_add_work(s->b, program_name(sp + 1, ended_warm(s, sp + 1), own, sizeof own), amount,
                    unit);
        return;
    }
    if (kind == 'Q') {
        unsigned long seq = strtoul(rest, &end, 10);
        double t0 = strtod(end, &end), t1 = strtod(end, &end);
        if (!isfinite(t0) || !isfinite(t1) || t1 < t0)
            t0 = t1 = NAN;
        t0 = bench_time(s, t0);
        t1 = bench_time(s, t1);
        char *msg = isnan(t0) ? NULL : answer_message(s->b, seq, t0, t1);
        if (msg)
            send_msg(fd, msg, strlen(msg), MSG_DONTWAIT);
        free(msg);
        return;
    }
    double t_mono = strtod(rest, &name);
    if (*name != ' ')
        return;
    name++;
    double t = bench_time(s, t_mono);
    /* a window is closed by the connection that opened it: programs that
     * fork, or die inside a window, do not close each other's */
    if (kind == 'B' && s->n_open < MAX_OPEN_MARKS) {
        snprintf(s->open[s->n_open].name, sizeof s->open[0].name, "%s", name);
        s->open[s->n_open].fd = fd;
        s->open[s->n_open++].t0 = t;
    } else if (kind == 'E') {
        for (size_t i = s->n_open; i > 0; i--) {
            if (s->open[i - 1].fd != fd || strcmp(s->open[i - 1].name, name) != 0)
                continue;
            /* a window shorter than the clocks' resolution is kept, not dropped */
            char own[300];
            int warm = is_warm(s, s->open[i - 1].t0);
            eb_add_window(s->b, program_name(name, warm, own, sizeof own), s->open[i - 1].t0,
                          fmax(t, s->open[i - 1].t0));
            size_t at = s->n_ended++ % 16;
            snprintf(s->ended[at].name, sizeof s->ended[at].name, "%s", name);
            s->ended[at].warm = warm;
            memmove(&s->open[i - 1], &s->open[i], (s->n_open - i) * sizeof s->open[0]);
            s->n_open--;
            break;
        }
    }
}

static void add_conn(eb_marker_server *s, int fd)
{
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (s->n_fds >= 1 + MAX_CONNS || !s->domains || !is_seqpacket(fd) ||
        send_msg(fd, s->domains, strlen(s->domains), MSG_DONTWAIT) != 0) {
        close(fd);
        return;
    }
    s->fds[s->n_fds++] = (struct pollfd){fd, POLLIN, 0};
}

/* One message from fds[k]: 1 read, 2 nothing there now, 0 end or error. */
/* One message's lines (buf has room for a NUL after n); a line without
 * its newline is not taken. */
static void serve_message(eb_marker_server *s, int fd, char *buf, size_t n)
{
    buf[n] = '\0';
    char *line = buf, *nl;
    while ((nl = strchr(line, '\n'))) { /* an older program's pipe may join lines */
        *nl = '\0';
        if (line[0] != 'C')
            serve_line(s, fd, line);
        line = nl + 1;
    }
}

static int serve_one(eb_marker_server *s, size_t k)
{
    char buf[EB__MARKER_MSG * 16];
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } ctl;
    struct iovec iov = {buf, sizeof buf - 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t n = recvmsg(s->fds[k].fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 2 : 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfd; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (k == 0 && i == 0 && n >= 2 && buf[0] == 'C')
                add_conn(s, fd);
            else
                close(fd); /* only a "C" on the shared descriptor brings one */
        }
    }
    if (n == 0) {
        /* an empty message, or the end: a sequenced-packet socket says 0 for
         * both, and only the hang-up tells them apart (an empty message must
         * not end the markers of everyone on the shared descriptor) */
        struct pollfd p = {s->fds[k].fd, POLLIN, 0};
        return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)) ? 0 : 1;
    }
    serve_message(s, s->fds[k].fd, buf, (size_t)n);
    return 1;
}

void eb__markers_feed(eb_marker_server *s, int fd, const char *msg, size_t n)
{
    char buf[EB__MARKER_MSG * 16];
    if (n > sizeof buf - 1)
        n = sizeof buf - 1; /* as recvmsg would truncate it */
    memcpy(buf, msg, n);
    serve_message(s, fd, buf, n);
}

static void drop_conn(eb_marker_server *s, size_t k)
{
    /* its open windows go with it (a program that died inside one) */
    size_t kept = 0;
    for (size_t i = 0; i < s->n_open; i++)
        if (s->open[i].fd != s->fds[k].fd)
            s->open[kept++] = s->open[i];
    s->n_open = kept;
    close(s->fds[k].fd);
    s->fds[k] = s->fds[--s->n_fds];
}

static void *serve_main(void *arg)
{
    eb_marker_server *s = arg;
    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
        for (size_t k = 0; k < s->n_fds; k++)
            s->fds[k].revents = 0;
        if (poll(s->fds, s->n_fds, 50) <= 0)
            continue;
        for (size_t k = s->n_fds; k-- > 0;) {
            if (!s->fds[k].revents)
                continue;
            int rc, n = 0;
            while ((rc = serve_one(s, k)) == 1 && ++n < 64) /* a flood waits its turn */
                ;
            if (rc == 0 && k > 0)
                drop_conn(s, k);
            else if (rc == 0)
                s->fds[0].events = 0; /* every program's copy closed */
        }
    }
    /* what is left: the programs have ended */
    for (size_t k = s->n_fds; k-- > 0;)
        while (serve_one(s, k) == 1)
            ;
    return NULL;
}

eb_marker_server *eb__markers_new(eb_bench *b)
{
    eb_marker_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->b = b;
    s->warm_until = -INFINITY;
    s->offset = eb__mono_s() - eb_now(b);
    s->domains = domains_message(b);
    return s;
}

void eb__markers_free(eb_marker_server *s)
{
    if (s)
        free(s->domains);
    free(s);
}

EB_EXPORT int eb_markers_serve(eb_bench *b, eb_marker_server **out)
{
    int sv[2];
    char num_s[48];
    if (!b || !out)
        return EB_EINVAL;
    *out = NULL;
    eb_marker_server *s = eb__markers_new(b);
    if (!s)
        return EB_ENOMEM;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) {
        eb__markers_free(s);
        return eb__fail(b, EB_EIO, "phase markers: socketpair: %s", strerror(errno));
    }
    s->rfd = sv[0];
    s->wfd = sv[1];
    fcntl(s->rfd, F_SETFD, FD_CLOEXEC);
    s->fds[0] = (struct pollfd){s->rfd, POLLIN, 0};
    s->n_fds = 1;
    struct stat st;
    fstat(s->wfd, &st);
    snprintf(num_s, sizeof num_s, "%d:%llu", s->wfd, (unsigned long long)st.st_ino);
    setenv("EBENCH_MARKER_FD", num_s, 1);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* signals go to the caller's threads */
    int rc = pthread_create(&s->thread, NULL, serve_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        close(s->rfd);
        close(s->wfd);
        unsetenv("EBENCH_MARKER_FD");
        eb__markers_free(s);
        return eb__fail(b, EB_ENOMEM, "phase markers: no thread");
    }
    *out = s;
    return EB_OK;
}

EB_EXPORT void eb_markers_close(eb_marker_server *s)
{
    if (!s)
        return;
    close(s->wfd);
    unsetenv("EBENCH_MARKER_FD");
    __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
    pthread_join(s->thread, NULL);
    for (size_t k = 0; k < s->n_fds; k++)
        close(s->fds[k].fd);
    eb__markers_free(s);
}
