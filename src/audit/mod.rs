//! The tamper-evident audit trail: an append-only JSONL log whose lines are the leaves of an
//! RFC 6962 Merkle tree, with inclusion and consistency proofs and C2SP signed checkpoints.
//!
//! It replaces the original's Merkle anchor (spec §5), which hashed Python-specific JSON, had no
//! leaf/node domain separation, returned empty proofs and could not check chunks from disk.
//! Every format here is a published one, so anyone can recompute roots and check proofs and
//! signatures with independent tools:
//!
//! - lines: RFC 8785 canonical JSON ([`canonical_json`]); a leaf is one line without its newline;
//!   [`scan_log`] checks and roots a log file in one streaming pass;
//! - tree: RFC 6962 §2.1 ([`leaf_hash`], [`node_hash`], [`root`], streaming [`Frontier`]);
//! - proofs: RFC 6962 §2.1.1–2.1.2, verified per RFC 9162 §2.1.3.2 / §2.1.4.2;
//! - checkpoints: c2sp.org/tlog-checkpoint, signed as c2sp.org/signed-note with Ed25519 keys in
//!   the golang.org/x/mod/sumdb/note text formats.
//!
//! A plain library: bytes and values in, typed results out; it knows nothing of manifests.

mod canonical_check;
mod canonical_json;
mod checkpoint;
mod consistency;
mod error;
mod extension;
mod frontier;
mod hash;
mod inclusion;
mod log;
mod merkle;
mod note;
mod note_key;

#[cfg(test)]
mod tests_million;
#[cfg(test)]
mod tests_oracle;

pub use canonical_json::{canonical_json, write_canonical_json};
pub use checkpoint::Checkpoint;
pub use consistency::{ConsistencyProof, consistency_proof, consistency_proof_len, verify_consistency};
pub use error::{
    CanonicalJsonError, CheckpointError, HashHexError, KeyError, KeyKind, LogError, NoteError, ProofError,
};
pub use extension::Extension;
pub use frontier::Frontier;
pub use hash::{
    HASH_LEN, Hash, deserialize_hash, deserialize_hashes, hash_from_hex, hash_to_hex, serialize_hash, serialize_hashes,
};
pub use inclusion::{
    InclusionProof, inclusion_proof, inclusion_proof_len, root_from_inclusion_proof, verify_inclusion,
};
pub use log::{LineCheck, check_canonical_line, read_leaf_hashes, scan_log};
pub use merkle::{empty_root, leaf_hash, node_hash, root};
pub use note::{MAX_SIGNATURES, NoteSignature, SignedNote};
pub use note_key::{ED25519_SIGNATURE_TYPE, NoteSigner, NoteVerifier, key_id};
