/*
 * cmd_merge.c - `ebench merge FILES... -o job.json`: one job report from the
 * per-node (or per-rank) reports of a job: energy summed, the longest
 * elapsed time, a per-node table, efficiency over the job's total work. The
 * result is an ebench-report/1 too, so report, compare and plot read it.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/afile.h"
#include "cli.h"
#include "report_file.h"

static const char merge_usage[] =
    "usage: ebench merge [--force] FILE.json... -o JOB.json\n"
    "\n"
    "Merges the reports that `ebench run --json` wrote on each node of a job (e.g.\n"
    "srun ebench run -o run.%j.%n.json -- ./app) into one: energy summed over the\n"
    "nodes (each node is measured once), the longest elapsed time, one row per\n"
    "node, and efficiency over the work of all of them (--work is what each\n"
    "node's command did). Domain ids become NODE/ID.\n"
    "\n"
    "Refuses a report of another schema, the same node twice, or reports of\n"
    "different jobs; --force merges anyway.\n";

static const char *str(json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

static void add(double *acc, double v)
{
    if (!isnan(v))
        *acc = isnan(*acc) ? v : *acc + v;
}

static json_t *num(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static const char *node_of(json_t *r)
{
    return str(json_object_get(r, "job"), "node", str(r, "hostname", "?"));
}

/* Work per unit, summed over the reports, and its efficiency. */
static json_t *merged_efficiency(json_t **r, size_t n, double energy_j, double unc_rel)
{
    struct {
        char unit[32];
        double amount;
    } w[16];
    size_t nw = 0;
    for (size_t k = 0; k < n; k++) {
        json_t *e;
        size_t i;
        json_array_foreach(json_object_get(r[k], "efficiency"), i, e)
        {
            const char *unit = str(e, "unit", "");
            size_t j = 0;
            while (j < nw && strcmp(w[j].unit, unit) != 0)
                j++;
            if (j == nw && nw < 16)
                snprintf(w[nw].unit, sizeof w[0].unit, "%s", unit), w[nw++].amount = 0;
            if (j < nw)
                w[j].amount += eb_cli_num(e, "amount");
        }
    }
    json_t *arr = json_array();
    for (size_t j = 0; j < nw; j++) {
        int flop = strcmp(w[j].unit, "flop") == 0;
        double per_j = energy_j > 0 ? w[j].amount / energy_j / (flop ? 1e12 : 1) : NAN;
        char per_unit[48];
        snprintf(per_unit, sizeof per_unit, "%.31s/J", flop ? "TFLOP" : w[j].unit);
        json_array_append_new(
            arr,
            json_pack("{s:s, s:f, s:s, s:o, s:o, s:o, s:n, s:[], s:o}", "unit", w[j].unit, "amount",
                      w[j].amount, "per_joule_unit", per_unit, "per_joule", num(per_j),
                      "joules_per_unit", num(per_j > 0 ? energy_j / w[j].amount : NAN),
                      "uncertainty_rel", num(unc_rel), "gpus_per_joule", "per_gpu", "reason",
                      isnan(per_j) ? json_string("no energy was measured") : json_null()));
    }
    return arr;
}

/* Copies each object of from into to, with key's value prefixed by the node. */
static void prefixed(json_t *to, json_t *from, const char *key, const char *node, const char *sep)
{
    json_t *d;
    size_t i;
    json_array_foreach(from, i, d)
    {
        json_t *c = json_deep_copy(d);
        char v[512];
        snprintf(v, sizeof v, "%s%s%s", node, sep, str(d, key, ""));
        json_object_set_new(c, key, json_string(v));
        json_array_append_new(to, c);
    }
}

