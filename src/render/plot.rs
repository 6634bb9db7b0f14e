//! PNG figures with plotters, readable in print: titles, axis labels with units, sizes in
//! points scaled by `--dpi`, and an embedded DejaVu Sans (no system font packages needed).

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::error::{Error, Result};
use crate::util::atomic::TempFile;

const FONT: &str = "sans-serif";
pub const BLUE: RGBColor = RGBColor(31, 119, 180);
pub const ORANGE: RGBColor = RGBColor(255, 127, 14);
pub const RED: RGBColor = RGBColor(214, 39, 40);
pub const GREEN: RGBColor = RGBColor(44, 160, 44);
pub const PURPLE: RGBColor = RGBColor(148, 103, 189);
pub const GREY: RGBColor = RGBColor(90, 90, 90);
/// A light grey for spans behind the data (labelled windows).
pub const LIGHT_GREY: RGBColor = RGBColor(150, 150, 150);
pub const BROWN: RGBColor = RGBColor(140, 86, 75);
pub const PINK: RGBColor = RGBColor(227, 119, 194);
pub const OLIVE: RGBColor = RGBColor(188, 189, 34);
pub const CYAN: RGBColor = RGBColor(23, 190, 207);

/// Matplotlib's ten-colour cycle (grey for its grey), for one line per model.
pub const CYCLE: [RGBColor; 10] = [
    BLUE, ORANGE, GREEN, RED, PURPLE, BROWN, PINK, GREY, OLIVE, CYAN,
];

fn fonts() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(
            "embedded DejaVu Sans font could not be loaded".into(),
        ))
    }
}

/// Axes, grid and tick labels in the house style (a macro: the charts' coordinate types
/// differ, linear and logarithmic).
macro_rules! draw_mesh {
    ($chart:expr, $canvas:expr, $dest:expr, $x_label:expr, $y_label:expr) => {
        $chart
            .configure_mesh()
            .x_desc($x_label)
            .y_desc($y_label)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style(text($canvas, 8.0))
            .axis_desc_style(text($canvas, 9.0))
            .light_line_style(RGBColor(240, 240, 240))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(|e| plot_err($dest, e))
    };
}

/// The legend box in the house style, upper right.
macro_rules! draw_legend {
    ($chart:expr, $canvas:expr, $dest:expr, $font_pt:expr) => {
        $chart
            .configure_series_labels()
            .label_font(text($canvas, $font_pt))
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| plot_err($dest, e))
    };
}

/// Figure geometry: inches × dpi.
#[derive(Clone, Copy, Debug)]
pub struct Canvas {
    pub width_in: f64,
    pub height_in: f64,
    pub dpi: u32,
}

/// The `--dpi` values figures can be drawn at.
pub const DPI: std::ops::RangeInclusive<u32> = 30..=1200;

/// Checks a `--dpi` value.
pub fn check_dpi(dpi: u32) -> Result<()> {
    if DPI.contains(&dpi) {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "--dpi must be between {} and {} (got {dpi})",
            DPI.start(),
            DPI.end()
        )))
    }
}

impl Canvas {
    /// A figure of the given size in inches; `dpi` is kept within [`DPI`].
    pub fn new(width_in: f64, height_in: f64, dpi: u32) -> Canvas {
        Canvas {
            width_in,
            height_in,
            dpi: dpi.clamp(*DPI.start(), *DPI.end()),
        }
    }

    fn pixels(&self) -> (u32, u32) {
        (
            (self.width_in * self.dpi as f64) as u32,
            (self.height_in * self.dpi as f64) as u32,
        )
    }

    /// Points → pixels.
    fn pt(&self, points: f64) -> u32 {
        (points * self.dpi as f64 / 72.0).round().max(1.0) as u32
    }
}

fn plot_err(dest: &Path, e: impl std::fmt::Display) -> Error {
    Error::Report {
        path: dest.to_owned(),
        message: format!("cannot draw figure: {e}"),
    }
}

/// Draws into a temporary PNG and renames it to `dest` when complete.
fn render(
    dest: &Path,
    canvas: Canvas,
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<()>,
) -> Result<()> {
    fonts()?;
    let (tmp, file) = TempFile::create(dest)?;
    drop(file);
    {
        let root = BitMapBackend::new(tmp.path(), canvas.pixels()).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_err(dest, e))?;
        draw(&root)?;
        root.present().map_err(|e| plot_err(dest, e))?;
    }
    tmp.commit()
}

