//! The report's views as a reviewer meets them: the Markdown stays pull-request-comment sized
//! with 50 cohorts, and (in `browser`) the HTML in a real headless Chromium.

use std::fs;

use crate::common::Test;

/// 50 fast cohorts (10 learning rates × 5 thresholds of a one-epoch logistic model on 400
/// rows), gated so the gate column has failures to name, with all 1,225 pairs tested.
pub const FIFTY_COHORTS: &str = r#"[pipeline]
name = "fifty"
seed = 7

[stages.data]
kind = "load"
source = { synthetic = { num_samples = 400 } }
split = { strategy = "stratified", train_ratio = 0.75 }

[stages.train]
kind = "train"
needs = ["data"]
model = "logistic"
epochs = 1
matrix = { learning_rate = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0], threshold = [0.3, 0.4, 0.5, 0.6, 0.7] }
learning_rate = "${matrix.learning_rate}"
threshold = "${matrix.threshold}"
cohort = "lr_${matrix.learning_rate}_t_${matrix.threshold}"

[stages.gate]
kind = "gate"
needs = ["train"]
min_accuracy = 0.9
max_ece = 0.1

[stages.report]
kind = "report"
needs = ["train", "gate"]
resamples = 200
"#;

#[test]
fn the_markdown_of_fifty_cohorts_fits_a_pull_request_comment() {
    let t = Test::new();
    let m = t.manifest("fifty", FIFTY_COHORTS);
    t.run(&["run", m.to_str().expect("utf-8")]).ok();
    let dir = t.latest("fifty").join("report");
    let doc = t.read_json(&dir.join("comparison.json"));
    assert_eq!(doc["cohorts"].as_array().map(Vec::len), Some(50));
    assert_eq!(doc["comparisons"].as_array().map(Vec::len), Some(1225), "every pair is in the JSON");
    let md = fs::read_to_string(dir.join("comparison.md")).expect("markdown");
    assert!(
        md.len() <= 64 * 1024,
        "comparison.md is {} bytes for 50 cohorts (GitHub's comment limit is 65,536)",
        md.len()
    );
    eprintln!("comparison.md for 50 cohorts: {} bytes", md.len());
    // Still the whole decision: every cohort's row with its gate, and the recommendation.
    let decision = &md[md.find("## Decision").expect("decision")..md.find("## Performance").expect("performance")];
    assert_eq!(decision.matches("\n| `lr_").count(), 50, "{decision}");
    assert!(decision.contains("FAIL: "), "a failed criterion is named: {decision}");
    assert!(md.contains("1225 pairs were tested; this comment shows the 49 with"), "{md}");
    // The full A/B sentences stay in the HTML.
    let html = fs::read_to_string(dir.join("comparison.html")).expect("html");
    assert_eq!(html.matches("<h3>").count() - html.matches("<h3>Fairness").count(), 1225);
    // One thread, its own cache: the same bytes in every view.
    t.run(&["run", "-j", "1", "--runs-dir", "r1", "--cache-dir", "c1", m.to_str().expect("utf-8")]).ok();
    let serial = t.path().join("r1/fifty/latest/report");
    for view in ["comparison.json", "comparison.md", "comparison.html"] {
        let (a, b) = (fs::read(dir.join(view)).expect("view"), fs::read(serial.join(view)).expect("view"));
        assert!(a == b, "{view} differs between -j 1 and the default");
    }
}
