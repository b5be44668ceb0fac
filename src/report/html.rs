//! `comparison.html`: the report as one self-contained page, built for the decision. The first
//! screen answers "which model, and may it be promoted": the recommendation and one row per
//! cohort with its accuracy, ROC-AUC and ECE with intervals and its gate decision with the
//! failing criterion and its numbers. Then narrow performance, calibration and configuration
//! tables (each fits 1200 px and an A4 page: intervals sit under their estimate, long names
//! wrap), fairness, charts (see `charts`), A/B tests.
//!
//! Inline CSS and SVG only: no scripts, fonts or anything else from the network. Below 40rem
//! each table row becomes a card of label–value lines (a phone never scrolls sideways), and
//! `@media print` sets A4 margins and keeps rows and charts whole across pages.

use std::fmt::Write as _;

use super::charts::{self, Bin, Dot, esc};
use super::decision::{self, estimate_parts};
use super::{CohortReport, ComparisonReport, FairnessSection, gap_label};
use crate::metrics::ReliabilityBin;
use crate::metrics::compare::ConfusionMetric;
use serde::Deserialize as _;

const STYLE: &str = "*{box-sizing:border-box}body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:64rem;padding:1rem;color:#1b1b1b;line-height:1.45}\
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}h3{font-size:1rem}\
.scroll{max-width:100%}table{border-collapse:collapse;font-size:.85rem;width:100%;margin:.5rem 0}\
th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#f2f2f2;overflow-wrap:normal;hyphens:auto}\
td small{display:block;color:#555;white-space:nowrap}.pass{color:#176117;font-weight:600}.fail{color:#a11;font-weight:600}\
.recommend{font-size:1.05rem;border-left:4px solid #0072B2;padding:.4rem .7rem;background:#f3f8fc}.methods{font-size:.85rem;color:#444}\
.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{margin:0;max-width:100%}\
svg{max-width:100%;height:auto}svg text{font-size:12px;fill:#222}svg text.title{font-weight:700;font-size:13px}svg text.gate{fill:#a11}svg text.count{font-size:11px}\
@media (max-width:40rem){body{padding:.6rem}table.stack thead{display:none}table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}\
table.stack tr{border:1px solid #bbb;margin:0 0 .6rem}table.stack td{border:0;border-top:1px solid #eee;display:flex;gap:.6rem;justify-content:space-between}\
table.stack td::before{content:attr(data-label);font-weight:600;flex:0 0 40%;overflow-wrap:anywhere}table.stack td>*{text-align:right}td small{white-space:normal}}\
@media print{@page{size:A4;margin:12mm}body{max-width:none;padding:0;font-size:9.5pt}table{font-size:8.5pt;page-break-inside:auto}tr,.chart,.recommend{break-inside:avoid}h2,h3{break-after:avoid}}";

fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.3}"))
}

/// An estimate with its interval under it.
fn estimate_cell(v: Option<f64>, ci: Option<(f64, f64)>) -> String {
    let (value, range) = estimate_parts(v, ci);
    match range {
        Some(r) => format!("<span>{value}<small>{r}</small></span>"),
        None => format!("<span>{value}</span>"),
    }
}

