/*
 * cmd_export.c - `ebench export`: the latest readings of every domain over
 * HTTP for Prometheus (text format 0.0.4), through libmicrohttpd.
 *
 * The sampler thread takes the readings; a scrape only formats the latest
 * ones (cached until the next sample), so any number of scrapers never
 * touches the driver. Listens on loopback unless told otherwise. Slow or
 * idle clients cannot starve scrapes: a cap on connections in all and per
 * client address, an idle timeout, and a deadline for receiving a whole
 * request (a watchdog shuts down a connection whose request has not arrived
 * within REQUEST_DEADLINE_S, however steadily it trickles in).
 */
#include "cli.h"
#include <stdio.h>

#ifndef EBENCH_HAVE_MHD
int eb_cmd_export(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ebench export: this ebench was built without libmicrohttpd "
                    "(apt-get install libmicrohttpd-dev, then rebuild)\n");
    return EB_EXIT_FAIL;
}
#else
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../util/mono.h"
#include "cli.h"
#include "prom.h"

static const char export_usage[] =
    "usage: ebench export [--listen ADDR:PORT] [--interval MS] [--gpus LIST] [--dcgm-names]\n"
    "                     [--hpc-job-mapping-dir DIR] [--tls-cert FILE --tls-key FILE]\n"
    "\n"
    "Serves the latest readings of every domain for Prometheus at /metrics (text\n"
    "format 0.0.4): ebench_energy_joules_total, ebench_power_watts,\n"
    "ebench_gpu_utilization_ratio, ebench_memory_utilization_ratio,\n"
    "ebench_sm_clock_hertz, ebench_temperature_celsius, ebench_power_limit_watts,\n"
    "ebench_domain_up, ebench_build_info. Stops on SIGTERM or SIGINT.\n"
    "\n"
    "  --listen ADDR:PORT        where to listen (default 127.0.0.1:9400, loopback only;\n"
    "                            0.0.0.0:9400 for every interface)\n"
    "  --interval MS             sampling interval (default 1000)\n"
    "  --gpus LIST               as for ebench run\n"
    "  --dcgm-names              also dcgm-exporter's DCGM_FI_DEV_* series for the NVIDIA\n"
    "                            GPUs, so dashboards made for it (Grafana 12239) work\n"
    "  --hpc-job-mapping-dir DIR hpc_job label from DIR/<vendor><index> (DIR/amd0; for\n"
    "                            NVIDIA also dcgm-exporter's DIR/<index>): job ids, one\n"
    "                            per line\n"
    "  --tls-cert FILE, --tls-key FILE   serve HTTPS\n"
    "  --max-connections N       at most N connections at once (default 64)\n"
    "  --max-connections-per-client N   at most N from one address (default 8)\n"
    "\n"
    "A client has 5 s to send a whole request (line, headers, any body), and a\n"
    "kept-alive connection may idle 5 s between requests; 8 of the connections are\n"
    "kept for this host's own scraper (127.0.0.1, ::1): slow, idle or many clients\n"
    "cannot starve the scrapes.\n";

#define REQUEST_DEADLINE_S 5.0 /* to receive a request's line and headers */
#define IDLE_TIMEOUT_S 5u      /* between requests on a kept-alive connection */

/* One connection, for the watchdog: when its current request began. */
typedef struct conn {
    int fd;
    int other;    /* not from this host's own scraper address (127.0.0.1, ::1) */
    double since; /* NaN: its request has arrived, being answered */
    int shut;
    struct conn *prev, *next;
} conn;

typedef struct server {
    eb_bench *b;
    eb_prom_opts prom;
    pthread_mutex_t lock;
    char *page; /* the cached exposition */
    size_t page_len;
    double page_t; /* latest sample time it was made from */
    pthread_mutex_t conns_lock;
    conn *conns;
    size_t n_shut;  /* connections cut for being too slow */
    size_t n_other; /* open connections not from 127.0.0.1 / ::1 */
    size_t max_other;
    int stop; /* __atomic: the watchdog ends */
} server;

