//! The audit log's trust policy: once a run signs a checkpoint, its key is pinned, and from then
//! on no run may write, and `verify` accepts no checkpoint that is not signed by that key.
//!
//! Without a pin, anyone who can write the log folder can strip the signature, append a forged
//! event and write an unsigned checkpoint of the new root, and a run without the key continues
//! the log unsigned: the signature would protect nothing. The pin lives in two places that check
//! each other. `policy.json` in the log folder names the key and the event that sealed it, so a
//! reader needs no scan; the `audit_policy` event in the log itself is covered by every later
//! checkpoint, so deleting or replacing `policy.json` does not lift the pin, it only makes the
//! two disagree, which the runner refuses and `verify` reports.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::log_dir::LogDir;
use super::signature_check::{KeyName, SignatureProblem, check_signature, signers};
use crate::audit::{KeyError, NoteSigner, NoteVerifier};
use crate::store::write_durable;

/// The policy file's name in the log folder.
pub const POLICY_FILE: &str = "policy.json";

/// The `event` of the log line that seals a policy.
pub const POLICY_EVENT: &str = "audit_policy";

/// What every policy line contains, as canonical JSON writes it: a cheap filter before parsing.
const POLICY_NEEDLE: &[u8] = b"\"event\":\"audit_policy\"";

/// `audit/policy.json`: which key signs this log, from which event on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustPolicy {
    /// 1.
    pub format_version: u32,
    /// The verifier key (C2SP note format) that signs every checkpoint sealing `event`.
    pub key: String,
    /// The `seq` of the `audit_policy` event that seals this policy in the log.
    pub event: u64,
}

/// An `audit_policy` line of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyEvent {
    /// Its `seq`.
    pub seq: u64,
    /// The verifier key it pins, as written.
    pub key: String,
}

#[derive(Deserialize)]
struct PolicyLine {
    event: String,
    seq: u64,
    #[serde(default)]
    key: String,
}

/// The pinned key and the first event it covers: checkpoints of more than `event` events must
/// carry its valid signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pinned {
    /// The key.
    pub key: NoteVerifier,
    /// The `seq` of the event that pinned it.
    pub event: u64,
}

impl Pinned {
    /// Whether a checkpoint of `size` events must be signed by the key.
    pub fn covers(&self, size: u64) -> bool {
        size > self.event
    }

    /// The key's name and id.
    pub fn name(&self) -> KeyName {
        KeyName::of(&self.key)
    }
}

/// Why the trust policy refuses a run, or cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The log is signed and the run has no key: it would write an unsigned checkpoint.
    #[error("this log is signed by {key}; set NETHICAL_AUDIT_KEY to its private key file")]
    KeyNotSet {
        /// The log's key.
        key: KeyName,
    },
    /// The run's key is not the log's.
    #[error("this log is signed by {key}; NETHICAL_AUDIT_KEY is {given}, another key: set it to the log's key")]
    OtherKey {
        /// The log's key.
        key: KeyName,
        /// The run's.
        given: KeyName,
    },
    /// The log's latest checkpoint does not carry the signature the policy requires.
    #[error("the log's checkpoint `{}` cannot be trusted: {problem}; run `nethical audit verify`", .path.display())]
    CheckpointSignature {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with its signature.
        problem: SignatureProblem,
    },
    /// `policy.json` and the log's policy event name different keys or events.
    #[error(
        "`{}` pins {file_key} at event #{file_event}, but event #{event} of the log pins {event_key}: the policy file was replaced",
        .path.display()
    )]
    PolicyMismatch {
        /// `policy.json`.
        path: PathBuf,
        /// The key it names (`name+id`).
        file_key: String,
        /// The event it names.
        file_event: u64,
        /// The log's policy event.
        event: u64,
        /// The key that event pins (`name+id`).
        event_key: String,
    },
    /// `policy.json` exists but no event of the log seals it.
    #[error("`{}` pins {key}, but no event of the log seals it: the policy file was written by hand, or the log was rewritten", .path.display())]
    PolicyWithoutEvent {
        /// `policy.json`.
        path: PathBuf,
        /// The key it names.
        key: String,
    },
    /// More than one policy event: the writer never writes a second, so someone else did.
    #[error("the log holds more than one policy event (#{first} and #{second}): a pinned key cannot change")]
    SecondPolicyEvent {
        /// The first.
        first: u64,
        /// The next.
        second: u64,
    },
    /// A policy event whose key is not a verifier key.
    #[error("event #{seq} of the log is a policy event without a valid verifier key")]
    BadPolicyKey {
        /// The event.
        seq: u64,
        /// Why the key was refused.
        #[source]
        source: KeyError,
    },
    /// `policy.json` is not a policy.
    #[error("`{}` is not a trust policy", .path.display())]
    PolicyFile {
        /// `policy.json`.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A file could not be read or written.
    #[error("cannot {what} `{}`", .path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// What a run with a given key must do to keep the policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Admission {
    /// This run's first signed checkpoint pins its key: seal an `audit_policy` event first.
    pub pin: Option<NoteVerifier>,
    /// `policy.json` is missing while the log's event pins a key (deleted, or a run was killed
    /// between its checkpoint and the file): write it again from the event.
    pub restore: Option<TrustPolicy>,
}

