//! The pipeline's audit trail on disk: the append-only event log of `runs/<pipeline>/audit/`,
//! its checkpoints, crash-safe appends, proofs for models, and verification of it all.
//!
//! Built on [`crate::audit`] (RFC 6962 trees, RFC 8785 canonical JSON, C2SP checkpoints); it
//! knows files and events, not manifests. The format is a contract, documented in
//! `docs/audit.md`: one canonical JSON event per line, each with `seq` (its leaf index),
//! `prev` (the previous line's leaf hash, hex; empty for the first) and `run` (the run id).

mod consistency_record;
mod frontier_file;
mod log_dir;
mod logged_event;
mod model_proof;
mod seal;
mod seal_record;
mod sealed_index;
mod signature_check;
mod tombstone;
mod trail_error;
mod trust_policy;
mod verify;

use serde_json::Value;

pub use consistency_record::{CONSISTENCY_FILE, ConsistencyRecord, TreeHead};
pub use frontier_file::{FRONTIER_FILE, FrontierFile};
pub use log_dir::{
    CHECKPOINT_FILE, EVENTS_FILE, LineProblem, LogDir, LogScan, PENDING_FILE, Pending, parse_checkpoint_text,
};
pub use logged_event::LoggedEvent;
pub use model_proof::{ModelAudit, attach_model_audit, model_content_sha256};
pub use seal::{CrashPoint, Sealed, seal};
pub use seal_record::{SEAL_FILE, SealRecord};
pub use sealed_index::{SEALED_DIR, SealedIndex, SealedInstance, proves_model};
pub use signature_check::{KeyName, SignatureProblem, check_signature, signers};
pub use tombstone::{TOMBSTONE_FORMAT, Tombstone};
pub use trail_error::TrailError;
pub use trust_policy::{
    Admission, POLICY_EVENT, POLICY_FILE, Pinned, PolicyEvent, Trust, TrustError, TrustPolicy, policy_event,
    write_policy,
};
pub use verify::{Finding, Verification, VerifyOptions, resolve_log_dir, verify};

/// Integers beyond ±2^53 cannot be canonical JSON numbers (RFC 8785 numbers are IEEE doubles),
/// so they are written as strings (seeds are 64-bit).
pub fn json_safe(value: Value) -> Value {
    const LIMIT: u64 = 1 << 53;
    match value {
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) if u > LIMIT => Value::String(u.to_string()),
            (None, Some(i)) if i.unsigned_abs() > LIMIT => Value::String(i.to_string()),
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(json_safe).collect()),
        Value::Object(fields) => Value::Object(fields.into_iter().map(|(k, v)| (k, json_safe(v))).collect()),
        other => other,
    }
}

/// One event as its log line: canonical JSON, without the newline.
pub fn canonical_line(event: &Value) -> Result<String, TrailError> {
    Ok(crate::audit::canonical_json(event)?)
}