/// A table whose cells are HTML; each cell carries its column's name, the label of its line
/// when the row stacks into a card on a phone.
fn table(out: &mut String, id: &str, header: &[&str], rows: &[Vec<String>]) {
    let _ = write!(out, "<div class=\"scroll\"><table class=\"stack\" id=\"{id}\"><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (h, cell) in header.iter().zip(row) {
            let _ = write!(out, "<td data-label=\"{}\">{cell}</td>", esc(h));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

/// The cohort cell: its name, with a mark when it is the recommended one.
fn cohort_cell(c: &CohortReport, recommended: bool) -> String {
    let mark = if recommended { " <b title=\"recommended\">★ recommended</b>" } else { "" };
    format!("<span><b>{}</b>{mark}<small>{}</small></span>", esc(&c.cohort), esc(&c.model_type))
}

/// The gate cell: the decision, and every failed criterion with its numbers.
fn gate_cell(c: &CohortReport) -> String {
    let text = decision::gate_cell(c);
    match decision::passed(c) {
        None => "–".to_owned(),
        Some(true) => format!("<span class=\"gate-cell pass\">{}</span>", esc(&text)),
        Some(false) => format!("<span class=\"gate-cell fail\">{}</span>", esc(&text)),
    }
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
        out.push_str("<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>group</th><th>rows</th><th>selection rate</th><th>TPR</th><th>FPR</th></tr></thead><tbody>");
        for (name, g) in &f.groups {
            let _ = write!(
                out,
                "<tr><td data-label=\"group\">{}</td><td data-label=\"rows\">{}</td><td data-label=\"selection rate\">{:.3}</td><td data-label=\"TPR\">{}</td><td data-label=\"FPR\">{}</td></tr>",
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
        "<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>gap</th><th>value (95% CI)</th><th>gate</th></tr></thead><tbody>",
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
        let _ = write!(
            out,
            "<tr><td data-label=\"gap\">{}</td><td data-label=\"value (95% CI)\">{value}</td><td data-label=\"gate\">{gate}</td></tr>",
            esc(gap_label(&gap.metric))
        );
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

/// The decision section: the recommendation, then one row per cohort.
fn decision_section(out: &mut String, r: &ComparisonReport) {
    let d = decision::decide(r);
    let _ = write!(out, "<section id=\"decision\"><h2>Decision</h2><p class=\"recommend\">{}</p>", esc(&d.line));
    let rows: Vec<Vec<String>> = r
        .cohorts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (acc, acc_ci) = decision::accuracy(c);
            let (auc, auc_ci) = decision::roc_auc(c);
            let (ece, ece_ci) = decision::ece(c);
            vec![
                cohort_cell(c, d.recommended == Some(i)),
                estimate_cell(acc, acc_ci),
                estimate_cell(auc, auc_ci),
                estimate_cell(ece, ece_ci),
                gate_cell(c),
            ]
        })
        .collect();
    table(out, "decision-table", &["cohort", "accuracy (95% CI)", "ROC-AUC (95% CI)", "ECE (95% CI)", "gate"], &rows);
    out.push_str("</section>");
}

/// Performance, calibration and configuration: three narrow tables rather than one wide one.
fn cohort_tables(out: &mut String, r: &ComparisonReport) {
    let ci_of = |e: &crate::metrics::compare::BootstrapEstimate| e.ci.map(|c| (c.lo, c.hi));
    out.push_str("<h2>Performance</h2>");
    let rows: Vec<Vec<String>> = r
        .cohorts
        .iter()
        .map(|c| {
            let mut row = vec![format!("<b>{}</b>", esc(&c.cohort))];
            for m in ConfusionMetric::ALL {
                let e = c.intervals.metrics.get(&m);
                row.push(estimate_cell(e.and_then(|e| e.estimate), e.and_then(ci_of)));
                if m == ConfusionMetric::Accuracy {
                    row.push(c.majority_class_rate.map_or_else(|| "–".to_owned(), |r| format!("{r:.3}")));
                }
            }
            let (auc, auc_ci) = decision::roc_auc(c);
            row.push(estimate_cell(auc, auc_ci));
            row
        })
        .collect();
    table(
        out,
        "performance-table",
        &["cohort", "accuracy", "majority", "precision", "recall", "F1", "FP rate", "ROC-AUC"],
        &rows,
    );
    out.push_str("<h2>Calibration</h2>");
    let rows: Vec<Vec<String>> = r
        .cohorts
        .iter()
        .map(|c| {
            let mut row = vec![format!("<b>{}</b>", esc(&c.cohort))];
            for e in [&c.intervals.ece, &c.intervals.brier, &c.intervals.log_loss] {
                row.push(estimate_cell(e.estimate, ci_of(e)));
            }
            row.push(gate_cell(c));
            row
        })
        .collect();
    table(out, "calibration-table", &["cohort", "ECE", "Brier", "log loss", "gate"], &rows);
    out.push_str("<h2>Configuration</h2>");
    let rows: Vec<Vec<String>> = r
        .cohorts
        .iter()
        .map(|c| {
            let params: Vec<String> = c
                .params
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::Null => "–".to_owned(),
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    format!("{} = {}", esc(k), esc(&v))
                })
                .collect();
            let params =
                if params.is_empty() { "–".to_owned() } else { format!("<span>{}</span>", params.join("<br>")) };
            vec![format!("<b>{}</b>", esc(&c.cohort)), esc(&c.model_type), params, esc(&c.instance)]
        })
        .collect();
    table(out, "configuration-table", &["cohort", "model", "parameters that differ", "train instance"], &rows);
}

/// The gate's threshold on `metric` when every applied criterion on it shares one.
fn shared_threshold(r: &ComparisonReport, metric: &str) -> Option<f64> {
    let mut ts = r
        .cohorts
        .iter()
        .filter_map(|c| c.gate.as_ref())
        .flat_map(|g| &g.criteria)
        .filter(|c| c.metric == metric && c.applied)
        .map(|c| c.threshold);
    let first = ts.next()?;
    ts.all(|t| t == first).then_some(first)
}

/// The charts: four dot-and-whisker plots, ROC curves, one reliability diagram per cohort.
fn charts_section(out: &mut String, r: &ComparisonReport) {
    out.push_str("<h2>Metrics with 95% intervals</h2><p class=\"methods\">Each axis is zoomed to the estimates and intervals shown (see its ticks); the dashed red line is the gate's threshold.</p><div class=\"charts\">");
    type Pick = fn(&CohortReport) -> (Option<f64>, Option<(f64, f64)>);
    let brier: Pick = |c| (c.intervals.brier.estimate, c.intervals.brier.ci.map(|c| (c.lo, c.hi)));
    let metrics: [(&str, &str, &str, Pick); 4] = [
        ("Accuracy", "higher is better", "accuracy", decision::accuracy),
        ("ROC-AUC", "higher is better (DeLong intervals)", "roc_auc", decision::roc_auc),
        ("ECE", "lower is better", "ece", decision::ece),
        ("Brier score", "lower is better", "brier", brier),
    ];
    for (title, note, metric, pick) in metrics {
        let rows: Vec<Dot> = r
            .cohorts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (value, ci) = pick(c);
                Dot { name: c.cohort.clone(), series: i, value, ci }
            })
            .collect();
        charts::dot_whisker(out, title, note, &rows, shared_threshold(r, metric));
    }
    out.push_str("</div><h2>ROC curves</h2><div class=\"charts\">");
    let roc: Vec<charts::RocSeries<'_>> =
        r.cohorts.iter().map(|c| (c.cohort.clone(), c.intervals.roc_auc.map(|a| a.auc), c.roc.as_slice())).collect();
    charts::roc_chart(out, &roc);
    out.push_str("</div><h2>Reliability</h2><p class=\"methods\">Points sized by the rows in their bin; the bars under each diagram count them. A point far from the diagonal on few rows says little.</p><div class=\"charts\">");
    for (i, c) in r.cohorts.iter().enumerate() {
        // `reliability` is `metrics.json`'s bins as the report stage copied them: read through
        // the metrics library's type, so a renamed field shows here instead of an empty chart.
        let bins: Vec<Bin> = match Vec::<ReliabilityBin>::deserialize(&c.reliability) {
            Ok(bins) => bins
                .into_iter()
                .map(|b| Bin {
                    mean_prob: b.mean_prob,
                    frac_positive: b.frac_positive,
                    count: b.count,
                    lo: b.lo,
                    hi: b.hi,
                })
                .collect(),
            Err(e) => {
                let _ = write!(
                    out,
                    "<p class=\"methods\">{}: reliability bins unreadable: {}</p>",
                    esc(&c.cohort),
                    esc(&e.to_string())
                );
                Vec::new()
            }
        };
        charts::reliability_chart(out, i, &c.cohort, &bins);
    }
    out.push_str("</div>");
}

