/* Figures for `prefrl report` (core-internal): panels of curves with shaded
 * ± std bands, drawn with cairo to PNG and SVG.  A figure is a grid of
 * panels with one shared legend; a label keeps its colour across panels. */
#ifndef PREFRL_CORE_PLOT_H
#define PREFRL_CORE_PLOT_H

#include <glib.h>

typedef struct PrefrlFigure PrefrlFigure;
typedef struct PrefrlPanel PrefrlPanel;

typedef enum {
    PREFRL_SERIES_BAND = 1, /* mean line with a shaded mean ± std band (learning curves) */
    PREFRL_SERIES_POINTS,   /* markers joined by a line, with ± std error bars */
    PREFRL_SERIES_HLINE     /* a dashed horizontal reference at mean[0], band ± std[0] */
} PrefrlSeriesStyle;

/** A new empty figure laid out `n_cols` panels wide (>= 1); `title` may be
 *  NULL.  Free with prefrl_figure_free. */
PrefrlFigure *prefrl_figure_new(const char *title, int n_cols);

/** Append a panel (row-major order).  Returns a handle owned by the figure.
 *  Strings are copied; any may be NULL. */
PrefrlPanel *prefrl_figure_add_panel(PrefrlFigure *fig, const char *title, const char *xlabel,
                                     const char *ylabel);

/** Leave the next grid position empty (to align rows). */
void prefrl_figure_skip_panel(PrefrlFigure *fig);

/** Bounds the plotted quantity cannot leave (a success rate's 0 and 100):
 *  ± std bands and error bars are cut there, so the axis stays inside.
 *  Default: none (−INFINITY, INFINITY). */
void prefrl_panel_set_y_limits(PrefrlPanel *panel, double lo, double hi);

/** Logarithmic x axis (non-positive x values are not drawn). */
void prefrl_panel_set_log_x(PrefrlPanel *panel, gboolean log_x);

/** Put x ticks exactly at these `n` values (copied) instead of automatic ones. */
void prefrl_panel_set_x_ticks(PrefrlPanel *panel, const double *ticks, int n);

/** Add a series of `n` points (arrays copied).  `std` may be NULL (no band /
 *  no error bars).  Non-finite points are skipped (the line breaks there).
 *  The series' colour is the figure's colour for `label`. */
void prefrl_panel_add_series(PrefrlPanel *panel, const char *label, PrefrlSeriesStyle style,
                             int n, const double *x, const double *mean, const double *std);

/** Figure size in pixels (PNG) / points (SVG). */
void prefrl_figure_size(const PrefrlFigure *fig, int *width, int *height);

/** Write an RGB image (width * height * 3 bytes, rows top-down) as a PNG
 *  file, through a temporary name renamed into place. */
gboolean prefrl_rgb_save_png(const guint8 *rgb, int width, int height, const char *path,
                             GError **error);

/** Render to `png_path` and/or `svg_path` (either may be NULL); each file is
 *  written to a temporary name and renamed into place. */
gboolean prefrl_figure_save(const PrefrlFigure *fig, const char *png_path, const char *svg_path,
                            GError **error);

void prefrl_figure_free(PrefrlFigure *fig);

/** Release cairo's and fontconfig's process-wide caches; call once no
 *  figure will be drawn any more, e.g. before exit (keeps leak checkers
 *  quiet). */
void prefrl_plot_release_caches(void);

#endif