/// [`render`] with a figure title over `rows` panels stacked one above the other.
fn render_rows(
    dest: &Path,
    canvas: Canvas,
    title: &str,
    rows: usize,
    draw: impl FnOnce(&[DrawingArea<BitMapBackend<'_>, Shift>]) -> Result<()>,
) -> Result<()> {
    render(dest, canvas, |root| {
        let root = root
            .margin(canvas.pt(6.0), 0, 0, 0)
            .titled(title, title_style(canvas))
            .map_err(|e| plot_err(dest, e))?;
        draw(&root.split_evenly((rows, 1)))
    })
}

fn text(canvas: Canvas, pt: f64) -> TextStyle<'static> {
    (FONT, canvas.pt(pt) as f64).into_font().color(&BLACK)
}

fn title_style(canvas: Canvas) -> TextStyle<'static> {
    (FONT, canvas.pt(11.0) as f64, FontStyle::Bold)
        .into_font()
        .color(&BLACK)
}

/// Tick label: three significant digits, no trailing zeros ("0.0018", "14.2", "2500").
fn tick(v: &f64) -> String {
    if *v == 0.0 || !v.is_finite() {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (2 - magnitude).clamp(0, 9) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    // A tiny negative value rounds to "-0".
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi <= lo {
        return (lo - 1.0, hi + 1.0);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// One line series of a panel.
pub struct Line<'a> {
    pub points: &'a [(f64, f64)],
    pub color: RGBColor,
    pub label: &'a str,
}

/// Marked points (bursts) of a panel.
pub struct Marks<'a> {
    pub points: &'a [(f64, f64)],
    pub color: RGBColor,
    pub label: &'a str,
}

/// A polyline `width` pixels wide, given in the backend's pixels, drawn as parallel 1-pixel
/// lines offset across each segment's main direction. Plotters strokes wide lines as filled
/// polygons — a third of `ntp analyze`'s time on long series — and joins a wide polyline
/// with unlimited miters, which on a jagged series shoot spikes far outside the plot.
fn thick_polyline(
    dest: &Path,
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    pixels: &[(i32, i32)],
    color: RGBColor,
    width: u32,
) -> Result<()> {
    let (bx, by) = area.get_base_pixel();
    let width = width.max(1) as i32;
    let offsets = -(width - 1) / 2..=width / 2;
    for w in pixels.windows(2) {
        let (a, b) = ((w[0].0 - bx, w[0].1 - by), (w[1].0 - bx, w[1].1 - by));
        let flat = (b.0 - a.0).abs() >= (b.1 - a.1).abs();
        for d in offsets.clone() {
            let (dx, dy) = if flat { (0, d) } else { (d, 0) };
            area.draw(&PathElement::new(
                vec![(a.0 + dx, a.1 + dy), (b.0 + dx, b.1 + dy)],
                color.stroke_width(1),
            ))
            .map_err(|e| plot_err(dest, e))?;
        }
    }
    Ok(())
}

/// A line panel: x in `x_label` units, y already scaled to `y_label` units.
#[allow(clippy::too_many_arguments)]
fn line_panel(
    dest: &Path,
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    canvas: Canvas,
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Line<'_>],
    marks: &[Marks<'_>],
    bands: &[Band],
) -> Result<()> {
    let band_points = || {
        bands
            .iter()
            .flat_map(|b| b.points.iter())
            .flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)])
    };
    let all = || {
        lines
            .iter()
            .flat_map(|l| l.points.iter().copied())
            .chain(marks.iter().flat_map(|m| m.points.iter().copied()))
            .chain(band_points())
    };
    let (x0, x1) = bounds(all().map(|p| p.0));
    let (y0, y1) = bounds(all().map(|p| p.1));
    let mut chart = ChartBuilder::on(area)
        .caption(title, title_style(canvas))
        .margin(canvas.pt(6.0))
        .x_label_area_size(canvas.pt(26.0))
        .y_label_area_size(canvas.pt(48.0))
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| plot_err(dest, e))?;
    draw_mesh!(chart, canvas, dest, x_label, y_label)?;
    let stroke = canvas.pt(0.8);
    let mut legend = band_areas(dest, &mut chart, bands)?;
    for l in lines {
        let color = l.color;
        let finite: Vec<(i32, i32)> = l
            .points
            .iter()
            .filter(|p| p.1.is_finite())
            .map(|p| chart.backend_coord(p))
            .collect();
        thick_polyline(
            dest,
            &chart.plotting_area().strip_coord_spec(),
            &finite,
            color,
            stroke,
        )?;
        // An empty series carries the legend entry.
        let s = chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
            .map_err(|e| plot_err(dest, e))?;
        if !l.label.is_empty() {
            legend = true;
            s.label(l.label).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(stroke))
            });
        }
    }
    for m in marks.iter().filter(|m| !m.points.is_empty()) {
        let color = m.color;
        let r = canvas.pt(2.2);
        chart
            .draw_series(
                m.points
                    .iter()
                    .map(|&p| Circle::new(p, r, color.stroke_width(canvas.pt(0.7)))),
            )
            .map_err(|e| plot_err(dest, e))?
            .label(m.label)
            .legend(move |(x, y)| Circle::new((x + 10, y), r, color.stroke_width(1)));
        legend = true;
    }
    if legend {
        draw_legend!(chart, canvas, dest, 8.0)?;
    }
    Ok(())
}

