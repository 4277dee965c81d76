/*
 * cmd_plot.c - `ebench plot FILE.json -o OUT.png|svg|pdf`: power over time
 * per domain, windows and phases shaded and labelled, steady state and idle
 * level marked. gnuplot draws it; --script keeps the script for editing.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/afile.h"
#include "cli.h"
#include "report_file.h"

extern char **environ;

static const char plot_usage[] =
    "usage: ebench plot FILE.json -o OUT.png|OUT.svg|OUT.pdf [--script FILE.gp]\n"
    "                   [--title TEXT]\n"
    "\n"
    "Draws power over time for every domain of a run saved with `ebench run --json`,\n"
    "with the program's windows and phases shaded and labelled, where each domain's\n"
    "steady state starts, and its idle level. Needs gnuplot (apt-get install\n"
    "gnuplot-nox). --script also writes the gnuplot script, to edit and rerun with\n"
    "`gnuplot FILE.gp`. The title is the program's name, the host and the date\n"
    "(--title TEXT sets another; --title '' none); the key sits below the plot.\n";

static const char *terminal_for(const char *out)
{
    const char *dot = strrchr(out, '.');
    if (!dot)
        return NULL;
    if (strcmp(dot, ".png") == 0)
        return "pngcairo size 1200,600 font 'sans,10'";
    if (strcmp(dot, ".svg") == 0)
        return "svg size 1200,600 dynamic font 'sans,10'";
    if (strcmp(dot, ".pdf") == 0)
        return "pdfcairo size 10in,5in font 'sans,9'";
    return NULL;
}

/* gnuplot strings in single quotes: a quote is doubled. */
static void quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        if (*s != '\n')
            fputc(*s, f);
    }
    fputc('\'', f);
}

/* What the run ran, by name: the command's program, past `env` and its
 * VAR=value settings, and past an interpreter to its script
 * ("env X=1 python3 /tmp/a/train.py --lr 3" -> "train.py"). */
static const char *program_name(json_t *cmd)
{
    static const char *const interpreters[] = {"python", "python3", "sh",      "bash", "perl",
                                               "ruby",   "node",    "Rscript", "julia"};
    const char *name = NULL;
    int skip_interpreter = 0;
    for (size_t k = 0; k < json_array_size(cmd); k++) {
        const char *a = json_string_value(json_array_get(cmd, k));
        if (!a || !*a)
            continue;
        const char *base = strrchr(a, '/') ? strrchr(a, '/') + 1 : a;
        if (!name && strcmp(base, "env") == 0)
            continue;
        if (!name && strchr(a, '=') && a[0] != '-')
            continue; /* env's VAR=value */
        if (!name) {
            name = base;
            for (size_t i = 0; i < sizeof interpreters / sizeof *interpreters; i++)
                skip_interpreter |= strncmp(base, interpreters[i], strlen(interpreters[i])) == 0;
            if (!skip_interpreter)
                return name;
            continue;
        }
        if (a[0] == '-')
            continue; /* the interpreter's options */
        return base;  /* its script */
    }
    return name ? name : "ebench run";
}

