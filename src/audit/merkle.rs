//! The RFC 6962 §2.1 Merkle Tree Hash: leaf and node hashing with domain separation, and the
//! root of a list of leaf hashes.
//!
//! The 0x00 / 0x01 prefixes are what the original log lacked (spec §5.3): without them an inner
//! node's 64 bytes can be presented as a leaf, a second-preimage attack on the tree.

use sha2::{Digest, Sha256};

use super::hash::Hash;

/// Prefix of a leaf hash input, RFC 6962 §2.1.
const LEAF_PREFIX: u8 = 0x00;
/// Prefix of an interior node hash input, RFC 6962 §2.1.
const NODE_PREFIX: u8 = 0x01;

/// `SHA-256(0x00 ‖ bytes)`: the hash of one log entry. For the audit log, `bytes` is one JSONL
/// line without its newline.
pub fn leaf_hash(bytes: &[u8]) -> Hash {
    Sha256::new_with_prefix([LEAF_PREFIX]).chain_update(bytes).finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new_with_prefix([NODE_PREFIX]).chain_update(left).chain_update(right).finalize().into()
}

/// `SHA-256("")`, the root of the empty tree (RFC 6962 §2.1: MTH({}) = SHA-256()).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// `MTH(D[n])` from the leaf hashes, following the RFC 6962 §2.1 recursion literally.
///
/// This holds every leaf hash in memory; to root a log as it streams by, use
/// [`Frontier`](super::Frontier), which gives the same hash in O(log n) memory.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => empty_root(),
        [leaf] => *leaf,
        _ => {
            let k = split_point(leaves.len());
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The largest power of two strictly smaller than `n` (n ≥ 2): where RFC 6962 splits D[n].
pub(crate) fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2, "only trees of two or more leaves are split");
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// [`split_point`] for tree sizes given as `u64`.
pub(crate) fn split_point_u64(n: u64) -> u64 {
    debug_assert!(n >= 2, "only trees of two or more leaves are split");
    1 << (u64::BITS - 1 - (n - 1).leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::hash::hash_to_hex;

    #[test]
    fn empty_tree_is_sha256_of_nothing() {
        // RFC 6962 §2.1: "The hash of an empty list is the hash of an empty string: MTH({}) = SHA-256()".
        assert_eq!(hash_to_hex(&root(&[])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn one_leaf_root_is_its_prefixed_hash() {
        // RFC 6962 §2.1: MTH({d(0)}) = SHA-256(0x00 || d(0)).
        let leaf = br#"{"event":"run_start"}"#;
        let mut prefixed = vec![0x00];
        prefixed.extend_from_slice(leaf);
        let expected: Hash = Sha256::digest(&prefixed).into();
        assert_eq!(root(&[leaf_hash(leaf)]), expected);
        // The empty leaf is SHA-256(0x00), a well-known constant.
        assert_eq!(hash_to_hex(&leaf_hash(b"")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    }

    #[test]
    fn three_leaves_split_two_and_one() {
        // RFC 6962 §2.1: k = 2 for n = 3, so MTH = H(0x01 || H(0x01 || l0 || l1) || l2).
        let leaves = [leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c")];
        let mut inner = vec![0x01];
        inner.extend_from_slice(&leaves[0]);
        inner.extend_from_slice(&leaves[1]);
        let left: Hash = Sha256::digest(&inner).into();
        let mut outer = vec![0x01];
        outer.extend_from_slice(&left);
        outer.extend_from_slice(&leaves[2]);
        let expected: Hash = Sha256::digest(&outer).into();
        assert_eq!(root(&leaves), expected);
    }

    #[test]
    fn split_point_is_largest_power_of_two_below() {
        let cases = [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1000, 512), (1025, 1024)];
        for (n, k) in cases {
            assert_eq!(split_point(n), k, "n = {n}");
            assert_eq!(split_point_u64(n as u64), k as u64, "n = {n}");
        }
    }
}