static double latest_t(eb_bench *b)
{
    double t = -1;
    for (size_t i = 0; i < eb_domain_count(b); i++) {
        eb_reading r;
        eb_latest(b, i, &r);
        if (r.t_s > t)
            t = r.t_s;
    }
    return t;
}

/* The exposition, made again only when a new sample has arrived. */
static struct MHD_Response *metrics_response(server *s)
{
    struct MHD_Response *resp = NULL;
    pthread_mutex_lock(&s->lock);
    double t = latest_t(s->b);
    if (!s->page || t != s->page_t || eb_domain_count(s->b) == 0) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (f) {
            eb_prom_write(f, s->b, &s->prom);
            fclose(f);
            free(s->page);
            s->page = buf;
            s->page_len = len;
            s->page_t = t;
        }
    }
    if (s->page)
        resp = MHD_create_response_from_buffer(s->page_len, s->page, MHD_RESPMEM_MUST_COPY);
    pthread_mutex_unlock(&s->lock);
    if (resp)
        MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return resp;
}

static const char index_page[] =
    "<!DOCTYPE html><html><head><title>ebench exporter</title></head><body>"
    "<h1>ebench exporter</h1><p>Energy and power of every GPU, CPU package and DRAM "
    "domain on this node.</p><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type,
                             const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, "Allow", "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return rc;
}

/* The watchdog's record of c (NULL before it is known). */
static conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

static void set_since(server *s, struct MHD_Connection *c, double t)
{
    conn *k = conn_of(c);
    pthread_mutex_lock(&s->conns_lock);
    if (k)
        k->since = t;
    pthread_mutex_unlock(&s->conns_lock);
}

/* This host's own scraper: 127.0.0.1 or ::1 (a Prometheus beside the
 * exporter). Other addresses, loopback aliases included, share what is left
 * of the connection cap once RESERVED_FOR_LOCAL slots are kept for it. */
#define RESERVED_FOR_LOCAL 8

static int own_scraper(const struct sockaddr *a)
{
    if (a && a->sa_family == AF_INET)
        return ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) == INADDR_LOOPBACK;
    if (a && a->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
    return 0;
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
    server *s = cls;
    (void)len;
    if (own_scraper(addr))
        return MHD_YES;
    pthread_mutex_lock(&s->conns_lock);
    int room = s->n_other < s->max_other;
    pthread_mutex_unlock(&s->conns_lock);
    return room ? MHD_YES : MHD_NO;
}

static void notify(void *cls, struct MHD_Connection *c, void **socket_context,
                   enum MHD_ConnectionNotificationCode code)
{
    server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *i =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn *k = calloc(1, sizeof *k);
        if (!k || !i) {
            free(k);
            return;
        }
        k->fd = i->connect_fd;
        k->since = eb__mono_s();
        const union MHD_ConnectionInfo *a =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        k->other = !(a && own_scraper(a->client_addr));
        pthread_mutex_lock(&s->conns_lock);
        s->n_other += k->other;
        k->next = s->conns;
        if (s->conns)
            s->conns->prev = k;
        s->conns = k;
        pthread_mutex_unlock(&s->conns_lock);
        *socket_context = k;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        conn *k = *socket_context;
        pthread_mutex_lock(&s->conns_lock);
        s->n_other -= k->other;
        if (k->prev)
            k->prev->next = k->next;
        else
            s->conns = k->next;
        if (k->next)
            k->next->prev = k->prev;
        pthread_mutex_unlock(&s->conns_lock);
        free(k);
        *socket_context = NULL;
    }
}

/* A request answered: the connection's next one has its own deadline. */
static void completed(void *cls, struct MHD_Connection *c, void **req,
                      enum MHD_RequestTerminationCode code)
{
    (void)req;
    (void)code;
    /* a kept-alive connection may idle (IDLE_TIMEOUT_S, libmicrohttpd's own
     * timer) and then has the whole deadline for its next request */
    set_since(cls, c, eb__mono_s() + IDLE_TIMEOUT_S);
}

/* Every 0.25 s: a connection whose request has not arrived within the
 * deadline is shut down (libmicrohttpd then closes it on its own thread). */
