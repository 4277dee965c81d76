/*
 * cmd_plot.c - `ebench plot FILE.json -o OUT.png|svg|pdf`: power over time
 * per domain under a strip naming the runs and the program's windows, phases
 * shaded, steady state and idle level marked (--split: a panel per GPU;
 * --energy: cumulative energy); with several reports, a comparison of energy
 * per run and work per joule. gnuplot draws it; --script keeps the script.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/afile.h"
#include "cli.h"
#include "report_file.h"

extern char **environ;

static const char plot_usage[] =
    "usage: ebench plot FILE.json -o OUT.png|OUT.svg|OUT.pdf [--split] [--energy]\n"
    "                   [--size default|column|slide] [--title TEXT] [--script FILE.gp]\n"
    "       ebench plot A.json B.json ... -o OUT.png|OUT.svg|OUT.pdf [--size ...]\n"
    "\n"
    "One report (`ebench run --json`): power over time for every domain. A strip above\n"
    "the traces names the runs (the idle baseline, warm-ups, each repetition) and the\n"
    "program's windows; the traces are shaded by phase, one colour per name, and the key\n"
    "below says which. Dashed: where a domain's steady state starts; dotted: its idle\n"
    "level. The x axis spans the data.\n"
    "  --split        one panel per GPU (and one for the other domains): 8-GPU nodes\n"
    "  --energy       a panel of each domain's energy since the timeline's start\n"
    "\n"
    "Several reports (up to 24): a comparison, one bar each: energy per run with 95%\n"
    "confidence whiskers (from --repeat; a single run has none), and beside it the work\n"
    "per joule when every report has the same work (run --work, or the program's\n"
    "windows' work: TFLOP/J, sample/J). Labels are the file names.\n"
    "\n"
    "  --size S       default (1200x600 px, 10 x 5 in), column (a one-column paper\n"
    "                 figure: 3.5 in wide, PNG at 300 dpi) or slide (16:9, 1920x1080)\n"
    "  --title TEXT   the title (default: the program's name, the host and the date;\n"
    "                 '' for none)\n"
    "  --script FILE  also write the gnuplot script, to edit and rerun (gnuplot FILE)\n"
    "\n"
    "Needs gnuplot (apt-get install gnuplot-nox). A merged job report (ebench merge) is\n"
    "refused: it keeps each node's totals, not their timelines.\n";

/* Figure sizes per output kind. Heights grow with the panels (--split). */
typedef struct {
    const char *name;
    double png_w, png_h, png_font, png_lw; /* pixels */
    double svg_w, svg_h, svg_font;         /* pixels at 96 per inch */
    double pdf_w, pdf_h, pdf_font;         /* inches */
    double char_w;                         /* a character's width, as a share of the plot's */
    double lmargin;
    double text; /* text height against the figure's, relative to the default size's */
} plot_size;

static const plot_size sizes[] = {
    {"default", 1200, 600, 10, 1, 1200, 600, 10, 10, 5, 9, 0.0075, 0.07, 1},
    /* 3.5 in: the PNG at 300 dpi, about 6 pt text once printed that wide */
    {"column", 1050, 780, 20, 2.5, 504, 374, 10, 3.5, 2.6, 5.5, 0.014, 0.13, 1.5},
    {"slide", 1920, 1080, 18, 2, 1280, 720, 13, 13.33, 7.5, 15, 0.0075, 0.07, 1},
};

/* The terminal line for out's extension at this size, `panels` panels high. */
static int terminal_for(const char *out, const plot_size *z, double grow, char *buf, size_t len)
{
    const char *dot = strrchr(out, '.');
    if (!dot)
        return -1;
    if (strcasecmp(dot, ".png") == 0)
        snprintf(buf, len, "pngcairo size %.0f,%.0f font 'sans,%g' linewidth %g", z->png_w,
                 z->png_h * grow, z->png_font, z->png_lw);
    else if (strcasecmp(dot, ".svg") == 0)
        snprintf(buf, len, "svg size %.0f,%.0f dynamic font 'sans,%g'", z->svg_w, z->svg_h * grow,
                 z->svg_font);
    else if (strcasecmp(dot, ".pdf") == 0)
        snprintf(buf, len, "pdfcairo size %gin,%.2fin font 'sans,%g'", z->pdf_w, z->pdf_h * grow,
                 z->pdf_font);
    else
        return -1;
    return 0;
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

/* Whether base is interpreter i, maybe with its version ("python3.12"). */
static int is_interpreter(const char *base, const char *i)
{
    size_t n = strlen(i);
    return strncmp(base, i, n) == 0 && strspn(base + n, "0123456789.") == strlen(base + n);
}

/* What the run ran, by name: the command's program, past `env` and its
 * VAR=value settings, and past an interpreter to its script
 * ("env X=1 python3 /tmp/a/train.py --lr 3" -> "train.py"). */
static const char *program_name(json_t *cmd)
{
    static const char *const interpreters[] = {"python", "python3", "sh",   "bash",
                                               "dash",   "zsh",     "perl", "ruby",
                                               "node",   "Rscript", "julia"};
    const char *name = NULL;
    int shell = 0;
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
            int interp = 0;
            for (size_t i = 0; i < sizeof interpreters / sizeof *interpreters; i++)
                interp |= is_interpreter(base, interpreters[i]);
            if (!interp)
                return base;
            name = base;
            shell = is_interpreter(base, "sh") || is_interpreter(base, "bash") ||
                    is_interpreter(base, "dash") || is_interpreter(base, "zsh");
            continue;
        }
        if (strcmp(a, "-c") == 0 || strcmp(a, "-m") == 0) {
            /* sh -c 'CMD ...': CMD's program; python -m MODULE: the module;
             * python -c CODE: the interpreter */
            const char *line = json_string_value(json_array_get(cmd, k + 1));
            static char word[128];
            if (!line || (strcmp(a, "-c") == 0 && !shell))
                return name;
            line += strspn(line, " \t");
            size_t n = strcspn(line, " \t;&|");
            snprintf(word, sizeof word, "%.*s", (int)(n < 127 ? n : 127), line);
            return strrchr(word, '/') ? strrchr(word, '/') + 1 : word;
        }
        if (a[0] == '-')
            continue; /* the interpreter's options */
        return base;  /* its script */
    }
    return name ? name : "ebench run";
}

