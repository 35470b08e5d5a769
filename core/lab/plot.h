/* Figures for `prefrl report` (core-internal): panels of curves with shaded
 * bands (± std, or any interval the caller computes), drawn with cairo to
 * PNG and SVG.  A figure is a grid of panels with one shared legend; a label
 * keeps its colour across panels.  Also strips of rendered frames. */
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

/** Bounds the plotted quantity cannot leave (a success rate's 0 and 100, a
 *  non-negative return's 0): bands and error bars are cut there, and the
 *  axis, padding and round ticks included, never extends past them.
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

/** Mark `n` x positions (copied) with short ticks along the panel's top
 *  edge in `label`'s colour, e.g. the steps of a method's query rounds. */
void prefrl_panel_add_x_marks(PrefrlPanel *panel, const char *label, int n, const double *x);

/** Like prefrl_panel_add_series, with the band given by its edges: `lo` and
 *  `hi` (both NULL: no band; a non-finite edge: none at that point), e.g. a
 *  bootstrap confidence interval, which need not be symmetric. */
void prefrl_panel_add_series_band(PrefrlPanel *panel, const char *label,
                                  PrefrlSeriesStyle style, int n, const double *x,
                                  const double *mean, const double *lo, const double *hi);

/** The y axis' range as it will be drawn: the series and their bands, padded
 *  and rounded to ticks, inside the panel's y limits. */
void prefrl_panel_y_range(const PrefrlPanel *panel, double *lo, double *hi);

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

/** Size of a strip of `n` frames of width x height: the frames side by side
 *  on white, 4 pixels apart and from the edges, above an 18-pixel caption
 *  line: n·width + 4(n + 1) by height + 22. */
void prefrl_strip_size(int n, int width, int height, int *strip_width, int *strip_height);

/** Write `n` RGB frames (each width * height * 3 bytes, rows top-down) as one
 *  PNG strip (see prefrl_strip_size), `captions[k]` (may be NULL, or hold
 *  NULLs) centred under frame k; written to a temporary name and renamed
 *  into place. */
gboolean prefrl_strip_save(const guint8 *const *frames, const char *const *captions, int n,
                           int width, int height, const char *path, GError **error);

/** Release cairo's and fontconfig's process-wide caches; call once no
 *  figure will be drawn any more, e.g. before exit (keeps leak checkers
 *  quiet). */
void prefrl_plot_release_caches(void);

#endif
