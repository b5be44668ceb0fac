//! Checkpoints in the C2SP tlog-checkpoint text format (c2sp.org/tlog-checkpoint): origin line,
//! decimal tree size, base64 root hash, optional extension lines, each ending in a newline.
//!
//! A checkpoint commits to the whole log at one size in three short lines. Signed as a note
//! (see [`SignedNote`]) it is what a run publishes and what a later verifier compares against.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::error::{CheckpointError, NoteError};
use super::hash::Hash;
use super::note::SignedNote;
use super::note_key::{NoteSigner, NoteVerifier};

/// A tree head: which log, how many leaves, which root. Built only through [`Checkpoint::new`]
/// or [`Checkpoint::parse`], so its text form always parses back to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint for `origin` (a schema-less URL such as `nethical.example/runs/42` is
    /// recommended). Extension lines are opaque and optional; C2SP discourages them because
    /// log monitors cannot audit them.
    pub fn new(origin: &str, size: u64, root: Hash, extensions: Vec<String>) -> Result<Self, CheckpointError> {
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        check_line(origin, 1)?;
        for (index, extension) in extensions.iter().enumerate() {
            let line = index + 4;
            if extension.is_empty() {
                return Err(CheckpointError::EmptyExtension { line });
            }
            check_line(extension, line)?;
        }
        Ok(Self { origin: origin.to_owned(), size, root, extensions })
    }

    /// The log's identity.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Number of leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// RFC 6962 root of the tree at [`Self::size`].
    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// Extension lines, in order.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note text: every line, the last included, ends in a newline.
    pub fn to_text(&self) -> String {
        let mut text = format!("{}\n{}\n{}\n", self.origin, self.size, BASE64.encode(self.root));
        for extension in &self.extensions {
            text.push_str(extension);
            text.push('\n');
        }
        text
    }

    /// Parses checkpoint note text (without signatures).
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::MissingFinalNewline)?;
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root, ref extensions @ ..] = lines[..] else {
            return Err(CheckpointError::TooFewLines { lines: lines.len() });
        };
        for (index, line) in lines.iter().enumerate() {
            check_line(line, index + 1)?;
        }
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        let size = parse_size(size)?;
        let root = parse_root(root)?;
        let extensions = extensions.iter().map(|line| (*line).to_owned()).collect();
        Self::new(origin, size, root, extensions)
    }

    /// Signs the checkpoint text as a C2SP signed note. The log's key name should equal the
    /// origin (C2SP tlog-checkpoint); cosigners may add their own keys.
    pub fn sign(&self, signers: &[&NoteSigner]) -> Result<SignedNote, NoteError> {
        SignedNote::sign(&self.to_text(), signers)
    }

    /// Opens a signed checkpoint: verifies the note against `trusted`, then parses its text.
    pub fn open(message: &str, trusted: &[NoteVerifier]) -> Result<Self, CheckpointError> {
        let note = SignedNote::open(message, trusted).map_err(CheckpointError::Note)?;
        Self::parse(&note.text)
    }
}

/// Lines are separated by newlines, so no other control character may appear in one.
fn check_line(line: &str, number: usize) -> Result<(), CheckpointError> {
    match line.chars().find(|c| c.is_control()) {
        Some(c) => Err(CheckpointError::ControlCharacter { line: number, code: c as u32 }),
        None => Ok(()),
    }
}

/// ASCII decimal, no sign, no leading zeros except for `0` itself: one text per size, so two
/// checkpoints of the same tree are byte-identical.
fn parse_size(text: &str) -> Result<u64, CheckpointError> {
    let invalid = || CheckpointError::InvalidSize { text: text.to_owned() };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || (text.len() > 1 && text.starts_with('0')) {
        return Err(invalid());
    }
    text.parse().map_err(|_| invalid())
}