static void default_title(json_t *r, char *title, size_t len)
{
    /* "train.py on node01, 2026-11-25 10:00 UTC" */
    const char *host = json_string_value(json_object_get(r, "hostname"));
    const char *start = json_string_value(json_object_get(r, "start_time"));
    char when[32] = "";
    if (start && strlen(start) >= 16)
        snprintf(when, sizeof when, "%.10s %.5s UTC", start, start + 11);
    snprintf(title, len, "%.200s%s%.100s%s%s", program_name(json_object_get(r, "command")),
             host ? " on " : "", host ? host : "", when[0] ? ", " : "", when);
}

typedef struct {
    const plot_size *size;
    const char *title; /* NULL: the default */
    int split, energy;
} plot_opts;

/* Phase colours, one per window name (light, so traces stay readable). */
static const char *const phase_colours[] = {"#fdae6b", "#9ecae1", "#a1d99b", "#bcbddc",
                                            "#fc9272", "#c7e9b4", "#fa9fb5", "#9ebcda"};
#define N_COLOURS (sizeof phase_colours / sizeof *phase_colours)
static const char *const trace_colours[] = {"#6a3d9a", "#1b7837", "#2166ac", "#b35806", "#c51b7d",
                                            "#01665e", "#8c510a", "#252525", "#d6604d", "#35978f"};
#define N_TRACE_COLOURS (sizeof trace_colours / sizeof *trace_colours)
/* Each of the first N_COLOURS window names has its colour and key entry; the
 * others share one grey, named "other windows" in the key (a colour used
 * twice would tell two phases apart wrongly). */
#define OTHER_COLOUR "#d0d0d0"
/* The report keeps the first 1000 window instances: all are drawn. */
#define MAX_SHADED 1000
/* Names and ids in the strip and key, at most this many characters. */
#define MAX_LABEL 40

typedef struct {
    const char *name[N_COLOURS];
    size_t n;
    int others; /* names beyond those */
} name_set;

static const char *name_colour(name_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0)
            return phase_colours[i];
    if (s->n == N_COLOURS) {
        s->others = 1;
        return OTHER_COLOUR;
    }
    s->name[s->n] = name;
    return phase_colours[s->n++];
}

/* Characters, not bytes, of UTF-8 text. */
static size_t u8len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Text for the figure: control characters become '?' (a newline would end a
 * gnuplot command or data line), at most max characters, cut between
 * characters with "..." where it was longer. */
