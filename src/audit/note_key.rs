//! Ed25519 keys for signed notes, in the text formats of golang.org/x/mod/sumdb/note so keys
//! interoperate with Go's `note` package and the C2SP tools built on it:
//!
//! - private key: `PRIVATE+KEY+<name>+<id>+<base64(0x01 ‖ 32-byte seed)>`
//! - verifier key: `<name>+<id>+<base64(0x01 ‖ 32-byte public key)>`
//!
//! where `<id>` is the key ID as 8 hex digits: the first 4 bytes, big-endian, of
//! SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key) (C2SP signed-note, "Ed25519 signatures").
//!
//! A private key only ever leaves this module through [`NoteSigner::to_private_key_text`], meant
//! for writing a freshly generated key file. Its `Debug` shows the name and ID only, and the
//! decoded seed and key text are wiped from memory when dropped.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::error::{KeyError, KeyKind};

/// Signature type byte of Ed25519 in C2SP signed-note (and algorithm byte in Go's key text).
pub const ED25519_SIGNATURE_TYPE: u8 = 0x01;

const PRIVATE_PREFIX: &str = "PRIVATE+KEY+";

/// The C2SP signed-note key ID of an Ed25519 key: `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]` as a
/// big-endian integer. It lets a verifier pick the right key without trying them all.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n', ED25519_SIGNATURE_TYPE])
        .chain_update(public_key)
        .finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Whether `name` may name a key: non-empty, no Unicode spaces, no `+` (C2SP signed-note). We
/// also refuse control characters, which would make every note signed with it unparseable.
pub(crate) fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// A private Ed25519 key with its note name, able to sign notes.
pub struct NoteSigner {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl NoteSigner {
    /// A signer from a 32-byte Ed25519 seed. Key generation is the caller's: fill the seed from
    /// the operating system's RNG and write [`Self::to_private_key_text`] to a private file.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, KeyError> {
        let seed = Zeroizing::new(seed);
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName { kind: KeyKind::Private, name: name.to_owned() });
        }
        let key = SigningKey::from_bytes(&seed);
        let key_id = key_id(name, key.verifying_key().as_bytes());
        Ok(Self { name: name.to_owned(), key_id, key })
    }

    /// Parses `PRIVATE+KEY+<name>+<id>+<base64>`, checking that `<id>` matches the key.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let kind = KeyKind::Private;
        let rest = text.strip_prefix(PRIVATE_PREFIX).ok_or(KeyError::MissingPrivatePrefix)?;
        let (name, stated_id, data) = split_key_text(rest, kind, "PRIVATE+KEY+<name>+<id>+<base64 key>")?;
        let seed = decode_key_data(data, kind)?;
        let signer = Self::from_seed(name, *seed)?;
        if signer.key_id != stated_id {
            return Err(KeyError::KeyIdMismatch {
                kind,
                name: name.to_owned(),
                stated: stated_id,
                computed: signer.key_id,
            });
        }
        Ok(signer)
    }

    /// Reads a private key file: the key text on one line, optionally followed by a newline.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let text = read_key_file(path)?;
        Self::parse(&text)
    }

    /// The key name, written in every signature line.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The C2SP key ID, see [`key_id`].
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The matching verifier, to publish.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier { name: self.name.clone(), key_id: self.key_id, key: self.key.verifying_key() }
    }

    /// The private key text (`PRIVATE+KEY+…`), for writing a newly generated key file only:
    /// never log it or put it in an artifact. Wiped from memory when dropped.
    pub fn to_private_key_text(&self) -> Zeroizing<String> {
        let mut data = Zeroizing::new(Vec::with_capacity(33));
        data.push(ED25519_SIGNATURE_TYPE);
        data.extend_from_slice(self.key.as_bytes());
        Zeroizing::new(format!("{PRIVATE_PREFIX}{}+{:08x}+{}", self.name, self.key_id, BASE64.encode(&*data)))
    }

    /// Ed25519 signature of `message` (RFC 8032, deterministic).
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

