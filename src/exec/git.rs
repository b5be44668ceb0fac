//! The git state of the folder holding the manifest, recorded in `run.json`.

use std::path::Path;
use std::process::Command;

use crate::artifacts::GitInfo;

/// `HEAD` and the dirty flag of the repository containing `dir`; `None` outside a repository
/// or without git.
pub fn git_info(dir: &Path) -> Option<GitInfo> {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let head = Command::new("git").arg("-C").arg(dir).args(["rev-parse", "HEAD"]).output().ok()?;
    if !head.status.success() {
        return None;
    }
    let commit = String::from_utf8(head.stdout).ok()?.trim().to_owned();
    let status =
        Command::new("git").arg("-C").arg(dir).args(["status", "--porcelain", "--untracked-files=no"]).output().ok()?;
    Some(GitInfo { commit, dirty: !status.stdout.is_empty() })
}
