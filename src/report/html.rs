//! `comparison.html`: the report as one self-contained page. Inline CSS and inline SVG charts
//! (metric bars with their intervals, ROC curves, reliability diagrams), the gate's criteria
//! with ✓/✗ and each cohort's fairness by group as tables; no scripts, no fonts or anything
//! else from the network; it reflows on a phone and prints on paper.

use std::fmt::Write as _;

use super::{ComparisonReport, FairnessSection, gap_label};
use crate::metrics::compare::ConfusionMetric;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1b1b1b;line-height:1.45}\
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}\
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.85rem}th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:left;white-space:nowrap}\
th{background:#f2f2f2}table.run td{white-space:normal;overflow-wrap:anywhere}.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{flex:1 1 17rem;max-width:28rem}\
svg{width:100%;height:auto}svg text{font-size:11px;fill:#333}.pass{color:#176117}.fail{color:#a11}\
@media print{body{max-width:none}.chart{break-inside:avoid}h2{break-after:avoid}}";

/// Colours for up to 10 cohorts, then repeating (Tableau 10).
const PALETTE: [&str; 10] =
    ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// A chart row: the cohort, its estimate and its 95% interval.
type Bar = (String, Option<f64>, Option<(f64, f64)>);

/// Horizontal bars with 95% whiskers, one per cohort, on [0, 1].
fn metric_chart(out: &mut String, title: &str, rows: &[Bar]) {
    let (left, width, bar) = (150.0, 250.0, 18.0);
    let height = 30.0 + bar * rows.len() as f64 + 20.0;
    let _ = write!(
        out,
        "<figure class=\"chart\"><svg viewBox=\"0 0 450 {height}\" role=\"img\" aria-label=\"{t}\"><text x=\"0\" y=\"14\" font-weight=\"bold\">{t}</text>",
        t = esc(title)
    );
    for (i, (name, value, ci)) in rows.iter().enumerate() {
        let y = 24.0 + bar * i as f64;
        let label: String = name.chars().take(22).collect();
        let _ = write!(out, "<text x=\"0\" y=\"{}\">{}</text>", y + 12.0, esc(&label));
        if let Some(v) = value {
            let _ = write!(
                out,
                "<rect x=\"{left}\" y=\"{}\" width=\"{:.1}\" height=\"{}\" fill=\"{}\"/>",
                y + 3.0,
                width * v.clamp(0.0, 1.0),
                bar - 6.0,
                colour(i)
            );
            let _ = write!(out, "<text x=\"{}\" y=\"{}\">{v:.3}</text>", left + width + 4.0, y + 12.0);
        }
        if let Some((lo, hi)) = ci {
            let (x0, x1, ym) = (left + width * lo.clamp(0.0, 1.0), left + width * hi.clamp(0.0, 1.0), y + bar / 2.0);
            let _ = write!(
                out,
                "<path d=\"M{x0:.1} {ym}H{x1:.1}M{x0:.1} {}V{}M{x1:.1} {}V{}\" stroke=\"#222\" fill=\"none\"/>",
                ym - 4.0,
                ym + 4.0,
                ym - 4.0,
                ym + 4.0
            );
        }
    }
    let axis = height - 12.0;
    let _ = write!(
        out,
        "<path d=\"M{left} {axis}H{}\" stroke=\"#888\"/><text x=\"{left}\" y=\"{}\">0</text><text x=\"{}\" y=\"{}\">1</text></svg></figure>",
        left + width,
        axis + 11.0,
        left + width - 6.0,
        axis + 11.0
    );
}

/// A unit-square chart with a diagonal, one polyline per series.
fn square_chart(out: &mut String, title: &str, x_label: &str, y_label: &str, series: &[(String, Vec<[f64; 2]>)]) {
    let (x0, y0, side) = (40.0, 20.0, 200.0);
    let legend = 14.0 * series.len() as f64;
    let _ = write!(
        out,
        "<figure class=\"chart\"><svg viewBox=\"0 0 260 {}\" role=\"img\" aria-label=\"{t}\"><text x=\"0\" y=\"12\" font-weight=\"bold\">{t}</text>\
<rect x=\"{x0}\" y=\"{y0}\" width=\"{side}\" height=\"{side}\" fill=\"none\" stroke=\"#888\"/>\
<path d=\"M{x0} {}L{} {y0}\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>\
<text x=\"{x0}\" y=\"{}\">{}</text><text x=\"0\" y=\"{}\">{}</text>",
        y0 + side + 30.0 + legend,
        y0 + side,
        x0 + side,
        y0 + side + 14.0,
        esc(x_label),
        y0 + side / 2.0,
        esc(y_label),
        t = esc(title)
    );
    for (i, (name, points)) in series.iter().enumerate() {
        if points.is_empty() {
            continue;
        }
        let path: Vec<String> = points
            .iter()
            .map(|[x, y]| format!("{:.1},{:.1}", x0 + side * x.clamp(0.0, 1.0), y0 + side * (1.0 - y.clamp(0.0, 1.0))))
            .collect();
        let _ = write!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>",
            path.join(" "),
            colour(i)
        );
        let ly = y0 + side + 28.0 + 14.0 * i as f64;
        let _ = write!(
            out,
            "<rect x=\"{x0}\" y=\"{}\" width=\"10\" height=\"3\" fill=\"{}\"/><text x=\"{}\" y=\"{ly}\">{}</text>",
            ly - 4.0,
            colour(i),
            x0 + 14.0,
            esc(name)
        );
    }
    out.push_str("</svg></figure>");
}

fn estimate_cell(v: Option<f64>, ci: Option<(f64, f64)>) -> String {
    match (v, ci) {
        (Some(v), Some((lo, hi))) => format!("{v:.3} <small>({lo:.3}–{hi:.3})</small>"),
        (Some(v), None) => format!("{v:.3}"),
        _ => "n/a".to_owned(),
    }
}

fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.3}"))
}

