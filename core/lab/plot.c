/* Figures with cairo: a grid of panels (curves with shaded ± std bands,
 * points with error bars, dashed reference lines) and one shared legend,
 * rendered to PNG through an image surface and to SVG through cairo's SVG
 * surface from the same drawing code. */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cairo.h>
#include <cairo-svg.h>
#include <fontconfig/fontconfig.h>
#include <glib/gstdio.h>

#include <prefrl/error.h>
#include "lab/plot.h"

/* layout, in pixels (PNG) or points (SVG) */
#define PANEL_W 380.0
#define PANEL_H 280.0
#define PAD 12.0
#define TITLE_H 30.0
#define AREA_L 62.0 /* room for y tick labels and the y label */
#define AREA_R 14.0
#define AREA_T 26.0 /* panel title */
#define AREA_B 44.0 /* x tick labels and the x label */
#define FONT "DejaVu Sans"
#define STRIP_GAP 4        /* white space around the frames of a strip */
#define STRIP_CAPTION_H 18 /* the line under each frame */

typedef struct {
    char *label;
    PrefrlSeriesStyle style;
    int n, color;
    double *x, *mean;
    double *lo, *hi; /* the band's edges (NULL: no band); NAN where there is none */
} Series;

struct PrefrlPanel {
    PrefrlFigure *fig; /* owner: colours are per figure */
    char *title, *xlabel, *ylabel;
    gboolean log_x, blank;
    double y_lo, y_hi; /* bounds the values cannot leave (bands are cut there) */
    GArray *xticks; /* double; empty: automatic */
    GPtrArray *series;
    GPtrArray *marks; /* Marks*: x positions drawn as ticks along the top */
};

struct PrefrlFigure {
    char *title;
    int n_cols;
    GPtrArray *panels;
    GPtrArray *labels; /* distinct labels; index = colour */
};

