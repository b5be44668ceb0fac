//! The audit trail through the binary: two runs appended and verified, proofs that check,
//! every kind of tampering detected and named, crash-safe appends repaired by the next run,
//! signed checkpoints, determinism at any `-j`, and the `train --enable-audit` mapping.

use std::fs;
use std::path::Path;

use nethical::audit::{Checkpoint, hash_from_hex, hash_to_hex, leaf_hash, verify_consistency, verify_inclusion};
use serde_json::Value;

use crate::common::{Run, Test, tree};

const AUDITED: &str = r#"[pipeline]
name = "a"
seed = 3

[stages.data]
kind = "load"
source = { synthetic = { num_samples = 500 } }
export_csv = true

[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 3
matrix = { lr = [0.1, 0.5] }
learning_rate = "${matrix.lr}"
cohort = "lr_${matrix.lr}"

[stages.gate]
kind = "gate"
needs = ["train"]
min_accuracy = 0.5
max_ece = 0.5

[stages.audit]
kind = "audit"
needs = ["gate"]
"#;

/// Events one run of [`AUDITED`] seals: run start and end, 5 instances × (start, end), load's
/// 2, each train's 3, each gate's 2.
const PER_RUN: usize = 2 + 10 + 2 + 6 + 4;

/// Events a run of [`AUDITED`] with other gate criteria seals: run start and end, one
/// `stages_reused` naming the load and the trains, and each gate's 4.
const PART_RUN: usize = 3 + 8;

fn audited() -> Test {
    let t = Test::new();
    t.manifest("a", AUDITED);
    t
}

/// A run that appends every instance's events: `--force` recomputes every instance, so the
/// audit instance seals again (a run that computes nothing is cached and appends nothing; see
/// `a_run_that_computes_nothing_seals_nothing`), and without the index of sealed results
/// (`audit/sealed/`, a hint) nothing is known to be in the log already (see
/// `a_run_that_computes_part_seals_only_that_part`).
fn run(t: &Test) -> Run {
    forget_sealed(t);
    t.run(&["run", "--force", "pipelines/a.toml"])
}

/// Removes the index of sealed results, so the next run seals every instance.
fn forget_sealed(t: &Test) {
    let _ = fs::remove_dir_all(t.path().join("runs/a/audit/sealed"));
}

fn verify(t: &Test, extra: &[&str]) -> Run {
    let mut args = vec!["audit", "verify", "runs/a"];
    args.extend_from_slice(extra);
    t.run(&args)
}

fn log_lines(t: &Test) -> Vec<String> {
    fs::read_to_string(t.path().join("runs/a/audit/events.jsonl")).expect("log").lines().map(str::to_owned).collect()
}

fn write_lines(t: &Test, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    fs::write(t.path().join("runs/a/audit/events.jsonl"), text).expect("write log");
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("json")
}

fn hashes(v: &Value) -> Vec<[u8; 32]> {
    v.as_array().expect("array").iter().map(|h| hash_from_hex(h.as_str().expect("hex")).expect("hash")).collect()
}

#[test]
fn two_runs_append_verify_and_prove() {
    let t = audited();
    run(&t).ok();
    let second = run(&t);
    second.ok();
    assert!(
        second.stdout.contains(&format!("sealed {PER_RUN} events (#{PER_RUN}..#{})", 2 * PER_RUN - 1)),
        "{}",
        second.stdout
    );
    let lines = log_lines(&t);
    assert_eq!(lines.len(), 2 * PER_RUN);

    let ok = verify(&t, &[]);
    ok.ok();
    assert!(
        ok.stdout.starts_with(&format!("ok: {} events; checkpoint size {}", 2 * PER_RUN, 2 * PER_RUN)),
        "{}",
        ok.stdout
    );
    assert!(ok.stdout.contains("2 runs, 54 artifacts, 8 model proofs checked"), "{}", ok.stdout);
    verify(&t, &["--json"]).ok();
    t.run(&["audit", "verify", "runs/a/latest"]).ok();

    // The latest checkpoint is C2SP text and matches the recomputed tree.
    let checkpoint =
        Checkpoint::parse(&fs::read_to_string(t.path().join("runs/a/audit/checkpoint")).expect("checkpoint"))
            .expect("a C2SP checkpoint");
    assert_eq!((checkpoint.origin(), checkpoint.size()), ("nethical/a", (2 * PER_RUN) as u64));
    let leaves: Vec<[u8; 32]> = lines.iter().map(|l| leaf_hash(l.as_bytes())).collect();
    assert_eq!(*checkpoint.root(), nethical::audit::root(&leaves));

    // The second run folder holds the checkpoints before and after it, and a consistency
    // proof between them that checks.
    let latest = t.latest("a");
    let consistency = json(&fs::read_to_string(latest.join("audit/consistency.json")).expect("consistency"));
    let (from, to) =
        (consistency["from"]["size"].as_u64().expect("from"), consistency["to"]["size"].as_u64().expect("to"));
    assert_eq!((from, to), (PER_RUN as u64, (2 * PER_RUN) as u64));
    let old_root = nethical::audit::root(&leaves[..PER_RUN]);
    verify_consistency(from, to, &old_root, checkpoint.root(), &hashes(&consistency["proof"])).expect("consistent");
    let before = Checkpoint::parse(&fs::read_to_string(latest.join("audit/checkpoint.before")).expect("before"))
        .expect("before checkpoint");
    assert_eq!((before.size(), *before.root()), (PER_RUN as u64, old_root));

    // `audit prove` and `audit consistency` give RFC 6962 proofs that check.
    let prove = t.run(&["audit", "prove", "runs/a", "--event", "5"]);
    prove.ok();
    let p = json(&prove.stdout);
    assert_eq!(p["event"].as_str(), Some(lines[5].as_str()));
    verify_inclusion(&leaves[5], 5, (2 * PER_RUN) as u64, &hashes(&p["proof"]), checkpoint.root()).expect("included");
    let cons = t.run(&["audit", "consistency", "runs/a", "--from", "7"]);
    cons.ok();
    let c = json(&cons.stdout);
    let root7 = nethical::audit::root(&leaves[..7]);
    assert_eq!(c["old_root"].as_str(), Some(hash_to_hex(&root7).as_str()));
    verify_consistency(7, (2 * PER_RUN) as u64, &root7, checkpoint.root(), &hashes(&c["proof"])).expect("consistent");
    let zero = t.run(&["audit", "consistency", "runs/a", "--from", "0"]);
    zero.code(2);

    // Each model.json proves its own `model_saved` event, and still scores data.
    let model = json(&fs::read_to_string(latest.join("cohorts/lr_0.5/model.json")).expect("model"));
    let audit = &model["audit"];
    let event = audit["event"].as_str().expect("event line");
    assert!(event.contains("\"event\":\"model_saved\""), "{event}");
    let root = hash_from_hex(audit["root"].as_str().expect("root")).expect("root hash");
    verify_inclusion(
        &leaf_hash(event.as_bytes()),
        audit["leaf_index"].as_u64().expect("index"),
        audit["tree_size"].as_u64().expect("size"),
        &hashes(&audit["inclusion_proof"]),
        &root,
    )
    .expect("the model's event is in the log");
    let promoted = latest.join("models/current/lr_0.5_model.json");
    let predict = t.run(&[
        "predict",
        promoted.to_str().expect("utf-8"),
        latest.join("data/data/validation.csv").to_str().expect("utf-8"),
    ]);
    predict.ok();

    let show = t.run(&["audit", "show", "runs/a", "--run", latest.file_name().and_then(|n| n.to_str()).expect("id")]);
    show.ok();
    assert_eq!(show.stdout.lines().count(), PER_RUN);
    assert!(show.stdout.contains("gate_decision") && show.stdout.contains("run_end"), "{}", show.stdout);
    let plan = t.run(&["plan", "pipelines/a.toml"]);
    assert!(plan.stdout.contains("unchanged: these results are sealed in the log already"), "{}", plan.stdout);
}

/// Copies a project with its runs (links kept as links) so each tampering starts fresh.
fn copy_project(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).expect("read dir").filter_map(Result::ok) {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src).expect("link"), &dst).expect("symlink");
        } else if src.is_dir() {
            fs::create_dir_all(&dst).expect("mkdir");
            copy_project(&src, &dst);
        } else {
            fs::copy(&src, &dst).expect("copy");
        }
    }
}