/// A public Ed25519 key with its note name: a key whose signatures a reader trusts.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// A verifier from a raw 32-byte Ed25519 public key.
    pub fn from_public_key(name: &str, public_key: &[u8; 32]) -> Result<Self, KeyError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName { kind: KeyKind::Verifier, name: name.to_owned() });
        }
        let key =
            VerifyingKey::from_bytes(public_key).map_err(|_| KeyError::InvalidPublicKey { name: name.to_owned() })?;
        Ok(Self { name: name.to_owned(), key_id: key_id(name, public_key), key })
    }

    /// Parses `<name>+<id>+<base64>`, checking that `<id>` matches the key.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let kind = KeyKind::Verifier;
        if text.starts_with("PRIVATE+KEY") {
            return Err(KeyError::PrivateKeyGiven);
        }
        let (name, stated_id, data) = split_key_text(text, kind, "<name>+<id>+<base64 key>")?;
        let public_key = decode_key_data(data, kind)?;
        let verifier = Self::from_public_key(name, &public_key)?;
        if verifier.key_id != stated_id {
            return Err(KeyError::KeyIdMismatch {
                kind,
                name: name.to_owned(),
                stated: stated_id,
                computed: verifier.key_id,
            });
        }
        Ok(verifier)
    }

    /// Reads a verifier key file: the key text on one line, optionally followed by a newline.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        Self::parse(&read_key_file(path)?)
    }

    /// The key name expected in signature lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The C2SP key ID, see [`key_id`].
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The raw Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Verifies an Ed25519 signature with the strict rules (canonical encodings, no small-order
    /// keys), so one signature has exactly one accepted byte form.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(bytes) = <[u8; 64]>::try_from(signature) else {
            return false;
        };
        self.key.verify_strict(message, &Signature::from_bytes(&bytes)).is_ok()
    }
}

/// The verifier key text, `<name>+<id>+<base64>`, the form to publish and to read back with
/// [`NoteVerifier::parse`].
impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = Vec::with_capacity(33);
        data.push(ED25519_SIGNATURE_TYPE);
        data.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.key_id, BASE64.encode(data))
    }
}

impl fmt::Debug for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("NoteVerifier").field(&format_args!("{self}")).finish()
    }
}

/// Splits `<name>+<id>+<data>`; the data is base64 and may itself contain `+`.
fn split_key_text<'a>(text: &'a str, kind: KeyKind, form: &'static str) -> Result<(&'a str, u32, &'a str), KeyError> {
    let fields: Vec<&str> = text.splitn(3, '+').collect();
    let [name, id, data] = fields[..] else {
        // Count as the user sees the key: a private key's `PRIVATE+KEY` prefix is two fields.
        let prefix = if kind == KeyKind::Private { 2 } else { 0 };
        return Err(KeyError::WrongFieldCount { kind, form, fields: prefix + fields.len() });
    };
    if !is_valid_key_name(name) {
        return Err(KeyError::InvalidName { kind, name: name.to_owned() });
    }
    if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(KeyError::InvalidKeyId { kind });
    }
    let id = u32::from_str_radix(id, 16).map_err(|_| KeyError::InvalidKeyId { kind })?;
    Ok((name, id, data))
}

/// Decodes `base64(0x01 ‖ 32 bytes)`, into memory that is wiped on drop.
fn decode_key_data(data: &str, kind: KeyKind) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    let bytes = Zeroizing::new(BASE64.decode(data).map_err(|_| KeyError::InvalidBase64 { kind })?);
    let Some((&algorithm, key)) = bytes.split_first() else {
        return Err(KeyError::WrongKeyLength { kind, actual: 0 });
    };
    if algorithm != ED25519_SIGNATURE_TYPE {
        return Err(KeyError::UnknownAlgorithm { kind, algorithm });
    }
    let mut out = Zeroizing::new([0u8; 32]);
    if key.len() != out.len() {
        return Err(KeyError::WrongKeyLength { kind, actual: key.len() });
    }
    out.copy_from_slice(key);
    Ok(out)
}

