//! The HTML view's charts, as inline SVG (no script, nothing from the network): dot-and-whisker
//! plots of a metric with its 95% intervals on an axis zoomed to the data (accuracies of
//! 0.974–1.000 on a fixed 0–1 axis all look the same), ROC curves with ticks and each
//! cohort's AUC in the legend, and one reliability diagram per cohort with its per-bin counts
//! (points sized by count over a count histogram, as scikit-learn's `CalibrationDisplay`).
//!
//! Series are told apart by colour (Okabe–Ito, safe for colour-blind readers), marker shape
//! and dash pattern together, and a cohort keeps its colour and marker in every chart. Text is
//! 12 px at the drawn size; an SVG is never scaled up and only scaled down on screens narrower
//! than it (360 px fits a 390 px phone), so it stays ≥ 11 px. Names are wrapped, never cut.

use std::fmt::Write as _;

use super::decision::decimals;

/// Okabe & Ito's colour-blind-safe palette, without the yellow that vanishes on white.
const PALETTE: [&str; 7] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
/// Dash patterns, cycled with a period prime to the palette's and the markers'.
const DASHES: [&str; 6] = ["", "7 3", "2 3", "9 3 2 3", "1 2", "12 4"];
/// Widest chart, in px: fits a 390 px phone's content column without scaling the text down.
const WIDTH: f64 = 360.0;
/// Characters of 12 px text that fit across a chart.
const LINE_CHARS: usize = 52;

/// Escapes text for HTML and SVG.
pub fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Cohort `i`'s colour.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Cohort `i`'s marker at (x, y): circle, square, triangle, diamond or cross.
fn marker(out: &mut String, i: usize, x: f64, y: f64, r: f64) {
    let c = colour(i);
    let _ = match i % 5 {
        0 => write!(out, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"{c}\"/>"),
        1 => write!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{c}\"/>",
            x - r,
            y - r,
            2.0 * r,
            2.0 * r
        ),
        2 => write!(
            out,
            "<path d=\"M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z\" fill=\"{c}\"/>",
            y - 1.2 * r,
            x + 1.1 * r,
            y + 0.8 * r,
            x - 1.1 * r,
            y + 0.8 * r
        ),
        3 => write!(
            out,
            "<path d=\"M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z\" fill=\"{c}\"/>",
            y - 1.3 * r,
            x + 1.3 * r,
            y + 1.3 * r,
            x - 1.3 * r
        ),
        _ => write!(
            out,
            "<path d=\"M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}\" stroke=\"{c}\" stroke-width=\"2.2\"/>",
            x - r,
            y - r,
            x + r,
            y + r,
            x - r,
            y + r,
            x + r,
            y - r
        ),
    };
}

/// `text` in lines of at most `width` characters, broken after a space, `_` or `-` where
/// one is near the end of a line, else mid-word: the whole name is always shown.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut lines = Vec::new();
    let mut start = 0;
    while chars.len() - start > width {
        let window = &chars[start..start + width];
        let cut = window
            .iter()
            .rposition(|c| matches!(c, ' ' | '_' | '-'))
            .filter(|&p| p >= width / 2)
            .map_or(width, |p| p + 1);
        lines.push(chars[start..start + cut].iter().collect::<String>().trim_end().to_owned());
        start += cut;
    }
    lines.push(chars[start..].iter().collect());
    lines
}

/// Tick step of about five ticks over `span`: 1, 2 or 5 times a power of ten.
fn tick_step(span: f64) -> f64 {
    let raw = span / 5.0;
    let power = 10_f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|s| *s >= raw).unwrap_or(10.0 * power)
}

/// The axis of a metric bounded by [0, 1]: the data's range (estimates, interval ends, the
/// gate's threshold) padded by 8%, kept inside [0, 1], widened to at least 0.002.
fn domain(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(0.001);
    lo = (lo - pad).max(0.0);
    hi = (hi + pad).min(1.0);
    (lo, hi)
}

/// One row of a dot-and-whisker chart.
pub struct Dot {
    /// The cohort.
    pub name: String,
    /// Its index among the report's cohorts (its colour and marker).
    pub series: usize,
    /// The estimate.
    pub value: Option<f64>,
    /// Its 95% interval.
    pub ci: Option<(f64, f64)>,
}