static void clean_text(const char *in, char *out, size_t len, size_t max)
{
    size_t o = 0, chars = 0;
    if (!in)
        in = "?";
    for (const unsigned char *c = (const unsigned char *)in; *c && o + 8 < len; c++) {
        int start = (*c & 0xC0) != 0x80;
        if (start && chars == max) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        chars += (size_t)start;
        out[o++] = *c < 0x20 || *c == 0x7f ? '?' : (char)*c;
    }
    /* the buffer ended inside a character: back to its start */
    size_t k = o;
    while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
        k--;
    if (k > 0 && (unsigned char)out[k - 1] >= 0xC0) {
        unsigned char lead = (unsigned char)out[k - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (o - (k - 1) < need)
            o = k - 1;
    }
    out[o] = '\0';
}

static int is_run_span(const char *name)
{
    return strcmp(name, "run") == 0 || strcmp(name, "idle") == 0 ||
           strcmp(name, "run (warmup)") == 0;
}

static int is_warm(const char *name)
{
    size_t n = strlen(name), w = strlen(" (warmup)");
    return n >= w && strcmp(name + n - w, " (warmup)") == 0;
}

static json_t *domain_by_id(json_t *doms, const char *id)
{
    json_t *d;
    size_t i;
    json_array_foreach(doms, i, d)
    {
        const char *x = json_string_value(json_object_get(d, "id"));
        if (x && id && strcmp(x, id) == 0)
            return d;
    }
    return NULL;
}

/* The panel a timeline entry is drawn in: with --split each GPU has its own,
 * then one for the rest. */
static size_t panel_of(json_t *dom, const plot_opts *o, size_t *gpus_before, size_t n_gpus)
{
    if (!o->split)
        return 0;
    const char *kind = json_string_value(json_object_get(dom, "kind"));
    if (kind && strcmp(kind, "gpu") == 0)
        return (*gpus_before)++;
    return n_gpus;
}

/* A trace's name in the key: its id, its method, and SIMULATED or ESTIMATE
 * (a one-column figure: the id and "sim." or "est." only). */
static void trace_label(json_t *d, json_t *dom, const plot_size *z, char *label, size_t len)
{
    char id[MAX_LABEL * 4 + 8], method[64];
    clean_text(json_string_value(json_object_get(d, "id")), id, sizeof id, MAX_LABEL);
    clean_text(json_string_value(json_object_get(dom, "method")), method, sizeof method, 20);
    int sim = json_is_true(json_object_get(dom, "simulated"));
    int est = json_is_true(json_object_get(dom, "estimate"));
    if (z->text > 1.2)
        snprintf(label, len, "%s%s", id, sim ? " (sim.)" : est ? " (est.)" : "");
    else
        snprintf(label, len, "%s (%s%s%s)", id, method, sim ? ", SIMULATED" : "",
                 est ? ", ESTIMATE" : "");
}

/* The panels: with --split one per GPU (two columns past 4 GPUs: 8-GPU
 * nodes) and one for the other domains, each a row of its own; --energy
 * adds a row. */
typedef struct {
    size_t n_gpus, has_other, cols, gpu_rows, rows, panels;
} plot_layout;

static plot_layout layout_for(json_t *r, const plot_opts *o)
{
    json_t *tl = json_object_get(r, "timeline"), *d;
    size_t i;
    plot_layout l = {0, 0, 1, 0, 0, 0};
    json_array_foreach(tl, i, d)
    {
        const char *kind = json_string_value(
            json_object_get(domain_by_id(json_object_get(r, "domains"),
                                         json_string_value(json_object_get(d, "id"))),
                            "kind"));
        l.n_gpus += kind && strcmp(kind, "gpu") == 0;
    }
    if (o->split && l.n_gpus > 0) {
        l.has_other = json_array_size(tl) > l.n_gpus;
        l.cols = l.n_gpus > 4 ? 2 : 1;
        l.gpu_rows = (l.n_gpus + l.cols - 1) / l.cols;
        l.panels = l.n_gpus + l.has_other;
        l.rows = l.gpu_rows + l.has_other;
    } else {
        l.n_gpus = 0; /* one panel for all */
        l.has_other = 1;
        l.panels = l.rows = 1;
    }
    l.panels += o->energy ? 1 : 0;
    l.rows += o->energy ? 1 : 0;
    return l;
}

/* Where panel pn sits: its row and, on a GPU row of two, its column. */
static void panel_place(const plot_layout *l, size_t pn, size_t *row, size_t *col, size_t *cols)
{
    if (pn < l->n_gpus) {
        *row = pn / l->cols;
        *col = pn % l->cols;
        *cols = l->cols;
    } else {
        *row = l->gpu_rows + (pn - l->n_gpus);
        *col = 0;
        *cols = 1;
    }
}

/* A label that fits its box: the text, else as much of it as fits (at least
 * three characters and ".."), else the short form (a run's number), else none. */
static void strip_label(FILE *f, size_t *lab, const char *text, const char *alt, double t0,
                        double t1, double y, double span, const plot_size *z)
{
    double per_char = z->char_w * span * 1.2;
    size_t fits = per_char > 0 ? (size_t)fmax(0, floor((t1 - t0) / per_char)) : 0;
    char buf[MAX_LABEL * 4 + 8];
    const char *use = NULL;
    if (u8len(text) <= fits) {
        use = text;
    } else if (!alt && fits >= 5) {
        clean_text(text, buf, sizeof buf, fits - 2);
        size_t n = strlen(buf);
        if (n >= 3 && strcmp(buf + n - 3, "...") == 0)
            buf[n - 1] = '\0'; /* ".." keeps one more character */
        use = buf;
    } else if (alt && u8len(alt) <= fits) {
        use = alt;
    }
    if (!use)
        return;
    fprintf(f, "set label %zu ", ++*lab);
    quoted(f, use);
    fprintf(f, " at %.6f, %.2f center front noenhanced\n", 0.5 * (t0 + t1), y);
}

static void write_script(FILE *f, json_t *r, const char *terminal, const char *out,
                         const plot_opts *o, double grow)
{
    json_t *tl = json_object_get(r, "timeline"), *doms = json_object_get(r, "domains"), *d;
    json_t *ph = json_object_get(r, "phases"), *p;
    const plot_size *z = o->size;
    size_t i, k;

    /* what there is: the data's extent, the panels, the strip's rows */
    double x0 = INFINITY, x1 = -INFINITY;
    json_array_foreach(tl, i, d)
    {
        json_t *t = json_object_get(d, "t_s");
        for (k = 0; k < json_array_size(t); k++) {
            double v = json_number_value(json_array_get(t, k));
            x0 = fmin(x0, v);
            x1 = fmax(x1, v);
        }
    }
    if (!(x1 >= x0)) {
        x0 = 0;
        x1 = 1;
    }
    if (x1 - x0 < 1e-3) { /* gnuplot needs an axis it can draw at 6 decimals */
        double mid = 0.5 * (x0 + x1);
        x0 = mid - 5e-4;
        x1 = mid + 5e-4;
    }
    double span = x1 - x0;
    /* which traces have a sample to draw, and the GPUs' highest power (with
     * --split their panels share one scale, so they read side by side) */
    size_t n_tl = json_array_size(tl);
    unsigned char *has_pts = calloc(n_tl ? n_tl : 1, 1);
    double gpu_max = 0;
    json_array_foreach(tl, i, d)
    {
        json_t *w = json_object_get(d, "power_w");
        const char *kind = json_string_value(json_object_get(
            domain_by_id(doms, json_string_value(json_object_get(d, "id"))), "kind"));
        for (k = 0; k < json_array_size(w) && k < json_array_size(json_object_get(d, "t_s")); k++) {
            json_t *v = json_array_get(w, k);
            if (!json_is_number(v) || !isfinite(json_number_value(v)))
                continue;
            if (has_pts)
                has_pts[i] = 1;
            if (kind && strcmp(kind, "gpu") == 0)
                gpu_max = fmax(gpu_max, json_number_value(v));
        }
    }
    plot_layout lay = layout_for(r, o);
    size_t n_gpus = lay.n_gpus, n_panels = lay.panels;
    int has_program = 0, has_idle = 0, has_steady = 0;
    json_array_foreach(ph, i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        has_program |= name && !is_run_span(name);
    }
    size_t rows = has_program ? 2 : 1;

    /* the key: domains, phase names, the marks */
    name_set names = {{0}, 0, 0};
    json_array_foreach(ph, i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        if (name && !is_run_span(name) && !is_warm(name))
            name_colour(&names, name);
    }
    json_array_foreach(doms, i, d)
    {
        has_idle |= !isnan(eb_cli_num(d, "idle_power_w"));
        has_steady |= !isnan(eb_cli_num(json_object_get(d, "steady_state"), "from_s"));
    }
    size_t entries = json_array_size(tl) + names.n + (size_t)names.others + (size_t)has_idle +
                     (size_t)has_steady;
    /* as many key columns as the longest entry leaves room for */
    size_t longest = has_steady ? strlen("steady state from") : strlen("idle level");
    json_array_foreach(tl, i, d)
    {
        char label[320];
        trace_label(d, domain_by_id(doms, json_string_value(json_object_get(d, "id"))), z, label,
                    sizeof label);
        longest = strlen(label) > longest ? strlen(label) : longest;
    }
    for (k = 0; k < names.n; k++)
        longest = u8len(names.name[k]) > longest ? u8len(names.name[k]) : longest;
    longest = longest > MAX_LABEL + 3 ? MAX_LABEL + 3 : longest;
    double col_w = ((double)longest + 6) * z->char_w * 1.1;
    size_t key_cols = (size_t)fmax(1, fmin(4, floor(0.95 / col_w)));
    size_t key_rows = (entries + key_cols - 1) / key_cols;

    /* layout, in screen units of the base height, text in proportion */
    double g = grow, ts = z->text, top = 1 - 0.065 * ts / g;
    double strip_h = 0.045 * ts * (double)rows / g;
    double key_h = (0.032 * (double)key_rows + 0.015) * ts / g, xlab = 0.085 * ts / g;
    double bottom = key_h + xlab, area = top - strip_h - 0.012 / g - bottom;
    double gap = 0.018 * ts / g, panel_h = (area - gap * (double)(lay.rows - 1)) / (double)lay.rows;

    fprintf(f, "# ebench plot: edit this file and run it with gnuplot\n");
    fprintf(f, "set terminal %s\nset output ", terminal);
    quoted(f, out);
    char title[512];
    if (o->title)
        snprintf(title, sizeof title, "%s", o->title);
    else
        default_title(r, title, sizeof title);
    fprintf(f, "\nset title ");
    quoted(f, title);
    fprintf(f, " noenhanced\n");

    /* the data, inline: power ($dN), and with --energy the energy it adds
     * up to ($eN, in J; each sample's power is the mean over the interval it
     * ends) */
    double e_max = 0;
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
        if (!o->energy)
            continue;
        double e = 0;
        fprintf(f, "$e%zu << EOD\n", i);
        for (k = 0; k < json_array_size(t); k++) {
            json_t *v = json_array_get(w, k);
            if (k > 0 && json_is_number(v))
                e += json_number_value(v) * (json_number_value(json_array_get(t, k)) -
                                             json_number_value(json_array_get(t, k - 1)));
            fprintf(f, "%.6f %.6g\n", json_number_value(json_array_get(t, k)), e);
        }
        fprintf(f, "EOD\n");
        e_max = fmax(e_max, e);
    }
    int kilo = e_max >= 20000; /* the energy axis in kJ */

    /* trace colours: dark, so they stand out of the pastel phases */
    for (k = 0; k < N_TRACE_COLOURS; k++)
        fprintf(f, "set linetype %zu lc rgb '%s'\n", k + 1, trace_colours[k]);
    fprintf(f, "set linetype cycle %zu\nset multiplot\n", N_TRACE_COLOURS);
    fprintf(f, "set lmargin at screen %.3f\nset rmargin at screen 0.975\n", z->lmargin);
    fprintf(f, "set xrange [%.6f:%.6f]\n", x0, x1);

    /* the strip: runs on top, the program's windows under them */
    fprintf(f, "# the strip: the runs%s\n", has_program ? " and the program's windows" : "");
    fprintf(f, "set tmargin at screen %.4f\nset bmargin at screen %.4f\n", top, top - strip_h);
    fprintf(f, "set yrange [0:%zu]\nunset xtics\nset ytics scale 0 (", rows);
    fprintf(f, "'runs' %.1f%s)\n", (double)rows - 0.5, has_program ? ", 'phases' 0.5" : "");
    fprintf(f, "unset key\nunset grid\nset border 0\n");
    size_t obj = 0, lab = 0, n_runs = 0, run_k = 0, warm_k = 0;
    size_t n_boxes = json_array_size(ph); /* past 100, borders would hide the colours */
    json_array_foreach(ph, i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        n_runs += name && strcmp(name, "run") == 0;
    }
    json_array_foreach(ph, i, p)
    {
        double t0 = eb_cli_num(p, "t0_s"), t1 = eb_cli_num(p, "t1_s");
        const char *name = json_string_value(json_object_get(p, "name"));
        if (!name || isnan(t0) || isnan(t1) || obj >= MAX_SHADED)
            continue;
        double y0, y1;
        const char *fc;
        char text[MAX_LABEL * 4 + 8], alt[32];
        if (is_run_span(name)) {
            y0 = (double)rows - 0.92;
            y1 = (double)rows - 0.08;
            if (strcmp(name, "idle") == 0) {
                fc = "#d9d9d9";
                snprintf(text, sizeof text, "idle");
                snprintf(alt, sizeof alt, "i");
            } else if (strcmp(name, "run") == 0) {
                run_k++;
                fc = run_k % 2 ? "#f0f0f0" : "#ffffff";
                if (n_runs > 1)
                    snprintf(text, sizeof text, "run %zu", run_k);
                else
                    snprintf(text, sizeof text, "run");
                snprintf(alt, sizeof alt, "%zu", run_k);
            } else {
                warm_k++;
                fc = "#d9d9d9";
                snprintf(text, sizeof text, "warm-up %zu", warm_k);
                snprintf(alt, sizeof alt, "w");
            }
        } else {
            y0 = 0.08;
            y1 = 0.92;
            fc = is_warm(name) ? "#d9d9d9" : name_colour(&names, name);
            clean_text(name, text, sizeof text, MAX_LABEL);
            alt[0] = '\0';
        }
        fprintf(f,
                "set object %zu rect from %.6f, %.2f to %.6f, %.2f fc rgb '%s' fs solid 1.0 "
                "%s\n",
                ++obj, fmax(t0, x0), y0, fmin(t1, x1), y1, fc,
                n_boxes > 100 ? "noborder" : "border lc rgb '#737373'");
        strip_label(f, &lab, text, alt[0] ? alt : NULL, fmax(t0, x0), fmin(t1, x1), 0.5 * (y0 + y1),
                    span, z);
    }
    fprintf(f, "plot NaN notitle\nunset title\nunset object\nunset label\nset border\nset grid\n");

    /* the panels: power (per GPU with --split), then energy */
    for (size_t pn = 0; pn < n_panels; pn++) {
        int is_energy = o->energy && pn == n_panels - 1, last = pn == n_panels - 1;
        size_t row, col, cols;
        panel_place(&lay, pn, &row, &col, &cols);
        int bottom_row = row == lay.rows - 1;
        double pt = top - strip_h - 0.012 / g - (double)row * (panel_h + gap);
        fprintf(f, "# panel %zu\n", pn + 1);
        fprintf(f, "set tmargin at screen %.4f\nset bmargin at screen %.4f\n", pt, pt - panel_h);
        if (cols == 2)
            fprintf(f, "set lmargin at screen %.3f\nset rmargin at screen %.3f\n",
                    col ? 0.5 + z->lmargin : z->lmargin, col ? 0.975 : 0.47);
        else
            fprintf(f, "set lmargin at screen %.3f\nset rmargin at screen 0.975\n", z->lmargin);
        /* headroom over the highest trace; the strip's row names gone; a
         * panel with nothing to draw keeps an axis gnuplot can draw */
        int panel_pts = 0;
        size_t seen = 0;
        json_array_foreach(tl, i, d)
        {
            json_t *dom = domain_by_id(doms, json_string_value(json_object_get(d, "id")));
            size_t on = panel_of(dom, o, &seen, n_gpus);
            panel_pts |= (is_energy || on == pn) && has_pts && has_pts[i];
        }
        fprintf(f, "set xtics\nset format x '%s'\nset ytics autofreq scale default\n",
                bottom_row ? "% h" : "");
        if (!panel_pts)
            fprintf(f, "set yrange [0:1]\nset offsets 0, 0, 0, 0\n");
        else if (o->split && pn < n_gpus && gpu_max > 0)
            fprintf(f, "set yrange [0:%.6g]\nset offsets 0, 0, 0, 0\n", gpu_max * 1.06);
        else
            fprintf(f, "set yrange [0:*]\nset offsets 0, 0, graph 0.06, 0\n");
        if (bottom_row)
            fprintf(f, "set xlabel 'time (s)'\n");
        /* the phases, shaded by name (every repetition, when the program
         * names none) */
        obj = 0;
        run_k = 0;
        json_array_foreach(ph, i, p)
        {
            double t0 = eb_cli_num(p, "t0_s"), t1 = eb_cli_num(p, "t1_s");
            const char *name = json_string_value(json_object_get(p, "name"));
            if (!name || isnan(t0) || isnan(t1) || obj >= MAX_SHADED)
                continue;
            const char *fc = NULL;
            if (strcmp(name, "idle") == 0 || strcmp(name, "run (warmup)") == 0 ||
                (is_warm(name) && has_program))
                fc = "#d9d9d9";
            else if (strcmp(name, "run") == 0)
                fc = has_program ? NULL : ++run_k % 2 ? "#deebf7" : "#efedf5";
            else
                fc = name_colour(&names, name);
            if (!fc)
                continue;
            fprintf(f,
                    "set object %zu rect from %.6f, graph 0 to %.6f, graph 1 fc rgb '%s' "
                    "fs solid 0.35 noborder behind\n",
                    ++obj, fmax(t0, x0), fmin(t1, x1), fc);
        }
        /* steady state starts (dashed) and idle levels (dotted) */
        double span0 = eb_cli_num(r, "span_t0_s");
        size_t arrow = 1, before = 0;
        json_array_foreach(tl, i, d)
        {
            json_t *dom = domain_by_id(doms, json_string_value(json_object_get(d, "id")));
            size_t on = panel_of(dom, o, &before, n_gpus);
            if (is_energy || on != pn)
                continue;
            double from = eb_cli_num(json_object_get(dom, "steady_state"), "from_s");
            double idle = eb_cli_num(dom, "idle_power_w");
            if (!isnan(from) && !isnan(span0))
                fprintf(f, "set arrow %zu from %.6f, graph 0 to %.6f, graph 1 nohead dt 2 lc %zu\n",
                        arrow++, span0 + from, span0 + from, i + 1);
            if (!isnan(idle))
                fprintf(f,
                        "set arrow %zu from graph 0, first %.6f to graph 1, first %.6f nohead "
                        "dt 3 lc %zu\n",
                        arrow++, idle, idle, i + 1);
        }
        if (is_energy)
            fprintf(f, "set ylabel 'energy since t = 0 (%s)'\n", kilo ? "kJ" : "J");
        else if (o->split && pn < n_gpus) {
            before = 0;
            json_array_foreach(tl, i, d)
            {
                json_t *dom = domain_by_id(doms, json_string_value(json_object_get(d, "id")));
                if (panel_of(dom, o, &before, n_gpus) == pn) {
                    fprintf(f, "set ylabel ");
                    char yl[128];
                    snprintf(yl, sizeof yl, "%.100s (W)",
                             json_string_value(json_object_get(d, "id")));
                    quoted(f, yl);
                    fprintf(f, " noenhanced\n");
                }
            }
        } else
            fprintf(f, "set ylabel 'power (W)'\n");
        if (last)
            fprintf(f,
                    "set key at screen 0.5, screen %.4f center top vertical maxrows %zu "
                    "samplen 2 noenhanced\n",
                    key_h, key_rows);
        else
            fprintf(f, "unset key\n");
        fprintf(f, "plot ");
        int any = 0;
        before = 0;
        json_array_foreach(tl, i, d)
        {
            json_t *dom = domain_by_id(doms, json_string_value(json_object_get(d, "id")));
            size_t on = panel_of(dom, o, &before, n_gpus);
            if ((!is_energy && on != pn) || !has_pts || !has_pts[i])
                continue;
            fprintf(f, "%s$%c%zu using 1:%s with %s lw 2 lc %zu notitle", any ? ", \\\n     " : "",
                    is_energy ? 'e' : 'd', i, is_energy && kilo ? "($2/1000)" : "2",
                    is_energy ? "lines" : "fsteps", i + 1);
            any = 1;
        }
        if (last) {
            /* the key names every trace, phase and mark once */
            json_array_foreach(tl, i, d)
            {
                json_t *dom = domain_by_id(doms, json_string_value(json_object_get(d, "id")));
                char label[320];
                trace_label(d, dom, z, label, sizeof label);
                fprintf(f, "%sNaN with lines lw 2 lc %zu title ", any ? ", \\\n     " : "", i + 1);
                quoted(f, label);
                any = 1;
            }
            for (size_t n = 0; n < names.n; n++) {
                char nm[MAX_LABEL * 4 + 8];
                clean_text(names.name[n], nm, sizeof nm, MAX_LABEL);
                fprintf(f, ", \\\n     NaN with boxes fs solid 0.6 fc rgb '%s' title ",
                        phase_colours[n]);
                quoted(f, nm);
            }
            if (names.others)
                fprintf(f,
                        ", \\\n     NaN with boxes fs solid 0.6 fc rgb '%s' title 'other "
                        "windows'",
                        OTHER_COLOUR);
            if (has_steady)
                fprintf(f, ", \\\n     NaN with lines dt 2 lc rgb '#525252' title 'steady state "
                           "from'");
            if (has_idle)
                fprintf(f, ", \\\n     NaN with lines dt 3 lc rgb '#525252' title 'idle level'");
        }
        if (!any)
            fprintf(f, "NaN title 'no samples'");
        fprintf(f, "\nunset object\nunset arrow\nunset xlabel\n");
    }
    free(has_pts);
    fprintf(f, "unset multiplot\n");
}