#[test]
fn every_kind_of_tampering_is_detected_and_named() {
    let base = audited();
    run(&base).ok();
    run(&base).ok();
    let first_run = base.run_dirs("a")[0].file_name().and_then(|n| n.to_str()).expect("id").to_owned();
    let tampered = |change: &dyn Fn(&Test), expected: &str| {
        let t = Test::new();
        copy_project(base.path(), t.path());
        verify(&t, &[]).ok();
        change(&t);
        let r = verify(&t, &[]);
        r.code(1);
        assert!(r.stderr.contains(expected), "expected `{expected}` in:\n{}", r.stderr);
    };

    tampered(
        &|t| {
            let mut lines = log_lines(t);
            lines[4] = lines[4].replacen("\"id\":\"data\"", "\"id\":\"dbta\"", 1);
            write_lines(t, &lines);
        },
        "line 6 does not chain to line 5: its `prev` is not that line's leaf hash, so line 5 was edited",
    );
    tampered(
        &|t| {
            let mut lines = log_lines(t);
            lines.remove(9);
            write_lines(t, &lines);
        },
        "line 10 holds event 10 where event 9 belongs: a line was removed, inserted or reordered",
    );
    tampered(
        &|t| {
            let mut lines = log_lines(t);
            lines.swap(2, 3);
            write_lines(t, &lines);
        },
        "line 3 holds event 3 where event 2 belongs",
    );
    tampered(
        &|t| {
            let lines = log_lines(t);
            write_lines(t, &lines[..lines.len() - 5]);
        },
        &format!(
            "it seals {} events but the log holds {} valid lines: the log was truncated",
            2 * PER_RUN,
            2 * PER_RUN - 5
        ),
    );
    tampered(
        &|t| {
            let lines = log_lines(t);
            let last = lines.last().expect("a line");
            let mut text = lines.join("\n");
            text.push('\n');
            let forged = format!(
                "{{\"event\":\"note\",\"prev\":\"{}\",\"run\":\"x\",\"seq\":{}}}\n",
                hash_to_hex(&leaf_hash(last.as_bytes())),
                lines.len()
            );
            text.push_str(&forged);
            fs::write(t.path().join("runs/a/audit/events.jsonl"), text).expect("write");
        },
        &format!("events {}..{} were appended without a checkpoint", 2 * PER_RUN + 1, 2 * PER_RUN + 1),
    );
    tampered(
        &|t| {
            let metrics = t.path().join("runs/a").join(&first_run).join("cohorts/lr_0.1/metrics.json");
            let text = fs::read_to_string(&metrics).expect("metrics").replacen(
                "\"accuracy\": ",
                "\"accuracy\": 1.0, \"was\": ",
                1,
            );
            crate::common::replace_file(&metrics, text);
        },
        &format!("run {first_run}: artifact `cohorts/lr_0.1/metrics.json` was edited"),
    );
    tampered(
        &|t| {
            let model = t.path().join("runs/a").join(&first_run).join("models/current/lr_0.5_model.json");
            let text =
                fs::read_to_string(&model).expect("model").replacen("\"threshold\": 0.5", "\"threshold\": 0.1", 1);
            crate::common::replace_file(&model, text);
        },
        &format!("run {first_run}: model `models/current/lr_0.5_model.json` was edited"),
    );
    tampered(
        &|t| {
            fs::remove_file(t.path().join("runs/a").join(&first_run).join("cohorts/lr_0.1/predictions.csv"))
                .expect("rm")
        },
        &format!("run {first_run}: artifact `cohorts/lr_0.1/predictions.csv` was removed"),
    );
    // The latest checkpoint replaced by the first run's: the second run's events are left
    // without a checkpoint, and the second run folder's own copy disagrees with it.
    tampered(
        &|t| {
            fs::copy(
                t.path().join("runs/a").join(&first_run).join("audit/checkpoint"),
                t.path().join("runs/a/audit/checkpoint"),
            )
            .expect("copy");
        },
        &format!("events {}..{} were appended without a checkpoint", PER_RUN + 1, 2 * PER_RUN),
    );
    // A rewritten log with a fresh checkpoint to match is caught by the checkpoints the run
    // folders recorded.
    tampered(
        &|t| {
            let mut lines = log_lines(t);
            lines.truncate(PER_RUN);
            write_lines(t, &lines);
            fs::copy(
                t.path().join("runs/a").join(&first_run).join("audit/checkpoint"),
                t.path().join("runs/a/audit/checkpoint"),
            )
            .expect("copy");
        },
        "its `audit/checkpoint` (size 48) does not match the log: it seals 48 events but the log holds 24",
    );

    // A run refuses to append to a log that does not verify, and fails.
    let t = Test::new();
    copy_project(base.path(), t.path());
    let mut lines = log_lines(&t);
    lines[7] = lines[7].replacen("\"event\":", "\"edited\":true,\"event\":", 1);
    write_lines(&t, &lines);
    let refused = run(&t);
    refused.code(1);
    assert!(
        refused.stderr.contains("audit failed: the audit log does not verify: line 9 does not chain to line 8"),
        "{}",
        refused.stderr
    );
    assert_eq!(log_lines(&t), lines, "nothing appended");

    // A checkpoint kept from the first run: the log must extend it.
    let kept = base.path().join("runs/a").join(&first_run).join("audit/checkpoint");
    verify(&base, &["--checkpoint", kept.to_str().expect("utf-8")]).ok();
    let forged = base.path().join("forged.checkpoint");
    fs::write(&forged, "nethical/a\n24\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").expect("write");
    let r = verify(&base, &["--checkpoint", forged.to_str().expect("utf-8")]);
    r.code(1);
    assert!(r.stderr.contains("the log does not extend"), "{}", r.stderr);
}

