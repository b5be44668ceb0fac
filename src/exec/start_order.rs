//! The order ready instances start in: what the plan expects to find cached first (a `stat`
//! each, and it unblocks what needs it), then what computes, the longest first by the time it
//! took when it last ran in this pipeline's earlier runs, an instance without such a time
//! before any with one (a new instance may be the longest), ties in plan order.
//!
//! Starting the longest first shortens a run whose ready instances outnumber the workers: a
//! 7 s instance started last finishes 7 s after the others. The order changes when instances
//! run, never what they compute (artifacts are byte-identical in any order), and the audit
//! stage is sealed in plan order whatever the start order (`run::schedule`).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::artifacts::{ArtifactFile, RUN_FILE};
use crate::exec::{InstanceStatus, RunSummary};
use crate::plan::{PlannedInstance, Status};

/// How many of the newest earlier runs are searched for each instance's last running time.
const RUNS_SEARCHED: usize = 10;

/// An instance's place among the ready ones: smaller starts first.
type Priority = (u8, Reverse<u64>);

/// The instances ready to start, in start order.
#[derive(Debug)]
pub(super) struct ReadyQueue {
    priority: Vec<Priority>,
    ready: BTreeSet<(Priority, usize)>,
}

impl ReadyQueue {
    /// An empty queue for `planned` (in plan order), ordered by the running times found in the
    /// earlier runs in `pipeline_dir`.
    pub(super) fn new(planned: &[PlannedInstance], pipeline_dir: &Path) -> Self {
        let computes: BTreeSet<&str> =
            planned.iter().filter(|p| p.status == Status::Run).map(|p| p.id.as_str()).collect();
        let last = last_running_times(pipeline_dir, &computes);
        Self::with_times(planned, &last)
    }

    fn with_times(planned: &[PlannedInstance], last: &BTreeMap<String, f64>) -> Self {
        let priority = planned
            .iter()
            .map(|p| match (p.status, last.get(&p.id)) {
                (Status::Cached, _) => (0, Reverse(0)),
                (Status::Run, None) => (1, Reverse(0)),
                // Microseconds: finer than any difference that matters, and a total order.
                (Status::Run, Some(&seconds)) => (2, Reverse((seconds.max(0.0) * 1e6) as u64)),
            })
            .collect();
        Self { priority, ready: BTreeSet::new() }
    }

    /// Adds instance `i` (an index in plan order).
    pub(super) fn insert(&mut self, i: usize) {
        self.ready.insert((self.priority[i], i));
    }

    /// Takes instance `i` out (it will not start).
    pub(super) fn remove(&mut self, i: usize) {
        self.ready.remove(&(self.priority[i], i));
    }

    /// The next instance to start.
    pub(super) fn pop(&mut self) -> Option<usize> {
        self.ready.pop_first().map(|(_, i)| i)
    }
}

/// For each instance of `wanted`, its running time the last time it ran (computed, not found
/// cached) in one of the [`RUNS_SEARCHED`] newest readable runs in `pipeline_dir`. A folder
/// that cannot be read is passed over: a missing time only puts an instance earlier.
fn last_running_times(pipeline_dir: &Path, wanted: &BTreeSet<&str>) -> BTreeMap<String, f64> {
    let mut found = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(pipeline_dir) else { return found };
    // Run folders are named by their start time, so the names sort oldest first.
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && n != "latest")
        .collect();
    names.sort_unstable_by(|a, b| b.cmp(a));
    let summaries = names.iter().filter_map(|name| {
        let file = pipeline_dir.join(name).join(RUN_FILE);
        let bytes = std::fs::read(&file).ok()?;
        RunSummary::from_bytes(&bytes, name).ok()
    });
    for summary in summaries.take(RUNS_SEARCHED) {
        for report in summary.instances.iter().filter(|r| r.status == InstanceStatus::Ran) {
            if wanted.contains(report.id.as_str()) && !found.contains_key(&report.id) {
                found.insert(report.id.clone(), report.seconds);
            }
        }
        if found.len() == wanted.len() {
            break;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::StageKind;

    fn planned(id: &str, status: Status) -> PlannedInstance {
        PlannedInstance {
            id: id.to_owned(),
            kind: StageKind::Train,
            needs: Vec::new(),
            cohort: None,
            status,
            reason: String::new(),
            key: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn cached_first_then_untimed_then_the_longest_ties_in_plan_order() {
        let plan = [
            planned("short", Status::Run),
            planned("long", Status::Run),
            planned("cached", Status::Cached),
            planned("new", Status::Run),
            planned("long_too", Status::Run),
        ];
        let last: BTreeMap<String, f64> = [("short", 0.5), ("long", 7.25), ("cached", 9.0), ("long_too", 7.25)]
            .map(|(k, v)| (k.to_owned(), v))
            .into();
        let mut queue = ReadyQueue::with_times(&plan, &last);
        (0..plan.len()).for_each(|i| queue.insert(i));
        queue.remove(0);
        queue.insert(0);
        let order: Vec<&str> = std::iter::from_fn(|| queue.pop()).map(|i| plan[i].id.as_str()).collect();
        assert_eq!(order, ["cached", "new", "long", "long_too", "short"]);
    }

    #[test]
    fn times_come_from_the_newest_run_that_computed_the_instance() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let run = |name: &str, instances: serde_json::Value| -> std::io::Result<()> {
            std::fs::create_dir_all(dir.path().join(name))?;
            let summary = serde_json::json!({
                "format_version": 1, "run_id": name, "pipeline": "p", "status": "succeeded",
                "manifest": "p.toml", "manifest_digest": "d", "tool_version": "0", "seed": 42,
                "started_at": "2023-11-14T22:13:20Z", "executor": "local", "jobs": 2, "seconds": 1.0,
                "instances": instances,
            });
            std::fs::write(dir.path().join(name).join(RUN_FILE), summary.to_string())
        };
        let instance = |id: &str, status: &str, seconds: f64| {
            serde_json::json!({"id": id, "kind": "train", "status": status, "reason": "", "summary": "",
                               "seconds": seconds, "outputs": {}})
        };
        run("20231114T221320Z-000001", serde_json::json!([instance("a", "ran", 3.0), instance("b", "ran", 1.0)]))?;
        run("20231115T221320Z-000002", serde_json::json!([instance("a", "cached", 0.001), instance("b", "ran", 2.0)]))?;
        std::fs::create_dir_all(dir.path().join(".partial-x"))?;
        let wanted: BTreeSet<&str> = ["a", "b", "c"].into();
        let found = last_running_times(dir.path(), &wanted);
        assert_eq!(found, [("a".to_owned(), 3.0), ("b".to_owned(), 2.0)].into());
        assert!(last_running_times(&dir.path().join("missing"), &wanted).is_empty());
        Ok(())
    }
}
