//! The frontier (a compact range starting at leaf 0): the roots of the perfect subtrees that
//! make up a tree of any size, enough to append leaves and compute the root without keeping the
//! leaves.
//!
//! A tree of size n splits into one perfect subtree per set bit of n, largest first; this is
//! exactly how RFC 6962's "largest power of two smaller than n" recursion carves it. Appending a
//! leaf merges equal-sized subtrees like a binary carry, so memory stays at popcount(n) ≤ 64
//! hashes and a million-line log is rooted in one streaming pass.

use super::hash::Hash;
use super::merkle::{empty_root, leaf_hash, node_hash};

/// Append-only Merkle tree state in O(log n) memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// Roots of the perfect subtrees, largest (leftmost) first; one per set bit of `size`.
    peaks: Vec<Hash>,
}

impl Frontier {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// A frontier read back from storage: `peaks` must hold one hash per set bit of `size`,
    /// largest subtree first, or `None` is returned.
    pub fn from_parts(size: u64, peaks: Vec<Hash>) -> Option<Self> {
        (peaks.len() == size.count_ones() as usize).then_some(Self { size, peaks })
    }

    /// The peaks, largest (leftmost) subtree first: what [`from_parts`](Self::from_parts) takes.
    pub fn peaks(&self) -> &[Hash] {
        &self.peaks
    }

    /// MTH(D[a:b]) when [a, b) is one of the peaks, or runs from a peak's start to the end of
    /// the tree (whose RFC 6962 recursion splits exactly at the peaks); else `None`.
    pub fn peak(&self, a: u64, b: u64) -> Option<Hash> {
        // (start, end, hash) of each peak, left to right.
        let mut start = 0u64;
        let spans: Vec<(u64, u64, Hash)> = (0..u64::BITS)
            .rev()
            .map(|bit| 1u64 << bit)
            .filter(|width| self.size & width != 0)
            .zip(&self.peaks)
            .map(|(width, hash)| {
                start += width;
                (start - width, start, *hash)
            })
            .collect();
        let first = spans.iter().position(|&(s, _, _)| s == a)?;
        if spans[first].1 == b {
            return Some(spans[first].2);
        }
        if b != self.size {
            return None;
        }
        let mut right_to_left = spans[first..].iter().rev().map(|&(_, _, h)| h);
        let smallest = right_to_left.next()?;
        Some(right_to_left.fold(smallest, |right, left| node_hash(&left, &right)))
    }

    /// Appends one leaf given by its leaf hash ([`leaf_hash`] of the entry bytes).
    pub fn push(&mut self, leaf: Hash) {
        let mut carry = leaf;
        let mut size = self.size;
        while size & 1 == 1 {
            let left = self.peaks.pop().expect("one peak per set bit of the tree size");
            carry = node_hash(&left, &carry);
            size >>= 1;
        }
        self.peaks.push(carry);
        self.size += 1;
    }

    /// Appends one entry given by its bytes (one log line without its newline) and returns its
    /// leaf hash.
    pub fn push_entry(&mut self, entry: &[u8]) -> Hash {
        let leaf = leaf_hash(entry);
        self.push(leaf);
        leaf
    }

    /// MTH of the leaves appended so far; equal to [`root`](super::root) over the same leaves.
    ///
    /// The right-hand subtrees are folded from the smallest up, because RFC 6962 always puts the
    /// perfect left subtree next to everything to its right.
    pub fn root(&self) -> Hash {
        let mut peaks = self.peaks.iter().rev();
        let Some(&smallest) = peaks.next() else {
            return empty_root();
        };
        peaks.fold(smallest, |right, left| node_hash(left, &right))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::merkle::root;

    #[test]
    fn matches_the_recursive_root_at_every_size() {
        let mut frontier = Frontier::new();
        let mut leaves = Vec::new();
        assert_eq!(frontier.root(), root(&leaves));
        for i in 0..300u32 {
            leaves.push(frontier.push_entry(&i.to_be_bytes()));
            assert_eq!(frontier.size(), leaves.len() as u64);
            assert_eq!(frontier.root(), root(&leaves), "size {}", leaves.len());
            assert_eq!(frontier.peaks.len(), leaves.len().count_ones() as usize);
        }
    }
}