/* Tableau 10: distinguishable, colour-blind friendlier than pure hues */
static const double palette[10][3] = {
    {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
    {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
    {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812},
};

static void series_free(gpointer p)
{
    Series *s = p;
    g_free(s->label);
    g_free(s->x);
    g_free(s->mean);
    g_free(s->lo);
    g_free(s->hi);
    g_free(s);
}

typedef struct {
    int color;
    GArray *x; /* double */
} Marks;

static void marks_free(gpointer p)
{
    Marks *m = p;
    g_array_unref(m->x);
    g_free(m);
}

static void panel_free(gpointer p)
{
    PrefrlPanel *pa = p;
    g_free(pa->title);
    g_free(pa->xlabel);
    g_free(pa->ylabel);
    g_array_unref(pa->xticks);
    g_ptr_array_unref(pa->series);
    g_ptr_array_unref(pa->marks);
    g_free(pa);
}

PrefrlFigure *prefrl_figure_new(const char *title, int n_cols)
{
    PrefrlFigure *f = g_new0(PrefrlFigure, 1);
    f->title = g_strdup(title);
    f->n_cols = MAX(n_cols, 1);
    f->panels = g_ptr_array_new_with_free_func(panel_free);
    f->labels = g_ptr_array_new_with_free_func(g_free);
    return f;
}

void prefrl_figure_free(PrefrlFigure *fig)
{
    if (!fig)
        return;
    g_free(fig->title);
    g_ptr_array_unref(fig->panels);
    g_ptr_array_unref(fig->labels);
    g_free(fig);
}

static PrefrlPanel *panel_new(PrefrlFigure *fig)
{
    PrefrlPanel *p = g_new0(PrefrlPanel, 1);
    p->y_lo = -INFINITY;
    p->y_hi = INFINITY;
    p->fig = fig;
    p->xticks = g_array_new(FALSE, FALSE, sizeof(double));
    p->series = g_ptr_array_new_with_free_func(series_free);
    p->marks = g_ptr_array_new_with_free_func(marks_free);
    g_ptr_array_add(fig->panels, p);
    return p;
}

PrefrlPanel *prefrl_figure_add_panel(PrefrlFigure *fig, const char *title, const char *xlabel,
                                     const char *ylabel)
{
    PrefrlPanel *p = panel_new(fig);
    p->title = g_strdup(title);
    p->xlabel = g_strdup(xlabel);
    p->ylabel = g_strdup(ylabel);
    return p;
}

void prefrl_figure_skip_panel(PrefrlFigure *fig)
{
    panel_new(fig)->blank = TRUE;
}

void prefrl_panel_set_y_limits(PrefrlPanel *panel, double lo, double hi)
{
    panel->y_lo = lo;
    panel->y_hi = hi;
}

void prefrl_panel_set_log_x(PrefrlPanel *panel, gboolean log_x)
{
    panel->log_x = log_x;
}

void prefrl_panel_set_x_ticks(PrefrlPanel *panel, const double *ticks, int n)
{
    g_array_set_size(panel->xticks, 0);
    g_array_append_vals(panel->xticks, ticks, (guint)MAX(n, 0));
}

static int color_of(PrefrlFigure *fig, const char *label)
{
    for (guint i = 0; i < fig->labels->len; i++)
        if (!g_strcmp0(fig->labels->pdata[i], label))
            return (int)i;
    g_ptr_array_add(fig->labels, g_strdup(label ? label : ""));
    return (int)fig->labels->len - 1;
}

void prefrl_panel_add_series_band(PrefrlPanel *panel, const char *label,
                                  PrefrlSeriesStyle style, int n, const double *x,
                                  const double *mean, const double *lo, const double *hi)
{
    Series *s = g_new0(Series, 1);
    s->label = g_strdup(label ? label : "");
    s->style = style;
    s->n = MAX(n, 0);
    s->x = g_memdup2(x, sizeof(double) * (gsize)s->n);
    s->mean = g_memdup2(mean, sizeof(double) * (gsize)s->n);
    if (lo && hi) {
        s->lo = g_memdup2(lo, sizeof(double) * (gsize)s->n);
        s->hi = g_memdup2(hi, sizeof(double) * (gsize)s->n);
    }
    s->color = color_of(panel->fig, label);
    g_ptr_array_add(panel->series, s);
}

void prefrl_panel_add_series(PrefrlPanel *panel, const char *label, PrefrlSeriesStyle style,
                             int n, const double *x, const double *mean, const double *std)
{
    if (!std) {
        prefrl_panel_add_series_band(panel, label, style, n, x, mean, NULL, NULL);
        return;
    }
    n = MAX(n, 0);
    double *lo = g_new(double, MAX(n, 1)), *hi = g_new(double, MAX(n, 1));
    for (int i = 0; i < n; i++) {
        double sd = isfinite(std[i]) ? std[i] : 0.0;
        lo[i] = mean[i] - sd;
        hi[i] = mean[i] + sd;
    }
    prefrl_panel_add_series_band(panel, label, style, n, x, mean, lo, hi);
    g_free(lo);
    g_free(hi);
}

void prefrl_panel_add_x_marks(PrefrlPanel *panel, const char *label, int n, const double *x)
{
    Marks *m = g_new0(Marks, 1);
    m->color = color_of(panel->fig, label);
    m->x = g_array_new(FALSE, FALSE, sizeof(double));
    g_array_append_vals(m->x, x, (guint)MAX(n, 0));
    g_ptr_array_add(panel->marks, m);
}

/* ---- axes ---------------------------------------------------------------------------- */

typedef struct {
    double x0, x1, y0, y1;       /* data range (x in log10 when log_x) */
    double left, top, w, h;      /* plot area on the page */
    gboolean log_x, empty;
} Frame;

static gboolean point_ok(const PrefrlPanel *p, const Series *s, int i)
{
    return isfinite(s->x[i]) && isfinite(s->mean[i]) && (!p->log_x || s->x[i] > 0);
}

/* the band's edges cut to the panel's limits (the mean itself without a band) */
static double band_lo(const PrefrlPanel *p, const Series *s, int i)
{
    double v = s->lo && isfinite(s->lo[i]) ? MIN(s->lo[i], s->mean[i]) : s->mean[i];
    return MAX(v, p->y_lo);
}

static double band_hi(const PrefrlPanel *p, const Series *s, int i)
{
    double v = s->hi && isfinite(s->hi[i]) ? MAX(s->hi[i], s->mean[i]) : s->mean[i];
    return MIN(v, p->y_hi);
}

/* 1, 2 or 5 × 10^k close to range / target */
static double nice_step(double range, int target)
{
    double raw = range / target;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    return (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * mag;
}

static void data_range(const PrefrlPanel *p, Frame *fr)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (guint k = 0; k < p->series->len; k++) {
        const Series *s = p->series->pdata[k];
        for (int i = 0; i < s->n; i++) {
            if (!point_ok(p, s, i))
                continue;
            double x = p->log_x ? log10(s->x[i]) : s->x[i];
            if (s->style != PREFRL_SERIES_HLINE) {
                xlo = MIN(xlo, x);
                xhi = MAX(xhi, x);
            }
            ylo = MIN(ylo, band_lo(p, s, i));
            yhi = MAX(yhi, band_hi(p, s, i));
            if (s->style == PREFRL_SERIES_HLINE)
                break; /* one value */
        }
    }
    for (guint i = 0; i < p->xticks->len; i++) {
        double t = g_array_index(p->xticks, double, i);
        if (p->log_x && t <= 0)
            continue;
        t = p->log_x ? log10(t) : t;
        xlo = MIN(xlo, t);
        xhi = MAX(xhi, t);
    }
    fr->empty = !isfinite(ylo);
    if (fr->empty) {
        xlo = ylo = 0;
        xhi = yhi = 1;
    }
    if (!isfinite(xlo)) { /* only reference lines */
        xlo = 0;
        xhi = 1;
    }
    if (p->log_x) {
        double pad = MAX((xhi - xlo) * 0.08, 0.1);
        xlo -= pad;
        xhi += pad;
    } else if (p->xticks->len) {
        /* categories such as label budgets: keep the end points off the frame */
        double pad = MAX((xhi - xlo) * 0.08, 0.5);
        xlo -= pad;
        xhi += pad;
    } else {
        if (xlo >= 0 && xlo < 0.35 * xhi)
            xlo = 0; /* learning curves read best from step 0 */
        if (xhi - xlo <= 0) {
            xlo -= 0.5 * MAX(fabs(xlo), 1.0);
            xhi += 0.5 * MAX(fabs(xhi), 1.0);
        }
    }
    if (yhi - ylo <= 1e-12 * MAX(fabs(ylo), 1.0)) {
        double d = MAX(fabs(ylo) * 0.1, 1.0);
        ylo -= d;
        yhi += d;
    }
    double ys = nice_step(yhi - ylo, 5);
    /* padding and round ticks never take the axis past what the quantity can
     * be (a success rate below 0 %, a non-negative return below 0) */
    fr->y0 = MAX(floor(ylo / ys) * ys, p->y_lo);
    fr->y1 = MIN(ceil(yhi / ys) * ys, p->y_hi);
    if (!(fr->y1 > fr->y0)) { /* limits narrower than any padding: show them */
        fr->y0 = isfinite(p->y_lo) ? p->y_lo : fr->y1 - 1.0;
        fr->y1 = isfinite(p->y_hi) && p->y_hi > fr->y0 ? p->y_hi : fr->y0 + 1.0;
    }
    fr->x0 = xlo;
    fr->x1 = xhi;
    fr->log_x = p->log_x;
}

void prefrl_panel_y_range(const PrefrlPanel *panel, double *lo, double *hi)
{
    Frame f;
    data_range(panel, &f);
    *lo = f.y0;
    *hi = f.y1;
}

static double px(const Frame *f, double x)
{
    double v = f->log_x ? log10(x) : x;
    return f->left + (v - f->x0) / (f->x1 - f->x0) * f->w;
}

static double py(const Frame *f, double y)
{
    return f->top + f->h - (y - f->y0) / (f->y1 - f->y0) * f->h;
}

/* compact (x axes, counts of steps or labels): 1500000 → "1.5M", 5000 →
 * "5k"; otherwise 1000 → "1000"; 0.25 → "0.25" either way */
static void format_tick(char *buf, gsize len, double v, gboolean compact)
{
    double a = fabs(v);
    if (a < 1e-12)
        g_snprintf(buf, len, "0");
    else if (a >= 1e6 && compact)
        g_snprintf(buf, len, "%.4gM", v / 1e6);
    else if (a >= 1e3 && compact)
        g_snprintf(buf, len, "%.4gk", v / 1e3);
    else
        g_snprintf(buf, len, "%.6g", v);
}

/* ---- text ---------------------------------------------------------------------------- */

static void font(cairo_t *cr, double size, gboolean bold)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

/* text anchored at (x, y): ha 0 left / 0.5 centre / 1 right; y is the
 * vertical centre of the line */
static void text_at(cairo_t *cr, double x, double y, const char *s, double ha)
{
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    cairo_move_to(cr, x - ha * text_width(cr, s), y + (fe.ascent - fe.descent) / 2);
    cairo_show_text(cr, s);
}

/* ---- drawing ------------------------------------------------------------------------- */

static void set_color(cairo_t *cr, int c, double alpha)
{
    const double *rgb = palette[c % 10];
    cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], alpha);
}

