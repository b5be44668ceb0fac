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
