//! The git state of the folder holding the manifest, recorded in `run.json` and the audit log.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

use crate::artifacts::GitInfo;

/// `HEAD` and the dirty flag of the repository containing `dir`; `None` outside a repository,
/// before its first commit, or without git.
///
/// One `git status` gives both (porcelain v2's `branch.oid` header is `HEAD`, and any entry
/// line is a tracked file that differs from it): one child process instead of two.
pub fn git_info(dir: &Path) -> Option<GitInfo> {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["status", "--porcelain=v2", "--branch", "--untracked-files=no"])
        .output()
        .ok()?;
    if !status.status.success() {
        return None;
    }
    parse_status(&String::from_utf8(status.stdout).ok()?)
}

/// [`git_info`] from `git status --porcelain=v2 --branch`'s output.
fn parse_status(output: &str) -> Option<GitInfo> {
    let commit = output.lines().find_map(|line| line.strip_prefix("# branch.oid "))?.trim();
    if commit == "(initial)" || commit.is_empty() {
        return None;
    }
    let dirty = output.lines().any(|line| !line.starts_with('#') && !line.trim().is_empty());
    Some(GitInfo { commit: commit.to_owned(), dirty })
}

/// [`git_info`] asked for when a run starts and read when it is recorded: git runs as a
/// child process (milliseconds, far more in a large repository), which then overlaps the
/// run's stages instead of following them, and once for `run.json` and the audit log alike.
/// The state recorded is the one the run started from.
pub struct GitProbe {
    dir: PathBuf,
    running: Mutex<Option<JoinHandle<Option<GitInfo>>>>,
    info: OnceLock<Option<GitInfo>>,
}

impl GitProbe {
    /// Starts asking about `dir` on a thread of its own (or, if no thread can be started,
    /// when first read).
    pub fn start(dir: &Path) -> Self {
        let dir = dir.to_path_buf();
        let asking = dir.clone();
        let running = std::thread::Builder::new().name("git".to_owned()).spawn(move || git_info(&asking)).ok();
        Self { dir, running: Mutex::new(running), info: OnceLock::new() }
    }

    /// The answer, waiting for it if git has not finished.
    pub fn info(&self) -> Option<GitInfo> {
        self.info
            .get_or_init(|| {
                let running = self.running.lock().ok().and_then(|mut running| running.take());
                match running {
                    Some(thread) => thread.join().ok().flatten(),
                    None => git_info(&self.dir),
                }
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn the_status_names_head_and_whether_tracked_files_changed() {
        let clean = format!("# branch.oid {HEAD}\n# branch.head main\n");
        assert_eq!(parse_status(&clean), Some(GitInfo { commit: HEAD.to_owned(), dirty: false }));
        let changed = format!(
            "# branch.oid {HEAD}\n# branch.head main\n# branch.upstream origin/main\n# branch.ab +0 -0\n\
             1 .M N... 100644 100644 100644 aaaa bbbb pipelines/peer.toml\n"
        );
        assert_eq!(parse_status(&changed), Some(GitInfo { commit: HEAD.to_owned(), dirty: true }));
        let detached = format!(
            "# branch.oid {HEAD}\n# branch.head (detached)\n2 R. N... 100644 100644 100644 a b R100 new\told\n"
        );
        assert_eq!(parse_status(&detached), Some(GitInfo { commit: HEAD.to_owned(), dirty: true }));
    }

    #[test]
    fn no_commit_yet_is_no_state() {
        assert_eq!(parse_status("# branch.oid (initial)\n# branch.head main\n"), None);
        assert_eq!(parse_status(""), None);
    }

    #[test]
    fn a_probe_outside_a_repository_answers_none_however_often_it_is_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let probe = GitProbe::start(dir.path());
        assert_eq!(probe.info(), None);
        assert_eq!(probe.info(), None);
    }
}