static void write_script(FILE *f, json_t *r, const char *terminal, const char *out,
                         const char *title_opt)
{
    json_t *tl = json_object_get(r, "timeline"), *doms = json_object_get(r, "domains"), *d;
    size_t i, k;
    fprintf(f, "# ebench plot: edit this file and run it with gnuplot\n");
    fprintf(f, "set terminal %s\nset output ", terminal);
    quoted(f, out);
    fprintf(f, "\nset title ");
    char title[512];
    if (title_opt) {
        snprintf(title, sizeof title, "%s", title_opt);
    } else { /* "train.py on node01, 2026-11-25 10:00 UTC" */
        const char *host = json_string_value(json_object_get(r, "hostname"));
        const char *start = json_string_value(json_object_get(r, "start_time"));
        char when[32] = "";
        if (start && strlen(start) >= 16)
            snprintf(when, sizeof when, "%.10s %.5s UTC", start, start + 11);
        snprintf(title, sizeof title, "%.200s%s%.100s%s%s",
                 program_name(json_object_get(r, "command")), host ? " on " : "", host ? host : "",
                 when[0] ? ", " : "", when);
    }
    quoted(f, title);
    fprintf(f, " noenhanced\nset xlabel 'time (s)'\nset ylabel 'power (W)'\n"
               "set key below horizontal noenhanced\nset grid\nset yrange [0:*]\n");

    /* windows and phases, shaded (at most 60 labelled, so the plot stays
     * readable); the run itself spans the plot and is not shaded, the idle
     * baseline and warm-up runs are grey */
    json_t *ph = json_object_get(r, "phases"), *p;
    size_t shaded = 0;
    json_array_foreach(ph, i, p)
    {
        double t0 = eb_cli_num(p, "t0_s"), t1 = eb_cli_num(p, "t1_s");
        const char *name = json_string_value(json_object_get(p, "name"));
        if (shaded >= 60 || isnan(t0) || isnan(t1) || !name)
            break;
        if (strcmp(name, "run") == 0)
            continue;
        int grey = strcmp(name, "idle") == 0 || strcmp(name, "run (warmup)") == 0;
        shaded++;
        fprintf(f,
                "set object %zu rect from %.6f, graph 0 to %.6f, graph 1 fc rgb '%s' "
                "fs solid 0.3 noborder behind\n",
                shaded, t0, t1,
                grey         ? "#d9d9d9"
                : shaded % 2 ? "#fdd0a2"
                             : "#c6dbef");
        fprintf(f, "set label %zu ", shaded);
        quoted(f, name);
        fprintf(f, " at %.6f, graph %.2f left front noenhanced font ',8'\n", t0,
                0.97 - 0.04 * (double)((shaded - 1) % 4));
    }

    /* steady state starts (dashed) and idle levels (dotted), per domain */
    double span0 = eb_cli_num(r, "span_t0_s");
    size_t arrow = 1;
    json_array_foreach(doms, i, d)
    {
        json_t *st = json_object_get(d, "steady_state");
        double from = eb_cli_num(st, "from_s"), idle = eb_cli_num(d, "idle_power_w");
        if (!isnan(from) && !isnan(span0))
            fprintf(f,
                    "set arrow %zu from %.6f, graph 0 to %.6f, graph 1 nohead dt 2 lc %zu\n"
                    "set label %zu 'steady' at %.6f, graph %.2f left textcolor lt %zu font ',8'\n",
                    arrow, span0 + from, span0 + from, i + 1, 100 + arrow, span0 + from,
                    0.03 + 0.04 * (double)(i % 3), i + 1),
                arrow++;
        if (!isnan(idle))
            fprintf(f,
                    "set arrow %zu from graph 0, first %.6f to graph 1, first %.6f nohead dt 3 "
                    "lc %zu\n",
                    arrow++, idle, idle, i + 1);
    }

    /* the data, inline */
    json_array_foreach(tl, i, d)
    {
        json_t *t = json_object_get(d, "t_s"), *w = json_object_get(d, "power_w");
        fprintf(f, "$d%zu << EOD\n", i);
        for (k = 0; k < json_array_size(t); k++) {
            json_t *v = json_array_get(w, k);
            if (json_is_number(v))
                fprintf(f, "%.6f %.4f\n", json_number_value(json_array_get(t, k)),
                        json_number_value(v));
            else
                fprintf(f, "\n"); /* a gap where the power is unknown */
        }
        fprintf(f, "EOD\n");
    }
    fprintf(f, "plot ");
    json_array_foreach(tl, i, d)
    {
        json_t *dom = json_array_get(doms, i);
        char label[160];
        snprintf(label, sizeof label, "%s (%s%s%s)", json_string_value(json_object_get(d, "id")),
                 json_string_value(json_object_get(dom, "method")),
                 json_is_true(json_object_get(dom, "simulated")) ? ", SIMULATED" : "",
                 json_is_true(json_object_get(dom, "estimate")) ? ", ESTIMATE" : "");
        fprintf(f, "%s$d%zu using 1:2 with lines lw 2 lc %zu title ", i ? ", \\\n     " : "", i,
                i + 1);
        quoted(f, label);
    }
    if (json_array_size(tl) == 0)
        fprintf(f, "0 title 'no domain measured'");
    fprintf(f, "\n");
}