#[test]
fn an_append_killed_midway_is_reported_then_repaired_by_the_next_run() {
    let t = audited();
    run(&t).ok();
    forget_sealed(&t);
    let killed =
        t.run_with(&[("NETHICAL_FAILPOINTS", "audit=crash(mid_append)")], &["run", "--force", "pipelines/a.toml"]);
    assert_ne!(killed.code, 0, "the process aborted");
    let r = verify(&t, &[]);
    r.code(1);
    assert!(
        r.stderr.contains("is torn (no final newline): an append was interrupted; the next run repairs it"),
        "{}",
        r.stderr
    );

    let next = run(&t);
    next.ok();
    assert!(next.stdout.contains("(after repairing an interrupted append)"), "{}", next.stdout);
    verify(&t, &[]).ok();
    let lines = log_lines(&t);
    assert_eq!(lines.len(), 2 * PER_RUN + 1);
    let repair = json(&lines[PER_RUN]);
    assert_eq!(repair["event"], "log_repaired");
    assert!(repair["dropped_bytes"].as_u64().is_some_and(|n| n > 0));
}

#[test]
fn events_written_whole_before_a_kill_are_accepted_then_sealed() {
    let t = audited();
    run(&t).ok();
    forget_sealed(&t);
    let killed = t.run_with(
        &[("NETHICAL_FAILPOINTS", "audit=crash(before_checkpoint)")],
        &["run", "--force", "pipelines/a.toml"],
    );
    assert_ne!(killed.code, 0);
    let r = verify(&t, &[]);
    r.ok();
    assert!(r.stdout.contains("were written whole by a run interrupted before its checkpoint"), "{}", r.stdout);
    run(&t).ok();
    verify(&t, &[]).ok();
    let lines = log_lines(&t);
    assert_eq!(lines.len(), 3 * PER_RUN + 1);
    assert_eq!(json(&lines[2 * PER_RUN])["event"], "log_recovered");
}

