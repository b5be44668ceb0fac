//! Golden outputs tie each stage kind's and model type's bytes to its code version.
//!
//! A cache key holds the code versions (`StageKind::code_version`, each model's
//! `CODE_VERSION`), so a build that computes other outputs must bump them or it reuses the old
//! build's cached results silently. This runs one small pipeline with every kind and model on
//! fixed input (`SOURCE_DATE_EPOCH` set by the test builder), reads the digests its lockfile
//! records (every kind but `audit`, which keeps no cached outputs), and compares them with
//! `tests/golden/<name>.json`: a changed digest under an
//! unchanged version fails with the fix. `NETHICAL_UPDATE_GOLDEN=1` rewrites the files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use nethical::plan::{LockEntry, Lockfile};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::common::Test;

/// Every stage kind, and a `train` instance per model type, on a few hundred rows.
const GOLDEN: &str = r#"[pipeline]
name = "golden"
seed = 11

[stages.data]
kind = "load"
source = { synthetic = { num_samples = 400, seed = 5 } }
split = { strategy = "stratified", train_ratio = 0.75 }

[stages.train]
kind = "train"
needs = ["data"]
matrix = { model = ["heuristic", "logistic", "anomaly", "correlation", "simple_transformer"] }
model = "${matrix.model}"
cohort = "m_${matrix.model}"
epochs = 2

[stages.gate]
kind = "gate"
needs = ["train"]

[stages.drift]
kind = "drift"
needs = ["data", "train", "gate"]
reference = "m_logistic"

[stages.phase3]
kind = "phase3"
needs = ["data", "train", "gate"]
drift = { reference = "m_logistic" }

[stages.search]
kind = "optimize"
needs = ["data"]
model = "logistic"
technique = "grid_search"
base = { epochs = 2 }
space = { threshold = [0.4, 0.6] }
baseline = { threshold = 0.5 }

[stages.report]
kind = "report"
needs = ["train", "gate"]

[stages.audit]
kind = "audit"
needs = ["gate", "report", "drift", "phase3", "search"]
"#;

/// One golden file: the code version the outputs were computed with, the digest of the
/// instances' inputs (upstream outputs) and the digest of their outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Golden {
    version: String,
    inputs_sha256: String,
    sha256: String,
}

fn sha256_of(value: &impl Serialize) -> String {
    let text = serde_json::to_string(value).expect("serializable");
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The golden file's name for an instance: its kind, and for a `train` instance its model.
fn golden_name(entry: &LockEntry) -> String {
    match (entry.kind.name(), entry.code.as_ref().and_then(|c| c.model.as_ref())) {
        ("train", Some(model)) => format!("train-{}", model.name),
        (kind, _) => kind.to_owned(),
    }
}

/// "train v1, model logistic v1": the versions a bump of either of which explains new bytes.
fn version_of(entry: &LockEntry) -> String {
    let code = entry.code.as_ref().expect("this build records code versions");
    match &code.model {
        Some(model) => format!("{} v{}, model {} v{}", entry.kind, code.stage, model.name, model.version),
        None => format!("{} v{}", entry.kind, code.stage),
    }
}

/// What is wrong with `now` against the committed `before`, with the fix.
fn mismatch(name: &str, before: Option<&Golden>, now: &Golden) -> Option<String> {
    let Some(before) = before else {
        return Some(format!("no golden file for {name}; create it with NETHICAL_UPDATE_GOLDEN=1"));
    };
    if before == now {
        return None;
    }
    Some(if before.version != now.version {
        format!(
            "code version of {name} is now {} (golden file: {}); update the golden file with NETHICAL_UPDATE_GOLDEN=1",
            now.version, before.version
        )
    } else if before.inputs_sha256 != now.inputs_sha256 {
        format!(
            "inputs of {name} changed (an upstream's output did; its own golden file names it); update the golden file with NETHICAL_UPDATE_GOLDEN=1"
        )
    } else {
        format!(
            "output of {name} changed; bump its code version (now {}) and update the golden file with NETHICAL_UPDATE_GOLDEN=1",
            now.version
        )
    })
}

#[test]
fn every_kind_and_model_writes_its_golden_output_or_bumped_its_version() {
    let t = Test::new();
    let m = t.manifest("golden", GOLDEN);
    t.run(&["run", m.to_str().expect("utf-8")]).ok();
    let lock = Lockfile::read(&t.path().join("pipelines/golden.lock")).expect("readable").expect("written");
    let mut groups: BTreeMap<String, Vec<&LockEntry>> = BTreeMap::new();
    for entry in lock.instances.values() {
        groups.entry(golden_name(entry)).or_default().push(entry);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var("NETHICAL_UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    for (name, entries) in &groups {
        let versions: Vec<String> = entries.iter().map(|e| version_of(e)).collect();
        let now = Golden {
            version: versions[0].clone(),
            inputs_sha256: sha256_of(&entries.iter().map(|e| &e.inputs).collect::<Vec<_>>()),
            sha256: sha256_of(&entries.iter().map(|e| &e.outputs).collect::<Vec<_>>()),
        };
        let path = dir.join(format!("{name}.json"));
        if update {
            let text = serde_json::to_string_pretty(&now).expect("serializable") + "\n";
            std::fs::write(&path, text).expect("write golden file");
            continue;
        }
        let before: Option<Golden> =
            std::fs::read(&path).ok().map(|bytes| serde_json::from_slice(&bytes).expect("golden file is JSON"));
        failures.extend(mismatch(name, before.as_ref(), &now));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let kinds: Vec<&str> = nethical::manifest::StageKind::ALL.iter().map(|k| k.name()).collect();
    // `audit` has no lockfile entry: it appends to the pipeline's log, whose bytes are the log's
    // history and signing key, not a function of its inputs; `tests/it/audit.rs` checks it.
    for kind in kinds.iter().filter(|k| !matches!(**k, "train" | "audit")) {
        assert!(groups.contains_key(*kind), "the golden pipeline has no {kind} stage");
    }
}

#[test]
fn a_changed_output_under_the_same_version_names_the_fix() {
    let before = Golden { version: "gate v1".to_owned(), inputs_sha256: "a".to_owned(), sha256: "b".to_owned() };
    let now = Golden { sha256: "c".to_owned(), ..before.clone() };
    insta::assert_snapshot!(mismatch("gate", Some(&before), &now).unwrap_or_default(), @"output of gate changed; bump its code version (now gate v1) and update the golden file with NETHICAL_UPDATE_GOLDEN=1");
    let bumped = Golden { version: "gate v2".to_owned(), ..now.clone() };
    assert!(
        mismatch("gate", Some(&before), &bumped).is_some_and(|m| m.starts_with("code version of gate is now gate v2"))
    );
    assert_eq!(mismatch("gate", Some(&before), &before.clone()), None);
}
