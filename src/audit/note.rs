//! C2SP signed notes (c2sp.org/signed-note): a UTF-8 text ending in a newline, a blank line,
//! then one line per signature: `— <key name> <base64(key ID ‖ Ed25519 signature)>`.
//!
//! Checkpoints are published as signed notes so that any C2SP-aware tool (Go's `note`
//! package, litetlog, sigsum witnesses) can check them. Reading follows the spec's trust rules:
//! signatures from unknown keys are ignored, a failing signature from a trusted key rejects the
//! note, and a note with no trusted signature is rejected.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::error::NoteError;
use super::note_key::{NoteSigner, NoteVerifier, is_valid_key_name};

/// Most signatures a note may carry. C2SP asks verifiers to bound this and to accept at least
/// 16; Go's `note` package allows 100, so we do too.
pub const MAX_SIGNATURES: usize = 100;

/// Starts every signature line: em dash (U+2014), space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name as written on the line.
    pub name: String,
    /// Key ID, the first 4 decoded bytes (big-endian).
    pub key_id: u32,
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The signature line without its newline.
    pub fn to_line(&self) -> String {
        let mut data = Vec::with_capacity(4 + self.signature.len());
        data.extend_from_slice(&self.key_id.to_be_bytes());
        data.extend_from_slice(&self.signature);
        format!("{SIGNATURE_PREFIX}{} {}", self.name, BASE64.encode(data))
    }
}

/// A note text with its signatures, verified or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The signed text, final newline included.
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

impl SignedNote {
    /// Signs `text` (which must end in a newline) with each signer in turn.
    pub fn sign(text: &str, signers: &[&NoteSigner]) -> Result<Self, NoteError> {
        check_text(text)?;
        let signatures = signers
            .iter()
            .map(|signer| NoteSignature {
                name: signer.name().to_owned(),
                key_id: signer.key_id(),
                signature: signer.sign(text.as_bytes()).to_vec(),
            })
            .collect();
        Ok(Self { text: text.to_owned(), signatures })
    }

    /// Adds a signature by `signer` (a cosignature, e.g. a witness), replacing an earlier one by
    /// the same key.
    pub fn add_signature(&mut self, signer: &NoteSigner) {
        self.signatures.retain(|s| !(s.name == signer.name() && s.key_id == signer.key_id()));
        self.signatures.push(NoteSignature {
            name: signer.name().to_owned(),
            key_id: signer.key_id(),
            signature: signer.sign(self.text.as_bytes()).to_vec(),
        });
    }

    /// The note as published: text, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for signature in &self.signatures {
            out.push_str(&signature.to_line());
            out.push('\n');
        }
        out
    }

    /// Parses a signed note without checking any signature; see [`Self::open`] for that.
    pub fn parse(message: &str) -> Result<Self, NoteError> {
        if let Some((offset, c)) = message.char_indices().find(|&(_, c)| c < ' ' && c != '\n') {
            return Err(NoteError::ControlCharacter { offset, code: c as u32 });
        }
        // The text may contain blank lines; the last one separates it from the signatures.
        let split = message.rfind("\n\n").ok_or(NoteError::MissingSignatureBlock)?;
        let (text, block) = (&message[..=split], &message[split + 2..]);
        if block.is_empty() || !block.ends_with('\n') {
            return Err(NoteError::UnterminatedSignatureBlock);
        }
        let first_line = text.matches('\n').count() + 2;
        let mut signatures = Vec::new();
        for (index, line) in block.split_terminator('\n').enumerate() {
            if index == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures { limit: MAX_SIGNATURES });
            }
            signatures.push(parse_signature_line(line, first_line + index)?);
        }
        Ok(Self { text: text.to_owned(), signatures })
    }

    /// Checks the signatures against the `trusted` keys and returns the keys that signed.
    ///
    /// A signature is checked only when both its key name and ID match a trusted key (others
    /// are ignored, as C2SP requires); any checked signature that fails rejects the note.
    pub fn verify<'k>(&self, trusted: &'k [NoteVerifier]) -> Result<Vec<&'k NoteVerifier>, NoteError> {
        for (i, a) in trusted.iter().enumerate() {
            if trusted[..i].iter().any(|b| a.name() == b.name() && a.key_id() == b.key_id()) {
                return Err(NoteError::AmbiguousVerifier { name: a.name().to_owned(), key_id: a.key_id() });
            }
        }
        let mut signed_by: Vec<&NoteVerifier> = Vec::new();
        let mut unverified = 0;
        for signature in &self.signatures {
            let Some(key) = trusted.iter().find(|k| k.name() == signature.name && k.key_id() == signature.key_id)
            else {
                unverified += 1;
                continue;
            };
            if !key.verify(self.text.as_bytes(), &signature.signature) {
                return Err(NoteError::InvalidSignature { name: signature.name.clone(), key_id: signature.key_id });
            }
            if !signed_by.contains(&key) {
                signed_by.push(key);
            }
        }
        if signed_by.is_empty() {
            return Err(NoteError::NoTrustedSignature { unverified });
        }
        Ok(signed_by)
    }

    /// Parses `message` and verifies it against `trusted`: the one call a reader needs.
    pub fn open(message: &str, trusted: &[NoteVerifier]) -> Result<Self, NoteError> {
        let note = Self::parse(message)?;
        note.verify(trusted)?;
        Ok(note)
    }
}

