//! Slurm's command-line tools, called and parsed: `sbatch --parsable`, `squeue -o`, `scancel`.
//!
//! Only the stable line formats are parsed (`--parsable`, `-o '%i|%T|%r'`), never `--json`,
//! whose layout follows each release's OpenAPI version (see the design notes in
//! `docs/slurm.md`). Every call goes through [`SlurmTools`], so tests can point it at scripts.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A job's state as `squeue -o %T` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum JobState {
    /// Waiting, starting, running, finishing or paused: it may still write its status.
    Active(String),
    /// Ended by itself (`COMPLETED`, `FAILED`): its status file should exist.
    Ended(String),
    /// Ended by Slurm or a person before it could finish (`CANCELLED`, `TIMEOUT`,
    /// `OUT_OF_MEMORY`, `NODE_FAIL`, `PREEMPTED`, `BOOT_FAIL`, `DEADLINE`).
    Killed(String),
}

impl JobState {
    pub(crate) fn parse(word: &str) -> Self {
        let w = word.trim().to_owned();
        match w.as_str() {
            "COMPLETED" | "FAILED" => Self::Ended(w),
            "CANCELLED" | "TIMEOUT" | "OUT_OF_MEMORY" | "NODE_FAIL" | "PREEMPTED" | "BOOT_FAIL" | "DEADLINE"
            | "REVOKED" | "SPECIAL_EXIT" => Self::Killed(w),
            // PENDING, CONFIGURING, RUNNING, COMPLETING, SUSPENDED, REQUEUED, RESIZING,
            // STOPPED, SIGNALING, STAGE_OUT, and states later releases add.
            _ => Self::Active(w),
        }
    }
}

/// One line of `squeue -o '%i|%T|%r'`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QueueEntry {
    pub(crate) state: JobState,
    /// Why it is pending or ended (`Resources`, `Dependency`, `NonZeroExitCode`, ...).
    pub(crate) reason: String,
}

/// Parses `squeue -h -r -o '%i|%T|%r'`: job id (`123`, or `123_4` for an array task) → entry.
pub(crate) fn parse_squeue(out: &str) -> BTreeMap<String, QueueEntry> {
    out.lines()
        .filter_map(|line| {
            let mut parts = line.trim().splitn(3, '|');
            let id = parts.next()?.trim();
            let state = parts.next()?;
            let reason = parts.next().unwrap_or("").trim();
            (!id.is_empty())
                .then(|| (id.to_owned(), QueueEntry { state: JobState::parse(state), reason: reason.to_owned() }))
        })
        .collect()
}

/// Parses `sbatch --parsable`'s output: `123` or `123;cluster`.
pub(crate) fn parse_sbatch(out: &str) -> Option<String> {
    let id = out.trim().split(';').next()?.trim();
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_owned())
}

/// `'…'` quoting for a POSIX shell: safe for any path.
pub(crate) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The batch script of one job array: task `t` runs `program exec-instance specs[t]`.
pub(crate) fn batch_script(program: &Path, specs: &[PathBuf], title: &str) -> String {
    let mut s = String::from("#!/bin/sh\n");
    s.push_str(&format!("# {}\n", title.replace('\n', " ")));
    s.push_str("case \"${SLURM_ARRAY_TASK_ID:-0}\" in\n");
    for (t, spec) in specs.iter().enumerate() {
        s.push_str(&format!("  {t}) spec={} ;;\n", shell_quote(&spec.to_string_lossy())));
    }
    s.push_str("  *) echo \"nethical: no instance for array task ${SLURM_ARRAY_TASK_ID:-}\" >&2; exit 2 ;;\nesac\n");
    s.push_str(&format!("exec {} exec-instance \"$spec\"\n", shell_quote(&program.to_string_lossy())));
    s
}

/// Parses `scontrol show job -o` (one line of `Key=Value` words) or `sacct -P -o State,ExitCode`
/// (`FAILED|3:0`) into `FAILED, exit code 3` / `CANCELLED, signal 9`.
pub(crate) fn parse_final(out: &str) -> Option<String> {
    let line = out.lines().map(str::trim).find(|l| !l.is_empty())?;
    let (state, exit) = if line.contains("JobState=") {
        let field = |key: &str| line.split_whitespace().find_map(|w| w.strip_prefix(key)).map(str::to_owned);
        (field("JobState=")?, field("ExitCode=")?)
    } else {
        let (state, exit) = line.split_once('|')?;
        // `CANCELLED by 0` names who cancelled; the state is the first word.
        (state.split_whitespace().next()?.to_owned(), exit.trim().to_owned())
    };
    let (code, signal) = exit.split_once(':')?;
    let (code, signal): (u32, u32) = (code.parse().ok()?, signal.parse().ok()?);
    Some(match (code, signal) {
        (_, s) if s > 0 => format!("{state}, signal {s}"),
        (c, _) => format!("{state}, exit code {c}"),
    })
}