#[test]
fn signed_checkpoints_verify_with_the_key_and_the_key_stays_secret() {
    let t = audited();
    let keygen = t.run(&["audit", "keygen", "nethical/a", "--out", "audit.key"]);
    keygen.ok();
    fs::write(t.path().join("audit.pub"), &keygen.stdout).expect("write verifier");
    let private = fs::read_to_string(t.path().join("audit.key")).expect("key");
    assert!(private.starts_with("PRIVATE+KEY+nethical/a+"), "{private}");
    let key = t.path().join("audit.key").to_string_lossy().into_owned();
    let r = t.run_with(&[("NETHICAL_AUDIT_KEY", &key)], &["run", "pipelines/a.toml"]);
    r.ok();
    let checkpoint = fs::read_to_string(t.path().join("runs/a/audit/checkpoint")).expect("checkpoint");
    assert!(checkpoint.contains("\n\n— nethical/a "), "{checkpoint}");
    let ok = verify(&t, &["--key", "audit.pub"]);
    ok.ok();
    assert!(ok.stdout.contains("signature valid"), "{}", ok.stdout);

    t.run(&["audit", "keygen", "nethical/a", "--out", "other.key"]).stdout.clone_into(&mut String::new());
    let other = t.run(&["audit", "keygen", "nethical/a", "--out", "third.key"]);
    fs::write(t.path().join("other.pub"), &other.stdout).expect("write");
    let bad = verify(&t, &["--key", "other.pub"]);
    bad.code(1);
    assert!(bad.stderr.contains("checkpoint"), "{}", bad.stderr);

    // The key material follows the name; base64 may itself contain `+`, so strip the prefix.
    let secret = private.trim().strip_prefix("PRIVATE+KEY+nethical/a+").expect("key material").to_owned();
    assert!(secret.len() > 40, "{secret}");
    for (path, bytes) in tree(&t.path().join("runs")) {
        assert!(!String::from_utf8_lossy(&bytes).contains(&secret), "private key in {path}");
    }
    for out in [&r.stdout, &r.stderr, &keygen.stdout, &keygen.stderr] {
        assert!(!out.contains(&secret), "private key printed");
    }
}