/// A text we can sign is one we (and Go's `note`) can open again: newline-terminated, no
/// control characters but newline.
fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::TextWithoutFinalNewline);
    }
    match text.char_indices().find(|&(_, c)| c < ' ' && c != '\n') {
        Some((offset, c)) => Err(NoteError::ControlCharacter { offset, code: c as u32 }),
        None => Ok(()),
    }
}

fn parse_signature_line(line: &str, line_number: usize) -> Result<NoteSignature, NoteError> {
    let malformed = |reason| NoteError::MalformedSignatureLine { line: line_number, reason };
    let rest = line.strip_prefix(SIGNATURE_PREFIX).ok_or_else(|| malformed("it does not start with \"— \""))?;
    let (name, data) =
        rest.split_once(' ').ok_or_else(|| malformed("it has no space between key name and signature"))?;
    if !is_valid_key_name(name) {
        return Err(malformed("the key name is empty or has spaces or '+'"));
    }
    let bytes = BASE64.decode(data).map_err(|_| malformed("the signature is not padded standard base64"))?;
    if bytes.len() < 5 {
        return Err(malformed("the signature is shorter than a key ID and one byte"));
    }
    let (id, signature) = bytes.split_at(4);
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes([id[0], id[1], id[2], id[3]]),
        signature: signature.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example from the golang.org/x/mod/sumdb/note package documentation.
    const GO_PRIVATE: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const GO_VERIFIER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const GO_TEXT: &str =
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const GO_NOTE: &str = "If you think cryptography is the answer to your problem,\n\
                           then you don't know what your problem is.\n\
                           \n\
                           — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    fn go_signer() -> NoteSigner {
        NoteSigner::parse(GO_PRIVATE).unwrap()
    }

    fn trusted() -> Vec<NoteVerifier> {
        vec![NoteVerifier::parse(GO_VERIFIER).unwrap()]
    }

    #[test]
    fn signing_reproduces_go_example_byte_for_byte() {
        let note = SignedNote::sign(GO_TEXT, &[&go_signer()]).unwrap();
        assert_eq!(note.to_text(), GO_NOTE);
    }

    #[test]
    fn go_example_opens() {
        let note = SignedNote::open(GO_NOTE, &trusted()).unwrap();
        assert_eq!(note.text, GO_TEXT);
        assert_eq!(note.signatures.len(), 1);
        assert_eq!(note.signatures[0].key_id, 0xc74f20a3);
    }

    #[test]
    fn any_changed_byte_is_rejected() {
        let trusted = trusted();
        for offset in 0..GO_NOTE.len() {
            if !GO_NOTE.is_char_boundary(offset) || !GO_NOTE.is_char_boundary(offset + 1) {
                continue; // inside the em dash
            }
            let original = GO_NOTE.as_bytes()[offset];
            let replacement = if original == b'A' { 'B' } else { 'A' };
            let mut tampered = GO_NOTE.to_owned();
            tampered.replace_range(offset..offset + 1, &replacement.to_string());
            assert!(SignedNote::open(&tampered, &trusted).is_err(), "change at byte {offset} was accepted");
        }
    }

    #[test]
    fn wrong_or_unknown_keys_are_rejected() {
        let other = NoteSigner::from_seed("PeterNeumann", [9; 32]).unwrap();
        // Same name, different key: the ID differs, so the signature is ignored, not trusted.
        assert_eq!(
            SignedNote::open(GO_NOTE, &[other.verifier()]),
            Err(NoteError::NoTrustedSignature { unverified: 1 })
        );
        assert_eq!(SignedNote::open(GO_NOTE, &[]), Err(NoteError::NoTrustedSignature { unverified: 1 }));
        // A forged line that claims the trusted name and ID but was signed by another key.
        let mut forged = SignedNote::sign(GO_TEXT, &[&other]).unwrap();
        forged.signatures[0].key_id = 0xc74f20a3;
        assert_eq!(
            SignedNote::open(&forged.to_text(), &trusted()),
            Err(NoteError::InvalidSignature { name: "PeterNeumann".to_owned(), key_id: 0xc74f20a3 })
        );
    }

    #[test]
    fn cosignatures_and_unknown_signatures_are_kept() {
        let witness = NoteSigner::from_seed("witness.example", [3; 32]).unwrap();
        let mut note = SignedNote::parse(GO_NOTE).unwrap();
        note.add_signature(&witness);
        let text = note.to_text();
        assert!(text.starts_with(GO_NOTE), "{text}");
        let both = [trusted()[0].clone(), witness.verifier()];
        let signed_by = SignedNote::parse(&text).unwrap().verify(&both).unwrap();
        assert_eq!(signed_by.len(), 2);
        assert_eq!(SignedNote::open(&text, &[witness.verifier()]).unwrap().signatures.len(), 2);
    }

    #[test]
    fn text_may_hold_blank_lines() {
        let signer = NoteSigner::from_seed("log.example", [1; 32]).unwrap();
        let text = "first\n\nsecond\n";
        let message = SignedNote::sign(text, &[&signer]).unwrap().to_text();
        assert_eq!(SignedNote::open(&message, &[signer.verifier()]).unwrap().text, text);
    }

    #[test]
    fn malformed_notes_are_rejected_with_clear_errors() {
        let signer = go_signer();
        assert_eq!(SignedNote::sign("no newline", &[&signer]), Err(NoteError::TextWithoutFinalNewline));
        assert_eq!(
            SignedNote::sign("tab\there\n", &[&signer]).unwrap_err().to_string(),
            "note contains control character U+0009 at byte 3; only newline is allowed"
        );
        assert_eq!(SignedNote::parse(GO_TEXT), Err(NoteError::MissingSignatureBlock));
        assert_eq!(SignedNote::parse(GO_NOTE.trim_end()), Err(NoteError::UnterminatedSignatureBlock));
        let no_dash = GO_NOTE.replace('—', "-");
        assert_eq!(
            SignedNote::parse(&no_dash).unwrap_err().to_string(),
            "signature line 4 is malformed: it does not start with \"— \""
        );
        let short = format!("{GO_TEXT}\n— PeterNeumann AAAAAA==\n");
        assert_eq!(
            SignedNote::parse(&short).unwrap_err().to_string(),
            "signature line 4 is malformed: the signature is shorter than a key ID and one byte"
        );
        let many = format!("{GO_TEXT}\n{}", "— a AAAAAAA=\n".repeat(MAX_SIGNATURES + 1));
        assert_eq!(SignedNote::parse(&many), Err(NoteError::TooManySignatures { limit: MAX_SIGNATURES }));
        let twice = [trusted()[0].clone(), trusted()[0].clone()];
        assert_eq!(
            SignedNote::open(GO_NOTE, &twice),
            Err(NoteError::AmbiguousVerifier { name: "PeterNeumann".to_owned(), key_id: 0xc74f20a3 })
        );
    }
}
