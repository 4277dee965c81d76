/*
 * cmd_merge.c - `ebench merge FILES... -o job.json`: one job report from the
 * per-node (or per-rank) reports of a job: energy summed, the longest
 * elapsed time, a per-node table, efficiency over the job's total work. The
 * result is an ebench-report/1 too, so report, compare and plot read it.
 */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/afile.h"
#include "../util/utf8.h"
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

/* The node's name as a domain id prefix: letters, digits and _.:- only (the
 * schema's id pattern), starting with a letter or digit. */
static const char *node_of(json_t *r)
{
    static char buf[8][128];
    static int k;
    char *b = buf[k++ % 8];
    const char *n = str(json_object_get(r, "job"), "node", str(r, "hostname", "node"));
    snprintf(b, sizeof buf[0], "%s", *n ? n : "node");
    return eb__id_scrub(b, "_.:-"); /* '/' separates node and id */
}

/* ---- what merge reads, checked (its output must pass the schema) ----- */

/* One field's type, as docs/report.schema.json has it: 's' string, 'n'
 * number, 'i' integer >= 0, 'b' boolean, 'o' object, 'a' array; '+' > 0,
 * '0' >= 0; '?' null (or absent) allowed; 'e' an enum given in the spec
 * after ':'. */
typedef struct field {
    const char *key, *type;
} field;

static const field domain_fields[] = {
    {"id", "s"},
    {"kind", "e:cpu,dram,platform,gpu,gpu-part,module"},
    {"vendor", "s"},
    {"name", "s"},
    {"source", "e:nvml,amdsmi,rocmsmi,powercap,hwmon,cpumodel"},
    {"location", "s"},
    {"method", "e:counter,power,model"},
    {"estimate", "b"},
    {"in_total", "b"},
    {"part_of", "s?"},
    {"note", "s?"},
    {"update_period_s", "n+"},
    {"energy_j", "n0?"},
    {"avg_power_w", "n0?"},
    {"peak_power_w", "n0?"},
    {"covered_s", "n0"},
    {"samples", "i"},
    {"bad_samples", "i"},
    {"counter_wraps", "i"},
    {"simulated", "b"},
    {"uuid", "s?"},
    {"pci_bus_id", "s?"},
    {"readings", "s?"},
    {"lost_at_s", "n0?"},
    {"uncertainty_j", "n0?"},
    {"idle_power_w", "n0?"},
    {"net_energy_j", "n?"},
    {"unreliable", "b"},
    /* optional in older reports; checked where present */
    {"peak_power_span_s", "n+?"},
    {"uncertainty_rel", "n0?"},
    {"provisional", "b?"},
    {"vendor_index", "i?"},
    {"visible_var", "s?"},
    {"visible_entry", "s?"},
    {"scope", "s?"},
};

static const field report_fields[] = {
    {"command", "a?"},      {"exit_status", "i?"},
    {"duration_s", "n0"},   {"elapsed_s", "n0?"},
    {"user_s", "n0?"},      {"sys_s", "n0?"},
    {"interval_ms", "n+"},  {"sampling", "e:thread,manual,parent"},
    {"ticks", "i"},         {"start_time", "s"},
    {"idle_baseline", "s"}, {"warnings", "a"},
    {"unavailable", "a"},   {"efficiency", "a?"},
    {"accounting", "o?"},   {"job", "o?"},
};

/* Whether v has type t (field's codes); absent counts as null. */
static int type_ok(const json_t *v, const char *t)
{
    int nullable = strchr(t, '?') != NULL;
    if (!v || json_is_null(v))
        return nullable;
    switch (t[0]) {
    case 's':
        return json_is_string(v);
    case 'b':
        return json_is_boolean(v);
    case 'o':
        return json_is_object(v);
    case 'a':
        return json_is_array(v);
    case 'i': /* a count: below 2^53, so sums stay exact and never overflow */
        return json_is_integer(v) && json_integer_value(v) >= 0 &&
               json_integer_value(v) < (1LL << 53);
    case 'n': {
        if (!json_is_number(v))
            return 0;
        double x = json_number_value(v);
        return isfinite(x) && (t[1] != '+' || x > 0) && (t[1] != '0' || x >= 0);
    }
    case 'e': {
        const char *s = json_string_value(v), *list = t + 2;
        size_t len = s ? strlen(s) : 0;
        for (const char *p = list; s && *p;) {
            size_t n = strcspn(p, ",");
            if (n == len && strncmp(p, s, n) == 0)
                return 1;
            p += n + (p[n] == ',');
        }
        return 0;
    }
    }
    return 0;
}

