//! Consistency proofs: RFC 6962 §2.1.2 PROOF/SUBPROOF to build them, RFC 9162 §2.1.4.2 to
//! verify them.
//!
//! A consistency proof shows that the tree at an older checkpoint is a prefix of the tree at a
//! newer one, i.e. that the log was only appended to: this is what makes the log append-only to
//! anyone who kept an old checkpoint.

use serde::{Deserialize, Serialize};

use super::error::ProofError;
use super::hash::{Hash, deserialize_hashes, hash_to_hex, serialize_hashes};
use super::merkle::{node_hash, root, split_point, split_point_u64};

/// A consistency proof as it appears in JSON output: hashes in hex, in the order RFC 6962
/// §2.1.2 lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    #[serde(serialize_with = "serialize_hashes", deserialize_with = "deserialize_hashes")]
    pub consistency_path: Vec<Hash>,
}

impl ConsistencyProof {
    /// Proves that the first `old_size` leaves form a prefix of the tree of the first `new_size`.
    pub fn new(leaves: &[Hash], old_size: u64, new_size: u64) -> Result<Self, ProofError> {
        let consistency_path = consistency_proof(leaves, old_size, new_size)?;
        Ok(Self { old_size, new_size, consistency_path })
    }

    /// Checks this proof against the two roots.
    pub fn verify(&self, old_root: &Hash, new_root: &Hash) -> Result<(), ProofError> {
        verify_consistency(self.old_size, self.new_size, old_root, new_root, &self.consistency_path)
    }
}

/// `PROOF(m, D[n])` over the first `new_size` of `leaves` (leaf hashes), RFC 6962 §2.1.2.
///
/// `old_size == new_size` gives the empty proof (the trees are the same); `old_size == 0` is
/// rejected with [`ProofError::EmptyOldTree`].
pub fn consistency_proof(leaves: &[Hash], old_size: u64, new_size: u64) -> Result<Vec<Hash>, ProofError> {
    check_sizes(old_size, new_size)?;
    let available = leaves.len() as u64;
    if new_size > available {
        return Err(ProofError::SizeExceedsLeaves { size: new_size, available });
    }
    let mut proof = Vec::with_capacity(consistency_proof_len(old_size, new_size));
    push_subproof(old_size as usize, &leaves[..new_size as usize], true, &mut proof);
    Ok(proof)
}

/// SUBPROOF(m, D[n], b). `complete` is b: whether D[0:m] is still the whole old tree, in which
/// case its root is known to the verifier and left out.
fn push_subproof(m: usize, leaves: &[Hash], complete: bool, proof: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            proof.push(root(leaves));
        }
        return;
    }
    let k = split_point(n);
    if m <= k {
        push_subproof(m, &leaves[..k], complete, proof);
        proof.push(root(&leaves[k..]));
    } else {
        push_subproof(m - k, &leaves[k..], false, proof);
        proof.push(root(&leaves[..k]));
    }
}

/// How many hashes `PROOF(old_size, D[new_size])` has; 0 when no proof exists (old size 0 or
/// larger than the new size).
pub fn consistency_proof_len(old_size: u64, new_size: u64) -> usize {
    if old_size == 0 || old_size > new_size {
        return 0;
    }
    let (mut m, mut n, mut complete, mut len) = (old_size, new_size, true, 0);
    while m != n {
        let k = split_point_u64(n);
        if m <= k {
            n = k;
        } else {
            m -= k;
            n -= k;
            complete = false;
        }
        len += 1;
    }
    len + usize::from(!complete)
}

fn check_sizes(old_size: u64, new_size: u64) -> Result<(), ProofError> {
    if old_size == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if old_size > new_size {
        return Err(ProofError::OldLargerThanNew { old_size, new_size });
    }
    Ok(())
}

/// Verifies that the tree of `old_size` leaves with `old_root` is a prefix of the tree of
/// `new_size` leaves with `new_root`, RFC 9162 §2.1.4.2.
///
/// Equal sizes take the empty proof and succeed when the roots are equal: RFC 9162's algorithm
/// covers only old < new, and this is the reading every RFC 6962 log client (and ct-merkle) uses.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    check_sizes(old_size, new_size)?;
    let expected = consistency_proof_len(old_size, new_size);
    let wrong_length = || ProofError::WrongProofLength { expected, actual: proof.len() };
    if proof.len() != expected {
        return Err(wrong_length());
    }
    if old_size == new_size {
        return check_root(new_root, old_root, false);
    }

    // Step 2: a perfect old tree is a node of the new one, so its root starts the path.
    let (first, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        let (first, rest) = proof.split_first().ok_or_else(wrong_length)?;
        (first, rest)
    };
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if sn == 0 {
            return Err(wrong_length());
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(wrong_length());
    }
    check_root(old_root, &fr, true)?;
    check_root(new_root, &sr, false)
}

