//! Audit-trail benchmarks (`cargo bench --bench audit`), issue #4's target: verifying a
//! 1,000,000-event log in under 2 s on 2 cores. Appending is measured as one sealed append of
//! 1,000,000 events to an empty log (canonical JSON, chaining, hashing, one synced write, the
//! checkpoint); verifying is `nethical audit verify` on that log without run folders (every
//! line checked canonical, the seq/prev chain, the tree recomputed against the checkpoint).
//! Issue #15: sealing one run's 53 events into a 1,000,000-event log in ≤ 20 ms (the frontier
//! file spares reading the log).

use divan::Bencher;
use nethical::trail::{LogDir, VerifyOptions, seal, verify};
use serde_json::json;

fn main() {
    divan::main();
}

const EVENTS: usize = 1_000_000;

/// Events shaped like a run's `stage_end` lines (about 300 bytes each once chained).
fn events() -> Vec<serde_json::Value> {
    (0..EVENTS)
        .map(|i| {
            json!({
                "event": "stage_end",
                "id": format!("train[model=m{}]", i % 97),
                "status": "ran",
                "outputs": {"cohorts/c/metrics.json": format!("{:064x}", i)},
            })
        })
        .collect()
}

#[divan::bench(sample_count = 3)]
fn append_1m_events(bencher: Bencher<'_, '_>) {
    bencher.with_inputs(|| (tempfile::tempdir().expect("tempdir"), events())).bench_values(|(dir, events)| {
        let log = LogDir::new(dir.path().join("audit"));
        seal(&log, "nethical/bench", "run", events, None, None).expect("seal");
        dir
    });
}

#[divan::bench(sample_count = 3)]
fn verify_1m_events(bencher: Bencher<'_, '_>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = dir.path().join("audit");
    seal(&LogDir::new(&audit), "nethical/bench", "run", events(), None, None).expect("seal");
    bencher.bench(|| {
        let v = verify(&audit, &VerifyOptions::default()).expect("verify");
        assert!(v.ok() && v.events == EVENTS as u64);
    });
}

/// One run's 53 events sealed into a log that already holds 1,000,000: the append reads the
/// frontier file and the log's last line, never the log.
#[divan::bench(sample_count = 20)]
fn seal_53_events_into_a_1m_event_log(bencher: Bencher<'_, '_>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = LogDir::new(dir.path().join("audit"));
    seal(&log, "nethical/bench", "run", events(), None, None).expect("seal");
    let run: Vec<serde_json::Value> = events().into_iter().take(53).collect();
    bencher.with_inputs(|| run.clone()).bench_values(|run| {
        let sealed = seal(&log, "nethical/bench", "next", run, None, None).expect("seal");
        assert_eq!(sealed.lines.len(), 53);
    });
}