static int check_fields(const json_t *o, const field *f, size_t n, const char *file,
                        const char *where)
{
    for (size_t i = 0; i < n; i++) {
        if (type_ok(json_object_get(o, f[i].key), f[i].type))
            continue;
        const char *t = f[i].type, *want = t[0] == 's'   ? "a string"
                                           : t[0] == 'b' ? "true or false"
                                           : t[0] == 'o' ? "an object"
                                           : t[0] == 'a' ? "an array"
                                           : t[0] == 'i' ? "a whole number >= 0"
                                           : t[1] == '+' ? "a number above 0"
                                           : t[1] == '0' ? "a number >= 0"
                                           : t[0] == 'n' ? "a number"
                                                         : "one of ";
        fprintf(stderr,
                "ebench merge: %s: %s%s'%s' is %s where the schema wants %s%s%s (a damaged or "
                "hand-edited report?)\n",
                file, where, *where ? " " : "", f[i].key,
                json_object_get(o, f[i].key) ? "of the wrong type or out of range" : "missing",
                want, t[0] == 'e' ? t + 2 : "", strchr(t, '?') ? " or null" : "");
        return -1;
    }
    return 0;
}

/* Each item of the array r[key] checked: objects with fields f, or strings
 * (f NULL); -1 with the message. */
static int check_items(json_t *r, const char *key, const field *f, size_t n, const char *file)
{
    json_t *v;
    size_t i;
    char where[64];
    json_array_foreach(json_object_get(r, key), i, v)
    {
        snprintf(where, sizeof where, "%s[%zu]:", key, i);
        if (f ? !json_is_object(v) : !json_is_string(v)) {
            fprintf(stderr, "ebench merge: %s: %s not %s\n", file, where,
                    f ? "an object" : "a string");
            return -1;
        }
        if (f && check_fields(v, f, n, file, where) < 0)
            return -1;
    }
    return 0;
}

/* Everything merge takes from a report, checked; -1 with the message. */
static int check_report(json_t *r, const char *file)
{
    if (check_fields(r, report_fields, sizeof report_fields / sizeof *report_fields, file, "") <
            0 ||
        check_items(r, "domains", domain_fields, sizeof domain_fields / sizeof *domain_fields,
                    file) < 0)
        return -1;
    json_t *cmd = json_object_get(r, "command"), *st = json_object_get(r, "exit_status");
    if ((json_is_array(cmd) && json_array_size(cmd) == 0) ||
        (json_is_integer(st) && json_integer_value(st) > 255)) {
        fprintf(stderr, "ebench merge: %s: %s\n", file,
                json_is_integer(st) && json_integer_value(st) > 255
                    ? "'exit_status' above 255 is no shell's status"
                    : "'command' is empty where the schema wants at least the program");
        return -1;
    }
    static const field total[] = {{"energy_j", "n0?"},
                                  {"uncertainty_j", "n0?"},
                                  {"net_energy_j", "n?"},
                                  {"estimate", "b"},
                                  {"complete", "b"}};
    if (check_fields(json_object_get(r, "total"), total, 5, file, "total:") < 0)
        return -1;
    static const field unav[] = {{"source", "s"}, {"what", "s"}, {"reason", "s"}};
    static const field eff[] = {{"unit", "s"}, {"amount", "n0"}};
    if (check_items(r, "unavailable", unav, 3, file) < 0 ||
        check_items(r, "efficiency", eff, 2, file) < 0 ||
        check_items(r, "warnings", NULL, 0, file) < 0 ||
        check_items(r, "command", NULL, 0, file) < 0)
        return -1;
    static const field acc[] = {{"energy_kwh", "n0?"},    {"pue", "n?"},
                                {"pue_assumed", "b?"},    {"carbon_g_per_kwh", "n0?"},
                                {"carbon_source", "s?"},  {"co2_g", "n0?"},
                                {"price_per_kwh", "n0?"}, {"cost", "n?"},
                                {"node_hours", "n0?"},    {"gpu_hours", "n0?"}};
    if (check_fields(json_object_get(r, "accounting"), acc, sizeof acc / sizeof *acc, file,
                     "accounting:") < 0)
        return -1;
    static const field job[] = {{"id", "s?"}, {"step", "s?"}, {"node", "s?"}, {"rank", "i?"}};
    return check_fields(json_object_get(r, "job"), job, 4, file, "job:");
}