/// A dot-and-whisker chart of one metric: a row per cohort (its full name and value above its
/// dot and whisker), an axis zoomed to the data with ticks, and the gate's threshold as a
/// dashed line when one applies to the metric.
pub fn dot_whisker(out: &mut String, title: &str, note: &str, rows: &[Dot], threshold: Option<f64>) {
    let (x0, x1) = (10.0, WIDTH - 14.0);
    let (lo, hi) =
        domain(rows.iter().flat_map(|r| [r.value, r.ci.map(|c| c.0), r.ci.map(|c| c.1)]).flatten().chain(threshold));
    let x = |v: f64| x0 + (x1 - x0) * (v - lo) / (hi - lo);
    let labels: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let d = decimals(r.ci);
            let value = match (r.value, r.ci) {
                (Some(v), Some((a, b))) => format!("{v:.d$} ({a:.d$}–{b:.d$})"),
                (Some(v), None) => format!("{v:.d$}"),
                _ => "n/a".to_owned(),
            };
            wrap(&format!("{}: {value}", r.name), LINE_CHARS)
        })
        .collect();
    let top = 38.0;
    let body: f64 = labels.iter().map(|l| 14.0 * l.len() as f64 + 16.0).sum();
    let height = top + body + 40.0;
    let _ = write!(
        out,
        "<figure class=\"chart\"><svg width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{t}\">\
<text x=\"0\" y=\"14\" class=\"title\">{t}</text><text x=\"0\" y=\"29\">{n}</text>",
        t = esc(title),
        n = esc(note)
    );
    let step = tick_step(hi - lo);
    let mut tick = (lo / step).ceil() * step;
    let axis = height - 30.0;
    let tick_d = decimals(Some((0.0, step))).min(6);
    while tick <= hi + step * 1e-9 {
        let tx = x(tick);
        let _ = write!(
            out,
            "<path d=\"M{tx:.1} {top}V{axis}\" stroke=\"#e4e4e4\"/><text x=\"{tx:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            axis + 15.0,
            trim(&format!("{tick:.tick_d$}"))
        );
        tick += step;
    }
    let _ = write!(out, "<path d=\"M{x0} {axis}H{x1}\" stroke=\"#777\"/>");
    if let Some(t) = threshold {
        let tx = x(t);
        let _ = write!(
            out,
            "<path d=\"M{tx:.1} {top}V{axis}\" stroke=\"#a11\" stroke-dasharray=\"5 3\"/><text x=\"{:.1}\" y=\"{}\" class=\"gate\" text-anchor=\"{}\">gate {}</text>",
            tx,
            axis + 28.0,
            if tx > WIDTH / 2.0 { "end" } else { "start" },
            trim(&format!("{t:.4}"))
        );
    }
    let mut y = top;
    for (r, lines) in rows.iter().zip(&labels) {
        for line in lines {
            y += 14.0;
            let _ = write!(out, "<text x=\"{x0}\" y=\"{y}\">{}</text>", esc(line));
        }
        let ym = y + 9.0;
        if let Some((a, b)) = r.ci {
            let (xa, xb) = (x(a), x(b));
            let _ = write!(
                out,
                "<path d=\"M{xa:.1} {ym}H{xb:.1}M{xa:.1} {:.1}V{:.1}M{xb:.1} {:.1}V{:.1}\" stroke=\"{}\" stroke-width=\"1.6\" fill=\"none\"/>",
                ym - 4.0,
                ym + 4.0,
                ym - 4.0,
                ym + 4.0,
                colour(r.series)
            );
        }
        if let Some(v) = r.value {
            marker(out, r.series, x(v), ym, 4.5);
        }
        y += 16.0;
    }
    out.push_str("</svg></figure>");
}

/// `0.950` → `0.95`, `1.000` → `1`: tick labels without trailing zeros.
fn trim(s: &str) -> String {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s.to_owned() }
}

