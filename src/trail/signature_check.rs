//! Whether a checkpoint carries a valid signature by the keys it must be signed by, and if not,
//! which of the four ways it fails: no signature, a signature that does not verify, signatures
//! by other keys only, or a signature line that cannot be read.
//!
//! The note layer ([`crate::audit::SignedNote`]) answers "can this note be opened"; a user who
//! finds a log refused needs to know whether someone stripped the signature, altered the text,
//! signed with another key or damaged the file, because each calls for a different response.

use std::fmt;

use crate::audit::{NoteError, NoteVerifier, SignedNote};

/// A key as a signature line names it: `name+id` (the start of its verifier key text), enough to
/// tell keys apart without printing key material.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyName {
    /// The key's name.
    pub name: String,
    /// Its C2SP key id.
    pub key_id: u32,
}

impl KeyName {
    /// The name of a verifier key.
    pub fn of(key: &NoteVerifier) -> Self {
        Self { name: key.name().to_owned(), key_id: key.key_id() }
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{:08x}", self.name, self.key_id)
    }
}

/// A list of key names, `a+01234567 or b+89abcdef`.
struct Names<'a>(&'a [KeyName]);

impl fmt::Display for Names<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, k) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

/// Why a checkpoint's signature does not satisfy the keys it must be signed by.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureProblem {
    /// No signature at all: a plain checkpoint where a signed one belongs.
    #[error("signature missing: the checkpoint is not signed, but it must be signed by {}", Names(.wanted))]
    Missing {
        /// The keys it must be signed by.
        wanted: Vec<KeyName>,
    },
    /// A signature by the right key that does not verify: the text was changed after signing.
    #[error("signature invalid: the signature by {key} does not verify, so the checkpoint was altered or forged")]
    Invalid {
        /// The key whose signature fails.
        key: KeyName,
    },
    /// Signed, but by none of the keys it must be signed by.
    #[error("signed by an unknown key: {} signed it, but it must be signed by {}", Names(.found), Names(.wanted))]
    UnknownKey {
        /// Who signed it.
        found: Vec<KeyName>,
        /// The keys it must be signed by.
        wanted: Vec<KeyName>,
    },
    /// The signature block cannot be read.
    #[error("malformed signature line: {0}")]
    Malformed(NoteError),
}

/// Whether `text` (a checkpoint file's contents) carries a valid signature by one of `trusted`.
///
/// Signatures by other keys are ignored when a trusted one is valid (C2SP: cosignatures may be
/// added by anyone).
pub fn check_signature(text: &str, trusted: &[NoteVerifier]) -> Result<(), SignatureProblem> {
    let wanted = || {
        let mut names: Vec<KeyName> = trusted.iter().map(KeyName::of).collect();
        names.dedup();
        names
    };
    if !text.contains("\n\n") {
        return Err(SignatureProblem::Missing { wanted: wanted() });
    }
    let note = SignedNote::parse(text).map_err(SignatureProblem::Malformed)?;
    // The same key given twice (`--key k --key k`) is one key, not an ambiguity.
    let mut keys: Vec<NoteVerifier> = Vec::with_capacity(trusted.len());
    for k in trusted {
        if !keys.contains(k) {
            keys.push(k.clone());
        }
    }
    match note.verify(&keys) {
        Ok(_) => Ok(()),
        Err(NoteError::InvalidSignature { name, key_id }) => {
            Err(SignatureProblem::Invalid { key: KeyName { name, key_id } })
        }
        Err(NoteError::NoTrustedSignature { .. }) => Err(SignatureProblem::UnknownKey {
            found: note.signatures.iter().map(|s| KeyName { name: s.name.clone(), key_id: s.key_id }).collect(),
            wanted: wanted(),
        }),
        Err(other) => Err(SignatureProblem::Malformed(other)),
    }
}

/// The keys whose signatures a checkpoint file carries (none for a plain checkpoint, or one whose
/// signature block cannot be read).
pub fn signers(text: &str) -> Vec<KeyName> {
    if !text.contains("\n\n") {
        return Vec::new();
    }
    SignedNote::parse(text)
        .map(|n| n.signatures.iter().map(|s| KeyName { name: s.name.clone(), key_id: s.key_id }).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Checkpoint, NoteSigner, empty_root};

    fn signed(signer: &NoteSigner) -> (String, String) {
        let c = Checkpoint::new("o", 0, empty_root(), Vec::new()).unwrap();
        (c.to_text(), c.sign(&[signer]).unwrap().to_text())
    }

    #[test]
    fn each_failure_is_named() {
        let key = NoteSigner::from_seed("o", [1; 32]).unwrap();
        let other = NoteSigner::from_seed("o", [2; 32]).unwrap();
        let (plain, note) = signed(&key);
        let trusted = [key.verifier()];
        assert_eq!(check_signature(&note, &trusted), Ok(()));
        assert_eq!(check_signature(&note, &[key.verifier(), key.verifier()]), Ok(()));
        let name = KeyName::of(&key.verifier());
        assert_eq!(check_signature(&plain, &trusted), Err(SignatureProblem::Missing { wanted: vec![name.clone()] }));
        let altered = note.replacen("\n0\n", "\n1\n", 1);
        assert_eq!(check_signature(&altered, &trusted), Err(SignatureProblem::Invalid { key: name.clone() }));
        let (_, by_other) = signed(&other);
        let found = vec![KeyName::of(&other.verifier())];
        assert_eq!(
            check_signature(&by_other, &trusted),
            Err(SignatureProblem::UnknownKey { found: found.clone(), wanted: vec![name.clone()] })
        );
        assert_eq!(signers(&by_other), found);
        let damaged = note.replacen("— ", "-- ", 1);
        let problem = check_signature(&damaged, &trusted).unwrap_err();
        assert!(matches!(problem, SignatureProblem::Malformed(_)), "{problem}");
        assert!(
            problem.to_string().starts_with("malformed signature line: signature line 5 is malformed"),
            "{problem}"
        );
        assert!(signers(&plain).is_empty());
    }
}
