//! The scale check from the issue: a million-event log (~200-byte canonical JSON lines) is
//! rooted by streaming, and the time is printed. Ignored by default because only a release
//! build gives a meaningful figure:
//!
//! `cargo test --release -- --ignored million --nocapture`

use std::io::{BufReader, BufWriter, Write as _};
use std::time::Instant;

use serde_json::json;

use super::{Frontier, LineCheck, canonical_json, leaf_hash, root, scan_log};

const EVENTS: u64 = 1_000_000;

fn event_line(seq: u64) -> String {
    let event = json!({
        "event": "stage_metric",
        "run": "r-20260101-0001",
        "seq": seq,
        "stage": format!("train.logistic.{}", seq % 17),
        "timestamp": format!("2026-01-01T00:{:02}:{:02}.{:06}Z", seq / 60 % 60, seq % 60, seq % 1_000_000),
        "metrics": {"accuracy": (seq % 1000) as f64 / 1000.0, "ece": 1.0 / (seq + 3) as f64},
        "ok": true,
    });
    canonical_json(&event).expect("no integer beyond 2^53")
}

#[test]
#[ignore = "release-mode measurement; run with --release -- --ignored million --nocapture"]
fn million_line_log_roots_by_streaming() {
    let dir = std::env::temp_dir().join(format!("nethical-audit-million-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audit.jsonl");

    let mut lines = Vec::with_capacity(EVENTS as usize);
    let mut bytes = 0;
    {
        let mut file = BufWriter::new(std::fs::File::create(&path).unwrap());
        for seq in 0..EVENTS {
            let line = event_line(seq);
            bytes += line.len() + 1;
            file.write_all(line.as_bytes()).unwrap();
            file.write_all(b"\n").unwrap();
            lines.push(line);
        }
        file.flush().unwrap();
    }
    println!("{EVENTS} lines, {:.1} bytes per line on average", bytes as f64 / EVENTS as f64);

    // Appending leaves and taking the root: the hashing cost alone.
    let start = Instant::now();
    let mut frontier = Frontier::new();
    for line in &lines {
        frontier.push_entry(line.as_bytes());
    }
    let streamed = frontier.root();
    println!("append {EVENTS} leaves + root (frontier, in memory): {:.3} s", start.elapsed().as_secs_f64());

    // Verification from disk, as `nethical audit verify` would do it: read, hash, root; then the
    // same with every line also checked to be canonical JSON.
    let open = || BufReader::new(std::fs::File::open(&path).unwrap());
    let start = Instant::now();
    let hashed = scan_log(open(), LineCheck::HashOnly).unwrap();
    println!("scan_log(HashOnly) from file: {:.3} s", start.elapsed().as_secs_f64());
    let start = Instant::now();
    let scanned = scan_log(open(), LineCheck::Canonical).unwrap();
    println!(
        "scan_log(Canonical) from file (every line also checked canonical): {:.3} s",
        start.elapsed().as_secs_f64()
    );

    let start = Instant::now();
    let leaves: Vec<_> = lines.iter().map(|line| leaf_hash(line.as_bytes())).collect();
    let recursive = root(&leaves);
    println!("leaf hashes + recursive root (all in memory): {:.3} s", start.elapsed().as_secs_f64());

    assert_eq!(scanned.size(), EVENTS);
    assert_eq!(scanned.root(), streamed);
    assert_eq!(hashed, scanned);
    assert_eq!(recursive, streamed);
    std::fs::remove_dir_all(&dir).unwrap();
}