/* ---- several reports: the comparison figure ---------------------------- */

typedef struct {
    char label[MAX_LABEL * 4 + 8];
    double mean, ci;    /* energy per run; ci NaN: a single run */
    double eff, eff_ci; /* work per joule in eff_unit; NaN: none shared */
    int simulated, estimate;
} cmp_bar;

/* Whether domain id is in every report. */
static int shared_by_all(json_t **r, size_t n, const char *id)
{
    for (size_t o = 0; o < n; o++)
        if (!domain_by_id(json_object_get(r[o], "domains"), id))
            return 0;
    return 1;
}

/* Whether every report has the same domain ids (then the totals compare). */
static int same_domains(json_t **r, size_t n)
{
    for (size_t a = 0; a < n; a++) {
        json_t *d;
        size_t i;
        if (json_array_size(json_object_get(r[a], "domains")) !=
            json_array_size(json_object_get(r[0], "domains")))
            return 0;
        json_array_foreach(
            json_object_get(r[a], "domains"), i,
            d) if (!shared_by_all(r, n, json_string_value(json_object_get(d, "id")))) return 0;
    }
    return 1;
}

/* Energy per run over the domains every report has: the total where they
 * all have the same, else the sum of the shared ones in the total (their 95%
 * intervals combined in quadrature). Whether those are simulated or
 * estimated, from the domains summed. */