static void draw_axes(cairo_t *cr, const PrefrlPanel *p, const Frame *f)
{
    char buf[32];
    font(cr, 10.5, FALSE);
    cairo_set_line_width(cr, 1.0);
    /* y grid and ticks */
    double ys = nice_step(f->y1 - f->y0, 5);
    for (double y = ceil(f->y0 / ys - 1e-6) * ys; y <= f->y1 + ys * 1e-6; y += ys) {
        double yy = round(py(f, y)) + 0.5;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, f->left, yy);
        cairo_line_to(cr, f->left + f->w, yy);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        format_tick(buf, sizeof buf, fabs(y) < ys * 1e-6 ? 0.0 : y, FALSE);
        text_at(cr, f->left - 5, yy, buf, 1.0);
    }
    /* x grid and ticks */
    GArray *ticks = g_array_new(FALSE, FALSE, sizeof(double));
    if (p->xticks->len) {
        g_array_append_vals(ticks, p->xticks->data, p->xticks->len);
    } else if (f->log_x) {
        for (double e = ceil(f->x0); e <= f->x1; e += 1.0) {
            double t = pow(10.0, e);
            g_array_append_val(ticks, t);
        }
    } else {
        double xs = nice_step(f->x1 - f->x0, 5);
        for (double x = ceil(f->x0 / xs) * xs; x <= f->x1 + xs * 1e-6; x += xs) {
            double t = fabs(x) < xs * 1e-6 ? 0.0 : x;
            g_array_append_val(ticks, t);
        }
    }
    for (guint i = 0; i < ticks->len; i++) {
        double t = g_array_index(ticks, double, i);
        if (f->log_x && t <= 0)
            continue;
        double xx = round(px(f, t)) + 0.5;
        if (xx < f->left - 0.5 || xx > f->left + f->w + 0.5)
            continue;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, xx, f->top);
        cairo_line_to(cr, xx, f->top + f->h);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        format_tick(buf, sizeof buf, t, TRUE);
        text_at(cr, xx, f->top + f->h + 11, buf, 0.5);
    }
    g_array_unref(ticks);
    /* frame */
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_rectangle(cr, round(f->left) + 0.5, round(f->top) + 0.5, round(f->w), round(f->h));
    cairo_stroke(cr);
    /* labels */
    font(cr, 11.5, FALSE);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    if (p->xlabel)
        text_at(cr, f->left + f->w / 2, f->top + f->h + 30, p->xlabel, 0.5);
    if (p->ylabel) {
        cairo_save(cr);
        cairo_translate(cr, f->left - 48, f->top + f->h / 2);
        cairo_rotate(cr, -G_PI / 2);
        text_at(cr, 0, 0, p->ylabel, 0.5);
        cairo_restore(cr);
    }
    if (p->title) {
        font(cr, 12.5, TRUE);
        text_at(cr, f->left + f->w / 2, f->top - 13, p->title, 0.5);
    }
}

