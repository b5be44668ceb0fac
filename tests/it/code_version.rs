//! `plan` names the code that changed when a new build would recompute an instance.
//!
//! A second build is simulated with `NETHICAL_DEBUG_CODE_VERSIONS`, which debug builds (the
//! test binary) honour and release builds ignore: the cache key changes as if the code of
//! `train` and of the logistic model had been bumped.

use crate::common::{SMALL, Test, scrub};

#[test]
fn plan_says_code_changed_with_the_old_and_new_versions() {
    let t = Test::new();
    let m = t.manifest("small", SMALL);
    let m = m.to_str().expect("utf-8");
    t.run(&["run", m]).ok();
    let lock = std::fs::read_to_string(t.path().join("pipelines/small.lock")).expect("lockfile");
    assert!(lock.contains("[instances.\"train[learning_rate=0.1]\".code]"), "{lock}");
    let same = t.run(&["plan", m]);
    same.ok();
    assert!(same.stdout.contains("5 cached"), "{}", same.stdout);
    let bumped = t.run_with(&[("NETHICAL_DEBUG_CODE_VERSIONS", "train=5,logistic=2")], &["plan", m]);
    bumped.ok();
    insta::assert_snapshot!(scrub(&bumped.stdout));
}