static void bar_energy(json_t **r, size_t n, size_t a, int same, cmp_bar *b)
{
    json_t *reps = json_object_get(r[a], "repetitions");
    json_t *e = json_object_get(reps, "energy_j");
    int many = json_integer_value(json_object_get(reps, "n")) >= 2;
    double sum = 0, var = 0;
    json_t *d;
    size_t i;
    json_array_foreach(json_object_get(r[a], "domains"), i, d)
    {
        const char *id = json_string_value(json_object_get(d, "id"));
        if (!json_is_true(json_object_get(d, "in_total")) || !shared_by_all(r, n, id))
            continue;
        b->simulated |= json_is_true(json_object_get(d, "simulated"));
        b->estimate |= json_is_true(json_object_get(d, "estimate"));
        json_t *rd = NULL, *x;
        size_t j;
        json_array_foreach(json_object_get(reps, "domains"), j, x)
        {
            const char *xid = json_string_value(json_object_get(x, "id"));
            if (xid && id && strcmp(xid, id) == 0)
                rd = x;
        }
        if (many && rd) {
            sum += eb_cli_num(rd, "mean");
            var += pow(eb_cli_num(rd, "ci95"), 2);
        } else
            sum += eb_cli_num(d, "energy_j");
    }
    if (same) {
        b->mean =
            many ? eb_cli_num(e, "mean") : eb_cli_num(json_object_get(r[a], "total"), "energy_j");
        b->ci = many ? eb_cli_num(e, "ci95") : NAN;
    } else {
        b->mean = sum;
        b->ci = many ? sqrt(var) : NAN;
    }
    if (!(b->ci >= 0) || !isfinite(b->ci))
        b->ci = NAN;
}

