//! Cross-checks the tree hash and both proof kinds against `ct-merkle` (an independent RFC 6962
//! implementation) for every tree size up to 256 and every index and old size, and checks that
//! tampered proofs fail in both implementations.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof as OracleConsistency, InclusionProof as OracleInclusion, RootHash};
use sha2::Sha256;

use super::hash::Hash;
use super::merkle::{leaf_hash, root};
use super::{Frontier, consistency_proof, inclusion_proof, verify_consistency, verify_inclusion};

const MAX_SIZE: usize = 256;

fn entries() -> Vec<Vec<u8>> {
    (0..MAX_SIZE).map(|i| format!("{{\"event\":\"step\",\"seq\":{i}}}").into_bytes()).collect()
}

fn concat(hashes: &[Hash]) -> Vec<u8> {
    hashes.concat()
}

fn oracle_root(hash: &Hash, size: usize) -> RootHash<Sha256> {
    RootHash::new((*hash).into(), size as u64)
}

/// Whether to run the tampering checks for position `i` of a tree of `n` leaves: every position
/// up to 64 leaves, then the edges and the middle. Each check re-verifies a proof, and doing so
/// for all 33,000 proofs in a debug build would double the test's time for no new branch.
fn tamper_at(i: usize, n: usize) -> bool {
    n <= 64 || i <= 1 || i + 2 >= n || i == n / 2
}

/// Indices of the first and last elements of a proof of `len` hashes (none if empty). Flipping
/// every element of every proof would cost minutes in a debug build for no extra coverage: each
/// element feeds the same hash chain.
fn edges(len: usize) -> Vec<usize> {
    match len {
        0 => vec![],
        1 => vec![0],
        _ => vec![0, len - 1],
    }
}

/// A copy of `proof` with one bit of element `index` flipped.
fn flipped(proof: &[Hash], index: usize) -> Vec<Hash> {
    let mut proof = proof.to_vec();
    proof[index][index % 32] ^= 0x01;
    proof
}

#[test]
fn roots_match_ct_merkle_for_every_size() {
    let entries = entries();
    let mut oracle = MemoryBackedTree::<Sha256, Vec<u8>>::new();
    let mut frontier = Frontier::new();
    let mut leaves = Vec::new();
    assert_eq!(oracle.root().as_bytes().as_slice(), root(&leaves));
    for entry in &entries {
        oracle.push(entry.clone());
        leaves.push(frontier.push_entry(entry));
        let expected = oracle.root();
        assert_eq!(expected.as_bytes().as_slice(), root(&leaves), "size {}", leaves.len());
        assert_eq!(expected.as_bytes().as_slice(), frontier.root(), "size {}", leaves.len());
    }
}

#[test]
fn inclusion_proofs_match_ct_merkle_and_resist_tampering() {
    let entries = entries();
    let mut oracle = MemoryBackedTree::<Sha256, Vec<u8>>::new();
    let mut leaves = Vec::new();
    let roots: Vec<Hash> =
        (0..=MAX_SIZE).map(|n| root(&entries[..n].iter().map(|e| leaf_hash(e)).collect::<Vec<_>>())).collect();
    for entry in &entries {
        oracle.push(entry.clone());
        leaves.push(leaf_hash(entry));
        let size = leaves.len();
        let root = roots[size];
        for index in 0..size {
            let proof = inclusion_proof(&leaves, index as u64).unwrap();
            let expected = oracle.prove_inclusion(index);
            assert_eq!(expected.as_bytes(), concat(&proof), "size {size} index {index}");

            let (i, n) = (index as u64, size as u64);
            let leaf = &leaves[index];
            assert_eq!(verify_inclusion(leaf, i, n, &proof, &root), Ok(()), "size {size} index {index}");
            let oracle_proof = OracleInclusion::<Sha256>::from_bytes(concat(&proof));
            assert!(oracle_root(&root, size).verify_inclusion(&entries[index], i, &oracle_proof).is_ok());
            if !tamper_at(index, size) {
                continue;
            }

            // Flip a bit in the first and in the last element: both implementations reject it.
            for k in edges(proof.len()) {
                let bad = flipped(&proof, k);
                assert!(verify_inclusion(leaf, i, n, &bad, &root).is_err(), "size {size} index {index} flip {k}");
                let bad_oracle = OracleInclusion::<Sha256>::from_bytes(concat(&bad));
                assert!(oracle_root(&root, size).verify_inclusion(&entries[index], i, &bad_oracle).is_err());
            }
            // Drop an element, or add one.
            if let Some((_, shorter)) = proof.split_last() {
                assert!(verify_inclusion(leaf, i, n, shorter, &root).is_err());
            }
            let mut longer = proof.clone();
            longer.push(root);
            assert!(verify_inclusion(leaf, i, n, &longer, &root).is_err());
            // A tampered leaf, and the right leaf at the wrong index.
            assert!(verify_inclusion(&flipped(&[*leaf], 0)[0], i, n, &proof, &root).is_err());
            for wrong in [index.wrapping_sub(1), index + 1] {
                if wrong < size {
                    assert!(verify_inclusion(leaf, wrong as u64, n, &proof, &root).is_err(), "index {index}→{wrong}");
                    assert!(verify_inclusion(&leaves[wrong], wrong as u64, n, &proof, &root).is_err());
                }
            }
            // The proof claimed for another tree size (whose root a checkpoint would give).
            for wrong in [size - 1, size + 1] {
                if index < wrong && wrong <= MAX_SIZE {
                    let err = verify_inclusion(leaf, i, wrong as u64, &proof, &roots[wrong]);
                    assert!(err.is_err(), "size {size}→{wrong} index {index}");
                }
            }
        }
    }
}

