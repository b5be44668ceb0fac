//! `nethical audit`: verify a pipeline's audit log, prove an event's inclusion or two sizes'
//! consistency, show the events, make a signing key.

use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::out::outln;
use crate::audit::{NoteSigner, NoteVerifier, consistency_proof, hash_to_hex, inclusion_proof, root};
use crate::error::{Error, InputError};
use crate::exit_code;
use crate::trail::{LogDir, LoggedEvent, VerifyOptions, resolve_log_dir, verify};

/// `nethical audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// The `audit` subcommands. DIR is a pipeline's run folder (`runs/<pipeline>`), one run's
/// folder, or the audit folder itself.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the log and check every checkpoint, proof and artifact digest (exit 1 on the
    /// first thing that does not hold).
    Verify {
        /// The folder.
        dir: PathBuf,
        /// A checkpoint you kept: the log must extend it.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// A trusted verifier key file (C2SP note format); repeatable. The checkpoint must be
        /// signed by one of them.
        #[arg(long = "key", value_name = "FILE")]
        keys: Vec<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The RFC 6962 inclusion proof of event N (its `seq`), as JSON, hashes in hex.
    Prove {
        /// The folder.
        dir: PathBuf,
        /// The event's index.
        #[arg(long)]
        event: u64,
        /// The tree size to prove against (default: the latest checkpoint's).
        #[arg(long)]
        size: Option<u64>,
    },
    /// The RFC 6962 consistency proof between two tree sizes, as JSON, hashes in hex.
    Consistency {
        /// The folder.
        dir: PathBuf,
        /// The older size.
        #[arg(long)]
        from: u64,
        /// The newer size (default: the latest checkpoint's).
        #[arg(long)]
        to: Option<u64>,
    },
    /// The events, one per line.
    Show {
        /// The folder.
        dir: PathBuf,
        /// Only this run's events.
        #[arg(long)]
        run: Option<String>,
        /// Print the log lines themselves (JSON lines).
        #[arg(long)]
        json: bool,
    },
    /// Make an Ed25519 signing key: writes the private key to FILE (mode 0600, never printed)
    /// and prints the verifier key to give to `verify --key`.
    Keygen {
        /// The key's name (use the log's origin, `nethical/<pipeline>`).
        name: String,
        /// Where to write the private key.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

fn trail_error(e: crate::trail::TrailError) -> Error {
    InputError::from(e).into()
}

/// The log's leaves after checking it, and the latest checkpoint's size.
fn leaves_of(dir: &Path) -> Result<(LogDir, Vec<crate::audit::Hash>, u64), Error> {
    let (log, _, _) = resolve_log_dir(dir).map_err(trail_error)?;
    let scan = log.scan().map_err(trail_error)?;
    if let Some(p) = scan.problem {
        return Err(InputError::LogLine { line: p.line, path: log.events(), problem: p.problem }.into());
    }
    let size = log.read_checkpoint().map_err(trail_error)?.map_or(scan.leaves.len() as u64, |c| c.size());
    Ok((log, scan.leaves, size))
}

fn line_at(log: &LogDir, index: u64) -> Result<String, Error> {
    let path = log.events();
    let file = std::fs::File::open(&path).map_err(Error::io("read", &path))?;
    let line = std::io::BufReader::new(file).lines().nth(usize::try_from(index).unwrap_or(usize::MAX));
    line.transpose().map_err(Error::io("read", &path))?.ok_or_else(|| InputError::NoEvent { index }.into())
}

fn print(value: &Value) -> Result<(), Error> {
    outln!("{}", serde_json::to_string_pretty(value).map_err(|e| Error::Internal(e.to_string()))?);
    Ok(())
}

pub(crate) fn audit(args: AuditArgs) -> Result<i32, Error> {
    match args.command {
        AuditCommand::Verify { dir, checkpoint, keys, json } => {
            let keys = keys
                .iter()
                .map(|k| {
                    NoteVerifier::from_file(k).map_err(|source| InputError::VerifierKey { path: k.clone(), source })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let v = verify(&dir, &VerifyOptions { checkpoint, keys }).map_err(trail_error)?;
            if json {
                print(&json!({
                    "ok": v.ok(),
                    "log": v.log.display().to_string(),
                    "events": v.events,
                    "checkpoint": v.checkpoint.as_ref().map(|(size, root)| json!({"size": size, "root": root})),
                    "signature_checked": v.signed,
                    "pinned_key": v.pinned.as_ref().map(ToString::to_string),
                    "runs": v.runs,
                    "artifacts": v.artifacts,
                    "models": v.models,
                    "notes": v.notes,
                    "findings": v.findings.iter().map(|f| f.0.clone()).collect::<Vec<_>>(),
                }))?;
            } else {
                for note in &v.notes {
                    outln!("note: {note}");
                }
                if let Some(first) = v.findings.first() {
                    eprintln!("error: {}: {}", v.log.display(), first.0);
                    for more in &v.findings[1..] {
                        eprintln!("  also: {}", more.0);
                    }
                } else {
                    let (size, root) = v.checkpoint.clone().unwrap_or((0, hash_to_hex(&crate::audit::empty_root())));
                    outln!(
                        "ok: {} events; checkpoint size {size}, root {root}{}; {} runs, {} artifacts, {} model proofs checked",
                        v.events,
                        match (&v.pinned, v.signed) {
                            (Some(key), true) => format!(", signature valid (pinned key {key})"),
                            (None, true) => ", signature valid".to_owned(),
                            _ => String::new(),
                        },
                        v.runs,
                        v.artifacts,
                        v.models
                    );
                }
            }
            Ok(if v.ok() { exit_code::OK } else { exit_code::STAGE_FAILED })
        }
        AuditCommand::Prove { dir, event, size } => {
            let (log, leaves, latest) = leaves_of(&dir)?;
            let size = size.unwrap_or(latest);
            let prefix = leaves
                .get(..usize::try_from(size).unwrap_or(usize::MAX))
                .ok_or(InputError::TreeTooLarge { size, events: leaves.len() })?;
            let proof = inclusion_proof(prefix, event).map_err(InputError::from)?;
            let line = line_at(&log, event)?;
            print(&json!({
                "leaf_index": event,
                "tree_size": size,
                "leaf_hash": hash_to_hex(&prefix[usize::try_from(event).unwrap_or_default()]),
                "root": hash_to_hex(&root(prefix)),
                "proof": proof.iter().map(hash_to_hex).collect::<Vec<_>>(),
                "event": line,
            }))?;
            Ok(exit_code::OK)
        }
        AuditCommand::Consistency { dir, from, to } => {
            let (_, leaves, latest) = leaves_of(&dir)?;
            let to = to.unwrap_or(latest);
            if to > leaves.len() as u64 {
                return Err(InputError::TreeTooLarge { size: to, events: leaves.len() }.into());
            }
            let proof = consistency_proof(&leaves, from, to).map_err(InputError::from)?;
            let at = |n: u64| hash_to_hex(&root(&leaves[..usize::try_from(n).unwrap_or_default()]));
            print(&json!({
                "from": from,
                "to": to,
                "old_root": at(from),
                "new_root": at(to),
                "proof": proof.iter().map(hash_to_hex).collect::<Vec<_>>(),
            }))?;
            Ok(exit_code::OK)
        }
        AuditCommand::Show { dir, run, json } => {
            let (log, _, _) = resolve_log_dir(&dir).map_err(trail_error)?;
            let path = log.events();
            let file = std::fs::File::open(&path).map_err(Error::io("read", &path))?;
            let mut out = std::io::stdout().lock();
            let mut reader = std::io::BufReader::new(file);
            let mut bytes = Vec::new();
            loop {
                bytes.clear();
                if reader.read_until(b'\n', &mut bytes).map_err(Error::io("read", &path))? == 0 {
                    break;
                }
                // A damaged line is shown as it is (lossily); `verify` names it.
                let line = String::from_utf8_lossy(bytes.strip_suffix(b"\n").unwrap_or(&bytes)).into_owned();
                let event = LoggedEvent::parse(&line);
                if run.as_deref().is_some_and(|r| event.as_ref().and_then(|e| e.run.as_deref()) != Some(r)) {
                    continue;
                }
                if json {
                    if writeln!(out, "{line}").is_err() {
                        break; // the reader went away (`| head`)
                    }
                    continue;
                }
                let mut text = format!(
                    "#{:<6} {:<19} {}",
                    event.as_ref().map_or("?".to_owned(), |e| e.seq.to_string()),
                    event.as_ref().map_or("?", |e| e.event.as_str()),
                    event.as_ref().and_then(|e| e.run.as_deref()).unwrap_or("")
                );
                for (k, v) in event.iter().flat_map(|e| &e.fields) {
                    match v {
                        Value::Null => {}
                        Value::String(s) => text.push_str(&format!(" {k}={s}")),
                        other => text.push_str(&format!(" {k}={other}")),
                    }
                }
                if writeln!(out, "{text}").is_err() {
                    break;
                }
            }
            Ok(exit_code::OK)
        }
        AuditCommand::Keygen { name, out } => {
            let seed: [u8; 32] = rand::random();
            let signer = NoteSigner::from_seed(&name, seed).map_err(InputError::KeyName)?;
            if out.exists() {
                return Err(InputError::KeyExists { path: out }.into());
            }
            write_private(&out, signer.to_private_key_text().as_bytes())?;
            outln!("{}", signer.verifier());
            tracing::info!(
                "private key written to `{}` (keep it secret; set NETHICAL_AUDIT_KEY to its path)",
                out.display()
            );
            Ok(exit_code::OK)
        }
    }
}

/// Writes a new file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(Error::io("create", path))?;
    file.write_all(bytes)
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(Error::io("write", path))
}
