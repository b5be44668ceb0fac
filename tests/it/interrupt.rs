//! Ctrl-C: running instances stop, the run is marked interrupted, earlier runs and the cache
//! are intact, and the next run resumes from the cached instances.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{BRANCHES, Test, tree};

fn cache_entries(t: &Test) -> usize {
    let mut n = 0;
    let root = t.path().join(".nethical/cache");
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "entry.json")
                && !p.strip_prefix(&root).is_ok_and(|r| r.starts_with("tmp"))
            {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn ctrl_c_marks_the_run_interrupted_and_the_next_run_resumes() {
    let t = Test::new();
    let m = t.manifest("branches", BRANCHES);
    let m = m.to_str().expect("utf-8");
    // An earlier complete run on other data, so the interrupted run computes its own instances.
    t.run(&["run", m, "--set", "stages.data.source.synthetic.num_samples=300"]).ok();
    let earlier = t.latest("branches");
    let earlier_files = tree(&earlier);
    let entries_before = cache_entries(&t);

    let mut cmd = t.command(&["run", "-j", "1", m]);
    cmd.env("NETHICAL_FAILPOINTS", "train_b=sleep(60000)").stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn");
    // data, train_a and gate_a come first at -j 1; wait until they are cached and train_b sleeps.
    let deadline = Instant::now() + Duration::from_secs(60);
    while cache_entries(&t) < entries_before + 3 {
        assert!(Instant::now() < deadline, "the first instances never finished");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "stderr:\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");

    let runs = t.run_dirs("branches");
    assert_eq!(runs.len(), 2);
    let interrupted = runs.iter().find(|r| **r != earlier).expect("the interrupted run's folder");
    let summary = t.read_json(&interrupted.join("run.json"));
    assert_eq!(summary["status"], "interrupted");
    let train_b =
        summary["instances"].as_array().expect("instances").iter().find(|i| i["id"] == "train_b").expect("train_b");
    assert_eq!(train_b["status"], "interrupted");
    assert_eq!(t.latest("branches"), earlier, "latest still points at the last complete run");
    assert_eq!(tree(&earlier), earlier_files, "the earlier run is untouched");

    let r = t.run(&["run", "--json", m]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let ran: Vec<&str> = v["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .filter(|i| i["status"] == "ran")
        .map(|i| i["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ran, ["train_b", "gate_b"], "the resumed run only computes what the interrupted one did not finish");
}