/* The work per joule every report states in one unit: the run's (--work),
 * else a program window's of one name. unit gets "TFLOP/J" or "<unit>/J". */
static int shared_efficiency(json_t **r, size_t n, cmp_bar *bars, char *unit, size_t len,
                             char *what, size_t wlen)
{
    json_t *eff = json_object_get(r[0], "efficiency"), *e;
    size_t i;
    json_array_foreach(eff, i, e)
    {
        const char *u = json_string_value(json_object_get(e, "unit"));
        size_t found = 0;
        for (size_t a = 0; a < n && u; a++) {
            json_t *x;
            size_t j;
            json_array_foreach(json_object_get(r[a], "efficiency"), j, x)
            {
                const char *ux = json_string_value(json_object_get(x, "unit"));
                if (ux && strcmp(ux, u) == 0 && !isnan(eb_cli_num(x, "per_joule"))) {
                    bars[a].eff = eb_cli_num(x, "per_joule");
                    /* the work is the same each run: the energy's interval */
                    bars[a].eff_ci = bars[a].eff * bars[a].ci / bars[a].mean;
                    found++;
                    break;
                }
            }
        }
        if (u && found == n) {
            snprintf(unit, len, "%s", strcmp(u, "flop") == 0 ? "TFLOP/J" : "");
            if (!unit[0])
                snprintf(unit, len, "%.30s/J", u);
            snprintf(what, wlen, "run's work");
            return 1;
        }
    }
    const char *name, *u;
    if (!eb_cli_common_window_work(r, n, &name, &u))
        return 0;
    for (size_t a = 0; a < n; a++) {
        bars[a].eff = eb_cli_window_eff(r[a], name, u);
        bars[a].eff_ci = NAN;
    }
    snprintf(unit, len, "%s", strcmp(u, "flop") == 0 ? "TFLOP/J" : "");
    if (!unit[0])
        snprintf(unit, len, "%.30s/J", u);
    snprintf(what, wlen, "window '%.100s'", name);
    return 1;
}

/* A round tick step (1, 2 or 5 x 10^k) that gives about `ticks` ticks to top. */
static double nice_step(double top, double ticks)
{
    double raw = top / ticks, mag = pow(10, floor(log10(raw)));
    return raw <= mag ? mag : raw <= 2 * mag ? 2 * mag : raw <= 5 * mag ? 5 * mag : 10 * mag;
}

/* The bars of a comparison, or -1 with the reason printed: no domain that
 * every report has, or an energy that is not a number. shared gets the
 * shared domains' ids where the reports' domains differ ("" otherwise). */
static int compare_bars(json_t **r, const char *const *paths, size_t n, cmp_bar *bars, char *shared,
                        size_t slen)
{
    int same = same_domains(r, n);
    size_t n_shared = 0, o = 0;
    json_t *d;
    size_t i;
    shared[0] = '\0';
    json_array_foreach(json_object_get(r[0], "domains"), i, d)
    {
        const char *id = json_string_value(json_object_get(d, "id"));
        if (!id || !json_is_true(json_object_get(d, "in_total")) || !shared_by_all(r, n, id))
            continue;
        n_shared++;
        if (!same && o + strlen(id) + 3 < slen) {
            char c[MAX_LABEL * 4 + 8];
            clean_text(id, c, sizeof c, 20);
            o += (size_t)snprintf(shared + o, slen - o, "%s%s", o ? ", " : "", c);
        }
    }
    if (n_shared == 0) {
        fprintf(stderr,
                "ebench plot: the reports share no measured domain (%s and %s): their energies "
                "do not compare\n",
                paths[0], paths[n > 1 ? 1 : 0]);
        return -1;
    }
    for (size_t a = 0; a < n; a++) {
        cmp_bar *b = &bars[a];
        memset(b, 0, sizeof *b);
        b->eff = b->eff_ci = NAN;
        bar_energy(r, n, a, same, b);
        if (!(b->mean >= 0) || !isfinite(b->mean)) {
            fprintf(stderr, "ebench plot: %s: its energy per run is not a number of joules\n",
                    paths[a]);
            return -1;
        }
        const char *base = strrchr(paths[a], '/') ? strrchr(paths[a], '/') + 1 : paths[a];
        char name[MAX_LABEL * 4 + 8];
        clean_text(base, name, sizeof name, MAX_LABEL);
        size_t len = strlen(name);
        if (len > 5 && strcmp(name + len - 5, ".json") == 0)
            name[len - 5] = '\0';
        snprintf(b->label, sizeof b->label, "%s", name);
    }
    return 0;
}

