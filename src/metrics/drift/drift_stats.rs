//! All drift statistics of one cohort against another, computed from one sorted copy of each.

use serde::{Deserialize, Serialize};

use super::error::DriftError;
use super::jensen_shannon::jensen_shannon_base2;
use super::ks::{KsMethod, ks_from_statistic};
use super::ks_exact;
use super::psi::{Psi, psi_of_itself, psi_sorted};
use super::sorted::Sorted;
use super::sorted::check_finite;
use super::walk::Walk;

/// All drift statistics of C against R, as stored in a drift artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftStats {
    pub psi: f64,
    pub ks_statistic: f64,
    pub ks_pvalue: f64,
    /// How the KS p-value was computed (a convention parameter the artifact records).
    pub ks_method: KsMethod,
    pub js_distance: f64,
    pub wasserstein: f64,
    /// The PSI/JS bin edges fitted on R, so the numbers can be recomputed.
    pub edges: Vec<f64>,
    pub n_reference: usize,
    pub n_current: usize,
}

/// PSI, KS, Jensen–Shannon distance and Wasserstein-1 of `current` against `reference`, each
/// sample sorted once and shared by all four.
pub fn drift_between(reference: &[f64], current: &[f64]) -> Result<DriftStats, DriftError> {
    let (r, c) = Sorted::pair(reference, current)?;
    Ok(drift_between_sorted(&r, &c))
}

/// [`drift_between`] of two samples already validated and sorted, so a caller comparing one
/// sample with several others sorts it once.
pub fn drift_between_sorted(r: &Sorted, c: &Sorted) -> DriftStats {
    let psi = psi_sorted(&r.0, &c.0);
    // Cohorts of one data instance share its features: their pairs compare a sample with itself.
    let itself = if std::ptr::eq(r, c) { Walk::of_itself(&r.0) } else { None };
    let walk = itself.unwrap_or_else(|| Walk::new(&r.0, &c.0));
    assemble(psi, &walk, r.0.len(), c.0.len())
}

/// [`drift_between_sorted`] of `values`' sorted copy with itself, bit for bit, validating
/// `values` as [`Sorted::new`] does (`name` in errors), mostly without the sort: cohorts of one
/// data instance share its features, and a sample met only by itself needs just its deciles
/// (selected) and its bin counts (one pass). A sample spanning more than `f64::MAX` is sorted
/// and walked, as the general path does.
pub fn drift_of_itself(name: &'static str, values: &[f64]) -> Result<DriftStats, DriftError> {
    check_finite(name, values)?;
    let (min, max) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(min, max), &v| (min.min(v), max.max(v)));
    match Walk::of_span(min, max) {
        Some(walk) => Ok(assemble(psi_of_itself(values), &walk, values.len(), values.len())),
        None => {
            let sorted = Sorted::new(name, values)?;
            Ok(drift_between_sorted(&sorted, &sorted))
        }
    }
}

fn assemble(psi: Psi, walk: &Walk, n_reference: usize, n_current: usize) -> DriftStats {
    let ks = ks_from_statistic(n_reference, n_current, walk.ks_statistic(), ks_exact::two_sided_pvalue);
    let js_distance = jensen_shannon_base2(&psi.reference_props, &psi.current_props);
    DriftStats {
        psi: psi.value,
        ks_statistic: ks.statistic,
        ks_pvalue: ks.pvalue,
        ks_method: ks.method,
        js_distance,
        wasserstein: walk.wasserstein,
        edges: psi.edges,
        n_reference,
        n_current,
    }
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn a_sample_against_itself_without_the_sort_is_the_sorted_path_bit_for_bit() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let samples: Vec<Vec<f64>> = vec![
            vec![0.75],
            vec![1.0, -1.0],
            vec![-0.0, 0.0, 0.0, -0.0, 2.0, -0.0],
            vec![4.0; 500],
            // Exact KS sizes, and the asymptotic ones a 1M-row run meets.
            (0..3_000).map(|_| f64::from(rng.random_range(0..12_i32))).collect(),
            (0..200_000).map(|_| (rng.random::<f64>() - 0.5) * 7.0).collect(),
            (0..100_000).map(|_| 1e4 + rng.random::<f64>()).collect(),
            // A span beyond f64::MAX: the sort and the walk.
            vec![f64::MAX, -f64::MAX, 0.0, 1.0],
        ];
        for values in samples {
            let sorted = Sorted::new("reference", &values).expect("finite");
            let json = |stats: &DriftStats| serde_json::to_string(stats).expect("serializes");
            let itself = drift_of_itself("reference", &values).expect("finite");
            assert_eq!(json(&itself), json(&drift_between_sorted(&sorted, &sorted)), "{} values", values.len());
        }
    }

    #[test]
    fn a_sample_against_itself_is_validated_as_a_sort_would_be() {
        assert_eq!(drift_of_itself("current", &[]), Err(DriftError::Empty { name: "current" }));
        let found = drift_of_itself("reference", &[1.0, f64::NAN]).map(|_| ());
        assert_eq!(format!("{found:?}"), format!("{:?}", Sorted::new("reference", &[1.0, f64::NAN]).map(|_| ())));
    }
}