static void draw_series(cairo_t *cr, const PrefrlPanel *p, const Frame *f)
{
    cairo_save(cr);
    cairo_rectangle(cr, f->left, f->top, f->w, f->h);
    cairo_clip(cr);
    /* bands under every line */
    for (guint k = 0; k < p->series->len; k++) {
        const Series *s = p->series->pdata[k];
        if (!s->lo)
            continue;
        set_color(cr, s->color, s->style == PREFRL_SERIES_HLINE ? 0.12 : 0.2);
        if (s->style == PREFRL_SERIES_HLINE) {
            if (s->n > 0 && isfinite(s->mean[0])) {
                double y0 = py(f, band_hi(p, s, 0)), y1 = py(f, band_lo(p, s, 0));
                cairo_rectangle(cr, f->left, y0, f->w, y1 - y0);
                cairo_fill(cr);
            }
            continue;
        }
        if (s->style != PREFRL_SERIES_BAND)
            continue;
        /* one polygon per run of finite points */
        int i = 0;
        while (i < s->n) {
            while (i < s->n && !point_ok(p, s, i))
                i++;
            int a = i;
            while (i < s->n && point_ok(p, s, i))
                i++;
            if (i - a < 1)
                continue;
            for (int j = a; j < i; j++)
                cairo_line_to(cr, px(f, s->x[j]), py(f, band_hi(p, s, j)));
            for (int j = i - 1; j >= a; j--)
                cairo_line_to(cr, px(f, s->x[j]), py(f, band_lo(p, s, j)));
            cairo_close_path(cr);
            cairo_fill(cr);
        }
    }
    /* lines, markers, error bars */
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (guint k = 0; k < p->series->len; k++) {
        const Series *s = p->series->pdata[k];
        set_color(cr, s->color, 1.0);
        cairo_set_line_width(cr, 1.8);
        if (s->style == PREFRL_SERIES_HLINE) {
            if (s->n > 0 && isfinite(s->mean[0])) {
                static const double dash[] = {6.0, 4.0};
                cairo_set_dash(cr, dash, 2, 0);
                cairo_move_to(cr, f->left, py(f, s->mean[0]));
                cairo_line_to(cr, f->left + f->w, py(f, s->mean[0]));
                cairo_stroke(cr);
                cairo_set_dash(cr, NULL, 0, 0);
            }
            continue;
        }
        gboolean pen = FALSE;
        for (int i = 0; i < s->n; i++) {
            if (!point_ok(p, s, i)) {
                pen = FALSE;
                continue;
            }
            if (pen)
                cairo_line_to(cr, px(f, s->x[i]), py(f, s->mean[i]));
            else
                cairo_move_to(cr, px(f, s->x[i]), py(f, s->mean[i]));
            pen = TRUE;
        }
        cairo_stroke(cr);
        if (s->style != PREFRL_SERIES_POINTS && s->n > 1)
            continue;
        /* markers (also for a one-point band series, which has no line and
         * shows its band as an error bar) */
        cairo_set_line_width(cr, 1.3);
        for (int i = 0; i < s->n; i++) {
            if (!point_ok(p, s, i))
                continue;
            double x = px(f, s->x[i]), y = py(f, s->mean[i]);
            if (s->lo && (s->style == PREFRL_SERIES_POINTS || s->n == 1)) {
                double y0 = py(f, band_lo(p, s, i)), y1 = py(f, band_hi(p, s, i));
                cairo_move_to(cr, x, y0);
                cairo_line_to(cr, x, y1);
                cairo_move_to(cr, x - 4, y0);
                cairo_line_to(cr, x + 4, y0);
                cairo_move_to(cr, x - 4, y1);
                cairo_line_to(cr, x + 4, y1);
                cairo_stroke(cr);
            }
            cairo_new_sub_path(cr);
            cairo_arc(cr, x, y, 3.5, 0, 2 * G_PI);
            cairo_fill(cr);
        }
    }
    cairo_restore(cr);
}