#[test]
fn the_log_and_the_run_folder_are_identical_at_any_j() {
    let one = audited();
    let four = audited();
    one.run(&["run", "-j", "1", "pipelines/a.toml"]).ok();
    four.run(&["run", "-j", "4", "pipelines/a.toml"]).ok();
    assert_eq!(log_lines(&one), log_lines(&four));
    let (a, b) = (tree(&one.latest("a")), tree(&four.latest("a")));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(b[path] == *bytes, "{path} differs between -j 1 and -j 4");
    }
}

#[test]
fn train_enable_audit_writes_the_log_where_audit_path_says() {
    let t = Test::new();
    let r = t.run(&[
        "train",
        "--model-type",
        "logistic",
        "--no-download",
        "--epochs",
        "2",
        "--num-samples",
        "300",
        "--enable-audit",
        "--audit-path",
        "trail",
    ]);
    r.ok();
    assert!(t.path().join("trail/events.jsonl").exists());
    t.run(&["audit", "verify", "trail"]).ok();
    // The run folder knows where its log is, so verifying it checks its artifacts too.
    let v = t.run(&["audit", "verify", t.latest("train").to_str().expect("utf-8")]);
    v.ok();
    assert!(v.stdout.contains("1 runs, 15 artifacts, 2 model proofs checked"), "{}", v.stdout);
}

#[test]
fn nothing_may_need_an_audit_stage() {
    let t = Test::new();
    let m = t.manifest(
        "bad",
        &format!(
            "{AUDITED}\n[stages.after]\nkind = \"audit\"\nneeds = [\"audit\"]\n\n[stages.lonely]\nkind = \"audit\"\n"
        ),
    );
    let r = t.run(&["validate", m.to_str().expect("utf-8")]);
    r.code(2);
    insta::assert_snapshot!("audit_stage_errors", r.stderr);
}

