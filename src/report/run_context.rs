//! What the report's views say about the run itself: manifest, digest, seed, git commit, tool
//! version, and the audit seal (checkpoint size and root).
//!
//! None of it is in `comparison.json`. That file is a cached stage output, and a git commit or
//! an audit root in it would either go stale when the cache restores it or defeat the cache.
//! The views are rendered when the run ends, from `comparison.json`, the run folder's
//! `run.json` and `audit/`; `nethical report` renders them again from the same files.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::artifacts::{ArtifactFile, RUN_FILE, RunSummary};
use crate::trail::{CONSISTENCY_FILE, ConsistencyRecord, SEAL_FILE, SealRecord};

/// The run as the views show it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunContext {
    /// The pipeline's name. Not the run id: the views describe results, and a run whose
    /// results are an earlier run's shows (and links) the same views.
    pub pipeline: String,
    /// The manifest's path as given to `nethical run`.
    pub manifest: String,
    /// SHA-256 of the resolved manifest.
    pub manifest_digest: String,
    /// The pipeline seed.
    pub seed: u64,
    /// The tool's version.
    pub tool_version: String,
    /// `HEAD` of the manifest's repository, with `-dirty` when tracked files differ.
    pub git: Option<String>,
    /// The audit seal, when an `audit` instance sealed this run.
    pub audit: Option<AuditSeal>,
}

/// An audit instance's seal of the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditSeal {
    /// The log's origin line (`nethical/<pipeline>`).
    pub origin: String,
    /// Events this run appended.
    pub events: u64,
    /// The checkpoint's tree size after the append.
    pub tree_size: u64,
    /// The checkpoint's Merkle root (hex).
    pub root: String,
    /// Whether the checkpoint is signed.
    pub signed: bool,
}

impl RunContext {
    /// Reads `run.json` and, if present, `audit/seal.json` and `audit/consistency.json` of a
    /// run folder, each through the type its writer uses; `None` without a readable `run.json`.
    /// A seal without a readable consistency record (or the reverse) shows no seal: the views
    /// would otherwise print a root of nothing.
    pub fn read(run_dir: &Path) -> Option<Self> {
        let run = RunSummary::from_bytes(&std::fs::read(run_dir.join(RUN_FILE)).ok()?, RUN_FILE).ok()?;
        let audit_file = |name: &str| std::fs::read(run_dir.join("audit").join(name)).ok();
        let seal = audit_file(SEAL_FILE).and_then(|b| serde_json::from_slice::<SealRecord>(&b).ok());
        let consistency =
            audit_file(CONSISTENCY_FILE).and_then(|b| serde_json::from_slice::<ConsistencyRecord>(&b).ok());
        let audit = match (seal, consistency) {
            (Some(seal), Some(consistency)) => Some(AuditSeal {
                origin: seal.origin,
                events: seal.events,
                tree_size: consistency.to.size,
                root: consistency.to.root,
                signed: seal.signed,
            }),
            _ => None,
        };
        Some(Self {
            pipeline: run.pipeline,
            manifest: run.manifest,
            manifest_digest: run.manifest_digest,
            seed: run.seed,
            tool_version: run.tool_version,
            git: run.git.map(|g| format!("{}{}", g.commit, if g.dirty { "-dirty" } else { "" })),
            audit,
        })
    }

    /// `key: value` lines, for both views.
    pub(crate) fn lines(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("pipeline", self.pipeline.clone()),
            ("manifest", format!("{} (sha256 {})", self.manifest, self.manifest_digest)),
            ("seed", self.seed.to_string()),
            ("git commit", self.git.clone().unwrap_or_else(|| "none (not in a git repository)".to_owned())),
            ("nethical", self.tool_version.clone()),
        ];
        if let Some(a) = &self.audit {
            out.push((
                "audit",
                format!(
                    "{} events sealed into {}: checkpoint size {}, root {}{}",
                    a.events,
                    a.origin,
                    a.tree_size,
                    a.root,
                    if a.signed { " (signed)" } else { "" }
                ),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::{GitInfo, RunStatus};
    use crate::trail::TreeHead;

    fn summary(git: Option<GitInfo>) -> RunSummary {
        RunSummary {
            format_version: RunSummary::FORMAT,
            run_id: "20231114T221320Z-abc123".to_owned(),
            pipeline: "p".to_owned(),
            status: RunStatus::Succeeded,
            manifest: "pipelines/p.toml".to_owned(),
            manifest_digest: "abc123ff".to_owned(),
            git,
            tool_version: "0.1.0".to_owned(),
            seed: 42,
            started_at: "2023-11-14T22:13:20Z".to_owned(),
            executor: "local".to_owned(),
            jobs: 2,
            seconds: 1.5,
            instances: Vec::new(),
        }
    }

    /// Writes the three files as the runner and the audit stage do (pretty JSON of their types).
    fn write(dir: &Path, run: &RunSummary, seal: Option<(&SealRecord, &ConsistencyRecord)>) {
        std::fs::write(dir.join(RUN_FILE), serde_json::to_vec_pretty(run).expect("json")).expect("write");
        if let Some((seal, consistency)) = seal {
            std::fs::create_dir_all(dir.join("audit")).expect("mkdir");
            std::fs::write(dir.join("audit").join(SEAL_FILE), serde_json::to_vec_pretty(seal).expect("json"))
                .expect("write");
            std::fs::write(
                dir.join("audit").join(CONSISTENCY_FILE),
                serde_json::to_vec_pretty(consistency).expect("json"),
            )
            .expect("write");
        }
    }

    #[test]
    fn reads_a_written_run_folder_with_and_without_an_audit_seal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        assert_eq!(RunContext::read(d), None);
        write(d, &summary(Some(GitInfo { commit: "deadbeef".to_owned(), dirty: true })), None);
        let c = RunContext::read(d).expect("context");
        assert_eq!(
            (c.pipeline.as_str(), c.manifest.as_str(), c.manifest_digest.as_str(), c.seed, c.tool_version.as_str()),
            ("p", "pipelines/p.toml", "abc123ff", 42, "0.1.0")
        );
        assert_eq!(c.git.as_deref(), Some("deadbeef-dirty"));
        assert_eq!(c.audit, None);
        let seal = SealRecord {
            audit_instance: "audit".to_owned(),
            events: 53,
            first_event: 0,
            format_version: 1,
            log: "../audit".to_owned(),
            origin: "nethical/p".to_owned(),
            recovery_events: 0,
            run: Some("20231114T221320Z-abc123".to_owned()),
            signed: true,
        };
        let consistency = ConsistencyRecord {
            from: TreeHead { root: "aa00".to_owned(), size: 0 },
            proof: Vec::new(),
            to: TreeHead { root: "bb61".to_owned(), size: 53 },
        };
        write(d, &summary(None), Some((&seal, &consistency)));
        let c = RunContext::read(d).expect("context");
        assert_eq!(c.git, None);
        let a = c.audit.expect("seal");
        assert_eq!(
            (a.origin.as_str(), a.events, a.tree_size, a.root.as_str(), a.signed),
            ("nethical/p", 53, 53, "bb61", true)
        );
    }

    #[test]
    fn an_older_run_json_without_git_or_executor_reads_with_no_commit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut run = serde_json::to_value(summary(None)).expect("value");
        let fields = run.as_object_mut().expect("object");
        fields.remove("git");
        fields.remove("executor");
        std::fs::write(dir.path().join(RUN_FILE), run.to_string()).expect("write");
        let c = RunContext::read(dir.path()).expect("context");
        assert_eq!((c.pipeline.as_str(), c.git), ("p", None));
    }
}