static void *watchdog(void *arg)
{
    server *s = arg;
    struct timespec nap = {0, 250000000};
    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
        nanosleep(&nap, NULL);
        double now = eb__mono_s();
        pthread_mutex_lock(&s->conns_lock);
        for (conn *k = s->conns; k; k = k->next)
            if (!k->shut && now - k->since > REQUEST_DEADLINE_S) {
                shutdown(k->fd, SHUT_RDWR);
                k->shut = 1;
                s->n_shut++;
            }
        pthread_mutex_unlock(&s->conns_lock);
    }
    return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req)
{
    server *s = cls;
    (void)version;
    (void)upload;
    if (!*req) { /* first call for this request: wait for the body, if any */
        *req = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* a body is never wanted: still inside the deadline */
        return MHD_YES;
    }
    /* the whole request arrived in time: the answer is not on the clock (a
     * body trickled in slowly was, until here) */
    set_since(s, c, NAN);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "405 method not allowed\n");
    if (strcmp(url, "/") == 0)
        return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", index_page);
    if (strcmp(url, "/metrics") != 0)
        return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", "404 not found: try /metrics\n");
    struct MHD_Response *r = metrics_response(s);
    if (!r)
        return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "500 out of memory\n");
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/* Binds the listening socket ourselves, so a busy port gets a clear error. */
static int listen_on(const char *spec, struct sockaddr_in *addr)
{
    char host[64];
    const char *colon = strrchr(spec, ':');
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host || *end || port < 1 ||
        port > 65535) {
        fprintf(stderr, "ebench export: --listen '%s': expected ADDR:PORT, e.g. 127.0.0.1:9400\n",
                spec);
        return -2;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1) {
        fprintf(stderr, "ebench export: --listen '%s': '%s' is not an IPv4 address\n", spec, host);
        return -2;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)addr, sizeof *addr) != 0 || listen(fd, 128) != 0) {
        int err = errno;
        fprintf(stderr, "ebench export: cannot listen on %s: %s%s\n", spec, strerror(err),
                err == EADDRINUSE ? " (another exporter there? choose another --listen port)" : "");
        close(fd);
        return -1;
    }
    return fd;
}

static char *slurp_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
        buf[n] = '\0';
    else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