/// A plain run (not forced): instances unchanged since the last run come from the cache.
fn run_plain(t: &Test) -> Run {
    t.run(&["run", "pipelines/a.toml"])
}

#[test]
fn a_run_that_computes_nothing_seals_nothing() {
    let t = audited();
    run_plain(&t).ok();
    let first = t.latest("a");
    let first_id = first.file_name().and_then(|n| n.to_str()).expect("id").to_owned();
    assert_eq!(log_lines(&t).len(), PER_RUN);

    // `plan` says all cached, the audit instance included.
    let plan = t.run(&["plan", "pipelines/a.toml"]);
    plan.ok();
    assert!(plan.stdout.contains("0 to run"), "{}", plan.stdout);
    assert!(plan.stdout.contains("unchanged: these results are sealed in the log already"), "{}", plan.stdout);

    // The no-op run appends nothing, and its folder shows the seal its results are in.
    let again = run_plain(&t);
    again.ok();
    assert_eq!(log_lines(&t).len(), PER_RUN, "the log did not grow");
    let second = t.latest("a");
    assert_ne!(second, first);
    let summary = t.read_json(&second.join("run.json"));
    let audit = summary["instances"].as_array().expect("instances").iter().find(|i| i["id"] == "audit").expect("audit");
    assert_eq!(audit["status"], "cached");
    assert!(audit["summary"].as_str().expect("summary").contains(&format!("run {first_id} sealed {PER_RUN} events")));
    let seal = t.read_json(&second.join("audit/seal.json"));
    assert_eq!(seal["run"].as_str(), Some(first_id.as_str()));
    for name in ["checkpoint", "checkpoint.before", "consistency.json", "seal.json"] {
        assert_eq!(fs::read(second.join("audit").join(name)).ok(), fs::read(first.join("audit").join(name)).ok());
    }
    // The models carry their proofs, which point at the first run's events.
    let model = t.read_json(&second.join("cohorts/lr_0.5/model.json"));
    assert!(model["audit"]["event"].as_str().expect("event").contains(&format!("\"run\":\"{first_id}\"")));
    let v = verify(&t, &[]);
    v.ok();
    assert!(v.stdout.contains("2 runs, 54 artifacts, 8 model proofs checked"), "{}", v.stdout);

    // A change seals again (only what changed: the two gates); changing it back finds the
    // first seal still in the log.
    let changed = AUDITED.replace("max_ece = 0.5", "max_ece = 0.4");
    t.manifest("a", &changed);
    run_plain(&t).ok();
    assert_eq!(log_lines(&t).len(), PER_RUN + PART_RUN);
    t.manifest("a", AUDITED);
    let back = run_plain(&t);
    back.ok();
    assert_eq!(log_lines(&t).len(), PER_RUN + PART_RUN, "the first seal is reused");
    assert_eq!(t.read_json(&t.latest("a").join("audit/seal.json"))["run"].as_str(), Some(first_id.as_str()));
    verify(&t, &[]).ok();

    // An edited model in a no-op run's folder is found like any other.
    let edited = t.latest("a").join("cohorts/lr_0.5/model.json");
    let mut m = t.read_json(&edited);
    m["training_rows"] = serde_json::json!(1);
    crate::common::replace_file(&edited, serde_json::to_vec(&m).expect("json"));
    let r = verify(&t, &[]);
    r.code(1);
    assert!(r.stderr.contains("model `cohorts/lr_0.5/model.json` was edited"), "{}", r.stderr);
}