/// The policy as the log folder states it: `policy.json` and the policy events of the log.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    /// `policy.json`, if present.
    pub file: Option<TrustPolicy>,
    /// Every `audit_policy` line of the log, in order.
    pub events: Vec<PolicyEvent>,
    /// `policy.json`'s path.
    pub path: PathBuf,
}

impl Trust {
    /// Reads `policy.json` and finds the policy events of the log (one pass, parsing only the
    /// lines that contain a policy event's text).
    pub fn read(log: &LogDir) -> Result<Self, TrustError> {
        Ok(Self { file: read_policy_file(log)?, events: policy_events(&log.events())?, path: log.policy() })
    }

    /// `policy.json` with policy events already known (from a frontier file that vouches for
    /// the log).
    pub fn with_events(log: &LogDir, events: Vec<PolicyEvent>) -> Result<Self, TrustError> {
        Ok(Self { file: read_policy_file(log)?, events, path: log.policy() })
    }

    /// [`read`](Self::read), taking the policy events from the log's frontier file when it
    /// vouches for the log as it is (its checkpoint and tail match, no append pending): the
    /// runner's check and each append then cost no read of the log. `nethical audit verify`
    /// reads the log itself.
    pub fn read_fast(log: &LogDir) -> Result<Self, TrustError> {
        let known = super::FrontierFile::read(log).filter(|_| !log.pending().exists()).and_then(|hint| {
            let at = log.read_checkpoint().ok()??;
            hint.trusted(log, &at).map(|_| hint.policy_events)
        });
        match known {
            Some(events) => Self::with_events(log, events),
            None => Self::read(log),
        }
    }

    /// The pinned key: the first policy event's, which must agree with `policy.json`.
    pub fn pinned(&self) -> Result<Option<Pinned>, TrustError> {
        let Some(first) = self.events.first() else {
            return match &self.file {
                Some(f) => Err(TrustError::PolicyWithoutEvent { path: self.path.clone(), key: key_name_of(&f.key) }),
                None => Ok(None),
            };
        };
        if let Some(second) = self.events.get(1) {
            return Err(TrustError::SecondPolicyEvent { first: first.seq, second: second.seq });
        }
        if let Some(f) = &self.file
            && (f.key != first.key || f.event != first.seq || f.format_version != 1)
        {
            return Err(TrustError::PolicyMismatch {
                path: self.path.clone(),
                file_key: key_name_of(&f.key),
                file_event: f.event,
                event: first.seq,
                event_key: key_name_of(&first.key),
            });
        }
        let key =
            NoteVerifier::parse(&first.key).map_err(|source| TrustError::BadPolicyKey { seq: first.seq, source })?;
        Ok(Some(Pinned { key, event: first.seq }))
    }

