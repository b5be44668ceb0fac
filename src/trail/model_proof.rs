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
use crate::audit::{Hash, hash_from_hex, leaf_hash, verify_inclusion};
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

/// Why a published model does not prove itself.
#[derive(Debug)]
pub enum ModelProofError {
    /// The file is not JSON.
    NotJson,
    /// Its content digest is not the logged one.
    Edited,
    /// It has no (readable) `audit` member.
    NoProof,
    /// Its proof does not hold; the reason.
    Fails(String),
}

/// Checks that `bytes`, a published `model.json`, is the model of content digest `content`
/// and carries a proof of an event naming that digest: the inclusion proof leads to the
/// proof's root, `root_ok` accepts that root (the log's at that size, or a checkpoint the
/// caller trusts), and the proven event describes this model. The one check `audit verify`
/// and the runner's reuse of an earlier seal share.
pub fn check_model_proof(
    bytes: &[u8],
    content: &str,
    root_ok: impl Fn(&ModelAudit, &Hash) -> Result<(), String>,
) -> Result<ModelAudit, ModelProofError> {
    let model = serde_json::from_slice::<Value>(bytes).map_err(|_| ModelProofError::NotJson)?;
    if model_content_sha256(&model).ok().as_deref() != Some(content) {
        return Err(ModelProofError::Edited);
    }
    let audit = model
        .get("audit")
        .and_then(|a| serde_json::from_value::<ModelAudit>(a.clone()).ok())
        .ok_or(ModelProofError::NoProof)?;
    let checked = (|| {
        let proof: Vec<Hash> = audit
            .inclusion_proof
            .iter()
            .map(|h| hash_from_hex(h))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let root = hash_from_hex(&audit.root).map_err(|e| e.to_string())?;
        verify_inclusion(&leaf_hash(audit.event.as_bytes()), audit.leaf_index, audit.tree_size, &proof, &root)
            .map_err(|e| e.to_string())?;
        root_ok(&audit, &root)?;
        let event: Value = serde_json::from_str(&audit.event).map_err(|e| e.to_string())?;
        if event["content_sha256"].as_str() != Some(content) {
            return Err("the proven event describes another model".to_owned());
        }
        Ok(())
    })();
    checked.map_err(ModelProofError::Fails)?;
    Ok(audit)
}