/// Draws each band as a translucent polygon (finite points only, in runs between gaps) with
/// its legend entry; whether any was labelled.
fn band_areas<DB: DrawingBackend>(
    dest: &Path,
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    bands: &[Band],
) -> Result<bool> {
    let mut labelled = false;
    for b in bands {
        let fill = b.color.mix(0.25).filled();
        let runs = b
            .points
            .split(|p| !(p.1.is_finite() && p.2.is_finite()))
            .filter(|r| r.len() > 1);
        for run in runs {
            let outline: Vec<(f64, f64)> = run
                .iter()
                .map(|p| (p.0, p.2))
                .chain(run.iter().rev().map(|p| (p.0, p.1)))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(outline, fill)))
                .map_err(|e| plot_err(dest, e))?;
        }
        if !b.label.is_empty() {
            labelled = true;
            let color = b.color;
            chart
                .draw_series(std::iter::empty::<Polygon<(f64, f64)>>())
                .map_err(|e| plot_err(dest, e))?
                .label(b.label.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 4), (x + 20, y + 4)], color.mix(0.25).filled())
                });
        }
    }
    Ok(labelled)
}

/// Picks a time axis unit for a span in seconds: (divisor, name).
pub fn time_unit(span_s: f64) -> (f64, &'static str) {
    if span_s >= 3.0 * 3600.0 {
        (3600.0, "h")
    } else if span_s >= 180.0 {
        (60.0, "min")
    } else {
        (1.0, "s")
    }
}

/// A time axis in a readable unit, starting at the first timestamp of a span.
#[derive(Clone, Debug)]
pub struct TimeAxis {
    t0: i64,
    div: f64,
    /// "time since 2017-10-01 18:48:36 UTC (min)".
    pub label: String,
}

impl TimeAxis {
    /// The axis of `starts` (ns since the epoch, ascending, not empty).
    pub fn new(starts: &[i64]) -> TimeAxis {
        let t0 = starts[0];
        let span = (starts[starts.len() - 1] - t0) as f64 / 1e9;
        let (div, unit) = time_unit(span);
        TimeAxis {
            t0,
            div,
            label: format!("time since {} ({unit})", crate::util::time::axis_origin(t0)),
        }
    }

    /// Position of a timestamp on the axis.
    pub fn x(&self, ns: i64) -> f64 {
        (ns - self.t0) as f64 / 1e9 / self.div
    }
}