static void draw_panel(cairo_t *cr, const PrefrlPanel *p, double x, double y)
{
    Frame f;
    data_range(p, &f);
    f.left = x + AREA_L;
    f.top = y + AREA_T;
    f.w = PANEL_W - AREA_L - AREA_R;
    f.h = PANEL_H - AREA_T - AREA_B;
    draw_axes(cr, p, &f);
    if (f.empty) {
        font(cr, 11, FALSE);
        cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
        text_at(cr, f.left + f.w / 2, f.top + f.h / 2, "no data", 0.5);
        return;
    }
    draw_series(cr, p, &f);
    /* marks: short ticks hanging from the top edge, one row per label (up to
     * six rows, so several methods' rounds stay apart) */
    cairo_set_line_width(cr, 1.5);
    for (guint k = 0; k < p->marks->len; k++) {
        const Marks *m = p->marks->pdata[k];
        double y0 = f.top + 1 + 5 * (k % 6);
        set_color(cr, m->color, 0.9);
        for (guint i = 0; i < m->x->len; i++) {
            double v = g_array_index(m->x, double, i);
            if (!isfinite(v) || (f.log_x && v <= 0))
                continue;
            double xx = px(&f, v);
            if (xx < f.left || xx > f.left + f.w)
                continue;
            cairo_move_to(cr, xx, y0);
            cairo_line_to(cr, xx, y0 + 5);
        }
        cairo_stroke(cr);
    }
}

