//! Order statistics of a sample without sorting it: the values a sort would put at a few
//! positions, found by radix selection.
//!
//! Drift needs only the deciles of a sample it compares with itself (the features that cohorts
//! of one data instance share), and a full sort of 200,000 values is eight radix passes with
//! scattered writes. Selection counts the values by their top 16 key bits in one pass, then
//! keeps, in a second pass, only the values of the few buckets the wanted positions fall in,
//! and sorts those (or selects again among them when a bucket is still large). The result is
//! the sorted sample's values at those positions, bit for bit.

/// Bits of the key looked at per pass.
const DIGIT_BITS: u32 = 16;
/// At most this many keys are sorted rather than selected among.
const SORT_BELOW: usize = 4096;

/// The key whose unsigned order is [`f64::total_cmp`]'s: the sign bit set for positive
/// values, every bit flipped for negative ones.
fn total_key(value: f64) -> u64 {
    let bits = value.to_bits();
    if bits >> 63 == 1 { !bits } else { bits | 1 << 63 }
}

fn from_total_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 { key & !(1 << 63) } else { !key })
}

/// `values` sorted by [`f64::total_cmp`], taken at each of `ranks` (0-based, each below
/// `values.len()`): `sorted[rank]` for every rank, bit for bit.
pub(super) fn order_statistics(values: &[f64], ranks: &[usize]) -> Vec<f64> {
    let mut wanted = ranks.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let mut found = vec![0; wanted.len()];
    select(values, u64::BITS, &wanted, &mut found);
    ranks.iter().map(|rank| from_total_key(wanted.binary_search(rank).map_or(0, |i| found[i]))).collect()
}

/// What is selected among: the values at first, then the keys of a bucket.
trait Keyed: Copy {
    fn key(self) -> u64;
}

impl Keyed for f64 {
    fn key(self) -> u64 {
        total_key(self)
    }
}

impl Keyed for u64 {
    fn key(self) -> u64 {
        self
    }
}

/// Writes into `found[i]` the key at rank `ranks[i]` (ascending, distinct) among the keys of
/// `items`, all of which agree on their bits above `bits`.
fn select<T: Keyed>(items: &[T], bits: u32, ranks: &[usize], found: &mut [u64]) {
    let key = T::key;
    if items.len() <= SORT_BELOW || bits < DIGIT_BITS || u32::try_from(items.len()).is_err() {
        let mut keys: Vec<u64> = items.iter().map(|&item| key(item)).collect();
        keys.sort_unstable();
        for (slot, &rank) in found.iter_mut().zip(ranks) {
            *slot = keys[rank];
        }
        return;
    }
    let shift = bits - DIGIT_BITS;
    let digit = move |item: T| ((key(item) >> shift) & ((1 << DIGIT_BITS) - 1)) as usize;
    let mut counts = vec![0_u32; 1 << DIGIT_BITS];
    for &item in items {
        counts[digit(item)] += 1;
    }
    // The buckets the ranks fall in, each with the first rank it holds and how many.
    let mut buckets: Vec<(usize, usize, std::ops::Range<usize>)> = Vec::new();
    let (mut start, mut next_rank) = (0, 0);
    for (bucket, &count) in counts.iter().enumerate() {
        let end = start + count as usize;
        let first = next_rank;
        while next_rank < ranks.len() && ranks[next_rank] < end {
            next_rank += 1;
        }
        if next_rank > first {
            buckets.push((bucket, start, first..next_rank));
        }
        if next_rank == ranks.len() {
            break;
        }
        start = end;
    }
    // Bucket number → 1 + its place in `buckets`, 0 for the buckets no rank falls in.
    let mut place = vec![0_u16; 1 << DIGIT_BITS];
    let mut members: Vec<Vec<u64>> = Vec::with_capacity(buckets.len());
    for (i, &(bucket, ..)) in buckets.iter().enumerate() {
        place[bucket] = i as u16 + 1;
        members.push(Vec::with_capacity(counts[bucket] as usize));
    }
    for &item in items {
        let at = place[digit(item)];
        if at != 0 {
            members[usize::from(at) - 1].push(key(item));
        }
    }
    for ((_, start, within), keys) in buckets.into_iter().zip(&members) {
        let ranks_here: Vec<usize> = ranks[within.clone()].iter().map(|&rank| rank - start).collect();
        select(keys, shift, &ranks_here, &mut found[within]);
    }
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn by_sorting(values: &[f64], ranks: &[usize]) -> Vec<u64> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        ranks.iter().map(|&rank| sorted[rank].to_bits()).collect()
    }

    #[test]
    fn keys_order_as_total_cmp_and_convert_back() {
        let values = [f64::MIN, -1.0, -f64::MIN_POSITIVE, -5e-324, -0.0, 0.0, 5e-324, 1.0, f64::MAX];
        for pair in values.windows(2) {
            assert!(total_key(pair[0]) < total_key(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        for value in values {
            assert_eq!(from_total_key(total_key(value)).to_bits(), value.to_bits());
        }
    }

    #[test]
    fn order_statistics_are_the_sorted_values_bit_for_bit() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let special = [0.0, -0.0, 5e-324, -5e-324, f64::MAX, f64::MIN, 1.0, -1.0];
        let samples: Vec<Vec<f64>> = vec![
            vec![2.5],
            vec![-0.0, 0.0, 0.0, -0.0, 1.0],
            // Spread over many buckets, as standardized features are.
            (0..200_000).map(|_| rng.random::<f64>() * 8.0 - 4.0).collect(),
            // All in one top-16-bit bucket: selected again on the next 16 bits.
            (0..50_000).map(|_| 1000.0 + rng.random::<f64>() * 20.0).collect(),
            // Sharing their top 48 bits: down to the last pass, then sorted.
            (0..20_000).map(|i| f64::from_bits(1.0_f64.to_bits() + (i % 7_000) as u64)).collect(),
            // A constant, and a few values repeated many times.
            vec![3.25; 10_000],
            (0..30_000).map(|_| f64::from(rng.random_range(-3..4_i32)) / 2.0).collect(),
            (0..30_000).map(|i| special[i % special.len()]).collect(),
        ];
        for values in samples {
            let n = values.len();
            let mut ranks: Vec<usize> = vec![0, n - 1, n / 2, n / 10, (n - 1) * 9 / 10, n / 2, (n / 3).min(n - 1)];
            ranks.extend((0..20).map(|_| rng.random_range(0..n)));
            let found: Vec<u64> = order_statistics(&values, &ranks).iter().map(|v| v.to_bits()).collect();
            assert_eq!(found, by_sorting(&values, &ranks), "{n} values");
        }
    }
}
