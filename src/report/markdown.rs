//! `comparison.md`: the report as a pull-request comment. It opens with the decision (the
//! recommended cohort and, per cohort, accuracy, ROC-AUC and ECE with intervals and the gate
//! with every failed criterion's numbers), then narrow performance, calibration and
//! configuration tables, each gate criterion with ✓/✗, each cohort's fairness by group, the
//! A/B tests and the other stages' lines. It stays comment-sized (≤ 64 KB for 50 cohorts):
//! beyond ten pairs the A/B section is a table of the recommended cohort against the others,
//! and every pair's sentences stay in the HTML and JSON.

use std::fmt::Write as _;

use serde_json::Value;

use super::decision::{self, estimate_parts};
use super::{ComparisonReport, FairnessSection, gap_label};
use crate::metrics::compare::{BootstrapEstimate, ConfusionMetric, format_p};

/// Beyond this many pairs, the A/B section is a table of the recommended cohort against each
/// other one: all 1,225 sentences of 50 cohorts would not fit a pull-request comment (the
/// HTML and JSON keep them all).
const ALL_PAIRS_UP_TO: usize = 10;

fn estimate(e: &BootstrapEstimate) -> String {
    pair(e.estimate, e.ci.map(|c| (c.lo, c.hi)))
}

/// "0.992 (0.988–0.996)", with the decimals the interval needs.
fn pair(v: Option<f64>, ci: Option<(f64, f64)>) -> String {
    match estimate_parts(v, ci) {
        (v, Some(r)) => format!("{v} ({r})"),
        (v, None) => v,
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "–".to_owned(),
        other => other.to_string(),
    }
}

/// Escapes the characters that would break a table cell.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.3}"))
}