static void write_compare(FILE *f, cmp_bar *bars, json_t **r, size_t n, const char *shared,
                          const char *terminal, const char *out, const plot_opts *o)
{
    int any_ci = 0, any_est = 0, any_sim = 0;
    int compact = o->size->text > 1.2; /* a one-column figure: short labels, stacked */
    size_t longest = 0;
    for (size_t a = 0; a < n; a++) {
        any_ci |= !isnan(bars[a].ci);
        any_est |= bars[a].estimate;
        any_sim |= bars[a].simulated;
        /* with what the writer adds to it */
        size_t len = u8len(bars[a].label) + (compact             ? (bars[a].simulated ? 7 : 1)
                                             : bars[a].simulated ? 12
                                             : bars[a].estimate  ? 17
                                                                 : 0);
        longest = len > longest ? len : longest;
    }
    char unit[64] = "", what[160] = "";
    int eff = shared_efficiency(r, n, bars, unit, sizeof unit, what, sizeof what);

    fprintf(f, "# ebench plot: a comparison; edit this file and run it with gnuplot\n");
    fprintf(f, "set terminal %s\nset output ", terminal);
    quoted(f, out);
    fprintf(f, "\n$bars << EOD\n");
    for (size_t a = 0; a < n; a++) {
        const cmp_bar *b = &bars[a];
        double eff_ci = isfinite(b->eff_ci) && b->eff_ci >= 0 ? b->eff_ci : 0;
        fprintf(f, "%zu %.6g %.6g %.6g %.6g \"", a, b->mean, isnan(b->ci) ? 0 : b->ci,
                isfinite(b->eff) ? b->eff : 0, eff_ci);
        /* a gnuplot data string: a backslash escapes, a double quote ends it */
        for (const char *c = b->label; *c; c++)
            if (*c == '"')
                fputc('\'', f);
            else if (*c == '\\')
                fputs("\\\\", f);
            else
                fputc(*c, f);
        fprintf(f, "%s\"\n",
                compact        ? (b->simulated  ? " (sim.)"
                                  : b->estimate ? "*"
                                                : "")
                : b->simulated ? " (SIMULATED)"
                : b->estimate  ? " (incl. estimate)"
                               : "");
    }
    fprintf(f, "EOD\n");
    char title[768];
    if (o->title)
        snprintf(title, sizeof title, "%s", o->title);
    else
        snprintf(title, sizeof title, "energy per run%s%s%s%s%s%s",
                 any_ci ? (compact ? ", mean +- 95% CI" : ", mean and 95% confidence interval")
                        : "",
                 shared[0] ? " of the domains all share: " : "", shared,
                 compact && any_est && !any_sim ? "; * includes an estimate" : "",
                 any_sim && compact ? "; SIMULATED" : "", "");
    if (compact)
        fprintf(f, "set multiplot layout %d,1 title ", eff ? 2 : 1);
    else
        fprintf(f, "set multiplot layout 1,%d title ", eff ? 2 : 1);
    quoted(f, title);
    /* labels rotated where they would run into each other; values in a
     * smaller type past four bars, none past eight */
    int rotate = n > 3 || (n > 1 && (double)longest * (compact ? 0.03 : 0.012) * (double)n >
                                        (eff && !compact ? 0.45 : 0.9));
    const char *vfont = n > 4 ? " font ',7'" : "";
    fprintf(f,
            " noenhanced\n"
            "set style fill solid 0.7 border lc rgb '#525252'\nset boxwidth 0.6\n"
            "set grid ytics\nset yrange [0:*]\nset offsets 0, 0, graph 0.1, 0\n"
            "set xrange [-0.6:%.1f]\nunset key\nset tmargin 3\n"
            "set xtics scale 0 noenhanced%s\n",
            (double)n - 0.4, rotate ? " rotate by -30 left" : "");
    double e_top = 0, f_top = 0;
    for (size_t a = 0; a < n; a++) {
        e_top = fmax(e_top, bars[a].mean + (isnan(bars[a].ci) ? 0 : bars[a].ci));
        f_top = fmax(f_top, isfinite(bars[a].eff) ? bars[a].eff : 0);
    }
    if (compact && e_top > 0)
        fprintf(f, "set ytics %g\n", nice_step(e_top, 3));
    fprintf(f, "set ylabel 'energy per run (J)'\n"
               "plot $bars using 1:2:xtic(6) with boxes lc rgb '#6baed6', \\\n"
               "     '' using 1:2:3 with yerrorbars lc rgb 'black' pt 7 ps 0.4 lw 1.5");
    if (n <= 8)
        fprintf(f,
                ", \\\n     '' using 1:($2+$3):($3 > 0 && !%d ? sprintf('%%.4g J +-%%.2g%%%%', $2, "
                "100*$3/$2) : sprintf('%%.4g J', $2)) with labels offset 0,0.8%s",
                compact, vfont);
    fprintf(f, "\n");
    if (eff) {
        if (compact && f_top > 0)
            fprintf(f, "set ytics %g\n", nice_step(f_top, 3));
        fprintf(f, "set ylabel ");
        char yl[256];
        snprintf(yl, sizeof yl, "%s (%s)", unit, what);
        quoted(f, yl);
        fprintf(f, " noenhanced\n"
                   "plot $bars using 1:4:xtic(6) with boxes lc rgb '#74c476', \\\n"
                   "     '' using 1:4:5 with yerrorbars lc rgb 'black' pt 7 ps 0.4 lw 1.5");
        if (n <= 8)
            fprintf(f,
                    ", \\\n     '' using 1:($4+$5):($5 > 0 && !%d ? sprintf('%%.4g +-%%.2g%%%%', "
                    "$4, 100*$5/$4) : sprintf('%%.4g', $4)) with labels offset 0,0.8%s",
                    compact, vfont);
        fprintf(f, "\n");
    }
    fprintf(f, "unset multiplot\n");
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

/* How much taller than the size's base the figure is: its rows of panels. */
static double grow_for(json_t *r, const plot_opts *o)
{
    plot_layout l = layout_for(r, o);
    return 1 + 0.4 * (double)(l.rows - 1);
}

/* A report that can be drawn over time, or NULL with the reason printed. */
static json_t *load_for_timeline(const char *path)
{
    json_t *r = eb_cli_load_report(path);
    if (!r)
        return NULL;
    if (json_is_array(json_object_get(r, "nodes"))) {
        fprintf(stderr,
                "ebench plot: %s is a merged job report (%zu nodes): it keeps each node's totals, "
                "not their timelines; plot each node's own report\n",
                path, json_array_size(json_object_get(r, "nodes")));
        json_decref(r);
        return NULL;
    }
    json_t *tl0 = json_object_get(r, "timeline"), *td;
    size_t ti, points = 0;
    json_array_foreach(tl0, ti, td) points += json_array_size(json_object_get(td, "t_s"));
    if (json_is_array(tl0) && points < 2) {
        const char *sampling = json_string_value(json_object_get(r, "sampling"));
        fprintf(stderr, "ebench plot: %s has no timeline to draw%s\n", path,
                sampling && strcmp(sampling, "parent") == 0
                    ? ": it was saved by a program under `ebench run`, whose own report (run "
                      "--json) has the timeline"
                    : " (fewer than two samples)");
        json_decref(r);
        return NULL;
    }
    if (!json_is_array(json_object_get(r, "timeline"))) {
        fprintf(stderr, "ebench plot: %s has no timeline (saved by an older ebench?)\n", path);
        json_decref(r);
        return NULL;
    }
    return r;
}

/* A report that can be a bar of a comparison, or NULL with the reason. */
static json_t *load_for_compare(const char *path)
{
    json_t *r = eb_cli_load_report(path);
    if (!r)
        return NULL;
    if (json_is_array(json_object_get(r, "nodes"))) {
        fprintf(stderr,
                "ebench plot: %s is a merged job report: a comparison takes one node's runs "
                "(`ebench run --repeat`); compare job totals with `ebench report`\n",
                path);
        json_decref(r);
        return NULL;
    }
    if (!(eb_cli_num(json_object_get(r, "total"), "energy_j") >= 0)) {
        fprintf(stderr, "ebench plot: %s: no energy was measured in it (\"total\".\"energy_j\")\n",
                path);
        json_decref(r);
        return NULL;
    }
    return r;
}

#define MAX_COMPARE 24

/* Whether two paths name one file (the same inode, or the same text). */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return strcmp(a, b) == 0;
}