/* legend entries flow left to right in rows as wide as the figure; returns
 * the legend's height, and with pos != NULL each entry's (x, y) */
static double legend_layout(cairo_t *cr, const PrefrlFigure *fig, double width, double *pos)
{
    if (!fig->labels->len)
        return 0;
    font(cr, 11.5, FALSE);
    double x = PAD, row = 0, row_h = 20;
    for (guint i = 0; i < fig->labels->len; i++) {
        double w = 28 + text_width(cr, fig->labels->pdata[i]) + 22;
        if (x + w > width - PAD && x > PAD) {
            x = PAD;
            row++;
        }
        if (pos) {
            pos[2 * i] = x;
            pos[2 * i + 1] = row * row_h;
        }
        x += w;
    }
    return (row + 1) * row_h + 10;
}

static void figure_layout(const PrefrlFigure *fig, cairo_t *measure, double *w, double *h,
                          double *legend_h)
{
    int n = (int)fig->panels->len;
    int cols = MIN(fig->n_cols, MAX(n, 1));
    int rows = (MAX(n, 1) + cols - 1) / cols;
    *w = cols * PANEL_W + 2 * PAD;
    *legend_h = legend_layout(measure, fig, *w, NULL);
    *h = (fig->title ? TITLE_H : PAD) + rows * PANEL_H + *legend_h + PAD;
}

static void draw_figure(cairo_t *cr, const PrefrlFigure *fig, double w, double h, double legend_h)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    double top = PAD;
    if (fig->title) {
        font(cr, 12.5, FALSE);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text_at(cr, w / 2, TITLE_H / 2 + 2, fig->title, 0.5);
        top = TITLE_H;
    }
    int cols = MIN(fig->n_cols, MAX((int)fig->panels->len, 1));
    for (guint i = 0; i < fig->panels->len; i++) {
        const PrefrlPanel *p = fig->panels->pdata[i];
        if (!p->blank)
            draw_panel(cr, p, PAD + (int)(i % (guint)cols) * PANEL_W,
                       top + (int)(i / (guint)cols) * PANEL_H);
    }
    if (!fig->labels->len)
        return;
    double *pos = g_new(double, 2 * fig->labels->len);
    legend_layout(cr, fig, w, pos);
    double ly = h - PAD - legend_h + 10;
    font(cr, 11.5, FALSE);
    for (guint i = 0; i < fig->labels->len; i++) {
        double x = pos[2 * i], y = ly + pos[2 * i + 1] + 6;
        set_color(cr, (int)i, 0.2);
        cairo_rectangle(cr, x, y - 5, 22, 10);
        cairo_fill(cr);
        set_color(cr, (int)i, 1.0);
        cairo_set_line_width(cr, 2.0);
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x + 22, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text_at(cr, x + 28, y, fig->labels->pdata[i], 0.0);
    }
    g_free(pos);
}

/* ---- output -------------------------------------------------------------------------- */

static void measure_size(const PrefrlFigure *fig, double *w, double *h, double *legend_h)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(s);
    figure_layout(fig, cr, w, h, legend_h);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}

void prefrl_figure_size(const PrefrlFigure *fig, int *width, int *height)
{
    double w, h, lh;
    measure_size(fig, &w, &h, &lh);
    if (width)
        *width = (int)ceil(w);
    if (height)
        *height = (int)ceil(h);
}

static gboolean finish(const char *tmp, const char *path, cairo_status_t st, GError **error)
{
    if (st == CAIRO_STATUS_SUCCESS && g_rename(tmp, path) == 0)
        return TRUE;
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s: %s", path,
                st != CAIRO_STATUS_SUCCESS ? cairo_status_to_string(st) : g_strerror(errno));
    g_unlink(tmp);
    return FALSE;
}