/// Where Slurm's tools are.
#[derive(Clone, Debug)]
pub(crate) struct SlurmTools {
    sbatch: PathBuf,
    squeue: PathBuf,
    scancel: PathBuf,
    /// Optional: only for the words of a failure message.
    scontrol: Option<PathBuf>,
    sacct: Option<PathBuf>,
}

/// A tool that could not be run, or that said no.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ToolError {
    #[error("cannot run `{tool}`: {source}")]
    Spawn { tool: String, source: std::io::Error },
    #[error("{0}")]
    Refused(String),
}

/// A Slurm tool the executor needs is not on `PATH`: checked before a run folder exists.
#[derive(Debug, thiserror::Error)]
#[error(
    "the slurm executor needs `{name}` on PATH, and it is not there: run on a Slurm login node, \
     add Slurm's bin folder to PATH, or run locally with `--executor local`"
)]
pub struct MissingSlurmTool {
    /// `sbatch`, `squeue` or `scancel`.
    pub name: &'static str,
}

impl SlurmTools {
    /// Finds `sbatch`, `squeue` and `scancel` on `path` (the `PATH` variable's value).
    pub(crate) fn find(path: Option<OsString>) -> Result<Self, MissingSlurmTool> {
        let dirs: Vec<PathBuf> = path.as_deref().map(|p| std::env::split_paths(p).collect()).unwrap_or_default();
        let find = |name: &'static str| {
            dirs.iter().map(|d| d.join(name)).find(|p| p.is_file()).ok_or(MissingSlurmTool { name })
        };
        let optional = |name: &str| dirs.iter().map(|d| d.join(name)).find(|p| p.is_file());
        Ok(Self {
            sbatch: find("sbatch")?,
            squeue: find("squeue")?,
            scancel: find("scancel")?,
            scontrol: optional("scontrol"),
            sacct: optional("sacct"),
        })
    }

    /// How a job ended, as `FAILED, exit code 3`: from `scontrol` while Slurm remembers the
    /// job, else from `sacct` when the cluster keeps accounting; `None` when neither knows.
    pub(crate) fn final_words(&self, job: &str) -> Option<String> {
        let ask = |tool: &Option<PathBuf>, args: &[&str]| -> Option<String> {
            let out = Command::new(tool.as_ref()?).args(args).stdin(Stdio::null()).output().ok()?;
            out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
        };
        ask(&self.scontrol, &["show", "job", "-o", job]).and_then(|o| parse_final(&o)).or_else(|| {
            ask(&self.sacct, &["-n", "-X", "-P", "-j", job, "-o", "State,ExitCode"]).and_then(|o| parse_final(&o))
        })
    }

    /// Submits `script` with `args`; the job id.
    pub(crate) fn sbatch(&self, args: &[String], script: &str) -> Result<String, ToolError> {
        let mut child = Command::new(&self.sbatch)
            .arg("--parsable")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| ToolError::Spawn { tool: self.sbatch.display().to_string(), source })?;
        if let Some(mut stdin) = child.stdin.take() {
            // A refused submission may close stdin early; its stderr says why.
            let _ = stdin.write_all(script.as_bytes());
        }
        let out = child
            .wait_with_output()
            .map_err(|source| ToolError::Spawn { tool: self.sbatch.display().to_string(), source })?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        match (out.status.success(), parse_sbatch(&stdout)) {
            (true, Some(id)) => Ok(id),
            (true, None) => Err(ToolError::Refused(format!("sbatch printed no job id: `{}`", stdout.trim()))),
            (false, _) => Err(ToolError::Refused(last_words(&out.stderr, &out.status))),
        }
    }

    /// The queue entries of `jobs` (array tasks expanded), finished ones included while Slurm
    /// remembers them. Jobs it has forgotten are simply absent.
    pub(crate) fn squeue(&self, jobs: &[&str]) -> Result<BTreeMap<String, QueueEntry>, ToolError> {
        let out = Command::new(&self.squeue)
            .args(["-h", "--states=all", "-r", "-o", "%i|%T|%r", "-j"])
            .arg(jobs.join(","))
            .stdin(Stdio::null())
            .output()
            .map_err(|source| ToolError::Spawn { tool: self.squeue.display().to_string(), source })?;
        if out.status.success() {
            return Ok(parse_squeue(&String::from_utf8_lossy(&out.stdout)));
        }
        let err = String::from_utf8_lossy(&out.stderr);
        // Every id was purged (older than MinJobAge): nothing is queued.
        if err.contains("Invalid job id specified") {
            return Ok(BTreeMap::new());
        }
        Err(ToolError::Refused(last_words(&out.stderr, &out.status)))
    }

    /// Cancels `jobs` (whole arrays by their id).
    pub(crate) fn scancel(&self, jobs: &[&str]) -> Result<(), ToolError> {
        if jobs.is_empty() {
            return Ok(());
        }
        let out = Command::new(&self.scancel)
            .args(jobs)
            .stdin(Stdio::null())
            .output()
            .map_err(|source| ToolError::Spawn { tool: self.scancel.display().to_string(), source })?;
        if out.status.success() { Ok(()) } else { Err(ToolError::Refused(last_words(&out.stderr, &out.status))) }
    }
}