fn check_root(expected: &Hash, computed: &Hash, old: bool) -> Result<(), ProofError> {
    if expected == computed {
        return Ok(());
    }
    let (expected, computed) = (hash_to_hex(expected), hash_to_hex(computed));
    Err(if old {
        ProofError::OldRootMismatch { expected, computed }
    } else {
        ProofError::RootMismatch { expected, computed }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::merkle::leaf_hash;

    fn leaves(n: u32) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn rejects_empty_old_tree_explicitly() {
        let leaves = leaves(4);
        let root4 = root(&leaves);
        assert_eq!(consistency_proof(&leaves, 0, 4), Err(ProofError::EmptyOldTree));
        assert_eq!(verify_consistency(0, 4, &root(&[]), &root4, &[]), Err(ProofError::EmptyOldTree));
        assert_eq!(verify_consistency(0, 0, &root(&[]), &root(&[]), &[]), Err(ProofError::EmptyOldTree));
    }

    #[test]
    fn rejects_old_larger_than_new_and_sizes_beyond_leaves() {
        let leaves = leaves(4);
        let (r3, r4) = (root(&leaves[..3]), root(&leaves));
        assert_eq!(consistency_proof(&leaves, 4, 3), Err(ProofError::OldLargerThanNew { old_size: 4, new_size: 3 }));
        assert_eq!(
            verify_consistency(4, 3, &r4, &r3, &[]),
            Err(ProofError::OldLargerThanNew { old_size: 4, new_size: 3 })
        );
        assert_eq!(consistency_proof(&leaves, 2, 5), Err(ProofError::SizeExceedsLeaves { size: 5, available: 4 }));
        assert_eq!((consistency_proof_len(0, 5), consistency_proof_len(6, 5)), (0, 0));
    }

    #[test]
    fn equal_sizes_take_the_empty_proof() {
        let leaves = leaves(5);
        let r5 = root(&leaves);
        assert_eq!(consistency_proof(&leaves, 5, 5), Ok(vec![]));
        assert_eq!(verify_consistency(5, 5, &r5, &r5, &[]), Ok(()));
        assert!(matches!(
            verify_consistency(5, 5, &r5, &root(&leaves[..4]), &[]),
            Err(ProofError::RootMismatch { .. })
        ));
        assert_eq!(
            verify_consistency(5, 5, &r5, &r5, &[r5]),
            Err(ProofError::WrongProofLength { expected: 0, actual: 1 })
        );
    }

    #[test]
    fn rfc_6962_section_2_1_3_example_shapes() {
        // RFC 6962 §2.1.3 (the 7-leaf example tree): PROOF(3, D[7]) = [c, d, g, l],
        // PROOF(4, D[7]) = [l], PROOF(6, D[7]) = [i, j, k].
        let d = leaves(7);
        let (c, dd) = (d[2], d[3]);
        let (g, h, i, j) = (node_hash(&d[0], &d[1]), node_hash(&d[2], &d[3]), node_hash(&d[4], &d[5]), d[6]);
        let (k, l) = (node_hash(&g, &h), node_hash(&i, &j));
        assert_eq!(consistency_proof(&d, 3, 7), Ok(vec![c, dd, g, l]));
        assert_eq!(consistency_proof(&d, 4, 7), Ok(vec![l]));
        assert_eq!(consistency_proof(&d, 6, 7), Ok(vec![i, j, k]));
        for m in [3, 4, 6] {
            let proof = consistency_proof(&d, m, 7).unwrap();
            assert_eq!(verify_consistency(m, 7, &root(&d[..m as usize]), &root(&d), &proof), Ok(()));
        }
    }

    #[test]
    fn json_round_trips() {
        let leaves = leaves(7);
        let proof = ConsistencyProof::new(&leaves, 3, 7).unwrap();
        let text = serde_json::to_string(&proof).unwrap();
        assert!(text.starts_with(r#"{"old_size":3,"new_size":7,"consistency_path":[""#), "{text}");
        let back: ConsistencyProof = serde_json::from_str(&text).unwrap();
        assert_eq!(back.verify(&root(&leaves[..3]), &root(&leaves)), Ok(()));
    }
}
