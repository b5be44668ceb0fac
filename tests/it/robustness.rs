//! Inputs that used to crash the binary (issue: no input crashes it): a reader that closes the
//! pipe early, and environment variables that are not UTF-8.

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::process::Stdio;

use crate::common::{BRANCHES, Test};

#[test]
fn a_reader_that_leaves_early_ends_the_command_quietly() {
    let t = Test::new();
    // The schema is larger than a pipe's buffer, so the writer meets the closed pipe.
    let mut child = t.command(&["schema"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let mut first = [0u8; 1];
    child.stdout.take().expect("stdout").read_exact(&mut first).expect("one byte");
    // Dropping our end closes the pipe, like `| head -c 1`.
    let status = child.wait().expect("wait");
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn environment_variables_that_are_not_utf8_are_ignored_unless_they_are_ours() {
    let t = Test::new();
    let m = t.manifest("branches", BRANCHES);
    let m = m.to_str().expect("utf-8");
    let bad = OsStr::from_bytes(b"\xff\xfe");
    let out = t.command(&["validate", m]).env("FOO", bad).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let out = t.command(&["validate", m]).env("NETHICAL_STAGES__TRAIN_A__EPOCHS", bad).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr, "error: environment variable `NETHICAL_STAGES__TRAIN_A__EPOCHS` is not valid UTF-8\n");
}