/// One cohort's fairness: the compared groups, the gaps with their intervals and gate
/// criteria, the small groups left out, and the notes.
fn fairness(out: &mut String, cohort: &str, f: &FairnessSection) {
    let _ = writeln!(out, "### `{}` by `{}`\n", escape(cohort), escape(&f.group_column));
    let method = f.interval_method.as_deref().map_or_else(
        || "no intervals (metrics written before them)".to_owned(),
        |m| format!("95% intervals: {m} bootstrap ({} resamples, rows resampled within each group)", f.resamples),
    );
    let _ = writeln!(out, "Groups of at least {} validation rows are compared; {method}.\n", f.min_group_size);
    if f.groups.is_empty() {
        let _ = writeln!(out, "No group is large enough to compare.\n");
    } else {
        let _ = writeln!(out, "| group | rows | selection rate | TPR | FPR |\n|---|---|---|---|---|");
        for (name, g) in &f.groups {
            let _ = writeln!(
                out,
                "| `{}` | {} | {:.3} | {} | {} |",
                escape(name),
                g.rows,
                g.selection_rate,
                rate(g.tpr),
                rate(g.fpr)
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "| gap | value (95% CI) | gate |\n|---|---|---|");
    for gap in &f.gaps {
        let value = match (gap.value.estimate, f.undefined.get(&gap.metric)) {
            (None, Some(why)) => format!("n/a ({})", escape(why)),
            _ => estimate(&gap.value),
        };
        let gate = gap.criterion.as_ref().map_or_else(|| "–".to_owned(), |c| escape(&c.verdict()));
        let _ = writeln!(out, "| {} | {value} | {gate} |", gap_label(&gap.metric));
    }
    let _ = writeln!(out);
    if let Some(line) = f.small_groups_line() {
        let _ = writeln!(out, "{}\n", escape(&line));
    }
    for (key, note) in f.notes.iter().filter(|(k, _)| k.as_str() != "small_groups") {
        let _ = writeln!(out, "- {key}: {}", escape(note));
    }
    if f.notes.keys().any(|k| k != "small_groups") {
        let _ = writeln!(out);
    }
}

/// The Markdown view of a report; `run` adds the run's provenance and audit seal.
pub fn render_markdown(r: &ComparisonReport, run: Option<&super::RunContext>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Comparison report: {}\n", r.pipeline);
    let _ = writeln!(
        out,
        "Seed {} · generated {} · {} cohorts · 95% intervals: percentile bootstrap ({} resamples) for the confusion metrics, Brier score and log loss; for the ECE, the percentile interval shifted back by the replicates' median bias (it always contains the estimate); DeLong for ROC-AUC. A/B p-values are Holm-adjusted within each metric.\n",
        r.seed,
        r.generated_at,
        r.cohorts.len(),
        r.resamples
    );
    decision_section(&mut out, r);
    let params: Vec<&String> = {
        let mut keys: Vec<&String> = r.cohorts.iter().flat_map(|c| c.params.keys()).collect();
        keys.sort();
        keys.dedup();
        keys
    };
    if let Some(run) = run {
        let _ = writeln!(out, "## Run\n");
        for (k, v) in run.lines() {
            let _ = writeln!(out, "- {k}: {}", escape(&v));
        }
        out.push('\n');
    }
    if let Some(cv) = &r.cross_validation {
        let _ = writeln!(out, "## Cross-validation\n\n{}\n", super::method_line(cv));
        let (header, rows) = super::arm_table(cv);
        let _ = writeln!(out, "| {} |\n|{}", header.join(" | "), "---|".repeat(header.len()));
        for row in rows {
            let cells: Vec<String> = row.iter().map(|c| escape(c)).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        let _ = writeln!(out);
        for p in &cv.comparisons {
            let _ = writeln!(out, "**`{}` vs `{}`** ({} folds)\n", escape(&p.a), escape(&p.b), p.folds.len());
            for sentence in p.sentences.values() {
                let _ = writeln!(out, "- {}", escape(sentence));
            }
            let _ = writeln!(out);
        }
    }
    cohort_tables(&mut out, r, &params);
    if r.cohorts.iter().any(|c| c.provenance.is_some()) {
        let _ = writeln!(out, "## Provenance\n");
        for c in &r.cohorts {
            if let Some(p) = &c.provenance {
                let _ = writeln!(out, "- `{}`: {}", escape(&c.cohort), escape(&p.line()));
            }
        }
        let _ = writeln!(out);
    }
    if r.cohorts.iter().any(|c| !c.data_warnings.is_empty()) {
        let _ = writeln!(out, "## Data warnings\n");
        for c in &r.cohorts {
            for w in &c.data_warnings {
                let _ = writeln!(out, "- `{}`: {}", escape(&c.cohort), escape(w));
            }
        }
        let _ = writeln!(out);
    }
    if r.cohorts.iter().any(|c| c.gate.is_some()) {
        let _ = writeln!(out, "## Gate\n");
        for c in &r.cohorts {
            if let Some(g) = &c.gate {
                let lines: Vec<String> = g.criteria.iter().map(|c| escape(&c.line())).collect();
                let _ = writeln!(out, "- `{}` **{}**: {}", escape(&c.cohort), g.decision, lines.join(" · "));
            }
        }
        let _ = writeln!(out);
    }
    if r.cohorts.iter().any(|c| c.fairness.is_some()) {
        let _ = writeln!(out, "## Fairness\n");
        for c in &r.cohorts {
            if let Some(f) = &c.fairness {
                fairness(&mut out, &c.cohort, f);
            }
        }
    }
    if !r.comparisons.is_empty() {
        ab_tests(&mut out, r);
    }
    if !r.summaries.is_empty() {
        let _ = writeln!(out, "## Other stages\n");
        for s in &r.summaries {
            let _ = writeln!(out, "- **{}** (`{}`): {}", s.instance, s.kind, escape(&s.summary));
        }
        let _ = writeln!(out);
    }
    out
}

/// The recommendation and one row per cohort: its accuracy, ROC-AUC and ECE with intervals
/// and its gate with every failed criterion's numbers.
fn decision_section(out: &mut String, r: &ComparisonReport) {
    let d = decision::decide(r);
    let _ = writeln!(out, "## Decision\n\n**{}**\n", escape(&d.line));
    let _ = writeln!(
        out,
        "| cohort | model | accuracy (95% CI) | ROC-AUC (95% CI) | ECE (95% CI) | gate |\n|---|---|---|---|---|---|"
    );
    for (i, c) in r.cohorts.iter().enumerate() {
        let star = if d.recommended == Some(i) { " ★" } else { "" };
        let (acc, acc_ci) = decision::accuracy(c);
        let (auc, auc_ci) = decision::roc_auc(c);
        let (ece, ece_ci) = decision::ece(c);
        let _ = writeln!(
            out,
            "| `{}`{star} | {} | {} | {} | {} | {} |",
            escape(&c.cohort),
            escape(&c.model_type),
            pair(acc, acc_ci),
            pair(auc, auc_ci),
            pair(ece, ece_ci),
            escape(&decision::gate_cell(c))
        );
    }
    let _ = writeln!(out);
}

/// Performance, calibration and configuration as three narrow tables.
fn cohort_tables(out: &mut String, r: &ComparisonReport, params: &[&String]) {
    let _ = writeln!(
        out,
        "## Performance\n\n| cohort | accuracy | majority | precision | recall | F1 | FP rate | ROC-AUC |\n|---|---|---|---|---|---|---|---|"
    );
    for c in &r.cohorts {
        let mut row = vec![format!("`{}`", escape(&c.cohort))];
        for m in ConfusionMetric::ALL {
            row.push(c.intervals.metrics.get(&m).map_or_else(|| "n/a".to_owned(), estimate));
            if m == ConfusionMetric::Accuracy {
                row.push(c.majority_class_rate.map_or_else(|| "–".to_owned(), |r| format!("{r:.3}")));
            }
        }
        let (auc, auc_ci) = decision::roc_auc(c);
        row.push(pair(auc, auc_ci));
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    let _ = writeln!(out, "\n## Calibration\n\n| cohort | ECE | Brier | log loss |\n|---|---|---|---|");
    for c in &r.cohorts {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            escape(&c.cohort),
            estimate(&c.intervals.ece),
            estimate(&c.intervals.brier),
            estimate(&c.intervals.log_loss)
        );
    }
    let _ = writeln!(out, "\n## Configuration\n");
    let mut header = vec!["cohort".to_owned(), "model".to_owned()];
    header.extend(params.iter().map(|p| format!("`{p}`")));
    let _ = writeln!(out, "| {} |\n|{}", header.join(" | "), "---|".repeat(header.len()));
    for c in &r.cohorts {
        let mut row = vec![format!("`{}`", escape(&c.cohort)), escape(&c.model_type)];
        row.extend(params.iter().map(|p| escape(&cell(c.params.get(*p).unwrap_or(&Value::Null)))));
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    let _ = writeln!(out);
}

/// Every pair's sentences when there are few pairs; beyond [`ALL_PAIRS_UP_TO`], a table of the
/// recommended cohort (else the first) against each cohort it was tested with.
fn ab_tests(out: &mut String, r: &ComparisonReport) {
    let _ = writeln!(out, "## A/B tests\n");
    if let Some(line) = super::omitted_line(r) {
        let _ = writeln!(out, "{}\n", escape(&line));
    }
    if r.comparisons.len() <= ALL_PAIRS_UP_TO {
        for p in &r.comparisons {
            let _ =
                writeln!(out, "**`{}` vs `{}`** ({} shared validation rows)\n", p.a, p.b, p.comparison.mcnemar.rows);
            for (metric, sentence) in &p.sentences {
                let test = if metric == "accuracy" { "McNemar's exact test" } else { "DeLong's test" };
                let _ = writeln!(out, "- {} ({test})", escape(sentence));
            }
            let _ = writeln!(out);
        }
        return;
    }
    let d = decision::decide(r);
    let Some(reference) = d.recommended.or(if r.cohorts.is_empty() { None } else { Some(0) }) else { return };
    let name = &r.cohorts[reference].cohort;
    let mine: Vec<_> = r.comparisons.iter().filter(|p| &p.a == name || &p.b == name).collect();
    let _ = writeln!(
        out,
        "{} pairs were tested; this comment shows the {} with `{}` (other − `{}`; p raw, then Holm-adjusted). Every pair's sentences are in `comparison.html` and `comparison.json`.\n",
        r.comparisons.len(),
        mine.len(),
        escape(name),
        escape(name)
    );
    let _ = writeln!(
        out,
        "| other | rows | accuracy Δ (95% CI) | p (Holm) | ROC-AUC Δ (95% CI) | p (Holm) |\n|---|---|---|---|---|---|"
    );
    for p in mine {
        // Differences are b − a; flip them so they read other − reference.
        let (other, sign) = if &p.a == name { (&p.b, 1.0) } else { (&p.a, -1.0) };
        let flip = |v: f64, lo: f64, hi: f64| {
            if sign > 0.0 { (v, (lo, hi)) } else { (-v, (-hi, -lo)) }
        };
        let c = &p.comparison;
        let acc = c.differences.get(&ConfusionMetric::Accuracy).and_then(|e| e.ci).map_or_else(
            || "n/a".to_owned(),
            |ci| {
                let (v, ci) = flip(c.mcnemar.difference, ci.lo, ci.hi);
                signed(v, ci)
            },
        );
        let ps = |raw: f64, metric: &str| {
            let adj = p.adjusted_p.get(metric).map_or_else(String::new, |a| format!(" ({})", format_p(*a)));
            format!("{}{adj}", format_p(raw))
        };
        let (auc, auc_p) = c.roc_auc.as_ref().map_or_else(
            || ("n/a".to_owned(), "–".to_owned()),
            |a| {
                let (v, ci) = flip(a.difference, a.ci.lo, a.ci.hi);
                (signed(v, ci), ps(a.p_value, "roc_auc"))
            },
        );
        let _ = writeln!(
            out,
            "| `{}` | {} | {acc} | {} | {auc} | {auc_p} |",
            escape(other),
            c.mcnemar.rows,
            ps(c.mcnemar.p_value, "accuracy")
        );
    }
    let _ = writeln!(out);
}

/// "+0.0045 (0.0015 to 0.0075)": a signed difference with the decimals its interval needs.
fn signed(v: f64, (lo, hi): (f64, f64)) -> String {
    let d = decision::decimals(Some((lo, hi)));
    // The minus sign U+2212, as in the sentences: a hyphen beside "to" misreads.
    format!("{v:+.d$} ({lo:.d$} to {hi:.d$})").replace('-', "−")
}