#[test]
fn a_run_that_computes_part_seals_only_that_part() {
    let t = audited();
    run_plain(&t).ok();
    let first = t.latest("a");
    let first_id = first.file_name().and_then(|n| n.to_str()).expect("id").to_owned();
    t.manifest("a", &AUDITED.replace("max_ece = 0.5", "max_ece = 0.4"));
    let second_run = run_plain(&t);
    second_run.ok();
    assert!(second_run.stdout.contains("3 results sealed by earlier runs named"), "{}", second_run.stdout);
    let lines = log_lines(&t);
    assert_eq!(lines.len(), PER_RUN + PART_RUN);
    let reused = json(&lines[PER_RUN + 1]);
    assert_eq!(reused["event"], "stages_reused");
    let names: Vec<&String> = reused["reused"].as_object().expect("reused").keys().collect();
    assert_eq!(names, ["data", "train[lr=0.1]", "train[lr=0.5]"]);
    assert_eq!(reused["reused"]["data"]["sealed_by"].as_str(), Some(first_id.as_str()));
    assert!(lines[PER_RUN..].iter().all(|l| !l.contains("\"event\":\"model_saved\"")), "no model sealed twice");

    // The reused models (the cohorts' and the gates' promoted copies) carry the first run's
    // proofs, and verify maps the reused results to the first run's events.
    let second = t.latest("a");
    for rel in ["cohorts/lr_0.5/model.json", "models/current/lr_0.5_model.json"] {
        let model = t.read_json(&second.join(rel));
        assert!(model["audit"]["event"].as_str().expect("event").contains(&format!("\"run\":\"{first_id}\"")));
    }
    let v = verify(&t, &[]);
    v.ok();
    assert!(v.stdout.contains("2 runs, 54 artifacts, 8 model proofs checked"), "{}", v.stdout);

    // The index is a hint: a record naming a run whose folder does not prove the result is
    // not believed; that result is sealed again.
    for (record, bytes) in tree(&t.path().join("runs/a/audit/sealed")) {
        let text = String::from_utf8(bytes).expect("record");
        if text.contains("\"id\": \"train[lr=0.5]\"") {
            let path = t.path().join("runs/a/audit/sealed").join(&record);
            crate::common::replace_file(&path, text.replace(&first_id, "20000101T000000Z-000000").into_bytes());
        }
    }
    t.manifest("a", &AUDITED.replace("max_ece = 0.5", "max_ece = 0.3"));
    let third = run_plain(&t);
    third.ok();
    assert!(third.stdout.contains("2 results sealed by earlier runs named"), "{}", third.stdout);
    // Run start and end, `stages_reused`, the train's 5 and the gates' 8.
    assert_eq!(log_lines(&t).len(), PER_RUN + PART_RUN + 16);
    verify(&t, &[]).ok();

    // A `stages_reused` naming a run that never sealed the result is named by verify.
    let lines = log_lines(&t);
    let forged = format!(
        "{{\"event\":\"stages_reused\",\"prev\":\"{}\",\"reused\":{{\"train[lr=0.1]\":{{\"cache_key\":\"00\",\"sealed_by\":\"nope\"}}}},\"run\":\"x\",\"seq\":{}}}",
        hash_to_hex(&leaf_hash(lines.last().expect("a line").as_bytes())),
        lines.len()
    );
    let mut with = lines.clone();
    with.push(forged);
    write_lines(&t, &with);
    let r = verify(&t, &[]);
    r.code(1);
    assert!(
        r.stderr.contains("run x names `train[lr=0.1]` as sealed by run nope, but that run's events do not seal it"),
        "{}",
        r.stderr
    );
    write_lines(&t, &lines);

    // An edited reused model is found like any other.
    forget_sealed(&t);
    let edited = second.join("cohorts/lr_0.1/model.json");
    let mut m = t.read_json(&edited);
    m["training_rows"] = serde_json::json!(1);
    crate::common::replace_file(&edited, serde_json::to_vec(&m).expect("json"));
    let r = verify(&t, &[]);
    r.code(1);
    assert!(r.stderr.contains("model `cohorts/lr_0.1/model.json` was edited"), "{}", r.stderr);
}

