//! `nethical graph`.

use crate::common::{SMALL, Test};

#[test]
fn dot_mermaid_and_json() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    for format in ["dot", "mermaid", "json"] {
        let r = t.run(&["graph", m, "--format", format]);
        r.ok();
        insta::assert_snapshot!(format!("graph_{format}"), r.stdout);
    }
}

/// Graphviz draws each label on two lines (the id, then the kind), not a literal `\n`. Needs
/// `dot` (CI installs Graphviz); without it the test says so and checks the text only.
#[test]
fn graphviz_draws_the_dot_labels_on_two_lines() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let r = t.run(&["graph", m.to_str().expect("utf-8"), "--format", "dot"]);
    r.ok();
    assert!(r.stdout.contains(r#"[label="data\n(load)"]"#), "{}", r.stdout);
    let dot = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn();
    let Ok(mut dot) = dot else {
        eprintln!("skipped the Graphviz rendering: `dot` is not installed (CI installs graphviz)");
        return;
    };
    std::io::Write::write_all(&mut dot.stdin.take().expect("stdin"), r.stdout.as_bytes()).expect("write");
    let out = dot.wait_with_output().expect("dot");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let svg = String::from_utf8(out.stdout).expect("svg");
    assert!(svg.contains(">data</text>") && svg.contains(">(load)</text>"), "{svg}");
    assert!(!svg.contains("\\n"), "a literal \\n in the drawing: {svg}");
}