#[test]
fn consistency_proofs_match_ct_merkle_and_resist_tampering() {
    let entries = entries();
    let mut oracle = MemoryBackedTree::<Sha256, Vec<u8>>::new();
    let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
    let roots: Vec<Hash> = (0..=MAX_SIZE).map(|n| root(&leaves[..n])).collect();
    for (n, entry) in (1..=MAX_SIZE).zip(&entries) {
        oracle.push(entry.clone());
        let new_root = &roots[n];
        for m in 1..=n {
            let old_root = &roots[m];
            let proof = consistency_proof(&leaves, m as u64, n as u64).unwrap();
            let expected = oracle.prove_consistency(n - m);
            assert_eq!(expected.as_bytes(), concat(&proof), "{m} → {n}");

            let (m64, n64) = (m as u64, n as u64);
            assert_eq!(verify_consistency(m64, n64, old_root, new_root, &proof), Ok(()), "{m} → {n}");
            let oracle_proof = OracleConsistency::<Sha256>::try_from_bytes(concat(&proof)).unwrap();
            assert!(oracle_root(new_root, n).verify_consistency(&oracle_root(old_root, m), &oracle_proof).is_ok());
            if !tamper_at(m, n + 1) {
                continue;
            }

            for k in edges(proof.len()) {
                let bad = flipped(&proof, k);
                assert!(verify_consistency(m64, n64, old_root, new_root, &bad).is_err(), "{m} → {n} flip {k}");
                let bad_oracle = OracleConsistency::<Sha256>::try_from_bytes(concat(&bad)).unwrap();
                assert!(oracle_root(new_root, n).verify_consistency(&oracle_root(old_root, m), &bad_oracle).is_err());
            }
            if let Some((_, shorter)) = proof.split_last() {
                assert!(verify_consistency(m64, n64, old_root, new_root, shorter).is_err());
            }
            let mut longer = proof.clone();
            longer.push(*new_root);
            assert!(verify_consistency(m64, n64, old_root, new_root, &longer).is_err());
            // Wrong roots, and the proof claimed for other sizes (with those sizes' roots).
            if m < n {
                assert!(verify_consistency(m64, n64, &roots[m - 1], new_root, &proof).is_err());
                assert!(verify_consistency(m64, n64, old_root, &roots[n - 1], &proof).is_err());
            }
            for wrong_m in [m - 1, m + 1] {
                if (1..=n).contains(&wrong_m) {
                    let result = verify_consistency(wrong_m as u64, n64, &roots[wrong_m], new_root, &proof);
                    assert!(result.is_err(), "old size {m}→{wrong_m}, new {n}");
                }
            }
            for wrong_n in [n - 1, n + 1] {
                if m <= wrong_n && wrong_n <= MAX_SIZE && wrong_n != n {
                    let result = verify_consistency(m64, wrong_n as u64, old_root, &roots[wrong_n], &proof);
                    assert!(result.is_err(), "old {m}, new size {n}→{wrong_n}");
                }
            }
        }
    }
}