/// Padded standard base64 of exactly 32 bytes, canonical (no stray bits in the last character).
fn parse_root(text: &str) -> Result<Hash, CheckpointError> {
    let invalid = || CheckpointError::InvalidRootHash { text: text.to_owned() };
    let bytes = BASE64.decode(text).map_err(|_| invalid())?;
    bytes.try_into().map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::merkle::{empty_root, leaf_hash};

    /// The example checkpoint text in c2sp.org/tlog-checkpoint.
    const C2SP_EXAMPLE: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn c2sp_example_round_trips() {
        let checkpoint = Checkpoint::parse(C2SP_EXAMPLE).unwrap();
        assert_eq!(checkpoint.origin(), "example.com/behind-the-sofa");
        assert_eq!(checkpoint.size(), 20852163);
        assert_eq!(hex::encode(checkpoint.root()), "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62");
        assert!(checkpoint.extensions().is_empty());
        assert_eq!(checkpoint.to_text(), C2SP_EXAMPLE);
    }

    #[test]
    fn extensions_and_empty_trees_round_trip() {
        let checkpoint =
            Checkpoint::new("nethical.example/run", 0, empty_root(), vec!["run 42".to_owned(), "x".to_owned()])
                .unwrap();
        let text = checkpoint.to_text();
        assert_eq!(text, "nethical.example/run\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nrun 42\nx\n");
        assert_eq!(Checkpoint::parse(&text), Ok(checkpoint));
    }

    #[test]
    fn signed_checkpoint_opens_and_rejects_tampering() {
        let signer = NoteSigner::from_seed("nethical.example/run", [5; 32]).unwrap();
        let checkpoint = Checkpoint::new("nethical.example/run", 1, leaf_hash(b"{}"), vec![]).unwrap();
        let message = checkpoint.sign(&[&signer]).unwrap().to_text();
        assert!(message.starts_with(&format!("{}\n— nethical.example/run ", checkpoint.to_text())), "{message}");
        assert_eq!(Checkpoint::open(&message, &[signer.verifier()]), Ok(checkpoint));
        let grown = message.replacen("\n1\n", "\n2\n", 1);
        assert!(matches!(
            Checkpoint::open(&grown, &[signer.verifier()]),
            Err(CheckpointError::Note(NoteError::InvalidSignature { .. }))
        ));
        let stranger = NoteSigner::from_seed("nethical.example/run", [6; 32]).unwrap();
        assert_eq!(
            Checkpoint::open(&message, &[stranger.verifier()]).unwrap_err().to_string(),
            "open the signed checkpoint"
        );
    }

    #[test]
    fn malformed_checkpoints_are_rejected_with_clear_errors() {
        let render = |text: &str| Checkpoint::parse(text).unwrap_err().to_string();
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        assert_eq!(render("o\n1\nroot"), "checkpoint text must end with a newline");
        assert_eq!(render("o\n1\n"), "checkpoint has 2 lines, but needs origin, size and root hash");
        assert_eq!(render(&format!("\n1\n{root}\n")), "checkpoint origin line is empty");
        for size in ["01", "-1", "+1", "1.0", "", "18446744073709551616", " 1"] {
            assert_eq!(
                render(&format!("o\n{size}\n{root}\n")),
                format!("checkpoint tree size {size:?} is not a decimal number without leading zeros")
            );
        }
        for bad_root in
            ["CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I", "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=", "AAAA"]
        {
            assert_eq!(
                render(&format!("o\n1\n{bad_root}\n")),
                format!("checkpoint root hash {bad_root:?} is not the base64 of 32 bytes")
            );
        }
        assert_eq!(
            render(&format!("o\n1\n{root}\n\n")),
            "checkpoint line 4 is empty, but extension lines must be non-empty"
        );
        assert_eq!(render(&format!("o\r\n1\n{root}\n")), "checkpoint line 1 contains control character U+000D");
        assert_eq!(
            Checkpoint::new("a\nb", 1, [0; 32], vec![]),
            Err(CheckpointError::ControlCharacter { line: 1, code: 10 })
        );
    }
}
