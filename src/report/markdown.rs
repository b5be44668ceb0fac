//! `comparison.md`: the report as a pull-request comment. Tables of each cohort's metrics with
//! 95% intervals (the accuracy beside the majority-class rate) and the parameters that set
//! cohorts apart, each gate criterion with ✓/✗ and its number, each cohort's fairness by
//! group, then one sentence per A/B test, then the other stages' lines.

use std::fmt::Write as _;

use serde_json::Value;

use super::{ComparisonReport, FairnessSection, gap_label};
use crate::metrics::compare::{BootstrapEstimate, ConfusionMetric};

fn estimate(e: &BootstrapEstimate) -> String {
    match (e.estimate, e.ci) {
        (Some(v), Some(ci)) => format!("{v:.3} ({:.3}–{:.3})", ci.lo, ci.hi),
        (Some(v), None) => format!("{v:.3}"),
        _ => "n/a".to_owned(),
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
    let _ = writeln!(out, "## Cohorts\n");
    let mut header = vec!["cohort".to_owned(), "model".to_owned()];
    header.extend(params.iter().map(|p| format!("`{p}`")));
    header.extend(
        ["accuracy", "majority", "precision", "recall", "F1", "FP rate", "ROC-AUC", "ECE", "Brier", "log loss", "gate"]
            .map(str::to_owned),
    );
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for c in &r.cohorts {
        let mut row = vec![format!("`{}`", escape(&c.cohort)), c.model_type.clone()];
        row.extend(params.iter().map(|p| escape(&cell(c.params.get(*p).unwrap_or(&Value::Null)))));
        for m in ConfusionMetric::ALL {
            row.push(c.intervals.metrics.get(&m).map_or_else(|| "n/a".to_owned(), estimate));
            if m == ConfusionMetric::Accuracy {
                row.push(c.majority_class_rate.map_or_else(|| "–".to_owned(), |r| format!("{r:.3}")));
            }
        }
        row.push(
            c.intervals
                .roc_auc
                .map_or_else(|| "n/a".to_owned(), |a| format!("{:.3} ({:.3}–{:.3})", a.auc, a.ci.lo, a.ci.hi)),
        );
        row.push(estimate(&c.intervals.ece));
        row.push(estimate(&c.intervals.brier));
        row.push(estimate(&c.intervals.log_loss));
        row.push(c.gate.as_ref().map_or_else(|| "–".to_owned(), |g| g.decision.clone()));
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    let _ = writeln!(out);
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
        let _ = writeln!(out, "## A/B tests\n");
        if let Some(line) = super::omitted_line(r) {
            let _ = writeln!(out, "{}\n", escape(&line));
        }
        for p in &r.comparisons {
            let _ =
                writeln!(out, "**`{}` vs `{}`** ({} shared validation rows)\n", p.a, p.b, p.comparison.mcnemar.rows);
            for (metric, sentence) in &p.sentences {
                let test = if metric == "accuracy" { "McNemar's exact test" } else { "DeLong's test" };
                let _ = writeln!(out, "- {} ({test})", escape(sentence));
            }
            let _ = writeln!(out);
        }
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
