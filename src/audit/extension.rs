//! Proofs for an append without the log's old leaves: the frontier of the tree before the
//! append (one hash per set bit of its size) plus the leaves appended are enough to compute the
//! new root, the inclusion proof of every appended leaf and the consistency proof from the old
//! tree to the new one. So sealing a run's events costs O(new events + log n), whatever the
//! log's length.
//!
//! Why it is enough: every subtree RFC 6962's recursions (MTH, PATH, SUBPROOF) ask for is
//! either entirely in the appended part, or a perfect subtree of the old part that starts at a
//! boundary of the old size's binary decomposition, i.e. one of the frontier's peaks. A
//! straddling node [a, b) with a on such a boundary splits at k, the largest power of two below
//! b − a; its left child lies in the old part only if old − a ∈ [k, 2k), which makes [a, a + k)
//! exactly the peak for bit k, and both children start on a boundary again.

use super::error::ProofError;
use super::frontier::Frontier;
use super::hash::Hash;
use super::merkle::{node_hash, root, split_point_u64};

/// The tree after appending `leaves` to the tree `old` describes.
#[derive(Debug, Clone)]
pub struct Extension<'a> {
    old: &'a Frontier,
    leaves: &'a [Hash],
}

impl<'a> Extension<'a> {
    /// The tree of `old` followed by `leaves` (leaf hashes).
    pub fn new(old: &'a Frontier, leaves: &'a [Hash]) -> Self {
        Self { old, leaves }
    }

    /// Size of the extended tree.
    pub fn size(&self) -> u64 {
        self.old.size() + self.leaves.len() as u64
    }

    /// MTH of the extended tree.
    pub fn root(&self) -> Hash {
        // Always available: the root node starts at 0, a boundary.
        self.mth(0, self.size()).unwrap_or_else(|| unreachable!("the root starts at a boundary of the old size"))
    }

    /// MTH(D[a:b]), or `None` for a part of the old tree that is not one of its peaks (which
    /// the recursions never ask for, see the module doc).
    fn mth(&self, a: u64, b: u64) -> Option<Hash> {
        let s = self.old.size();
        if a >= s {
            let (from, to) = (usize::try_from(a - s).ok()?, usize::try_from(b - s).ok()?);
            return Some(root(self.leaves.get(from..to)?));
        }
        if b <= s {
            return self.old.peak(a, b);
        }
        let k = split_point_u64(b - a);
        Some(node_hash(&self.mth(a, a + k)?, &self.mth(a + k, b)?))
    }

    /// PATH(index, D[n]) for an appended leaf (`index` ≥ the old size), RFC 6962 §2.1.1, from
    /// the leaf's sibling up.
    pub fn inclusion_proof(&self, index: u64) -> Result<Vec<Hash>, ProofError> {
        let size = self.size();
        if index >= size || index < self.old.size() {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let mut path = Vec::new();
        let (mut a, mut b) = (0, size);
        let mut siblings = Vec::new();
        while b - a > 1 {
            let k = split_point_u64(b - a);
            if index < a + k {
                siblings.push((a + k, b));
                b = a + k;
            } else {
                siblings.push((a, a + k));
                a += k;
            }
        }
        for &(x, y) in siblings.iter().rev() {
            path.push(self.mth(x, y).ok_or(ProofError::IndexOutOfRange { index, size })?);
        }
        Ok(path)
    }

    /// PROOF(old size, D[n]), RFC 6962 §2.1.2: that the old tree is a prefix of this one.
    /// Empty when nothing was appended; an error for an empty old tree, as
    /// [`consistency_proof`](super::consistency_proof).
    pub fn consistency_proof(&self) -> Result<Vec<Hash>, ProofError> {
        let (m, n) = (self.old.size(), self.size());
        if m == 0 {
            return Err(ProofError::EmptyOldTree);
        }
        let mut proof = Vec::new();
        self.subproof(m, 0, n, true, &mut proof).ok_or(ProofError::EmptyOldTree)?;
        Ok(proof)
    }

    /// SUBPROOF(m, D[a:b], complete), pushing in RFC order.
    fn subproof(&self, m: u64, a: u64, b: u64, complete: bool, proof: &mut Vec<Hash>) -> Option<()> {
        if m == b - a {
            if !complete {
                proof.push(self.mth(a, b)?);
            }
            return Some(());
        }
        let k = split_point_u64(b - a);
        if m <= k {
            self.subproof(m, a, a + k, complete, proof)?;
            proof.push(self.mth(a + k, b)?);
        } else {
            self.subproof(m - k, a + k, b, false, proof)?;
            proof.push(self.mth(a, a + k)?);
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{consistency_proof, inclusion_proof, leaf_hash};

    fn leaves(n: u32) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    /// Every split of every tree up to 70 leaves: root, every appended leaf's inclusion proof
    /// and the consistency proof equal those computed from all the leaves.
    #[test]
    fn equals_the_proofs_from_all_leaves() {
        let all = leaves(70);
        for n in 1..=all.len() {
            for s in 0..=n {
                let mut old = Frontier::new();
                all[..s].iter().for_each(|l| old.push(*l));
                let ext = Extension::new(&old, &all[s..n]);
                assert_eq!(ext.size(), n as u64);
                assert_eq!(ext.root(), root(&all[..n]), "root n={n} s={s}");
                for i in s..n {
                    assert_eq!(
                        ext.inclusion_proof(i as u64).unwrap(),
                        inclusion_proof(&all[..n], i as u64).unwrap(),
                        "inclusion n={n} s={s} i={i}"
                    );
                }
                if s > 0 {
                    assert_eq!(
                        ext.consistency_proof().unwrap(),
                        consistency_proof(&all, s as u64, n as u64).unwrap(),
                        "consistency n={n} s={s}"
                    );
                } else {
                    assert!(ext.consistency_proof().is_err());
                }
            }
        }
    }

    #[test]
    fn refuses_proofs_of_old_leaves() {
        let all = leaves(10);
        let mut old = Frontier::new();
        all[..6].iter().for_each(|l| old.push(*l));
        let ext = Extension::new(&old, &all[6..]);
        assert!(ext.inclusion_proof(5).is_err());
        assert!(ext.inclusion_proof(10).is_err());
    }
}
