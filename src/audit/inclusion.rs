//! Inclusion proofs: RFC 6962 §2.1.1 PATH to build them, RFC 9162 §2.1.3.2 to verify them.
//!
//! A proof lets anyone holding only a root (from a checkpoint) check that one log line is in
//! the tree at a given index, with log2(n) hashes instead of the whole log.

use serde::{Deserialize, Serialize};

use super::error::ProofError;
use super::hash::{Hash, deserialize_hashes, hash_to_hex, serialize_hashes};
use super::merkle::{node_hash, root, split_point, split_point_u64};

/// An inclusion proof as it appears in JSON output: the path is hex, ordered from the leaf's
/// sibling up to the root's child, as RFC 6962 §2.1.1 lists it. Field names follow RFC 9162.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    #[serde(serialize_with = "serialize_hashes", deserialize_with = "deserialize_hashes")]
    pub inclusion_path: Vec<Hash>,
}

impl InclusionProof {
    /// Proves that leaf `index` is in the tree of all of `leaves`.
    pub fn new(leaves: &[Hash], index: u64) -> Result<Self, ProofError> {
        let inclusion_path = inclusion_proof(leaves, index)?;
        Ok(Self { leaf_index: index, tree_size: leaves.len() as u64, inclusion_path })
    }

    /// Checks this proof for `leaf` (a leaf hash) against `root`.
    pub fn verify(&self, leaf: &Hash, root: &Hash) -> Result<(), ProofError> {
        verify_inclusion(leaf, self.leaf_index, self.tree_size, &self.inclusion_path, root)
    }
}

/// `PATH(index, D[n])` for the tree of all of `leaves` (leaf hashes), RFC 6962 §2.1.1.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, ProofError> {
    let size = leaves.len() as u64;
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut path = Vec::with_capacity(inclusion_proof_len(index, size));
    push_path(index as usize, leaves, &mut path);
    Ok(path)
}

/// The PATH recursion; the sibling subtree is pushed after the deeper part of the path, so the
/// result runs from the leaf upwards.
fn push_path(m: usize, leaves: &[Hash], path: &mut Vec<Hash>) {
    if leaves.len() <= 1 {
        return;
    }
    let k = split_point(leaves.len());
    if m < k {
        push_path(m, &leaves[..k], path);
        path.push(root(&leaves[k..]));
    } else {
        push_path(m - k, &leaves[k..], path);
        path.push(root(&leaves[..k]));
    }
}

/// How many hashes `PATH(index, D[size])` has (0 when index ≥ size: no proof exists); knowing it
/// lets verification reject a truncated or padded proof by name instead of as a root mismatch.
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    if index >= size {
        return 0;
    }
    let (mut m, mut n, mut len) = (index, size, 0);
    while n > 1 {
        let k = split_point_u64(n);
        if m < k {
            n = k;
        } else {
            m -= k;
            n -= k;
        }
        len += 1;
    }
    len
}

/// The root that `proof` leads to from `leaf` at `index` in a tree of `size` leaves, by the
/// RFC 9162 §2.1.3.2 algorithm. Use it to compare against several candidate roots.
pub fn root_from_inclusion_proof(leaf: &Hash, index: u64, size: u64, proof: &[Hash]) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    let wrong_length = || ProofError::WrongProofLength { expected, actual: proof.len() };
    if proof.len() != expected {
        return Err(wrong_length());
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(wrong_length());
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(wrong_length());
    }
    Ok(r)
}

/// Verifies that `leaf` (a leaf hash) is at `index` in the tree of `size` leaves whose root is
/// `root`, RFC 9162 §2.1.3.2.
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(leaf, index, size, proof)?;
    if computed != *root {
        return Err(ProofError::RootMismatch { expected: hash_to_hex(root), computed: hash_to_hex(&computed) });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::merkle::leaf_hash;

    fn leaves(n: u32) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn single_leaf_has_empty_proof() {
        let leaves = leaves(1);
        assert_eq!(inclusion_proof(&leaves, 0), Ok(vec![]));
        assert_eq!(verify_inclusion(&leaves[0], 0, 1, &[], &leaves[0]), Ok(()));
    }

    #[test]
    fn rfc_6962_section_2_1_3_example_paths() {
        // RFC 6962 §2.1.3 (the 7-leaf example tree): the audit path for d0 is [b, h, l], for d3
        // [c, g, l], for d4 [f, j, k] and for d6 [i, k].
        let d = leaves(7);
        let (g, h, i, j) = (node_hash(&d[0], &d[1]), node_hash(&d[2], &d[3]), node_hash(&d[4], &d[5]), d[6]);
        let (k, l) = (node_hash(&g, &h), node_hash(&i, &j));
        assert_eq!(inclusion_proof(&d, 0), Ok(vec![d[1], h, l]));
        assert_eq!(inclusion_proof(&d, 3), Ok(vec![d[2], g, l]));
        assert_eq!(inclusion_proof(&d, 4), Ok(vec![d[5], j, k]));
        assert_eq!(inclusion_proof(&d, 6), Ok(vec![i, k]));
        let root = node_hash(&k, &l);
        for index in 0..7 {
            let proof = inclusion_proof(&d, index).unwrap();
            assert_eq!(verify_inclusion(&d[index as usize], index, 7, &proof, &root), Ok(()));
        }
    }

    #[test]
    fn rejects_index_at_or_beyond_size() {
        let leaves = leaves(5);
        assert_eq!(inclusion_proof(&leaves, 5), Err(ProofError::IndexOutOfRange { index: 5, size: 5 }));
        assert_eq!((inclusion_proof_len(5, 5), inclusion_proof_len(0, 0)), (0, 0));
        let root = root(&leaves);
        let proof = inclusion_proof(&leaves, 4).unwrap();
        assert_eq!(
            verify_inclusion(&leaves[4], 5, 5, &proof, &root),
            Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert_eq!(
            verify_inclusion(&leaves[0], 0, 0, &[], &root),
            Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
        );
    }

    #[test]
    fn rejects_wrong_length_by_name() {
        let leaves = leaves(6);
        let root = root(&leaves);
        let mut proof = inclusion_proof(&leaves, 2).unwrap();
        assert_eq!(proof.len(), 3);
        proof.push(root);
        assert_eq!(
            verify_inclusion(&leaves[2], 2, 6, &proof, &root),
            Err(ProofError::WrongProofLength { expected: 3, actual: 4 })
        );
        proof.truncate(2);
        assert_eq!(
            verify_inclusion(&leaves[2], 2, 6, &proof, &root),
            Err(ProofError::WrongProofLength { expected: 3, actual: 2 })
        );
    }

    #[test]
    fn json_is_hex_in_rfc_order_and_rejects_short_hashes() {
        let leaves = leaves(3);
        let proof = InclusionProof::new(&leaves, 2).unwrap();
        let json = serde_json::to_value(&proof).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "leaf_index": 2,
                "tree_size": 3,
                "inclusion_path": [hash_to_hex(&node_hash(&leaves[0], &leaves[1]))],
            })
        );
        let back: InclusionProof = serde_json::from_value(json).unwrap();
        assert_eq!(back, proof);
        assert_eq!(back.verify(&leaves[2], &root(&leaves)), Ok(()));

        let short = serde_json::json!({"leaf_index": 2, "tree_size": 3, "inclusion_path": ["abcd"]});
        let err = serde_json::from_value::<InclusionProof>(short).unwrap_err().to_string();
        assert!(err.contains("hash has 4 hex digits, but a SHA-256 hash has 64"), "{err}");
    }
}