int eb_cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"interval", required_argument, NULL, 'i'},
        {"gpus", required_argument, NULL, 'g'},
        {"dcgm-names", no_argument, NULL, 'd'},
        {"hpc-job-mapping-dir", required_argument, NULL, 'm'},
        {"tls-cert", required_argument, NULL, 'c'},
        {"tls-key", required_argument, NULL, 'k'},
        {"max-connections", required_argument, NULL, 'n'},
        {"max-connections-per-client", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *listen_spec = "127.0.0.1:9400", *cert = NULL, *key = NULL;
    double max_conn = 64, per_client = 8;
    server s;
    eb_config cfg;
    int c;

    memset(&s, 0, sizeof s);
    eb_config_init(&cfg);
    cfg.interval_ms = 1000;
    cfg.history_samples = 4096; /* only the latest readings are served: memory stays flat */
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            listen_spec = optarg;
            break;
        case 'i':
            if (eb_cli_number("--interval", optarg, 1, 3600000, &cfg.interval_ms) < 0)
                return EB_EXIT_USAGE;
            break;
        case 'g':
            if (eb_cli_check_gpus(optarg) < 0)
                return EB_EXIT_USAGE;
            cfg.gpus = optarg;
            break;
        case 'd':
            s.prom.dcgm_names = 1;
            break;
        case 'm':
            s.prom.job_map_dir = optarg;
            break;
        case 'c':
            cert = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'n':
            if (eb_cli_number("--max-connections", optarg, 1, 100000, &max_conn) < 0)
                return EB_EXIT_USAGE;
            break;
        case 'p':
            if (eb_cli_number("--max-connections-per-client", optarg, 1, 100000, &per_client) < 0)
                return EB_EXIT_USAGE;
            break;
        case 'h':
            fputs(export_usage, stdout);
            return 0;
        default:
            fputs(export_usage, stderr);
            return EB_EXIT_USAGE;
        }
    }
    if (eb_cli_no_operands("export", argc, argv, export_usage))
        return EB_EXIT_USAGE;
    if (!cert != !key) {
        fprintf(stderr, "ebench export: --tls-cert and --tls-key go together\n");
        return EB_EXIT_USAGE;
    }
    char *cert_pem = cert ? slurp_file(cert) : NULL, *key_pem = key ? slurp_file(key) : NULL;
    if ((cert && !cert_pem) || (key && !key_pem)) {
        fprintf(stderr, "ebench export: cannot read %s: %s\n", cert_pem ? key : cert,
                strerror(errno));
        free(cert_pem);
        free(key_pem);
        return EB_EXIT_USAGE;
    }
    struct sockaddr_in addr;
    int fd = listen_on(listen_spec, &addr);
    if (fd < 0) {
        free(cert_pem);
        free(key_pem);
        return fd == -2 ? EB_EXIT_USAGE : EB_EXIT_FAIL;
    }

    /* Signals are taken by sigwait in this thread; every other thread, the
     * sampler and libmicrohttpd's, starts with them blocked. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    int rc = eb_cli_open(&cfg, &s.b);
    if (rc) {
        close(fd);
        return rc;
    }
    char host[256];
    eb_hostname(host, sizeof host);
    s.prom.hostname = host;
    pthread_mutex_init(&s.lock, NULL);
    pthread_mutex_init(&s.conns_lock, NULL);
    s.max_other = max_conn > RESERVED_FOR_LOCAL ? (size_t)max_conn - RESERVED_FOR_LOCAL : 1;
    pthread_t dog;
    int have_dog = pthread_create(&dog, NULL, watchdog, &s) == 0;

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    if (cert_pem)
        flags |= MHD_USE_TLS;
    struct MHD_Daemon *d;
    if (cert_pem)
        d = MHD_start_daemon(
            flags, 0, accept_policy, &s, handle, &s, MHD_OPTION_LISTEN_SOCKET, fd,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)max_conn, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
            (unsigned)per_client, MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S,
            MHD_OPTION_NOTIFY_CONNECTION, notify, &s, MHD_OPTION_NOTIFY_COMPLETED, completed, &s,
            MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_END);
    else
        d = MHD_start_daemon(flags, 0, accept_policy, &s, handle, &s, MHD_OPTION_LISTEN_SOCKET, fd,
                             MHD_OPTION_CONNECTION_LIMIT, (unsigned)max_conn,
                             MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)per_client,
                             MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S,
                             MHD_OPTION_NOTIFY_CONNECTION, notify, &s, MHD_OPTION_NOTIFY_COMPLETED,
                             completed, &s, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "ebench export: cannot start the HTTP server%s\n",
                cert_pem ? " (is the certificate and key a valid PEM pair?)" : "");
        __atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
        if (have_dog)
            pthread_join(dog, NULL);
        eb_close(s.b);
        close(fd);
        free(cert_pem);
        free(key_pem);
        return EB_EXIT_FAIL;
    }
    fprintf(stderr, "ebench export: serving %zu domain%s at %s://%s/metrics every %g ms\n",
            eb_domain_count(s.b), eb_domain_count(s.b) == 1 ? "" : "s", cert_pem ? "https" : "http",
            listen_spec, cfg.interval_ms);
    int sig;
    sigwait(&stop, &sig);
    fprintf(stderr, "ebench export: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    MHD_stop_daemon(d); /* it closes the listening socket too */
    __atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
    if (have_dog)
        pthread_join(dog, NULL);
    if (s.n_shut)
        fprintf(stderr,
                "ebench export: %zu connection%s cut for not sending a request within %g s\n",
                s.n_shut, s.n_shut == 1 ? "" : "s", REQUEST_DEADLINE_S);
    eb_close(s.b);
    pthread_mutex_destroy(&s.lock);
    free(s.page);
    free(cert_pem);
    free(key_pem);
    return 0;
}
#endif /* EBENCH_HAVE_MHD */