/* Runs gnuplot on the script; 127 if gnuplot is missing. */
static int run_gnuplot(const char *script)
{
    char *argv[] = {"gnuplot", (char *)script, NULL};
    pid_t pid;
    int status, rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
    if (rc != 0)
        return rc == ENOENT ? 127 : 126;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int eb_cmd_plot(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"script", required_argument, NULL, 's'},
        {"title", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *script = NULL, *title = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:s:t:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(plot_usage, stdout);
            return 0;
        }
        if (c == 'o')
            out = optarg;
        else if (c == 's')
            script = optarg;
        else if (c == 't')
            title = optarg;
        else {
            fputs(plot_usage, stderr);
            return EB_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || !out) {
        fprintf(stderr, "ebench plot: expected FILE.json and -o OUT\n%s", plot_usage);
        return EB_EXIT_USAGE;
    }
    const char *terminal = terminal_for(out);
    if (!terminal) {
        fprintf(stderr, "ebench plot: -o '%s': unknown extension (use .png, .svg or .pdf)\n", out);
        return EB_EXIT_USAGE;
    }
    json_t *r = eb_cli_load_report(argv[optind]);
    if (!r)
        return EB_EXIT_USAGE;
    if (json_is_array(json_object_get(r, "nodes"))) {
        fprintf(stderr,
                "ebench plot: %s is a merged job report (%zu nodes): it keeps each node's totals, "
                "not their timelines; plot each node's own report\n",
                argv[optind], json_array_size(json_object_get(r, "nodes")));
        json_decref(r);
        return EB_EXIT_USAGE;
    }
    json_t *tl0 = json_object_get(r, "timeline"), *td;
    size_t ti, points = 0;
    json_array_foreach(tl0, ti, td) points += json_array_size(json_object_get(td, "t_s"));
    if (json_is_array(tl0) && points < 2) {
        const char *sampling = json_string_value(json_object_get(r, "sampling"));
        fprintf(stderr, "ebench plot: %s has no timeline to draw%s\n", argv[optind],
                sampling && strcmp(sampling, "parent") == 0
                    ? ": it was saved by a program under `ebench run`, whose own report (run "
                      "--json) has the timeline"
                    : " (fewer than two samples)");
        json_decref(r);
        return EB_EXIT_USAGE;
    }
    if (!json_is_array(json_object_get(r, "timeline"))) {
        fprintf(stderr, "ebench plot: %s has no timeline (saved by an older ebench?)\n",
                argv[optind]);
        json_decref(r);
        return EB_EXIT_USAGE;
    }

    /* gnuplot writes a temporary file beside OUT, renamed when it succeeds;
     * the script it runs is a temporary file too, and --script keeps a copy
     * that names OUT itself */
    eb__afile img, run, keep = {0};
    char run_path[4096];
    const char *tmpdir = getenv("TMPDIR");
    snprintf(run_path, sizeof run_path, "%s/ebench-plot.gp", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int rc = eb__afile_open(&img, out);
    if (rc < 0) {
        fprintf(stderr, "ebench plot: -o '%s': cannot write there: %s\n", out,
                rc == -ENOTSUP ? "not a regular file (gnuplot writes the image to a file)"
                               : strerror(-rc));
        json_decref(r);
        return EB_EXIT_USAGE;
    }
    if (script && (rc = eb__afile_open(&keep, script)) < 0) {
        fprintf(stderr, "ebench plot: --script '%s': cannot write there: %s\n", script,
                strerror(-rc));
        eb__afile_abort(&img);
        json_decref(r);
        return EB_EXIT_USAGE;
    }
    if ((rc = eb__afile_open(&run, run_path)) < 0) {
        fprintf(stderr, "ebench plot: cannot write a script in %s: %s\n", run_path, strerror(-rc));
        eb__afile_abort(&img);
        eb__afile_abort(&keep);
        json_decref(r);
        return EB_EXIT_FAIL;
    }
    write_script(run.f, r, terminal, img.tmp, title);
    if (script)
        write_script(keep.f, r, terminal, out, title);
    json_decref(r);
    fflush(run.f);
    int status = run_gnuplot(run.tmp);
    eb__afile_abort(&run);
    if (status != 0) {
        if (status == 127)
            fprintf(stderr,
                    "ebench plot: gnuplot not found (install it: apt-get install gnuplot-nox)%s\n",
                    script ? "; the script is written, run it with gnuplot later" : "");
        else
            fprintf(stderr, "ebench plot: gnuplot failed (exit %d)\n", status);
        eb__afile_abort(&img);
        if (script && status == 127)
            eb__afile_commit(&keep);
        else
            eb__afile_abort(&keep);
        return EB_EXIT_FAIL;
    }
    /* gnuplot wrote the temporary image by name: close ours and rename it */
    fclose(img.f);
    img.f = NULL;
    if (rename(img.tmp, img.path) != 0) {
        fprintf(stderr, "ebench plot: -o '%s': %s\n", out, strerror(errno));
        eb__afile_abort(&img);
        eb__afile_abort(&keep);
        return EB_EXIT_FAIL;
    }
    free(img.tmp);
    img.tmp = NULL;
    eb__afile_abort(&img);
    if (script && (rc = eb__afile_commit(&keep)) < 0)
        fprintf(stderr, "ebench plot: --script '%s': %s\n", script, strerror(-rc));
    fprintf(stderr, "ebench plot: wrote %s%s%s\n", out, script ? " and " : "",
            script ? script : "");
    return 0;
}