    /// Whether a run signing with `signer` (or not signing) may append to a log whose latest
    /// checkpoint file reads `checkpoint` (`None` for a new log), and what it must write.
    ///
    /// A log signed before policies existed has no policy event; its checkpoint's signature is
    /// the pin then, checked against the run's key before that key is pinned.
    pub fn admit(
        &self,
        checkpoint_path: &Path,
        checkpoint: Option<&str>,
        checkpoint_size: u64,
        signer: Option<&NoteSigner>,
    ) -> Result<Admission, TrustError> {
        let refused = |problem| TrustError::CheckpointSignature { path: checkpoint_path.to_owned(), problem };
        if let Some(pinned) = self.pinned()? {
            let Some(signer) = signer else { return Err(TrustError::KeyNotSet { key: pinned.name() }) };
            if signer.verifier() != pinned.key {
                return Err(TrustError::OtherKey { key: pinned.name(), given: KeyName::of(&signer.verifier()) });
            }
            if let Some(text) = checkpoint.filter(|_| pinned.covers(checkpoint_size)) {
                check_signature(text, std::slice::from_ref(&pinned.key)).map_err(refused)?;
            }
            let restore = self.file.is_none().then(|| TrustPolicy {
                format_version: 1,
                key: pinned.key.to_string(),
                event: pinned.event,
            });
            return Ok(Admission { pin: None, restore });
        }
        let earlier = checkpoint.map(signers).unwrap_or_default();
        match (signer, earlier.first()) {
            (None, None) => Ok(Admission::default()),
            (None, Some(key)) => Err(TrustError::KeyNotSet { key: key.clone() }),
            (Some(signer), first) => {
                let verifier = signer.verifier();
                if let (Some(text), Some(key)) = (checkpoint, first) {
                    match check_signature(text, std::slice::from_ref(&verifier)) {
                        Ok(()) => {}
                        Err(SignatureProblem::UnknownKey { .. }) => {
                            return Err(TrustError::OtherKey { key: key.clone(), given: KeyName::of(&verifier) });
                        }
                        Err(problem) => return Err(refused(problem)),
                    }
                }
                Ok(Admission { pin: Some(verifier), restore: None })
            }
        }
    }
}

/// `name+id` of a verifier key text (what messages show), or the text itself when it is not one.
pub(super) fn key_name_of(text: &str) -> String {
    NoteVerifier::parse(text).map_or_else(|_| text.to_owned(), |k| KeyName::of(&k).to_string())
}

/// The event that pins `key`, without `seq`, `prev` and `run` (the append fills them in).
pub fn policy_event(key: &NoteVerifier) -> Value {
    json!({
        "event": POLICY_EVENT,
        "key": key.to_string(),
        "rule": "every checkpoint from here on must be signed by this key",
    })
}

/// Writes `policy.json` atomically and durably: a reader sees no policy or the whole policy.
pub fn write_policy(log: &LogDir, policy: &TrustPolicy) -> Result<(), TrustError> {
    let path = log.policy();
    let mut bytes =
        serde_json::to_vec_pretty(policy).map_err(|e| TrustError::PolicyFile { path: path.clone(), source: e })?;
    bytes.push(b'\n');
    write_durable(&path, &bytes).map_err(|source| TrustError::Io { what: "write", path, source })
}

/// `policy.json`, if present.
pub(super) fn read_policy_file(log: &LogDir) -> Result<Option<TrustPolicy>, TrustError> {
    let path = log.policy();
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|source| TrustError::PolicyFile { path, source }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(TrustError::Io { what: "read", path, source }),
    }
}

/// Every whole line of the log at `path` that is an `audit_policy` event, in order.
pub(super) fn policy_events(path: &Path) -> Result<Vec<PolicyEvent>, TrustError> {
    let io = |source| TrustError::Io { what: "read", path: path.to_owned(), source };
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    let finder = memchr::memmem::Finder::new(POLICY_NEEDLE);
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    let mut out = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io)? == 0 {
            return Ok(out);
        }
        // A torn last line is no event; nested objects may hold an `event` key of their own.
        if line.last() != Some(&b'\n') || finder.find(&line).is_none() {
            continue;
        }
        if let Ok(p) = serde_json::from_slice::<PolicyLine>(&line)
            && p.event == POLICY_EVENT
        {
            out.push(PolicyEvent { seq: p.seq, key: p.key });
        }
    }
}