gboolean prefrl_figure_save(const PrefrlFigure *fig, const char *png_path, const char *svg_path,
                            GError **error)
{
    double w, h, lh;
    measure_size(fig, &w, &h, &lh);
    int iw = (int)ceil(w), ih = (int)ceil(h);
    if (png_path) {
        char *tmp = g_strdup_printf("%s.tmp.%d", png_path, (int)getpid());
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, iw, ih);
        cairo_t *cr = cairo_create(s);
        draw_figure(cr, fig, iw, ih, lh);
        cairo_status_t st = cairo_status(cr);
        cairo_destroy(cr);
        if (st == CAIRO_STATUS_SUCCESS)
            st = cairo_surface_write_to_png(s, tmp);
        cairo_surface_destroy(s);
        gboolean ok = finish(tmp, png_path, st, error);
        g_free(tmp);
        if (!ok)
            return FALSE;
    }
    if (svg_path) {
        char *tmp = g_strdup_printf("%s.tmp.%d", svg_path, (int)getpid());
        cairo_surface_t *s = cairo_svg_surface_create(tmp, iw, ih);
        cairo_t *cr = cairo_create(s);
        draw_figure(cr, fig, iw, ih, lh);
        cairo_status_t st = cairo_status(cr);
        cairo_destroy(cr);
        cairo_surface_finish(s);
        if (st == CAIRO_STATUS_SUCCESS)
            st = cairo_surface_status(s);
        cairo_surface_destroy(s);
        gboolean ok = finish(tmp, svg_path, st, error);
        g_free(tmp);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

/* copy RGB24 rows (width x height, 3 bytes a pixel) into an RGB24 image
 * surface at (x0, y0) */
static void put_rgb(cairo_surface_t *s, int x0, int y0, const guint8 *rgb, int width, int height)
{
    cairo_surface_flush(s);
    guint8 *px = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < height; y++) {
        guint32 *row = (guint32 *)(px + (size_t)(y0 + y) * (size_t)stride) + x0;
        const guint8 *in = rgb + (size_t)y * (size_t)width * 3;
        for (int x = 0; x < width; x++)
            row[x] = (guint32)in[3 * x] << 16 | (guint32)in[3 * x + 1] << 8 | in[3 * x + 2];
    }
    cairo_surface_mark_dirty(s);
}

/* write image surface s (drawn with status st) to path as a PNG through a
 * temporary file, and destroy it */
static gboolean write_png(cairo_surface_t *s, cairo_status_t st, const char *path,
                          GError **error)
{
    char *tmp = g_strdup_printf("%s.tmp.%d", path, (int)getpid());
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_write_to_png(s, tmp);
    cairo_surface_destroy(s);
    gboolean ok = finish(tmp, path, st, error);
    g_free(tmp);
    return ok;
}

gboolean prefrl_rgb_save_png(const guint8 *rgb, int width, int height, const char *path,
                             GError **error)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_status_t st = cairo_surface_status(s);
    if (st == CAIRO_STATUS_SUCCESS)
        put_rgb(s, 0, 0, rgb, width, height);
    return write_png(s, st, path, error);
}

gboolean prefrl_strip_save(const guint8 *const *frames, const char *const *captions, int n,
                           int width, int height, const char *path, GError **error)
{
    int sw, sh;
    prefrl_strip_size(n, width, height, &sw, &sh);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, sw, sh);
    cairo_status_t st = cairo_surface_status(s);
    if (st == CAIRO_STATUS_SUCCESS) {
        cairo_t *cr = cairo_create(s);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        cairo_destroy(cr);
        for (int k = 0; k < n; k++)
            put_rgb(s, STRIP_GAP + k * (width + STRIP_GAP), STRIP_GAP, frames[k], width, height);
        cr = cairo_create(s);
        font(cr, 11, FALSE);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        for (int k = 0; k < n && captions; k++)
            if (captions[k])
                text_at(cr, STRIP_GAP + k * (width + STRIP_GAP) + width / 2.0,
                        STRIP_GAP + height + STRIP_CAPTION_H / 2.0, captions[k], 0.5);
        st = cairo_status(cr);
        cairo_destroy(cr);
    }
    return write_png(s, st, path, error);
}

void prefrl_strip_size(int n, int width, int height, int *strip_width, int *strip_height)
{
    *strip_width = n * width + (n + 1) * STRIP_GAP;
    *strip_height = STRIP_GAP + height + STRIP_CAPTION_H;
}

void prefrl_plot_release_caches(void)
{
    cairo_debug_reset_static_data();
    FcFini(); /* the font configuration cairo's text loaded */
}
