//! What the report's views say about the run itself: manifest, digest, seed, git commit, tool
//! version, and the audit seal (checkpoint size and root).
//!
//! None of it is in `comparison.json`. That file is a cached stage output, and a git commit or
//! an audit root in it would either go stale when the cache restores it or defeat the cache.
//! The views are rendered when the run ends, from `comparison.json`, the run folder's
//! `run.json` and `audit/`; `nethical report` renders them again from the same files.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    /// run folder; `None` without a readable `run.json`.
    pub fn read(run_dir: &Path) -> Option<Self> {
        let json =
            |rel: &str| -> Option<Value> { serde_json::from_slice(&std::fs::read(run_dir.join(rel)).ok()?).ok() };
        let run = json("run.json")?;
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let git = run.get("git").filter(|g| !g.is_null()).map(|g| {
            let dirty = g.get("dirty").and_then(Value::as_bool).unwrap_or(false);
            format!("{}{}", text(g, "commit"), if dirty { "-dirty" } else { "" })
        });
        let audit = match (json("audit/seal.json"), json("audit/consistency.json")) {
            (Some(seal), Some(consistency)) => Some(AuditSeal {
                origin: text(&seal, "origin"),
                events: seal.get("events").and_then(Value::as_u64).unwrap_or(0),
                tree_size: consistency.pointer("/to/size").and_then(Value::as_u64).unwrap_or(0),
                root: consistency.pointer("/to/root").and_then(Value::as_str).unwrap_or_default().to_owned(),
                signed: seal.get("signed").and_then(Value::as_bool).unwrap_or(false),
            }),
            _ => None,
        };
        Some(Self {
            pipeline: text(&run, "pipeline"),
            manifest: text(&run, "manifest"),
            manifest_digest: text(&run, "manifest_digest"),
            seed: run.get("seed").and_then(Value::as_u64).unwrap_or(0),
            tool_version: text(&run, "tool_version"),
            git,
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

    #[test]
    fn reads_a_run_folder_with_and_without_an_audit_seal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        assert_eq!(RunContext::read(d), None);
        std::fs::write(
            d.join("run.json"),
            r#"{"pipeline":"p","run_id":"20231114T221320Z-abc123","manifest":"pipelines/p.toml","manifest_digest":"abc123ff","seed":42,"tool_version":"0.1.0","git":{"commit":"deadbeef","dirty":true}}"#,
        )
        .expect("write");
        let c = RunContext::read(d).expect("context");
        assert_eq!(c.pipeline, "p");
        assert_eq!(c.git.as_deref(), Some("deadbeef-dirty"));
        assert_eq!(c.audit, None);
        std::fs::create_dir(d.join("audit")).expect("mkdir");
        std::fs::write(d.join("audit/seal.json"), r#"{"origin":"nethical/p","events":53,"signed":false}"#).expect("w");
        std::fs::write(d.join("audit/consistency.json"), r#"{"to":{"size":53,"root":"bb61"}}"#).expect("w");
        let a = RunContext::read(d).and_then(|c| c.audit).expect("seal");
        assert_eq!((a.events, a.tree_size, a.root.as_str()), (53, 53, "bb61"));
    }
}