static json_t *merge(json_t **r, const char **files, size_t n)
{
    json_t *out = json_object(), *doms = json_array(), *unav = json_array(), *warn = json_array(),
           *nodes = json_array();
    double energy = NAN, var = 0, net = 0, elapsed = NAN, duration = 0, user = NAN, sys = NAN;
    double kwh = NAN, co2 = NAN, cost = 0, node_h = NAN, gpu_h = NAN;
    int estimate = 0, complete = 1, exit_status = -1;
    json_int_t ticks = 0;
    const char *start = NULL;

    for (size_t k = 0; k < n; k++) {
        const char *node = node_of(r[k]);
        json_t *t = json_object_get(r[k], "total"), *d, *acc = json_object_get(r[k], "accounting");
        size_t i;
        double e = eb_cli_num(t, "energy_j"), u = eb_cli_num(t, "uncertainty_j");
        add(&energy, e);
        var += isnan(u) ? 0 : u * u;
        net += eb_cli_num(t, "net_energy_j"); /* NaN if any node has no baseline */
        estimate |= json_is_true(json_object_get(t, "estimate"));
        complete &= json_is_true(json_object_get(t, "complete")) && !isnan(e);
        double el = eb_cli_num(r[k], "elapsed_s"), du = eb_cli_num(r[k], "duration_s");
        if (!(el <= elapsed))
            elapsed = isnan(el) ? elapsed : el;
        if (du > duration)
            duration = du;
        add(&user, eb_cli_num(r[k], "user_s"));
        add(&sys, eb_cli_num(r[k], "sys_s"));
        ticks += json_integer_value(json_object_get(r[k], "ticks"));
        json_t *st = json_object_get(r[k], "exit_status");
        if (json_is_integer(st) && json_integer_value(st) > exit_status)
            exit_status = (int)json_integer_value(st);
        const char *s = str(r[k], "start_time", NULL);
        if (s && (!start || strcmp(s, start) < 0))
            start = s;
        add(&kwh, eb_cli_num(acc, "energy_kwh"));
        add(&co2, eb_cli_num(acc, "co2_g"));
        cost += eb_cli_num(acc, "cost");
        add(&node_h, eb_cli_num(acc, "node_hours"));
        add(&gpu_h, eb_cli_num(acc, "gpu_hours"));
        prefixed(doms, json_object_get(r[k], "domains"), "id", node, "/");
        prefixed(unav, json_object_get(r[k], "unavailable"), "what", node, ": ");
        json_array_foreach(json_object_get(r[k], "warnings"), i, d)
        {
            char w[1024];
            snprintf(w, sizeof w, "%s: %s", node, json_string_value(d));
            json_array_append_new(warn, json_string(w));
        }
        json_t *rank = json_object_get(json_object_get(r[k], "job"), "rank");
        json_array_append_new(nodes, json_pack("{s:s, s:O, s:s, s:o, s:o}", "node", node, "rank",
                                               json_is_integer(rank) ? rank : json_null(), "file",
                                               files[k], "energy_j", num(e), "elapsed_s", num(el)));
    }

    /* each node's steady state is about its own timeline, which a merged
     * report does not carry: not computed, rather than a node's figure */
    json_t *d;
    size_t i;
    json_array_foreach(doms, i, d) json_object_set_new(d, "steady_state", json_null());
    char host[64];
    snprintf(host, sizeof host, "merged: %zu node%s", n, n == 1 ? "" : "s");
    json_t *first = r[0], *job = json_object_get(first, "job");
    json_object_set_new(out, "schema", json_string("ebench-report/1"));
    json_object_set_new(out, "ebench_version", json_string(EB_VERSION_STRING));
    json_object_set_new(out, "hostname", json_string(host));
    json_object_set_new(out, "start_time", json_string(start ? start : "1970-01-01T00:00:00Z"));
    json_object_set(out, "command", json_object_get(first, "command"));
    json_object_set_new(out, "exit_status",
                        exit_status >= 0 ? json_integer(exit_status) : json_null());
    json_object_set_new(out, "duration_s", json_real(duration));
    json_object_set_new(out, "elapsed_s", num(elapsed));
    json_object_set_new(out, "user_s", num(user));
    json_object_set_new(out, "sys_s", num(sys));
    json_object_set(out, "interval_ms", json_object_get(first, "interval_ms"));
    json_object_set(out, "sampling", json_object_get(first, "sampling"));
    json_object_set_new(out, "ticks", json_integer(ticks));
    json_object_set_new(out, "domains", doms);
    double unc = sqrt(var), span = isnan(elapsed) ? duration : elapsed;
    json_object_set_new(out, "total",
                        json_pack("{s:o, s:o, s:o, s:o, s:b, s:b}", "energy_j", num(energy),
                                  "uncertainty_j", num(isnan(energy) ? NAN : unc), "net_energy_j",
                                  num(net), "avg_power_w", num(span > 0 ? energy / span : NAN),
                                  "estimate", estimate, "complete", complete));
    json_object_set_new(out, "windows", json_array());
    json_object_set_new(out, "unavailable", unav);
    json_object_set_new(out, "warnings", warn);
    json_object_set_new(out, "repetitions", json_null());
    json_object_set(out, "idle_baseline", json_object_get(first, "idle_baseline"));
    json_object_set_new(out, "steady_state_rule", json_string("not computed for merged reports"));
    json_object_set_new(out, "efficiency",
                        merged_efficiency(r, n, energy, energy > 0 ? unc / energy : NAN));
    json_object_set_new(out, "edp_j_s", num(energy * span));
    json_t *acc0 = json_object_get(first, "accounting");
    json_object_set_new(out, "accounting",
                        json_pack("{s:o, s:O, s:O, s:O, s:O, s:o, s:O, s:o, s:f, s:o, s:o}",
                                  "energy_kwh", num(kwh), "pue", json_object_get(acc0, "pue"),
                                  "pue_assumed", json_object_get(acc0, "pue_assumed"),
                                  "carbon_g_per_kwh", json_object_get(acc0, "carbon_g_per_kwh"),
                                  "carbon_source", json_object_get(acc0, "carbon_source"), "co2_g",
                                  num(co2), "price_per_kwh", json_object_get(acc0, "price_per_kwh"),
                                  "cost", num(cost), "nodes", (double)n, "node_hours", num(node_h),
                                  "gpu_hours", num(gpu_h)));
    json_object_set_new(out, "span_t0_s", json_null());
    json_object_set_new(out, "phases", json_array());
    json_object_set_new(out, "timeline", json_array());
    json_object_set_new(out, "job",
                        json_pack("{s:O, s:O, s:s, s:n, s:n}", "id", json_object_get(job, "id"),
                                  "step", json_object_get(job, "step"), "node", "merged", "rank",
                                  "local_rank"));
    json_object_set_new(out, "nodes", nodes);
    return out;
}