/// The HTML view of a report.
pub fn render_html(r: &ComparisonReport, run: Option<&super::RunContext>) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Comparison report: {p}</title><style>{STYLE}</style></head><body><h1>Comparison report: {p}</h1><p class=\"methods\">Seed {} · generated {} · {} cohorts</p>",
        esc(&r.seed),
        esc(&r.generated_at),
        r.cohorts.len(),
        p = esc(&r.pipeline)
    );
    decision_section(&mut out, r);
    let _ = write!(
        out,
        "<p class=\"methods\">95% intervals: percentile bootstrap ({} resamples) for the confusion metrics, Brier score and log loss; for the ECE, the percentile interval shifted back by the replicates' median bias (it always contains the estimate); DeLong for ROC-AUC. A/B p-values are Holm-adjusted within each metric. Numbers get three decimals, or more when their interval is narrower than that shows.</p>",
        r.resamples
    );
    if let Some(cv) = &r.cross_validation {
        let _ = write!(out, "<h2>Cross-validation</h2><p>{}</p>", esc(&super::method_line(cv)));
        let (header, rows) = super::arm_table(cv);
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let rows: Vec<Vec<String>> = rows.iter().map(|row| row.iter().map(|c| esc(c)).collect()).collect();
        table(&mut out, "cross-validation-table", &header, &rows);
        for p in &cv.comparisons {
            let _ = write!(out, "<h3>{} vs {}</h3><p>{} folds</p><ul>", esc(&p.a), esc(&p.b), p.folds.len());
            for sentence in p.sentences.values() {
                let _ = write!(out, "<li>{}</li>", esc(sentence));
            }
            out.push_str("</ul>");
        }
    }
    cohort_tables(&mut out, r);
    if r.cohorts.iter().any(|c| c.gate.is_some()) {
        out.push_str("<h2>Gate criteria</h2><ul>");
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
    charts_section(&mut out, r);
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
    if let Some(run) = run {
        out.push_str("<h2>Run</h2><table class=\"run\"><tbody>");
        for (k, v) in run.lines() {
            let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
        }
        out.push_str("</tbody></table>");
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