static void free_all(json_t **r, size_t n)
{
    for (size_t k = 0; k < n; k++)
        json_decref(r[k]);
}

int eb_cmd_plot(int argc, char **argv)
{
    enum { OPT_SPLIT = 256, OPT_ENERGY, OPT_SIZE };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},  {"script", required_argument, NULL, 's'},
        {"title", required_argument, NULL, 't'},   {"split", no_argument, NULL, OPT_SPLIT},
        {"energy", no_argument, NULL, OPT_ENERGY}, {"size", required_argument, NULL, OPT_SIZE},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *script = NULL;
    plot_opts o = {&sizes[0], NULL, 0, 0};
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
            o.title = optarg;
        else if (c == OPT_SPLIT)
            o.split = 1;
        else if (c == OPT_ENERGY)
            o.energy = 1;
        else if (c == OPT_SIZE) {
            o.size = NULL;
            for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
                if (strcmp(optarg, sizes[k].name) == 0)
                    o.size = &sizes[k];
            if (!o.size) {
                fprintf(stderr,
                        "ebench plot: --size '%s': expected default, column (a one-column paper "
                        "figure) or slide\n",
                        optarg);
                return EB_EXIT_USAGE;
            }
        } else {
            fputs(plot_usage, stderr);
            return EB_EXIT_USAGE;
        }
    }
    size_t n_files = optind < argc ? (size_t)(argc - optind) : 0;
    if (n_files == 0 || !out) {
        fprintf(stderr, "ebench plot: expected FILE.json (or several, to compare) and -o OUT\n%s",
                plot_usage);
        return EB_EXIT_USAGE;
    }
    if (n_files > MAX_COMPARE) {
        fprintf(stderr, "ebench plot: %zu reports: a comparison takes at most %d\n", n_files,
                MAX_COMPARE);
        return EB_EXIT_USAGE;
    }
    if (n_files > 1 && (o.split || o.energy)) {
        fprintf(stderr,
                "ebench plot: %s draws one report over time; with %zu reports the "
                "figure is a comparison (leave it out)\n",
                o.split ? "--split" : "--energy", n_files);
        return EB_EXIT_USAGE;
    }
    char terminal[256];
    if (terminal_for(out, o.size, 1, terminal, sizeof terminal) < 0) {
        fprintf(stderr, "ebench plot: -o '%s': unknown extension (use .png, .svg or .pdf)\n", out);
        return EB_EXIT_USAGE;
    }
    /* gnuplot takes the image's name inside a command: a control character
     * there would end it and name another file */
    for (const char *ch = out; *ch; ch++)
        if ((unsigned char)*ch < 0x20 || *ch == 0x7f) {
            fprintf(stderr,
                    "ebench plot: -o: the name has a control character (a newline?); gnuplot "
                    "cannot write such a file\n");
            return EB_EXIT_USAGE;
        }
    /* the script must not replace the image or a report being read */
    if (script) {
        int clash = same_file(script, out);
        for (size_t k = 0; k < n_files && !clash; k++)
            clash = same_file(script, argv[optind + (int)k]);
        if (clash) {
            fprintf(stderr,
                    "ebench plot: --script '%s' is the image or a report it reads: name another "
                    "file\n",
                    script);
            return EB_EXIT_USAGE;
        }
    }
    json_t *reps[MAX_COMPARE] = {NULL}, *r = NULL;
    for (size_t k = 0; k < n_files; k++) {
        reps[k] = n_files == 1 ? load_for_timeline(argv[optind])
                               : load_for_compare(argv[optind + (int)k]);
        if (!reps[k]) {
            free_all(reps, k);
            return EB_EXIT_USAGE;
        }
    }
    r = reps[0];
    if (n_files == 1)
        terminal_for(out, o.size, grow_for(r, &o), terminal, sizeof terminal);
    cmp_bar bars[MAX_COMPARE];
    char shared[512] = "";
    if (n_files > 1 && compare_bars(reps, (const char *const *)argv + optind, n_files, bars, shared,
                                    sizeof shared) < 0) {
        free_all(reps, n_files);
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
        free_all(reps, n_files);
        return EB_EXIT_USAGE;
    }
    if (script && (rc = eb__afile_open(&keep, script)) < 0) {
        fprintf(stderr, "ebench plot: --script '%s': cannot write there: %s\n", script,
                strerror(-rc));
        eb__afile_abort(&img);
        free_all(reps, n_files);
        return EB_EXIT_USAGE;
    }
    if ((rc = eb__afile_open(&run, run_path)) < 0) {
        fprintf(stderr, "ebench plot: cannot write a script in %s: %s\n", run_path, strerror(-rc));
        eb__afile_abort(&img);
        eb__afile_abort(&keep);
        free_all(reps, n_files);
        return EB_EXIT_FAIL;
    }
    double grow = n_files == 1 ? grow_for(r, &o) : 1;
    if (n_files == 1) {
        write_script(run.f, r, terminal, img.tmp, &o, grow);
        if (script)
            write_script(keep.f, r, terminal, out, &o, grow);
    } else {
        write_compare(run.f, bars, reps, n_files, shared, terminal, img.tmp, &o);
        if (script)
            write_compare(keep.f, bars, reps, n_files, shared, terminal, out, &o);
    }
    free_all(reps, n_files);
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
