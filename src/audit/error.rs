//! Errors of the audit log: one enum per concern, each variant carrying the data that explains it.
//!
//! Messages are lowercase fragments: variants that wrap a source say what was being done ("read
//! key file …", to follow "failed to"), the others say what is wrong. No variant ever carries
//! private-key material: key errors name the field that is wrong, never its value.

use std::path::PathBuf;

/// Why a hash given as hex text was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HashHexError {
    #[error("hash has {actual} hex digits, but a SHA-256 hash has 64")]
    WrongLength { actual: usize },

    #[error("hash is not valid hex")]
    NotHex(#[source] hex::FromHexError),
}

/// Why an event could not be written as canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalJsonError {
    /// RFC 8785 serializes every number as an IEEE 754 double; an integer beyond ±2^53 would be
    /// rounded, so the log would silently record a different value than the caller gave.
    #[error("integer {value} at {pointer:?} is beyond ±2^53 and cannot be written exactly (store it as a string)")]
    IntegerOutOfRange { pointer: String, value: String },
}

/// Why an inclusion or consistency proof could not be built or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },

    #[error("tree size {size} exceeds the {available} leaves given")]
    SizeExceedsLeaves { size: u64, available: u64 },

    /// RFC 9162 §2.1.4 defines consistency proofs only from a non-empty tree: every tree is
    /// trivially consistent with the empty one, so a "proof" from size 0 proves nothing.
    #[error("a consistency proof cannot start from an empty tree (old size 0)")]
    EmptyOldTree,

    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldLargerThanNew { old_size: u64, new_size: u64 },

    #[error("proof has {actual} hashes, but these tree sizes need exactly {expected}")]
    WrongProofLength { expected: usize, actual: usize },

    #[error("proof leads to root {computed}, not the expected root {expected}")]
    RootMismatch { expected: String, computed: String },

    #[error("proof leads to old root {computed}, not the expected old root {expected}")]
    OldRootMismatch { expected: String, computed: String },
}

/// Why a streamed JSONL log was rejected.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("read line {line} of the audit log")]
    Io {
        line: u64,
        #[source]
        source: std::io::Error,
    },

    /// A crash mid-append leaves a partial last line; it must not silently become a leaf.
    #[error("line {line} of the audit log has no final newline (truncated write?)")]
    MissingNewline { line: u64 },

    #[error("line {line} of the audit log is not JSON")]
    NotJson {
        line: u64,
        #[source]
        source: serde_json::Error,
    },

    #[error("line {line} of the audit log is not canonical JSON; expected {expected}")]
    NotCanonical { line: u64, expected: String },

    #[error("line {line} of the audit log cannot be canonicalized")]
    Canonical {
        line: u64,
        #[source]
        source: CanonicalJsonError,
    },
}

/// Which kind of note key a [`KeyError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Private,
    Verifier,
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyKind::Private => "private key",
            KeyKind::Verifier => "verifier key",
        })
    }
}

/// Why a note key (private or verifier) was rejected. Never includes the key text itself.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("read key file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("key file {path} must hold exactly one line, the key")]
    NotOneLine { path: PathBuf },

    #[error("private key must start with \"PRIVATE+KEY+\"")]
    MissingPrivatePrefix,

    /// Refusing a private key where a public one is expected keeps it from being copied into a
    /// verifier list that gets shared or committed.
    #[error("expected a verifier key but got a private key; give the verifier key (<name>+<id>+<key>)")]
    PrivateKeyGiven,

    #[error("{kind} must have the form {form}, but it has {fields} '+'-separated fields")]
    WrongFieldCount { kind: KeyKind, form: &'static str, fields: usize },

    #[error("{kind} name {name:?} must be non-empty and contain no spaces or '+'")]
    InvalidName { kind: KeyKind, name: String },

    #[error("{kind} id must be 8 hex digits")]
    InvalidKeyId { kind: KeyKind },

    /// No source error: the base64 decoder's message would quote a character of the key.
    #[error("{kind} data is not valid padded standard base64")]
    InvalidBase64 { kind: KeyKind },

    #[error("{kind} has algorithm byte {algorithm}, but only Ed25519 (1) is supported")]
    UnknownAlgorithm { kind: KeyKind, algorithm: u8 },

    #[error("{kind} holds {actual} key bytes, but Ed25519 needs 32")]
    WrongKeyLength { kind: KeyKind, actual: usize },

    #[error("{kind} {name:?} states id {stated:08x}, but its public key gives {computed:08x}")]
    KeyIdMismatch { kind: KeyKind, name: String, stated: u32, computed: u32 },

    #[error("verifier key {name:?} is not a valid Ed25519 public key")]
    InvalidPublicKey { name: String },
}

/// Why a note could not be signed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("note text must end with a newline")]
    TextWithoutFinalNewline,

    #[error("note contains control character U+{code:04X} at byte {offset}; only newline is allowed")]
    ControlCharacter { offset: usize, code: u32 },

    #[error("note has no blank line separating its text from its signatures")]
    MissingSignatureBlock,

    #[error("note signature block is empty or lacks its final newline")]
    UnterminatedSignatureBlock,

    #[error("signature line {line} is malformed: {reason}")]
    MalformedSignatureLine { line: usize, reason: &'static str },

    #[error("note has more than {limit} signatures")]
    TooManySignatures { limit: usize },

    #[error("signer name {name:?} must be non-empty and contain no spaces or '+'")]
    InvalidSignerName { name: String },

    #[error("two trusted keys share name {name:?} and id {key_id:08x}")]
    AmbiguousVerifier { name: String, key_id: u32 },

    /// C2SP signed-note: a signature from a known key that fails means the note was altered.
    #[error("signature by trusted key {name:?} ({key_id:08x}) does not verify: the note was altered or forged")]
    InvalidSignature { name: String, key_id: u32 },

    #[error("note has no signature from a trusted key ({unverified} signatures from unknown keys)")]
    NoTrustedSignature { unverified: usize },
}

/// Why checkpoint text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint text must end with a newline")]
    MissingFinalNewline,

    #[error("checkpoint has {lines} lines, but needs origin, size and root hash")]
    TooFewLines { lines: usize },

    #[error("checkpoint origin line is empty")]
    EmptyOrigin,

    #[error("checkpoint tree size {text:?} is not a decimal number without leading zeros")]
    InvalidSize { text: String },

    #[error("checkpoint root hash {text:?} is not the base64 of 32 bytes")]
    InvalidRootHash { text: String },

    #[error("checkpoint line {line} is empty, but extension lines must be non-empty")]
    EmptyExtension { line: usize },

    #[error("checkpoint line {line} contains control character U+{code:04X}")]
    ControlCharacter { line: usize, code: u32 },

    #[error("open the signed checkpoint")]
    Note(#[source] NoteError),
}