/// The rate-per-second figure, with bursts marked; `y` is (divisor, axis label). With
/// `below` (named lines: a series table's entropies), a second panel under it draws them
/// on the same time axis.
#[allow(clippy::too_many_arguments)]
pub fn time_series(
    dest: &Path,
    canvas: Canvas,
    title: &str,
    x_label: &str,
    y: (f64, &str),
    points: &[(f64, f64)],
    bursts: [&[(f64, f64)]; 2],
    z: f64,
    below: &[(&str, Vec<(f64, f64)>)],
) -> Result<()> {
    let (div, y_label) = y;
    let scale = |v: &[(f64, f64)]| v.iter().map(|p| (p.0, p.1 / div)).collect::<Vec<_>>();
    let (pts, zs, rs) = (scale(points), scale(bursts[0]), scale(bursts[1]));
    let zl = format!("> {z} σ from mean");
    let rl = format!("> {z} robust σ from median");
    let marks = [
        Marks {
            points: &rs,
            color: ORANGE,
            label: &rl,
        },
        Marks {
            points: &zs,
            color: RED,
            label: &zl,
        },
    ];
    let line = [Line {
        points: &pts,
        color: BLUE,
        label: "",
    }];
    if below.is_empty() {
        return render(dest, canvas, |root| {
            line_panel(
                dest,
                root,
                canvas,
                title,
                x_label,
                y_label,
                &line,
                &marks,
                &[],
            )
        });
    }
    let lines: Vec<Line<'_>> = below
        .iter()
        .zip(CYCLE)
        .map(|((label, points), color)| Line {
            points,
            color,
            label,
        })
        .collect();
    render_rows(dest, canvas, title, 2, |areas| {
        line_panel(
            dest,
            &areas[0],
            canvas,
            "",
            x_label,
            y_label,
            &line,
            &marks,
            &[],
        )?;
        line_panel(
            dest,
            &areas[1],
            canvas,
            "",
            x_label,
            "entropy (bits)",
            &lines,
            &[],
            &[],
        )
    })
}

/// Stacked panels sharing an x axis (decomposition).
pub fn stacked(
    dest: &Path,
    canvas: Canvas,
    title: &str,
    x_label: &str,
    y_unit: &str,
    panels: &[(&str, Vec<(f64, f64)>)],
) -> Result<()> {
    render_rows(dest, canvas, title, panels.len(), |areas| {
        for (area, (name, pts)) in areas.iter().zip(panels) {
            line_panel(
                dest,
                area,
                canvas,
                name,
                x_label,
                y_unit,
                &[Line {
                    points: pts,
                    color: BLUE,
                    label: "",
                }],
                &[],
                &[],
            )?;
        }
        Ok(())
    })
}

/// A correlogram panel's data: (lag, value, half-width of the band centred on zero).
pub struct Correlogram<'a> {
    pub title: &'a str,
    pub lags: Vec<(usize, f64, f64)>,
}

/// ACF and PACF, stems with the confidence band shaded around zero (as statsmodels draws).
pub fn correlograms(
    dest: &Path,
    canvas: Canvas,
    title: &str,
    panels: &[Correlogram<'_>],
) -> Result<()> {
    render_rows(dest, canvas, title, panels.len(), |areas| {
        for (area, p) in areas.iter().zip(panels) {
            let max_lag = p.lags.last().map(|l| l.0).unwrap_or(1) as f64;
            let lo = p
                .lags
                .iter()
                .map(|l| l.1.min(-l.2))
                .fold(-0.2, f64::min)
                .max(-1.05)
                - 0.05;
            let mut chart = ChartBuilder::on(area)
                .caption(p.title, text(canvas, 10.0))
                .margin(canvas.pt(6.0))
                .x_label_area_size(canvas.pt(26.0))
                .y_label_area_size(canvas.pt(40.0))
                .build_cartesian_2d(-0.5..max_lag + 0.5, lo..1.1)
                .map_err(|e| plot_err(dest, e))?;
            draw_mesh!(chart, canvas, dest, "lag (intervals)", "correlation")?;
            let band: Vec<(usize, f64, f64)> =
                p.lags.iter().filter(|l| l.0 >= 1).copied().collect();
            if !band.is_empty() {
                let mut poly: Vec<(f64, f64)> =
                    band.iter().map(|l| (l.0 as f64 - 0.5, l.2)).collect();
                poly.push((max_lag + 0.5, band.last().unwrap().2));
                poly.push((max_lag + 0.5, -band.last().unwrap().2));
                poly.extend(band.iter().rev().map(|l| (l.0 as f64 - 0.5, -l.2)));
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, BLUE.mix(0.18).filled())))
                    .map_err(|e| plot_err(dest, e))?;
            }
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(-0.5, 0.0), (max_lag + 0.5, 0.0)],
                    BLACK.stroke_width(canvas.pt(0.5)),
                )))
                .map_err(|e| plot_err(dest, e))?;
            chart
                .draw_series(p.lags.iter().map(|l| {
                    PathElement::new(
                        vec![(l.0 as f64, 0.0), (l.0 as f64, l.1)],
                        BLUE.stroke_width(canvas.pt(0.9)),
                    )
                }))
                .map_err(|e| plot_err(dest, e))?;
            chart
                .draw_series(
                    p.lags
                        .iter()
                        .map(|l| Circle::new((l.0 as f64, l.1), canvas.pt(1.8), BLUE.filled())),
                )
                .map_err(|e| plot_err(dest, e))?;
        }
        Ok(())
    })
}