/* The first report's value of key in object obj that has type t, else dflt. */
static json_t *first_ok(json_t **r, size_t n, const char *obj, const char *key, const char *t,
                        json_t *dflt)
{
    for (size_t k = 0; k < n; k++) {
        json_t *o = obj ? json_object_get(r[k], obj) : r[k], *v = json_object_get(o, key);
        if (v && !json_is_null(v) && type_ok(v, t)) {
            json_decref(dflt);
            return json_incref(v);
        }
    }
    return dflt;
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
            /* cppcheck-suppress legacyUninitvar ; w[0..nw) are written before this reads them */
            while (j < nw && strcmp(w[j].unit, unit) != 0)
                j++;
            if (j == nw && nw < 16) {
                snprintf(w[nw].unit, sizeof w[0].unit, "%s", unit);
                eb__utf8_scrub(w[nw].unit); /* a character cut at the end */
                w[nw++].amount = 0;
            }
            if (j < nw)
                w[j].amount += eb_cli_num(e, "amount");
        }
    }
    json_t *arr = json_array();
    for (size_t j = 0; j < nw; j++) {
        if (!isfinite(w[j].amount)) {
            fprintf(stderr,
                    "ebench merge: the reports' work in '%s' adds up beyond what a number holds\n",
                    w[j].unit);
            json_decref(arr);
            return NULL;
        }
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
        if (strcmp(key, "id") == 0)
            eb__id_scrub(v, "_./:-");
        json_object_set_new(c, key, json_string(eb__utf8_scrub(v)));
        json_array_append_new(to, c);
    }
}

/* An input's file name for the report: UTF-8, as every string in it. */
static const char *file_name(const char *path)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    return eb__utf8_scrub(buf);
}

/* What cannot be measured, as the schema has it: the three strings only,
 * the reason never empty. */
static void unavailable_of(json_t *to, json_t *from, const char *node)
{
    json_t *u;
    size_t i;
    json_array_foreach(from, i, u)
    {
        char what[512]; /* a backend's own line ("powercap: ...") names just the node */
        if (strcmp(str(u, "what", ""), str(u, "source", "")) == 0)
            snprintf(what, sizeof what, "%s", node);
        else
            snprintf(what, sizeof what, "%s: %s", node, str(u, "what", ""));
        const char *reason = str(u, "reason", "");
        json_array_append_new(to, json_pack("{s:s, s:s, s:s}", "source", str(u, "source", ""),
                                            "what", eb__utf8_scrub(what), "reason",
                                            *reason ? reason : "not given"));
    }
}

/* Domains as the schema has them: absent nullable fields null; a node's
 * steady state and counter tracking stay in its own report (they are about
 * its timeline); metrics kept only as the schema's numbers. */
