//! A model's own proof of being logged: the `audit` member of its published `model.json`.
//!
//! The `model_saved` event names the model by its *content digest*: SHA-256 of the canonical
//! JSON of `model.json` without its `audit` member (integers beyond 2^53 as strings, see
//! [`super::json_safe`]). So the proof can live inside the file it proves, and anyone holding
//! `model.json` and a trusted checkpoint can check both that the event is in the log and that
//! the event describes this file.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{TrailError, canonical_line, json_safe};
use crate::store::sha256_hex;

/// The `audit` member of a published `model.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelAudit {
    /// The log's origin (the checkpoint's first line).
    pub origin: String,
    /// The `model_saved` event's line, verbatim: its leaf is SHA-256(0x00 ‖ this).
    pub event: String,
    /// Its leaf index (`seq`).
    pub leaf_index: u64,
    /// The tree size the proof is for (the run's checkpoint).
    pub tree_size: u64,
    /// The root at that size, hex.
    pub root: String,
    /// The RFC 6962 inclusion proof, hex, leaf to root.
    pub inclusion_proof: Vec<String>,
}

/// The content digest of a model file's JSON (see the module docs).
pub fn model_content_sha256(model: &Value) -> Result<String, TrailError> {
    let mut content = model.clone();
    if let Value::Object(fields) = &mut content {
        fields.remove("audit");
    }
    Ok(sha256_hex(canonical_line(&json_safe(content))?.as_bytes()))
}

/// `model.json` bytes with `audit` set (pretty JSON, final newline, like every artifact).
pub fn attach_model_audit(bytes: &[u8], audit: &ModelAudit) -> Result<Vec<u8>, TrailError> {
    let mut model: Value =
        serde_json::from_slice(bytes).map_err(|e| TrailError::Artifact(format!("model.json is not JSON: {e}")))?;
    let Value::Object(fields) = &mut model else {
        return Err(TrailError::Artifact("model.json is not a JSON object".to_owned()));
    };
    fields.insert("audit".into(), serde_json::to_value(audit).map_err(|e| TrailError::Artifact(e.to_string()))?);
    let mut out = serde_json::to_vec_pretty(&model).map_err(|e| TrailError::Artifact(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}