/// Packet-size histogram per transport type, log count axis, 1-byte bins.
pub fn size_histogram(
    dest: &Path,
    canvas: Canvas,
    title: &str,
    x_label: &str,
    series: &[(&str, &[u64])],
) -> Result<()> {
    let colors = [BLUE, ORANGE, GREEN, RED];
    let max_size = series.iter().map(|s| s.1.len()).max().unwrap_or(1) as f64;
    let max_count = series
        .iter()
        .flat_map(|s| s.1.iter())
        .copied()
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    render(dest, canvas, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, title_style(canvas))
            .margin(canvas.pt(6.0))
            .x_label_area_size(canvas.pt(26.0))
            .y_label_area_size(canvas.pt(48.0))
            .build_cartesian_2d(0.0..max_size, (0.8f64..max_count * 2.0).log_scale())
            .map_err(|e| plot_err(dest, e))?;
        draw_mesh!(chart, canvas, dest, x_label, "packets (log scale)")?;
        for (i, (name, counts)) in series.iter().enumerate() {
            let color = colors[i % colors.len()];
            chart
                .draw_series(
                    counts
                        .iter()
                        .enumerate()
                        .filter(|(_, &c)| c > 0)
                        .map(|(size, &c)| {
                            Rectangle::new(
                                [(size as f64, 0.8), (size as f64 + 1.0, c as f64)],
                                color.mix(0.55).filled(),
                            )
                        }),
                )
                .map_err(|e| plot_err(dest, e))?
                .label(*name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.mix(0.55).filled())
                });
        }
        draw_legend!(chart, canvas, dest, 9.0)?;
        Ok(())
    })
}

/// A labelled line of a [`Panel`].
pub struct Series {
    pub label: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
}

/// A shaded band, e.g. a prediction interval: (x, lower, upper) points.
pub struct Band {
    pub label: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64, f64)>,
}

/// One panel of [`panels`]: shaded bands under several labelled lines and marked points.
pub struct Panel {
    pub title: String,
    pub y_label: String,
    pub lines: Vec<Series>,
    pub marks: Vec<Series>,
    pub bands: Vec<Band>,
}

/// Stacked panels of labelled lines sharing an x axis.
pub fn panels(
    dest: &Path,
    canvas: Canvas,
    title: &str,
    x_label: &str,
    panels: &[Panel],
) -> Result<()> {
    render_rows(dest, canvas, title, panels.len(), |areas| {
        for (area, p) in areas.iter().zip(panels) {
            let lines: Vec<Line<'_>> = p
                .lines
                .iter()
                .map(|s| Line {
                    points: &s.points,
                    color: s.color,
                    label: &s.label,
                })
                .collect();
            let marks: Vec<Marks<'_>> = p
                .marks
                .iter()
                .map(|s| Marks {
                    points: &s.points,
                    color: s.color,
                    label: &s.label,
                })
                .collect();
            line_panel(
                dest, area, canvas, &p.title, x_label, &p.y_label, &lines, &marks, &p.bands,
            )?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn ticks() {
        assert_eq!(super::tick(&0.00185), "0.00185");
        assert_eq!(super::tick(&0.0020000001), "0.002");
        assert_eq!(super::tick(&14.25), "14.2");
        assert_eq!(super::tick(&2500.0), "2500");
        assert_eq!(super::tick(&-0.2), "-0.2");
        assert_eq!(super::tick(&0.0), "0");
        assert_eq!(super::tick(&-1e-17), "0"); // a rounding error at zero
    }
}
