//! The report's views, rendered when the run ends: `report/comparison.md` and
//! `report/comparison.html`, from the cached `comparison.json` plus what only the finished run
//! knows (its `run.json`: manifest, digest, git commit; its audit seal: checkpoint root). They
//! are run-level files like `run.json`, not stage outputs: no lockfile or audit event records
//! them, and `nethical report` renders them again from the same files.
//!
//! They describe results, not the invocation (no run id in them), so a run whose results are
//! an earlier run's renders the same bytes; those are kept in the cache under their own digest
//! and published as links like any artifact, and a no-op run adds no copy of them.

use crate::artifacts::InstanceReport;
use crate::plan::Plan;
use crate::stages::{ViewInput, views};
use crate::store::{Cache, EntryMeta, Linker, RelPath, sha256_hex};

use super::reporter::Reporter;
use super::run_folder::RunFolder;

/// Renders the views of every completed instance whose kind has any ([`crate::stages`]'s
/// `Stage::views`: today the report's); a failure is warned about (the run's results stand;
/// `nethical report` can render them later).
pub(crate) fn render_views(
    plan: &Plan,
    reports: &[InstanceReport],
    folder: &RunFolder,
    store: (&Cache, &Linker),
    reporter: &dyn Reporter,
) {
    for (inst, report) in plan.instances.iter().zip(reports) {
        if !report.status.completed() {
            continue;
        }
        let at = ViewInput { outputs: &report.outputs, folder: folder.path() };
        let published = views(inst.decl.kind, &at)
            .map_err(|e| crate::exec::error_chain(&e))
            .and_then(|views| views.iter().try_for_each(|(rel, text)| publish(folder, rel, text, store)));
        if let Err(e) = published {
            reporter.warning(&format!(
                "cannot render the views of `{}`: {e}; run `nethical report` on the run folder",
                inst.id()
            ));
        }
    }
}

/// Publishes one view: linked from the cache when it can be kept there.
fn publish(folder: &RunFolder, rel: &str, text: &str, (cache, linker): (&Cache, &Linker)) -> Result<(), String> {
    let name = rel.rsplit_once('/').map_or(rel, |(_, n)| n);
    let rel = RelPath::new(rel).map_err(|e| e.to_string())?;
    match keep(cache, name, text.as_bytes()) {
        Ok(src) => folder.replace_cached(&rel, &src, linker).map(|_| ()),
        // Not kept (a read-only cache, a full disk): the run's own copy, as before.
        Err(_) => folder.replace(&rel, text.as_bytes()),
    }
    .map_err(|e| e.to_string())
}

/// The cached file holding view `name` with `bytes`, stored under their digest when no run
/// rendered them before.
fn keep(cache: &Cache, name: &str, bytes: &[u8]) -> std::io::Result<std::path::PathBuf> {
    let key = sha256_hex(format!("report view\n{name}\n{}", sha256_hex(bytes)).as_bytes());
    if let Some(entry) = cache.lookup(&key).filter(|e| e.check().is_ok()) {
        return Ok(entry.path(name));
    }
    let path = RelPath::new(name).map_err(std::io::Error::other)?;
    let mut staging = cache.stage(&key)?;
    staging.write(&path, bytes)?;
    let meta = EntryMeta { summary: format!("report view {name}"), ..EntryMeta::default() };
    Ok(staging.commit(meta, true)?.path(name))
}