static void merged_domains_clean(json_t *doms)
{
    static const char *metric_keys[] = {"instant_power_peak_w",   "gpu_utilization_avg",
                                        "memory_utilization_avg", "sm_clock_avg_mhz",
                                        "temperature_max_c",      "power_limit_w"};
    json_t *d;
    size_t i;
    json_array_foreach(doms, i, d)
    {
        for (size_t f = 0; f < sizeof domain_fields / sizeof *domain_fields; f++)
            if (!json_object_get(d, domain_fields[f].key))
                json_object_set_new(d, domain_fields[f].key, json_null());
        json_object_set_new(d, "steady_state", json_null());
        json_object_set_new(d, "counter_tracking", json_null());
        json_t *m = json_object_get(d, "metrics"), *clean = json_null();
        if (json_is_object(m)) {
            clean = json_object();
            for (size_t k = 0; k < sizeof metric_keys / sizeof *metric_keys; k++) {
                json_t *v = json_object_get(m, metric_keys[k]);
                int ratio = strstr(metric_keys[k], "utilization") != NULL; /* 0..1 */
                int ok = type_ok(v, "n0?") && !(ratio && json_number_value(v) > 1);
                json_object_set_new(clean, metric_keys[k], ok && v ? json_incref(v) : json_null());
            }
        }
        json_object_set_new(d, "metrics", clean);
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
        json_int_t tk = json_integer_value(json_object_get(r[k], "ticks")); /* < 2^53, checked */
        ticks = ticks > INT64_MAX - tk ? INT64_MAX : ticks + tk;
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
        merged_domains_clean(doms);
        unavailable_of(unav, json_object_get(r[k], "unavailable"), node);
        json_array_foreach(json_object_get(r[k], "warnings"), i, d)
        {
            char w[1024];
            snprintf(w, sizeof w, "%s: %s", node, json_string_value(d));
            json_array_append_new(warn, json_string(eb__utf8_scrub(w))); /* a cut character */
        }
        json_t *rank = json_object_get(json_object_get(r[k], "job"), "rank");
        json_array_append_new(nodes, json_pack("{s:s, s:O, s:s, s:o, s:o}", "node", node, "rank",
                                               json_is_integer(rank) ? rank : json_null(), "file",
                                               file_name(files[k]), "energy_j", num(e), "elapsed_s",
                                               num(el)));
    }

    char host[64];
    snprintf(host, sizeof host, "merged: %zu node%s", n, n == 1 ? "" : "s");
    json_object_set_new(out, "schema", json_string("ebench-report/1"));
    json_object_set_new(out, "ebench_version", json_string(EB_VERSION_STRING));
    json_object_set_new(out, "hostname", json_string(host));
    json_object_set_new(out, "start_time", json_string(start ? start : "1970-01-01T00:00:00Z"));
    json_object_set_new(out, "command", first_ok(r, n, NULL, "command", "a", json_null()));
    json_object_set_new(out, "exit_status",
                        exit_status >= 0 ? json_integer(exit_status) : json_null());
    json_object_set_new(out, "duration_s", json_real(duration));
    json_object_set_new(out, "elapsed_s", num(elapsed));
    json_object_set_new(out, "user_s", num(user));
    json_object_set_new(out, "sys_s", num(sys));
    json_object_set_new(out, "interval_ms",
                        first_ok(r, n, NULL, "interval_ms", "n+", json_real(100)));
    json_object_set_new(
        out, "sampling",
        first_ok(r, n, NULL, "sampling", "e:thread,manual,parent", json_string("thread")));
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
    json_object_set_new(out, "idle_baseline",
                        first_ok(r, n, NULL, "idle_baseline", "s", json_string("not measured")));
    json_object_set_new(out, "steady_state_rule", json_string("not computed for merged reports"));
    json_t *eff = merged_efficiency(r, n, energy, energy > 0 ? unc / energy : NAN);
    if (!eff) {
        json_decref(out); /* with the domains, warnings and unavailable it holds */
        json_decref(nodes);
        return NULL;
    }
    json_object_set_new(out, "efficiency", eff);
    json_object_set_new(out, "edp_j_s", num(energy * span));
    /* the first report that says; a PUE below 1 is no PUE (assumed 1.0) */
    double pue = NAN;
    int pue_assumed = 1;
    for (size_t k = 0; k < n && isnan(pue); k++) {
        json_t *acc = json_object_get(r[k], "accounting");
        if (eb_cli_num(acc, "pue") >= 1) {
            pue = eb_cli_num(acc, "pue");
            pue_assumed = json_is_true(json_object_get(acc, "pue_assumed"));
        }
    }
    json_object_set_new(
        out, "accounting",
        json_pack(
            "{s:o, s:f, s:b, s:o, s:o, s:o, s:o, s:o, s:f, s:o, s:o}", "energy_kwh", num(kwh),
            "pue", isnan(pue) ? 1.0 : pue, "pue_assumed", pue_assumed, "carbon_g_per_kwh",
            first_ok(r, n, "accounting", "carbon_g_per_kwh", "n0", json_real(481)), "carbon_source",
            first_ok(r, n, "accounting", "carbon_source", "s",
                     json_string("world average (default; set --region or "
                                 "--carbon-intensity)")),
            "co2_g", num(co2), "price_per_kwh",
            first_ok(r, n, "accounting", "price_per_kwh", "n0", json_null()), "cost", num(cost),
            "nodes", (double)n, "node_hours", num(node_h), "gpu_hours", num(gpu_h)));
    json_object_set_new(out, "span_t0_s", json_null());
    json_object_set_new(out, "phases", json_array());
    json_object_set_new(out, "timeline", json_array());
    json_object_set_new(out, "job",
                        json_pack("{s:o, s:o, s:s, s:n, s:n}", "id",
                                  first_ok(r, n, "job", "id", "s", json_null()), "step",
                                  first_ok(r, n, "job", "step", "s", json_null()), "node", "merged",
                                  "rank", "local_rank"));
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
    for (size_t k = 0; k < n && rc == 0; k++)
        if (json_is_array(json_object_get(r[k], "nodes"))) {
            fprintf(stderr,
                    "ebench merge: %s is a merged job report already: merging it again would "
                    "count its nodes twice; merge the nodes' own reports\n",
                    files[k]);
            rc = EB_EXIT_USAGE;
        }
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
    /* after the checks across reports, which say more than a field would */
    for (size_t k = 0; k < n && rc == 0; k++)
        if (check_report(r[k], files[k]) < 0)
            rc = EB_EXIT_USAGE;
    if (rc == 0) {
        json_t *m = merge(r, files, n);
        if (!m) {
            rc = EB_EXIT_USAGE;
            goto done;
        }
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
done:
    for (size_t k = 0; k < n; k++)
        json_decref(r[k]);
    free(r);
    return rc;
}