/// Reads a key file; one line, a final newline (`\n` or `\r\n`) allowed.
fn read_key_file(path: &Path) -> Result<Zeroizing<String>, KeyError> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|source| KeyError::Read { path: path.to_owned(), source })?,
    );
    let line = text.strip_suffix('\n').map(|line| line.strip_suffix('\r').unwrap_or(line)).unwrap_or(&text);
    if line.contains(['\n', '\r']) || line.is_empty() {
        return Err(KeyError::NotOneLine { path: path.to_owned() });
    }
    Ok(Zeroizing::new(line.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example key pair from the golang.org/x/mod/sumdb/note package documentation.
    const GO_PRIVATE: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const GO_VERIFIER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

    #[test]
    fn go_example_keys_parse_and_agree() {
        let signer = NoteSigner::parse(GO_PRIVATE).unwrap();
        assert_eq!(signer.name(), "PeterNeumann");
        assert_eq!(signer.key_id(), 0xc74f20a3);
        assert_eq!(signer.verifier().to_string(), GO_VERIFIER);
        assert_eq!(*signer.to_private_key_text(), GO_PRIVATE);
        let verifier = NoteVerifier::parse(GO_VERIFIER).unwrap();
        assert_eq!(verifier, signer.verifier());
        assert_eq!(key_id("PeterNeumann", &verifier.public_key()), 0xc74f20a3);
    }

    #[test]
    fn debug_never_shows_the_private_key() {
        let signer = NoteSigner::parse(GO_PRIVATE).unwrap();
        let debug = format!("{signer:?}");
        assert_eq!(debug, r#"NoteSigner { name: "PeterNeumann", key_id: c74f20a3, .. }"#);
    }

    #[test]
    fn generated_keys_round_trip_through_text() {
        let signer = NoteSigner::from_seed("nethical.example/audit", [7; 32]).unwrap();
        let again = NoteSigner::parse(&signer.to_private_key_text()).unwrap();
        assert_eq!(again.verifier(), signer.verifier());
        assert_eq!(NoteVerifier::parse(&signer.verifier().to_string()).unwrap(), signer.verifier());
    }

    #[test]
    fn malformed_private_keys_are_rejected_with_clear_errors() {
        let render = |text: &str| NoteSigner::parse(text).unwrap_err().to_string();
        assert_eq!(render("PeterNeumann+c74f20a3+AYEK"), "private key must start with \"PRIVATE+KEY+\"");
        assert_eq!(
            render("PRIVATE+KEY+PeterNeumann"),
            "private key must have the form PRIVATE+KEY+<name>+<id>+<base64 key>, but it has 3 '+'-separated fields"
        );
        assert_eq!(
            render("PRIVATE+KEY+Peter Neumann+c74f20a3+AYEK"),
            "private key name \"Peter Neumann\" must be non-empty and contain no spaces or '+'"
        );
        assert_eq!(
            render("PRIVATE+KEY++c74f20a3+AYEK"),
            "private key name \"\" must be non-empty and contain no spaces or '+'"
        );
        assert_eq!(render("PRIVATE+KEY+PeterNeumann+c74f20a+AYEK"), "private key id must be 8 hex digits");
        assert_eq!(render("PRIVATE+KEY+PeterNeumann+c74f20g3+AYEK"), "private key id must be 8 hex digits");
        assert_eq!(
            render("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF"),
            "private key data is not valid padded standard base64"
        );
        assert_eq!(
            render("PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
            "private key has algorithm byte 2, but only Ed25519 (1) is supported"
        );
        assert_eq!(
            render("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXH"),
            "private key holds 29 key bytes, but Ed25519 needs 32"
        );
        assert_eq!(
            render("PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
            "private key \"PeterNeumann\" states id c74f20a4, but its public key gives c74f20a3"
        );
        // No error message repeats the key data, however the key is broken.
        let data = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        for broken in [format!("{data}!"), data.replace('A', "-"), data[..40].to_owned(), format!("{data}{data}")] {
            let text = format!("PRIVATE+KEY+PeterNeumann+c74f20a3+{broken}");
            assert!(!render(&text).contains(&data[..8]), "{}", render(&text));
        }
    }

    #[test]
    fn malformed_verifier_keys_are_rejected_with_clear_errors() {
        let render = |text: &str| NoteVerifier::parse(text).unwrap_err().to_string();
        assert_eq!(
            render(GO_PRIVATE),
            "expected a verifier key but got a private key; give the verifier key (<name>+<id>+<key>)"
        );
        assert_eq!(
            render("PeterNeumann+c74f20a3"),
            "verifier key must have the form <name>+<id>+<base64 key>, but it has 2 '+'-separated fields"
        );
        assert_eq!(
            render("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
            "verifier key \"PeterNeumann\" states id c74f20a4, but its public key gives c74f20a3"
        );
        assert_eq!(render("PeterNeumann+c74f20a3+ARpc"), "verifier key holds 2 key bytes, but Ed25519 needs 32");
    }

    #[test]
    fn key_files_hold_one_line() {
        let dir = std::env::temp_dir().join(format!("nethical-audit-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.key");
        std::fs::write(&good, format!("{GO_PRIVATE}\r\n")).unwrap();
        assert_eq!(NoteSigner::from_file(&good).unwrap().key_id(), 0xc74f20a3);
        let two = dir.join("two.key");
        std::fs::write(&two, format!("{GO_PRIVATE}\n{GO_PRIVATE}\n")).unwrap();
        let err = NoteSigner::from_file(&two).unwrap_err().to_string();
        assert_eq!(err, format!("key file {} must hold exactly one line, the key", two.display()));
        let missing = dir.join("missing.key");
        assert!(matches!(NoteVerifier::from_file(&missing), Err(KeyError::Read { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
