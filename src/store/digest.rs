//! SHA-256 digests of bytes, serializable values, files and file trees.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Hex SHA-256 of a value's canonical JSON: every object's keys sorted (serde_json's map is a
/// `BTreeMap`), no whitespace, numbers in shortest round-trip form. What cache keys and
/// optimize candidates' seeds are made of, so equal values digest equally on any machine,
/// whatever order their fields are declared in.
pub fn canonical_digest<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    Ok(sha256_hex(serde_json::to_value(value)?.to_string().as_bytes()))
}

/// A file's digest and size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

impl FileDigest {
    /// Digest of in-memory content.
    pub fn of(bytes: &[u8]) -> Self {
        Self { sha256: sha256_hex(bytes), bytes: bytes.len() as u64 }
    }
}

/// Whether an output holds measured timings (its file name contains `timings`): the one kind
/// of artifact that differs between runs of the same inputs. Timing files are published and
/// cached like any output but left out of tree digests, lockfiles and audit events, so
/// downstream cache keys and every other artifact stay byte-identical across runs.
pub fn is_timing_file(path: &str) -> bool {
    path.rsplit('/').next().is_some_and(|name| name.contains("timings"))
}

/// One digest for a set of files: SHA-256 over `path\tsha256\n` lines in path order, timing
/// files left out ([`is_timing_file`]). Equal trees have equal digests whatever order their
/// files were written in.
pub fn tree_digest(files: &BTreeMap<String, FileDigest>) -> String {
    let mut h = Sha256::new();
    for (path, d) in files.iter().filter(|(p, _)| !is_timing_file(p)) {
        h.update(path.as_bytes());
        h.update(b"\t");
        h.update(d.sha256.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_files_are_left_out_of_tree_digests() {
        let mut a = BTreeMap::new();
        a.insert("p/risk.json".to_owned(), FileDigest::of(b"1"));
        let mut b = a.clone();
        b.insert("p/performance_timings.json".to_owned(), FileDigest::of(b"12.5 ms"));
        assert_eq!(tree_digest(&a), tree_digest(&b));
        assert!(is_timing_file("phase3/performance_timings.json"));
        assert!(!is_timing_file("timings/risk.json"), "only the file name counts");
    }

    #[test]
    fn sha256_of_abc_is_the_fips_vector() {
        // FIPS 180-2, appendix B.1.
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn tree_digest_depends_on_paths_and_contents() {
        let mut a = BTreeMap::new();
        a.insert("x".to_owned(), FileDigest::of(b"1"));
        let mut b = BTreeMap::new();
        b.insert("y".to_owned(), FileDigest::of(b"1"));
        assert_ne!(tree_digest(&a), tree_digest(&b));
        let mut c = a.clone();
        c.insert("x".to_owned(), FileDigest::of(b"2"));
        assert_ne!(tree_digest(&a), tree_digest(&c));
    }
}