fn last_words(stderr: &[u8], status: &std::process::ExitStatus) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    if text.is_empty() { format!("it exited with {status} and printed nothing") } else { text.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeue_lines_become_states_by_job_id() {
        // Lines as Slurm 22.05.8 printed them on the CI cluster (docs/slurm.md).
        let out = "15_2|CANCELLED|DependencyNeverSatisfied\n14_2|FAILED|NonZeroExitCode\n16|COMPLETED|None\n17_0|PENDING|Resources\n17_1|RUNNING|None\n";
        let q = parse_squeue(out);
        assert_eq!(q.len(), 5);
        assert_eq!(q["15_2"].state, JobState::Killed("CANCELLED".into()));
        assert_eq!(q["14_2"].state, JobState::Ended("FAILED".into()));
        assert_eq!(q["14_2"].reason, "NonZeroExitCode");
        assert_eq!(q["16"].state, JobState::Ended("COMPLETED".into()));
        assert_eq!(q["17_0"].state, JobState::Active("PENDING".into()));
        assert_eq!(q["17_1"].state, JobState::Active("RUNNING".into()));
        assert!(parse_squeue("\n  \n").is_empty());
    }

    #[test]
    fn final_states_from_scontrol_and_sacct() {
        // Slurm 22.05.8 on the CI cluster (docs/slurm.md), shortened.
        let scontrol = "JobId=7 JobName=wrap UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=00:00:00";
        assert_eq!(parse_final(scontrol).as_deref(), Some("FAILED, exit code 3"));
        assert_eq!(parse_final("FAILED|7:0\n").as_deref(), Some("FAILED, exit code 7"));
        assert_eq!(parse_final("CANCELLED by 0|0:15").as_deref(), Some("CANCELLED, signal 15"));
        assert_eq!(parse_final("Slurm accounting storage is disabled"), None);
        assert_eq!(parse_final(""), None);
    }

    #[test]
    fn sbatch_ids_with_and_without_cluster() {
        assert_eq!(parse_sbatch("123\n"), Some("123".into()));
        assert_eq!(parse_sbatch("123;ci\n"), Some("123".into()));
        assert_eq!(parse_sbatch("Submitted batch job 5"), None);
        assert_eq!(parse_sbatch(""), None);
    }

    #[test]
    fn shell_quoting_survives_quotes_and_spaces() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn the_batch_script_maps_each_array_task_to_its_spec() {
        let s = batch_script(
            Path::new("/opt/nethical"),
            &[PathBuf::from("/r/slurm/001-a.spec.json"), PathBuf::from("/r/slurm/002-b c.spec.json")],
            "stage `train`",
        );
        insta::assert_snapshot!(s, @r#"
        #!/bin/sh
        # stage `train`
        case "${SLURM_ARRAY_TASK_ID:-0}" in
          0) spec='/r/slurm/001-a.spec.json' ;;
          1) spec='/r/slurm/002-b c.spec.json' ;;
          *) echo "nethical: no instance for array task ${SLURM_ARRAY_TASK_ID:-}" >&2; exit 2 ;;
        esac
        exec '/opt/nethical' exec-instance "$spec"
        "#);
    }

    #[test]
    fn a_missing_sbatch_is_named_with_what_to_do() {
        let e = SlurmTools::find(Some(OsString::from("/nonexistent"))).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("needs `sbatch` on PATH"), "{e}");
        assert!(e.contains("--executor local"), "{e}");
    }
}