#[test]
fn record_cached_runs_logs_one_event_naming_the_seal() {
    let t = Test::new();
    t.manifest("a", &format!("{AUDITED}record_cached_runs = true\n"));
    run_plain(&t).ok();
    let first_id = t.latest("a").file_name().and_then(|n| n.to_str()).expect("id").to_owned();
    let plan = t.run(&["plan", "pipelines/a.toml"]);
    assert!(plan.stdout.contains("record_cached_runs: logs one event naming the reused results"), "{}", plan.stdout);
    run_plain(&t).ok();
    let lines = log_lines(&t);
    assert_eq!(lines.len(), PER_RUN + 1);
    let event = json(&lines[PER_RUN]);
    assert_eq!(event["event"], "run_cached");
    assert_eq!(event["sealed_by"].as_str(), Some(first_id.as_str()));
    assert_eq!(event["sealed_events"], serde_json::json!({"first": 0, "count": PER_RUN}));
    assert_eq!(event["reused"].as_object().expect("reused").len(), 5);
    let second = t.latest("a");
    let seal = t.read_json(&second.join("audit/seal.json"));
    assert_eq!((seal["first_event"].as_u64(), seal["events"].as_u64()), (Some(PER_RUN as u64), Some(1)));
    let v = verify(&t, &[]);
    v.ok();
    assert!(v.stdout.contains("2 runs, 54 artifacts, 8 model proofs checked"), "{}", v.stdout);
}

#[test]
fn the_frontier_file_changes_no_byte_and_a_tampered_tail_is_still_caught() {
    // With and without the frontier file (the slow path reads the whole log), the log, the
    // checkpoints and the proofs are the same bytes.
    let fast = audited();
    let slow = audited();
    for t in [&fast, &slow] {
        run(t).ok();
        if std::ptr::eq(t, &slow) {
            fs::remove_file(t.path().join("runs/a/audit/frontier.json")).expect("frontier file");
        }
        run(t).ok();
    }
    assert_eq!(
        fs::read(fast.path().join("runs/a/audit/events.jsonl")).ok(),
        fs::read(slow.path().join("runs/a/audit/events.jsonl")).ok()
    );
    let (a, b) = (tree(&fast.latest("a")), tree(&slow.latest("a")));
    assert_eq!(a.get("audit/consistency.json"), b.get("audit/consistency.json"));
    assert_eq!(a.get("cohorts/lr_0.5/model.json"), b.get("cohorts/lr_0.5/model.json"));
    assert!(slow.path().join("runs/a/audit/frontier.json").is_file(), "the slow path writes it again");

    // An edit to the last event, same length: the tail no longer matches the frontier file,
    // so the next append reads the log and refuses it.
    let mut lines = log_lines(&fast);
    let last = lines.len() - 1;
    lines[last] = lines[last].replace("\"run_end\"", "\"run_enD\"");
    write_lines(&fast, &lines);
    let r = run(&fast);
    assert_ne!(r.code, 0);
    assert!(
        r.stdout.contains("do not hash to the checkpoint's root")
            || r.stderr.contains("do not hash to the checkpoint's root"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
}

/// `git` in `args` at the test's folder, which must succeed; its output.
fn git(t: &Test, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(args)
        .current_dir(t.path())
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn run_json_and_the_audit_log_record_the_git_state_the_run_started_from() {
    let t = audited();
    git(&t, &["init", "-q"]);
    t.file(".gitignore", "runs/\n.nethical/\npipelines/*.lock\n");
    git(&t, &["add", "."]);
    git(&t, &["commit", "-qm", "pipeline"]);
    let head = git(&t, &["rev-parse", "HEAD"]).trim().to_owned();
    let recorded = |t: &Test| {
        let summary = t.read_json(&t.latest("a").join("run.json"));
        let start = log_lines(t).iter().rev().map(|l| json(l)).find(|e| e["event"] == "run_start").expect("run_start");
        assert_eq!(summary["git"], start["git"], "run.json and the log agree");
        summary["git"].clone()
    };
    run(&t).ok();
    assert_eq!(recorded(&t), serde_json::json!({"commit": head, "dirty": false}));
    // A tracked file changed: dirty. An untracked one alone would not be.
    let manifest = t.path().join("pipelines/a.toml");
    fs::write(&manifest, format!("{AUDITED}# edited\n")).expect("edit");
    run(&t).ok();
    assert_eq!(recorded(&t), serde_json::json!({"commit": head, "dirty": true}));
}
