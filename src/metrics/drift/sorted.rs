//! Validated, sorted samples: every statistic of the module reads the same sorted copy of each
//! cohort, and the checks that make a sample acceptable live here once.

use super::error::DriftError;

/// A validated (non-empty, finite) sample sorted ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct Sorted(pub(super) Vec<f64>);

impl Sorted {
    /// Validates `values` (named `name` in errors: `reference` or `current`) and sorts a copy.
    pub fn new(name: &'static str, values: &[f64]) -> Result<Self, DriftError> {
        check_finite(name, values)?;
        let mut sorted = values.to_vec();
        sort_values(&mut sorted);
        Ok(Self(sorted))
    }

    /// [`Sorted::new`] of predicted probabilities with their labels, taking the values in the
    /// order of `ranking` ([`crate::metrics::rank_rows`], as `train` hands it on) instead of
    /// sorting them, when it is their ranking and that order is ascending (it is not when both
    /// -0.0 and 0.0 occur, which the ranking merges and this order keeps apart): the same
    /// value either way.
    pub fn ranked(
        name: &'static str,
        values: &[f64],
        labels: &[u8],
        ranking: Option<&[u32]>,
    ) -> Result<Self, DriftError> {
        check_finite(name, values)?;
        let ranked = ranking.and_then(|order| crate::metrics::ranking::ranked_probabilities(labels, values, order));
        if let Some(sorted) = ranked.filter(|sorted| sorted.is_sorted_by(|a, b| a.total_cmp(b).is_le())) {
            return Ok(Self(sorted));
        }
        let mut sorted = values.to_vec();
        sort_values(&mut sorted);
        Ok(Self(sorted))
    }

    /// Validates both samples, then sorts them on both cores at once.
    pub(super) fn pair(reference: &[f64], current: &[f64]) -> Result<(Self, Self), DriftError> {
        check_finite("reference", reference)?;
        check_finite("current", current)?;
        let (mut r, mut c) = (reference.to_vec(), current.to_vec());
        rayon::join(|| sort_values(&mut r), || sort_values(&mut c));
        Ok((Self(r), Self(c)))
    }
}

/// Sorts ascending in [`f64::total_cmp`]'s order (−0.0 before +0.0), by radix on the bits:
/// eight linear passes instead of O(n log n) comparisons, a quarter of the time of a parallel
/// comparison sort at 200,000 values. Values that sort alike are equal bit for bit, so the
/// result is the same array whichever sort made it.
fn sort_values(values: &mut [f64]) {
    radsort::sort(values);
}

pub(super) fn check_finite(name: &'static str, values: &[f64]) -> Result<(), DriftError> {
    if values.is_empty() {
        return Err(DriftError::Empty { name });
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(DriftError::NonFinite { name, index, value: values[index] }),
        None => Ok(()),
    }
}

pub(super) fn check_edges(edges: &[f64]) -> Result<(), DriftError> {
    for (index, &value) in edges.iter().enumerate() {
        let increasing = index == 0 || edges[index - 1] < value;
        if !value.is_finite() || !increasing {
            return Err(DriftError::InvalidEdge { index, value });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn the_radix_sort_orders_as_total_cmp_does_bit_for_bit() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let special =
            [0.0, -0.0, f64::MIN_POSITIVE, -f64::MIN_POSITIVE, 5e-324, -5e-324, f64::MAX, f64::MIN, 1.0, -1.0];
        let mut values: Vec<f64> = (0..100_000)
            .map(|i| match i % 4 {
                0 => special[rng.random_range(0..special.len())],
                1 => rng.random::<f64>(),
                2 => (rng.random::<f64>() - 0.5) * 1e12,
                _ => f64::from_bits(rng.random::<u64>() & !(0x7ff << 52)) * if rng.random() { 1.0 } else { -1.0 },
            })
            .collect();
        let mut expected = values.clone();
        expected.sort_by(f64::total_cmp);
        sort_values(&mut values);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&values), bits(&expected));
    }

    #[test]
    fn a_ranking_handed_on_gives_the_sorted_sample_bit_for_bit() {
        let bits = |s: &Sorted| s.0.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let p: Vec<f64> = (0..3_000).map(|i| f64::from((i * 7919) % 613) / 612.0).collect();
        let y: Vec<u8> = (0..3_000).map(|i| u8::from((i * 31) % 7 < 3)).collect();
        let ranking = crate::metrics::rank_rows(&y, &p);
        let sorted = Sorted::new("current", &p).expect("valid");
        let mut wrong = ranking.clone();
        wrong.swap(1, 2);
        for order in [Some(&ranking[..]), Some(&wrong[..]), Some(&ranking[..10]), None] {
            assert_eq!(bits(&Sorted::ranked("current", &p, &y, order).expect("valid")), bits(&sorted));
        }
        // The ranking merges -0.0 with 0.0 (ties in row order), `total_cmp` does not: sorted.
        let (p, y) = ([0.5, 0.0, -0.0, 0.0], [1, 0, 0, 0]);
        let ranking = crate::metrics::rank_rows(&y, &p);
        assert_eq!(ranking, [1, 2, 3, 0]);
        let taken = Sorted::ranked("current", &p, &y, Some(&ranking)).expect("valid");
        assert_eq!(bits(&taken), bits(&Sorted::new("current", &p).expect("valid")));
        assert_eq!(taken.0[0].to_bits(), (-0.0_f64).to_bits());
        // Checked like any sample.
        assert!(matches!(
            Sorted::ranked("current", &[0.5, f64::NAN], &[0, 1], Some(&[0, 1])),
            Err(DriftError::NonFinite { index: 1, .. })
        ));
    }
}