/// A unit square's frame with ticks every 0.2 (or at 0, 0.5, 1 when `coarse`), axis titles.
fn unit_axes(out: &mut String, (x0, y0, side): (f64, f64, f64), x_label: &str, y_label: &str, coarse: bool) {
    let _ =
        write!(out, "<rect x=\"{x0}\" y=\"{y0}\" width=\"{side}\" height=\"{side}\" fill=\"none\" stroke=\"#777\"/>");
    let ticks: &[f64] = if coarse { &[0.0, 0.5, 1.0] } else { &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0] };
    for &t in ticks {
        let (tx, ty) = (x0 + side * t, y0 + side * (1.0 - t));
        let _ = write!(
            out,
            "<path d=\"M{tx:.1} {y0}V{:.1}M{x0} {ty:.1}H{:.1}\" stroke=\"#eee\"/><path d=\"M{tx:.1} {:.1}v4M{x0} {ty:.1}h-4\" stroke=\"#777\"/>\
<text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{t}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{t}</text>",
            y0 + side,
            x0 + side,
            y0 + side,
            y0 + side + 16.0,
            x0 - 6.0,
            ty + 4.0
        );
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text transform=\"translate(12 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        x0 + side / 2.0,
        y0 + side + 32.0,
        esc(x_label),
        y0 + side / 2.0,
        esc(y_label)
    );
}

/// A cohort's ROC curve: its name, its AUC, its (FPR, TPR) points.
pub type RocSeries<'a> = (String, Option<f64>, &'a [[f64; 2]]);

/// ROC curves of every cohort on one chart: ticks on both axes, the chance diagonal, each
/// curve in its cohort's colour, dash and markers, and a legend with each cohort's full name
/// and AUC.
pub fn roc_chart(out: &mut String, series: &[RocSeries<'_>]) {
    let (x0, y0, side) = (52.0, 26.0, 280.0);
    let legend: Vec<Vec<String>> = series
        .iter()
        .map(|(name, auc, _)| {
            let auc = auc.map_or_else(|| "AUC n/a".to_owned(), |a| format!("AUC {}", trim(&format!("{a:.5}"))));
            wrap(&format!("{name} ({auc})"), LINE_CHARS - 6)
        })
        .collect();
    let height = y0 + side + 46.0 + legend.iter().map(|l| 14.0 * l.len() as f64 + 4.0).sum::<f64>();
    let _ = write!(
        out,
        "<figure class=\"chart\"><svg width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"ROC curves\">\
<text x=\"0\" y=\"14\" class=\"title\">ROC curves</text>"
    );
    unit_axes(out, (x0, y0, side), "false-positive rate", "true-positive rate", false);
    let _ =
        write!(out, "<path d=\"M{x0} {}L{} {y0}\" stroke=\"#aaa\" stroke-dasharray=\"3 3\"/>", y0 + side, x0 + side);
    let at = |[fx, ty]: [f64; 2]| (x0 + side * fx.clamp(0.0, 1.0), y0 + side * (1.0 - ty.clamp(0.0, 1.0)));
    for (i, (_, _, points)) in series.iter().enumerate() {
        if points.is_empty() {
            continue;
        }
        let path: Vec<String> = points.iter().map(|p| at(*p)).map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\" stroke-dasharray=\"{}\"/>",
            path.join(" "),
            colour(i),
            DASHES[i % DASHES.len()]
        );
        // Markers at staggered places along each curve, so overlapping curves stay apart.
        let n = points.len();
        for k in 0..5 {
            let idx = ((k * n) / 5 + (i * n) / 35 + n / 10).min(n - 1);
            let (x, y) = at(points[idx]);
            marker(out, i, x, y, 3.5);
        }
    }
    let mut ly = y0 + side + 46.0;
    for (i, lines) in legend.iter().enumerate() {
        let _ = write!(
            out,
            "<path d=\"M0 {:.1}h26\" stroke=\"{}\" stroke-width=\"1.8\" stroke-dasharray=\"{}\"/>",
            ly - 4.0,
            colour(i),
            DASHES[i % DASHES.len()]
        );
        marker(out, i, 13.0, ly - 4.0, 3.5);
        for line in lines {
            let _ = write!(out, "<text x=\"32\" y=\"{ly:.1}\">{}</text>", esc(line));
            ly += 14.0;
        }
        ly += 4.0;
    }
    out.push_str("</svg></figure>");
}