/// One cohort's fairness: the compared groups, the gaps with their intervals and gate
/// criteria, the small groups left out, and the notes.
fn fairness(out: &mut String, cohort: &str, f: &FairnessSection) {
    let _ = write!(out, "<h3>{} by {}</h3>", esc(cohort), esc(&f.group_column));
    let method = f.interval_method.as_deref().map_or_else(
        || "no intervals (metrics written before them)".to_owned(),
        |m| format!("95% intervals: {m} bootstrap ({} resamples, rows resampled within each group)", f.resamples),
    );
    let _ =
        write!(out, "<p>Groups of at least {} validation rows are compared; {}.</p>", f.min_group_size, esc(&method));
    if f.groups.is_empty() {
        out.push_str("<p>No group is large enough to compare.</p>");
    } else {
        out.push_str("<div class=\"scroll\"><table><thead><tr><th>group</th><th>rows</th><th>selection rate</th><th>TPR</th><th>FPR</th></tr></thead><tbody>");
        for (name, g) in &f.groups {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{}</td><td>{}</td></tr>",
                esc(name),
                g.rows,
                g.selection_rate,
                rate(g.tpr),
                rate(g.fpr)
            );
        }
        out.push_str("</tbody></table></div>");
    }
    out.push_str(
        "<div class=\"scroll\"><table><thead><tr><th>gap</th><th>value (95% CI)</th><th>gate</th></tr></thead><tbody>",
    );
    for gap in &f.gaps {
        let value = match (gap.value.estimate, f.undefined.get(&gap.metric)) {
            (None, Some(why)) => format!("n/a <small>({})</small>", esc(why)),
            (v, _) => estimate_cell(v, gap.value.ci.map(|c| (c.lo, c.hi))),
        };
        let gate = gap.criterion.as_ref().map_or_else(
            || "–".to_owned(),
            |c| format!("<span class=\"{}\">{}</span>", if c.passed { "pass" } else { "fail" }, esc(&c.verdict())),
        );
        let _ = write!(out, "<tr><td>{}</td><td>{value}</td><td>{gate}</td></tr>", esc(gap_label(&gap.metric)));
    }
    out.push_str("</tbody></table></div>");
    if let Some(line) = f.small_groups_line() {
        let _ = write!(out, "<p>{}</p>", esc(&line));
    }
    let notes: Vec<_> = f.notes.iter().filter(|(k, _)| k.as_str() != "small_groups").collect();
    if !notes.is_empty() {
        out.push_str("<ul>");
        for (key, note) in notes {
            let _ = write!(out, "<li>{}: {}</li>", esc(key), esc(note));
        }
        out.push_str("</ul>");
    }
}