int eb_cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    int force = 0, c, rc = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:fh", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(merge_usage, stdout);
            return 0;
        }
        if (c == 'o')
            out = optarg;
        else if (c == 'f')
            force = 1;
        else {
            fputs(merge_usage, stderr);
            return EB_EXIT_USAGE;
        }
    }
    size_t n = argc > optind ? (size_t)(argc - optind) : 0;
    if (n == 0 || !out) {
        fprintf(stderr, "ebench merge: give the reports and -o JOB.json\n%s", merge_usage);
        return EB_EXIT_USAGE;
    }
    json_t **r = calloc(n, sizeof *r);
    const char **files = (const char **)(argv + optind);
    for (size_t k = 0; k < n && rc == 0; k++)
        if (!(r[k] = eb_cli_load_report(files[k])))
            rc = EB_EXIT_USAGE;
    for (size_t a = 0; a < n && rc == 0 && !force; a++) {
        for (size_t b = a + 1; b < n && rc == 0; b++) {
            if (strcmp(node_of(r[a]), node_of(r[b])) == 0) {
                fprintf(stderr,
                        "ebench merge: node %s appears twice (%s and %s): a node is measured "
                        "once per job, so this would count it twice; --force merges anyway\n",
                        node_of(r[a]), files[a], files[b]);
                rc = EB_EXIT_USAGE;
            }
            const char *ja = str(json_object_get(r[a], "job"), "id", NULL),
                       *jb = str(json_object_get(r[b], "job"), "id", NULL);
            if (rc == 0 && ja && jb && strcmp(ja, jb) != 0) {
                fprintf(stderr,
                        "ebench merge: different jobs: %s in %s, %s in %s; --force merges "
                        "anyway\n",
                        ja, files[a], jb, files[b]);
                rc = EB_EXIT_USAGE;
            }
        }
    }
    if (rc == 0) {
        json_t *m = merge(r, files, n);
        eb__afile af;
        int e = eb__afile_open_stream(&af, out);
        if (e < 0) {
            fprintf(stderr, "ebench merge: -o '%s': cannot write there: %s\n", out, strerror(-e));
            rc = EB_EXIT_USAGE;
        } else {
            json_dumpf(m, af.f, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
            fputc('\n', af.f);
            if ((e = eb__afile_commit(&af)) < 0) {
                fprintf(stderr, "ebench merge: -o '%s': %s\n", out, strerror(-e));
                rc = EB_EXIT_FAIL;
            }
        }
        if (rc == 0) {
            json_t *node;
            size_t i;
            printf("\n ebench merge: %zu report%s -> %s\n\n", n, n == 1 ? "" : "s", out);
            json_array_foreach(json_object_get(m, "nodes"), i, node) printf(
                "   %-24s %14.3f J %12.3f s   %s\n", str(node, "node", "?"),
                eb_cli_num(node, "energy_j"), eb_cli_num(node, "elapsed_s"), str(node, "file", ""));
            json_t *t = json_object_get(m, "total");
            printf("   %-24s %14.3f J %12.3f s   (longest)\n\n", "job total",
                   eb_cli_num(t, "energy_j"), eb_cli_num(m, "elapsed_s"));
        }
        json_decref(m);
    }
    for (size_t k = 0; k < n; k++)
        json_decref(r[k]);
    free(r);
    return rc;
}