/// One reliability bin: mean predicted probability, fraction positive, its rows, its range.
pub struct Bin {
    pub mean_prob: Option<f64>,
    pub frac_positive: Option<f64>,
    pub count: u64,
    pub lo: f64,
    pub hi: f64,
}

/// A cohort's reliability diagram: each non-empty bin a point sized by its rows (area ∝
/// count), joined in order, over the diagonal of perfect calibration; under it, the rows per
/// bin as a histogram with each count written on its bar.
pub fn reliability_chart(out: &mut String, i: usize, name: &str, bins: &[Bin]) {
    let (x0, side, hist) = (52.0, 240.0, 56.0);
    let title = wrap(name, LINE_CHARS - 4);
    let y0 = 14.0 * title.len() as f64 + 14.0;
    let height = y0 + side + 40.0 + hist + 34.0;
    let _ = write!(
        out,
        "<figure class=\"chart\"><svg width=\"{w}\" height=\"{height}\" viewBox=\"0 0 {w} {height}\" role=\"img\" aria-label=\"Reliability of {n}\">",
        w = x0 + side + 20.0,
        n = esc(name)
    );
    for (k, line) in title.iter().enumerate() {
        let _ = write!(out, "<text x=\"0\" y=\"{}\" class=\"title\">{}</text>", 14.0 + 14.0 * k as f64, esc(line));
    }
    unit_axes(out, (x0, y0, side), "mean predicted probability", "fraction positive", true);
    let _ =
        write!(out, "<path d=\"M{x0} {}L{} {y0}\" stroke=\"#aaa\" stroke-dasharray=\"3 3\"/>", y0 + side, x0 + side);
    let max = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    let points: Vec<(f64, f64, u64)> = bins
        .iter()
        .filter(|b| b.count > 0)
        .filter_map(|b| {
            Some((
                x0 + side * b.mean_prob?.clamp(0.0, 1.0),
                y0 + side * (1.0 - b.frac_positive?.clamp(0.0, 1.0)),
                b.count,
            ))
        })
        .collect();
    let path: Vec<String> = points.iter().map(|(x, y, _)| format!("{x:.1},{y:.1}")).collect();
    let _ = write!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1\" stroke-opacity=\"0.6\"/>",
        path.join(" "),
        colour(i)
    );
    for (x, y, n) in &points {
        marker(out, i, *x, *y, 2.5 + 6.5 * (*n as f64 / max).sqrt());
    }
    let base = y0 + side + 40.0 + hist;
    let _ = write!(
        out,
        "<path d=\"M{x0} {base}H{}\" stroke=\"#777\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">rows</text>",
        x0 + side,
        x0 - 6.0,
        base - hist / 2.0
    );
    for b in bins {
        let (bx, bw) = (x0 + side * b.lo.clamp(0.0, 1.0), side * (b.hi - b.lo).clamp(0.0, 1.0));
        let bh = (hist - 14.0) * b.count as f64 / max;
        let _ = write!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\" fill-opacity=\"0.55\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"count\">{}</text>",
            bx + 1.0,
            base - bh,
            (bw - 2.0).max(0.5),
            colour(i),
            bx + bw / 2.0,
            base - bh - 3.0,
            b.count
        );
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">rows per bin (bins of predicted probability)</text></svg></figure>",
        x0 + side / 2.0,
        base + 18.0
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_wrap_whole_and_axes_zoom_to_the_data() {
        assert_eq!(wrap("pipeline_simple_transformer", 52), ["pipeline_simple_transformer"]);
        let long = "a_very_long_cohort_name_that_goes_on_and_on_past_the_width_of_a_chart";
        let lines = wrap(long, 30);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        assert_eq!(lines.concat(), long, "nothing is cut");
        let (lo, hi) = domain([0.974, 0.99, 1.0].into_iter());
        assert!(lo > 0.95 && lo < 0.974 && (hi - 1.0).abs() < 1e-12, "{lo}–{hi}");
        assert_eq!(domain(std::iter::empty()), (0.0, 1.0));
        assert!((tick_step(0.05) - 0.01).abs() < 1e-12);
        assert!((tick_step(1.0) - 0.2).abs() < 1e-12);
        assert_eq!(trim("0.950"), "0.95");
        assert_eq!(trim("1.000"), "1");
    }
}
