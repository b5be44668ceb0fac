//! The audit log's trust policy through the binary: the first signed run pins its key
//! (`audit/policy.json` and an `audit_policy` event), runs without it or with another key are
//! refused before any work (exit 2), and `verify` (without `--key`) refuses unsigned or
//! differently signed checkpoints, run folders' copies and edited `seal.json` files (exit 1),
//! saying which way a signature fails.

use std::fs;
use std::path::Path;

use nethical::audit::{Checkpoint, NoteSigner, hash_to_hex, leaf_hash, root};
use serde_json::Value;

use crate::common::{Run, Test, scrub};

const MANIFEST: &str = r#"[pipeline]
name = "a"
seed = 3

[stages.data]
kind = "load"
source = { synthetic = { num_samples = 300 } }

[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 2

[stages.audit]
kind = "audit"
needs = ["train"]
"#;

/// Events one unsigned run seals: run start and end, 2 instances × (start, end), load's 2,
/// train's 3.
const PER_RUN: usize = 2 + 4 + 2 + 3;

/// A project with the manifest and two deterministic signing keys, `log.key` and `other.key`
/// (fixed seeds, so key ids and messages are stable).
fn project() -> Test {
    let t = Test::new();
    t.manifest("a", MANIFEST);
    for (file, seed) in [("log.key", 7u8), ("other.key", 8u8)] {
        let signer = NoteSigner::from_seed("nethical/a", [seed; 32]).expect("signer");
        t.file(file, &format!("{}\n", &*signer.to_private_key_text()));
    }
    t
}

fn signer(t: &Test, file: &str) -> NoteSigner {
    NoteSigner::from_file(&t.path().join(file)).expect("key")
}

/// A run that appends (`--force`: a run that computes nothing appends nothing).
/// A run that seals every instance: `--force` recomputes them, and without the index of sealed
/// results (`audit/sealed/`, a hint) none is known to be in the log already.
fn run(t: &Test, key: Option<&str>) -> Run {
    let _ = fs::remove_dir_all(t.path().join("runs/a/audit/sealed"));
    match key {
        Some(k) => t.run_with(&[("NETHICAL_AUDIT_KEY", k)], &["run", "--force", "pipelines/a.toml"]),
        None => t.run(&["run", "--force", "pipelines/a.toml"]),
    }
}

fn verify(t: &Test, extra: &[&str]) -> Run {
    let mut args = vec!["audit", "verify", "runs/a"];
    args.extend_from_slice(extra);
    t.run(&args)
}

fn audit_file(t: &Test, name: &str) -> std::path::PathBuf {
    t.path().join("runs/a/audit").join(name)
}

fn log_lines(t: &Test) -> Vec<String> {
    fs::read_to_string(audit_file(t, "events.jsonl")).expect("log").lines().map(str::to_owned).collect()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("json")
}

/// Output with the temporary folder and run ids replaced, for snapshots.
fn scrubbed(t: &Test, text: &str) -> String {
    let real = fs::canonicalize(t.path()).expect("path");
    scrub(&text.replace(&real.display().to_string(), "[TMP]").replace(&t.path().display().to_string(), "[TMP]"))
}

/// A copy of the project to tamper with.
fn copy_of(base: &Test) -> Test {
    let t = Test::new();
    copy_tree(base.path(), t.path());
    t
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let meta = fs::symlink_metadata(&src).expect("meta");
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src).expect("link"), &dst).expect("symlink");
        } else if meta.is_dir() {
            fs::create_dir_all(&dst).expect("mkdir");
            copy_tree(&src, &dst);
        } else {
            fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// The run folders, oldest first.
fn run_ids(t: &Test) -> Vec<String> {
    t.run_dirs("a").iter().map(|p| p.file_name().and_then(|n| n.to_str()).expect("id").to_owned()).collect()
}

/// The checkpoint's text without its signatures.
fn body(text: &str) -> String {
    text.split("\n\n").next().map(|b| format!("{b}\n")).expect("text")
}

/// A project after two runs signed with `log.key`.
fn signed_twice() -> Test {
    let t = project();
    run(&t, Some("log.key")).ok();
    run(&t, Some("log.key")).ok();
    t
}

#[test]
fn the_first_signed_run_pins_its_key_in_policy_json_and_the_log() {
    let t = project();
    let r = run(&t, Some("log.key"));
    r.ok();
    let key = signer(&t, "log.key").verifier();
    let id = format!("nethical/a+{:08x}", key.key_id());
    assert!(r.stdout.contains(&format!("key {id} pinned (event #0)")), "{}", r.stdout);
    let policy = json(&fs::read_to_string(audit_file(&t, "policy.json")).expect("policy.json"));
    assert_eq!(policy, serde_json::json!({"format_version": 1, "key": key.to_string(), "event": 0}));
    let lines = log_lines(&t);
    assert_eq!(lines.len(), PER_RUN + 1, "the policy event and the run's");
    let first = json(&lines[0]);
    assert_eq!(first["event"], "audit_policy");
    assert_eq!(first["key"], key.to_string());
    assert_eq!(json(&lines[1])["event"], "run_start");
    let seal = t.read_json(&t.latest("a").join("audit/seal.json"));
    assert_eq!(seal["signed"], true);
    assert_eq!(seal["events"], PER_RUN + 1);

    // `verify` needs no `--key`: the policy names it.
    let v = verify(&t, &[]);
    v.ok();
    assert!(v.stdout.contains(&format!("signature valid (pinned key {id})")), "{}", v.stdout);
    // The model's inclusion proof points at its own event, after the policy event.
    let model = t.read_json(&t.latest("a").join("cohorts/train/model.json"));
    assert_eq!(json(model["audit"]["event"].as_str().expect("event"))["event"], "model_saved");

    // A second signed run continues the log; the policy is not written again.
    run(&t, Some("log.key")).ok();
    assert_eq!(log_lines(&t).len(), 2 * PER_RUN + 1);
    assert_eq!(log_lines(&t).iter().filter(|l| l.contains("\"event\":\"audit_policy\"")).count(), 1);
    verify(&t, &[]).ok();
}

#[test]
fn a_run_without_the_key_or_with_another_is_refused_before_any_work() {
    let t = project();
    run(&t, Some("log.key")).ok();
    let log_before = log_lines(&t);
    let runs_before = run_ids(&t);
    let mut out = String::new();
    for (label, key) in [
        ("no NETHICAL_AUDIT_KEY", None),
        ("another key", Some("other.key")),
        ("a key file that does not exist", Some("missing.key")),
    ] {
        let r = run(&t, key);
        r.code(2);
        assert!(r.stdout.is_empty(), "nothing ran: {}", r.stdout);
        out.push_str(&format!("--- {label}\n{}", scrubbed(&t, &r.stderr)));
        assert_eq!(log_lines(&t), log_before, "nothing appended");
        assert_eq!(run_ids(&t), runs_before, "no run folder");
        assert!(
            !t.path()
                .join("runs/a")
                .read_dir()
                .expect("dir")
                .any(|e| { e.expect("entry").file_name().to_string_lossy().starts_with(".partial") })
        );
    }
    insta::assert_snapshot!("policy_runner_refusals", out);
    // `--force` changes nothing: the refusal comes before the plan is run.
    let forced = t.run(&["run", "--force", "pipelines/a.toml"]);
    forced.code(2);
}

#[test]
fn the_silent_downgrade_is_refused_by_verify_and_by_the_runner() {
    let base = signed_twice();
    let t = copy_of(&base);
    // Strip the signature, append a forged event, write an unsigned checkpoint of the new root.
    let mut lines = log_lines(&t);
    let leaves: Vec<_> = lines.iter().map(|l| leaf_hash(l.as_bytes())).collect();
    let forged = format!(
        "{{\"event\":\"note\",\"prev\":\"{}\",\"run\":\"x\",\"seq\":{}}}",
        hash_to_hex(leaves.last().expect("leaf")),
        lines.len()
    );
    lines.push(forged.clone());
    fs::write(audit_file(&t, "events.jsonl"), format!("{}\n", lines.join("\n"))).expect("write");
    let mut all = leaves;
    all.push(leaf_hash(forged.as_bytes()));
    let checkpoint = Checkpoint::new("nethical/a", all.len() as u64, root(&all), Vec::new()).expect("checkpoint");
    fs::write(audit_file(&t, "checkpoint"), checkpoint.to_text()).expect("write");

    let v = verify(&t, &[]);
    v.code(1);
    let mut out = format!("--- verify\n{}", scrubbed(&t, &v.stderr));
    // Without the key, the runner refuses as before; with it, it refuses to sign on top.
    let r = run(&t, None);
    r.code(2);
    out.push_str(&format!("--- run without the key\n{}", scrubbed(&t, &r.stderr)));
    let r = run(&t, Some("log.key"));
    r.code(2);
    out.push_str(&format!("--- run with the key\n{}", scrubbed(&t, &r.stderr)));
    assert_eq!(log_lines(&t), lines, "nothing appended to the forged log");
    insta::assert_snapshot!("policy_silent_downgrade", out);
}

#[test]
fn each_signature_failure_says_which() {
    let base = signed_twice();
    let text = fs::read_to_string(audit_file(&base, "checkpoint")).expect("checkpoint");
    let other = signer(&base, "other.key");
    let by_other = Checkpoint::parse(&body(&text)).expect("parse").sign(&[&other]).expect("sign").to_text();
    // One base64 character of the signature changed, the key id (its first bytes) kept.
    let (head, sig) = text.trim_end().rsplit_once(' ').expect("signature line");
    let mut sig: Vec<char> = sig.chars().collect();
    let at = sig.len() - 10;
    sig[at] = if sig[at] == 'A' { 'B' } else { 'A' };
    let invalid = format!("{head} {}\n", sig.into_iter().collect::<String>());
    let cases = [
        ("missing", body(&text)),
        ("invalid", invalid),
        ("unknown key", by_other),
        ("malformed line", text.replacen("\n— ", "\n-- ", 1)),
    ];
    let mut out = String::new();
    for (label, checkpoint) in cases {
        let t = copy_of(&base);
        fs::write(audit_file(&t, "checkpoint"), checkpoint).expect("write");
        let v = verify(&t, &[]);
        v.code(1);
        out.push_str(&format!("--- {label}\n{}", scrubbed(&t, &v.stderr)));
    }
    // `--key` with another key: the checkpoint is signed by the log's, unknown to it.
    fs::write(base.path().join("other.pub"), format!("{}\n", other.verifier())).expect("write");
    let v = verify(&base, &["--key", "other.pub"]);
    v.code(1);
    out.push_str(&format!("--- --key another key\n{}", scrubbed(&base, &v.stderr)));
    insta::assert_snapshot!("policy_signature_failures", out);
}

#[test]
fn deleting_or_replacing_policy_json_does_not_lift_the_pin() {
    let base = signed_twice();
    let mut out = String::new();

    // Deleted: the sealed event still pins the key; the next signed run writes the file again.
    let t = copy_of(&base);
    let policy = fs::read_to_string(audit_file(&t, "policy.json")).expect("policy");
    fs::remove_file(audit_file(&t, "policy.json")).expect("rm");
    let v = verify(&t, &[]);
    v.code(1);
    out.push_str(&format!("--- deleted: verify\n{}", scrubbed(&t, &v.stderr)));
    let r = run(&t, None);
    r.code(2);
    out.push_str(&format!("--- deleted: run without the key\n{}", scrubbed(&t, &r.stderr)));
    run(&t, Some("log.key")).ok();
    assert_eq!(fs::read_to_string(audit_file(&t, "policy.json")).expect("restored"), policy);
    verify(&t, &[]).ok();

    // Replaced by one naming another key: refused by both.
    let t = copy_of(&base);
    let other = signer(&t, "other.key").verifier();
    let replaced = format!("{{\"format_version\": 1, \"key\": \"{other}\", \"event\": 0}}\n");
    fs::write(audit_file(&t, "policy.json"), replaced).expect("write");
    let v = verify(&t, &[]);
    v.code(1);
    out.push_str(&format!("--- replaced: verify\n{}", scrubbed(&t, &v.stderr)));
    let r = run(&t, Some("other.key"));
    r.code(2);
    out.push_str(&format!("--- replaced: run with the other key\n{}", scrubbed(&t, &r.stderr)));

    // Not a policy at all.
    let t = copy_of(&base);
    fs::write(audit_file(&t, "policy.json"), "{\"key\": 1}\n").expect("write");
    let v = verify(&t, &[]);
    v.code(1);
    out.push_str(&format!("--- garbage: verify\n{}", scrubbed(&t, &v.stderr)));
    let r = run(&t, Some("log.key"));
    r.code(2);
    out.push_str(&format!("--- garbage: run\n{}", scrubbed(&t, &r.stderr)));
    insta::assert_snapshot!("policy_file_tampering", out);
}

#[test]
fn a_policy_file_that_no_event_seals_is_refused() {
    let t = project();
    run(&t, None).ok();
    let key = signer(&t, "other.key").verifier();
    fs::write(audit_file(&t, "policy.json"), format!("{{\"format_version\": 1, \"key\": \"{key}\", \"event\": 0}}\n"))
        .expect("write");
    let v = verify(&t, &[]);
    v.code(1);
    let mut out = format!("--- verify\n{}", scrubbed(&t, &v.stderr));
    let r = run(&t, None);
    r.code(2);
    out.push_str(&format!("--- run\n{}", scrubbed(&t, &r.stderr)));
    insta::assert_snapshot!("policy_without_event", out);
}

#[test]
fn an_unsigned_log_is_pinned_by_its_first_signed_run() {
    let t = project();
    run(&t, None).ok();
    run(&t, Some("log.key")).ok();
    let lines = log_lines(&t);
    assert_eq!(json(&lines[PER_RUN])["event"], "audit_policy", "the next event after the unsigned run's");
    let policy = json(&fs::read_to_string(audit_file(&t, "policy.json")).expect("policy"));
    assert_eq!(policy["event"], PER_RUN);
    // The unsigned run's checkpoints predate the policy and stay valid.
    let v = verify(&t, &[]);
    v.ok();
    assert!(v.stdout.contains("2 runs"), "{}", v.stdout);
    run(&t, None).code(2);
}

#[test]
fn a_log_signed_before_policies_existed_is_pinned_by_its_checkpoint_signature() {
    // A log whose checkpoint is signed but that has no policy (written by an earlier version):
    // made here by signing an unsigned run's checkpoint.
    let t = project();
    run(&t, None).ok();
    let text = fs::read_to_string(audit_file(&t, "checkpoint")).expect("checkpoint");
    let key = signer(&t, "log.key");
    let signed = Checkpoint::parse(&text).expect("parse").sign(&[&key]).expect("sign").to_text();
    fs::write(audit_file(&t, "checkpoint"), signed).expect("write");
    let mut out = String::new();
    for (label, k) in [("without a key", None), ("with another key", Some("other.key"))] {
        let r = run(&t, k);
        r.code(2);
        out.push_str(&format!("--- {label}\n{}", scrubbed(&t, &r.stderr)));
    }
    insta::assert_snapshot!("policy_legacy_signed_log", out);
    let r = run(&t, Some("log.key"));
    r.ok();
    assert!(r.stdout.contains(&format!("pinned (event #{PER_RUN})")), "{}", r.stdout);
    verify(&t, &[]).ok();
}

#[test]
fn run_folder_checkpoint_copies_are_checked_against_the_pinned_key() {
    let base = signed_twice();
    let first = run_ids(&base)[0].clone();
    let t = copy_of(&base);
    let copy = t.path().join("runs/a").join(&first).join("audit/checkpoint");
    let text = fs::read_to_string(&copy).expect("copy");
    fs::write(&copy, body(&text)).expect("write");
    let v = verify(&t, &[]);
    v.code(1);
    insta::assert_snapshot!("policy_run_copy_unsigned", scrubbed(&t, &v.stderr));
}

/// A change to a `seal.json`.
type Edit = dyn Fn(&mut Value);

#[test]
fn edits_to_seal_json_are_found() {
    let base = signed_twice();
    let first = run_ids(&base)[0].clone();
    let second = run_ids(&base)[1].clone();
    let edits: [(&str, &Edit); 9] = [
        ("run", &move |s| s["run"] = serde_json::json!(second.clone())),
        ("signed", &|s| s["signed"] = Value::Bool(false)),
        ("first_event", &|s| s["first_event"] = serde_json::json!(1)),
        ("events", &|s| s["events"] = serde_json::json!(3)),
        ("recovery_events", &|s| s["recovery_events"] = serde_json::json!(1)),
        ("origin", &|s| s["origin"] = serde_json::json!("nethical/b")),
        ("audit_instance", &|s| s["audit_instance"] = serde_json::json!("other")),
        ("log", &|s| s["log"] = serde_json::json!("../elsewhere")),
        ("an added field", &|s| s["note"] = serde_json::json!("x")),
    ];
    let mut out = String::new();
    for (label, edit) in edits {
        let t = copy_of(&base);
        let path = t.path().join("runs/a").join(&first).join("audit/seal.json");
        let mut seal = t.read_json(&path);
        edit(&mut seal);
        fs::write(&path, serde_json::to_vec_pretty(&seal).expect("json")).expect("write");
        let v = verify(&t, &[]);
        v.code(1);
        out.push_str(&format!("--- {label}\n{}", scrubbed(&t, &v.stderr)));
    }
    insta::assert_snapshot!("policy_seal_json_edits", out);
}

#[test]
fn a_log_line_that_is_not_utf8_is_named_with_exit_1() {
    let t = project();
    run(&t, None).ok();
    let mut bytes = fs::read(audit_file(&t, "events.jsonl")).expect("log");
    let at = bytes.iter().position(|&b| b == b'\n').expect("first line") + 10;
    bytes[at] = 0xff;
    fs::write(audit_file(&t, "events.jsonl"), bytes).expect("write");
    let v = verify(&t, &[]);
    v.code(1);
    insta::assert_snapshot!("policy_log_not_utf8", scrubbed(&t, &v.stderr));
    // `show` still lists the events, the damaged one lossily.
    let s = t.run(&["audit", "show", "runs/a"]);
    s.ok();
    assert_eq!(s.stdout.lines().count(), PER_RUN);
}

#[test]
fn a_forged_append_pending_marker_cannot_get_events_adopted_on_a_pinned_log() {
    // A real interruption of a signed run: its marker is signed, and the next run adopts the
    // events it wrote whole.
    let t = signed_twice();
    let killed = t.run_with(
        &[("NETHICAL_AUDIT_KEY", "log.key"), ("NETHICAL_FAILPOINTS", "audit=crash(before_checkpoint)")],
        &["run", "--force", "pipelines/a.toml"],
    );
    assert_ne!(killed.code, 0);
    let marker = json(&fs::read_to_string(audit_file(&t, "append.pending")).expect("marker"));
    assert!(marker["signed_note"].as_str().is_some_and(|n| n.contains("\n\n— nethical/a ")), "{marker}");
    verify(&t, &[]).ok();
    run(&t, Some("log.key")).ok();
    verify(&t, &[]).ok();

    // A forged one: events appended and a marker announcing them, with no signature.
    let t = signed_twice();
    let mut lines = log_lines(&t);
    let leaves: Vec<_> = lines.iter().map(|l| leaf_hash(l.as_bytes())).collect();
    let size = lines.len();
    let forged = format!(
        "{{\"event\":\"note\",\"prev\":\"{}\",\"run\":\"x\",\"seq\":{size}}}",
        hash_to_hex(leaves.last().expect("leaf"))
    );
    lines.push(forged.clone());
    fs::write(audit_file(&t, "events.jsonl"), format!("{}\n", lines.join("\n"))).expect("write");
    let mut all = leaves;
    all.push(leaf_hash(forged.as_bytes()));
    let marker = serde_json::json!({"from_size": size, "to_size": size + 1, "to_root": hash_to_hex(&root(&all))});
    fs::write(audit_file(&t, "append.pending"), marker.to_string()).expect("marker");
    let v = verify(&t, &[]);
    v.code(1);
    assert!(v.stderr.contains("append.pending marker that is not signed by the pinned key"), "{}", v.stderr);
    let r = run(&t, Some("log.key"));
    assert_ne!(r.code, 0);
    let all_output = format!("{}{}", r.stdout, r.stderr);
    assert!(all_output.contains("not signed by the pinned key nethical/a+"), "{all_output}");
    assert_eq!(log_lines(&t), lines, "nothing adopted or appended");
}
