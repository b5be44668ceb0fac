//! The SHA-256 hash type of the audit tree and its hex form, used in JSON output and on the
//! command line.
//!
//! sha2 0.11 digests have no `LowerHex`, so hex goes through the `hex` crate here, in one place.

use serde::{Deserialize, Deserializer, Serializer};

use super::error::HashHexError;

/// A SHA-256 output: leaf hashes, node hashes and roots alike.
pub type Hash = [u8; 32];

/// Number of bytes in a [`Hash`](type@Hash).
pub const HASH_LEN: usize = 32;

/// Lowercase hex, the form hashes take in JSON output and error messages.
pub fn hash_to_hex(hash: &Hash) -> String {
    hex::encode(hash)
}

/// Parses 64 hex digits (either case). A proof file with a truncated or padded hash is rejected
/// here rather than failing later as an unexplained root mismatch.
pub fn hash_from_hex(text: &str) -> Result<Hash, HashHexError> {
    if text.len() != 2 * HASH_LEN {
        return Err(HashHexError::WrongLength { actual: text.len() });
    }
    let mut hash = [0u8; HASH_LEN];
    hex::decode_to_slice(text, &mut hash).map_err(HashHexError::NotHex)?;
    Ok(hash)
}

/// serde `serialize_with` helper: a hash as one hex string.
pub fn serialize_hash<S: Serializer>(hash: &Hash, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&hash_to_hex(hash))
}

/// serde `deserialize_with` helper: a hash from one hex string of exactly 64 digits.
pub fn deserialize_hash<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Hash, D::Error> {
    let text = String::deserialize(deserializer)?;
    hash_from_hex(&text).map_err(serde::de::Error::custom)
}

/// serde `serialize_with` helper: a list of hashes as hex strings, order kept.
pub fn serialize_hashes<S: Serializer>(hashes: &[Hash], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(hashes.iter().map(hash_to_hex))
}

/// serde `deserialize_with` helper: a list of hex strings, each exactly 64 digits.
pub fn deserialize_hashes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Hash>, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    texts.iter().map(|text| hash_from_hex(text).map_err(serde::de::Error::custom)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_wrong_lengths() {
        let hash: Hash = std::array::from_fn(|i| i as u8);
        let text = hash_to_hex(&hash);
        assert_eq!(text, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        assert_eq!(hash_from_hex(&text), Ok(hash));
        assert_eq!(hash_from_hex(&text.to_uppercase()), Ok(hash));
        assert_eq!(hash_from_hex(&text[..62]), Err(HashHexError::WrongLength { actual: 62 }));
        assert_eq!(hash_from_hex(&format!("{text}00")), Err(HashHexError::WrongLength { actual: 66 }));
        assert!(matches!(hash_from_hex(&format!("zz{}", &text[2..])), Err(HashHexError::NotHex(_))));
    }
}