/// The HTML view of a report.
#[expect(clippy::too_many_lines, reason = "the page's sections in order")]
pub fn render_html(r: &ComparisonReport, run: Option<&super::RunContext>) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Comparison report: {p}</title><style>{STYLE}</style></head><body><h1>Comparison report: {p}</h1>\
<p>Seed {} · generated {} · {} cohorts · 95% intervals: percentile bootstrap ({} resamples) for the confusion metrics, Brier score and log loss; for the ECE, the percentile interval shifted back by the replicates' median bias (it always contains the estimate); DeLong for ROC-AUC. A/B p-values are Holm-adjusted within each metric.</p>",
        esc(&r.seed),
        esc(&r.generated_at),
        r.cohorts.len(),
        r.resamples,
        p = esc(&r.pipeline)
    );
    let mut params: Vec<&String> = r.cohorts.iter().flat_map(|c| c.params.keys()).collect();
    params.sort();
    params.dedup();
    if let Some(run) = run {
        out.push_str("<h2>Run</h2><table class=\"run\"><tbody>");
        for (k, v) in run.lines() {
            let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
        }
        out.push_str("</tbody></table>");
    }
    if let Some(cv) = &r.cross_validation {
        let _ = write!(out, "<h2>Cross-validation</h2><p>{}</p>", esc(&super::method_line(cv)));
        let (header, rows) = super::arm_table(cv);
        out.push_str("<div class=\"scroll\"><table><thead><tr>");
        for h in &header {
            let _ = write!(out, "<th>{}</th>", esc(h));
        }
        out.push_str("</tr></thead><tbody>");
        for row in rows {
            out.push_str("<tr>");
            for c in &row {
                let _ = write!(out, "<td>{}</td>", esc(c));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table></div>");
        for p in &cv.comparisons {
            let _ = write!(out, "<h3>{} vs {}</h3><p>{} folds</p><ul>", esc(&p.a), esc(&p.b), p.folds.len());
            for sentence in p.sentences.values() {
                let _ = write!(out, "<li>{}</li>", esc(sentence));
            }
            out.push_str("</ul>");
        }
    }
    out.push_str("<h2>Cohorts</h2><div class=\"scroll\"><table><thead><tr><th>cohort</th><th>model</th>");
    for p in &params {
        let _ = write!(out, "<th>{}</th>", esc(p));
    }
    for h in
        ["accuracy", "majority", "precision", "recall", "F1", "FP rate", "ROC-AUC", "ECE", "Brier", "log loss", "gate"]
    {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr></thead><tbody>");
    let ci_of = |e: &crate::metrics::compare::BootstrapEstimate| e.ci.map(|c| (c.lo, c.hi));
    for c in &r.cohorts {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td>", esc(&c.cohort), esc(&c.model_type));
        for p in &params {
            let v = c
                .params
                .get(*p)
                .map_or_else(|| "–".to_owned(), |v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
            let _ = write!(out, "<td>{}</td>", esc(&v));
        }
        for m in ConfusionMetric::ALL {
            let e = c.intervals.metrics.get(&m);
            let _ = write!(out, "<td>{}</td>", estimate_cell(e.and_then(|e| e.estimate), e.and_then(ci_of)));
            if m == ConfusionMetric::Accuracy {
                let _ = write!(
                    out,
                    "<td>{}</td>",
                    c.majority_class_rate.map_or_else(|| "–".to_owned(), |r| format!("{r:.3}"))
                );
            }
        }
        let auc = c.intervals.roc_auc;
        let _ = write!(out, "<td>{}</td>", estimate_cell(auc.map(|a| a.auc), auc.map(|a| (a.ci.lo, a.ci.hi))));
        for e in [&c.intervals.ece, &c.intervals.brier, &c.intervals.log_loss] {
            let _ = write!(out, "<td>{}</td>", estimate_cell(e.estimate, ci_of(e)));
        }
        let gate = c.gate.as_ref().map_or_else(
            || "–".to_owned(),
            |g| {
                let class = if g.decision == "PASS" { "pass" } else { "fail" };
                format!("<span class=\"{class}\">{}</span>", esc(&g.decision))
            },
        );
        let _ = write!(out, "<td>{gate}</td></tr>");
    }
    out.push_str("</tbody></table></div>");
    if r.cohorts.iter().any(|c| c.provenance.is_some()) {
        out.push_str("<h2>Provenance</h2><ul>");
        for c in &r.cohorts {
            if let Some(p) = &c.provenance {
                let _ = write!(out, "<li><b>{}</b>: {}</li>", esc(&c.cohort), esc(&p.line()));
            }
        }
        out.push_str("</ul>");
    }
    if r.cohorts.iter().any(|c| !c.data_warnings.is_empty()) {
        out.push_str("<h2>Data warnings</h2><ul>");
        for c in &r.cohorts {
            for w in &c.data_warnings {
                let _ = write!(out, "<li><b>{}</b>: {}</li>", esc(&c.cohort), esc(w));
            }
        }
        out.push_str("</ul>");
    }
    if r.cohorts.iter().any(|c| c.gate.is_some()) {
        out.push_str("<h2>Gate</h2><ul>");
        for c in &r.cohorts {
            if let Some(g) = &c.gate {
                let class = if g.decision == "PASS" { "pass" } else { "fail" };
                let lines: Vec<String> = g.criteria.iter().map(|c| esc(&c.line())).collect();
                let _ = write!(
                    out,
                    "<li><b>{}</b> <span class=\"{class}\">{}</span>: {}</li>",
                    esc(&c.cohort),
                    esc(&g.decision),
                    lines.join(" · ")
                );
            }
        }
        out.push_str("</ul>");
    }
    if r.cohorts.iter().any(|c| c.fairness.is_some()) {
        out.push_str("<h2>Fairness</h2>");
        for c in &r.cohorts {
            if let Some(f) = &c.fairness {
                fairness(&mut out, &c.cohort, f);
            }
        }
    }
    out.push_str("<h2>Metrics with 95% intervals</h2><div class=\"charts\">");
    for (m, title) in [
        (Some(ConfusionMetric::Accuracy), "Accuracy"),
        (Some(ConfusionMetric::Recall), "Recall"),
        (Some(ConfusionMetric::FpRate), "FP rate"),
        (None, "ROC-AUC"),
    ] {
        let rows: Vec<Bar> = r
            .cohorts
            .iter()
            .map(|c| match m {
                Some(m) => {
                    let e = c.intervals.metrics.get(&m);
                    (c.cohort.clone(), e.and_then(|e| e.estimate), e.and_then(ci_of))
                }
                None => {
                    let a = c.intervals.roc_auc;
                    (c.cohort.clone(), a.map(|a| a.auc), a.map(|a| (a.ci.lo, a.ci.hi)))
                }
            })
            .collect();
        metric_chart(&mut out, title, &rows);
    }
    out.push_str("</div><h2>ROC curves and reliability</h2><div class=\"charts\">");
    let roc: Vec<(String, Vec<[f64; 2]>)> = r.cohorts.iter().map(|c| (c.cohort.clone(), c.roc.clone())).collect();
    square_chart(&mut out, "ROC curves", "false-positive rate", "TPR", &roc);
    let reliability: Vec<(String, Vec<[f64; 2]>)> = r
        .cohorts
        .iter()
        .map(|c| {
            let points = c
                .reliability
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| Some([b["mean_prob"].as_f64()?, b["frac_positive"].as_f64()?]))
                .collect();
            (c.cohort.clone(), points)
        })
        .collect();
    square_chart(&mut out, "Reliability", "mean predicted probability", "observed", &reliability);
    out.push_str("</div>");
    if !r.comparisons.is_empty() {
        out.push_str("<h2>A/B tests</h2>");
        if let Some(line) = super::omitted_line(r) {
            let _ = write!(out, "<p>{}</p>", esc(&line));
        }
        for p in &r.comparisons {
            let _ = write!(
                out,
                "<h3>{} vs {}</h3><p>{} shared validation rows</p><ul>",
                esc(&p.a),
                esc(&p.b),
                p.comparison.mcnemar.rows
            );
            for (metric, sentence) in &p.sentences {
                let test = if metric == "accuracy" { "McNemar's exact test" } else { "DeLong's test" };
                let _ = write!(out, "<li>{} <small>({test})</small></li>", esc(sentence));
            }
            out.push_str("</ul>");
        }
    }
    if !r.summaries.is_empty() {
        out.push_str("<h2>Other stages</h2><ul>");
        for s in &r.summaries {
            let _ = write!(out, "<li><b>{}</b> ({}): {}</li>", esc(&s.instance), esc(&s.kind), esc(&s.summary));
        }
        out.push_str("</ul>");
    }
    out.push_str("</body></html>\n");
    out
}
