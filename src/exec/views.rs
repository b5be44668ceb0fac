//! The report's views, rendered when the run ends: `report/comparison.md` and
//! `report/comparison.html`, from the cached `comparison.json` plus what only the finished run
//! knows (its `run.json`: manifest, digest, git commit; its audit seal: checkpoint root). They
//! are run-level files like `run.json`, not stage outputs: no cache entry, lockfile or audit
//! event records them, and `nethical report` renders them again from the same files.

use crate::manifest::StageKind;
use crate::plan::Plan;
use crate::report::{ComparisonReport, RunContext, render_html, render_markdown};
use crate::store::RelPath;

use super::reporter::Reporter;
use super::run_folder::RunFolder;
use super::summary::InstanceReport;

/// Renders the views of every completed `report` instance; a failure is warned about (the
/// run's results stand; `nethical report` can render them later).
pub(crate) fn render_report_views(
    plan: &Plan,
    reports: &[InstanceReport],
    folder: &RunFolder,
    reporter: &dyn Reporter,
) {
    let context = RunContext::read(folder.path());
    for (inst, report) in plan.instances.iter().zip(reports) {
        if inst.decl.kind != StageKind::Report || !report.status.completed() {
            continue;
        }
        let Some(json) = report.outputs.keys().find(|p| p.ends_with("comparison.json")) else { continue };
        if let Err(e) = render(folder, json, context.as_ref()) {
            reporter.warning(&format!(
                "cannot render the views of `{}`: {e}; run `nethical report` on the run folder",
                inst.id()
            ));
        }
    }
}

fn render(folder: &RunFolder, json: &str, context: Option<&RunContext>) -> Result<(), String> {
    let bytes = std::fs::read(folder.path().join(json)).map_err(|e| format!("cannot read `{json}`: {e}"))?;
    let doc: ComparisonReport = serde_json::from_slice(&bytes).map_err(|e| format!("`{json}`: {e}"))?;
    let dir = json.rsplit_once('/').map_or("", |(d, _)| d);
    for (name, text) in
        [("comparison.md", render_markdown(&doc, context)), ("comparison.html", render_html(&doc, context))]
    {
        let rel = if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") };
        let rel = RelPath::new(&rel).map_err(|e| e.to_string())?;
        folder.replace(&rel, text.as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok(())
}
