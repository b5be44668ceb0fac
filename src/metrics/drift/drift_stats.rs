//! All drift statistics of one cohort against another, computed from one sorted copy of each.

use serde::Serialize;

use super::error::DriftError;
use super::jensen_shannon::jensen_shannon_base2;
use super::ks::{KsMethod, ks_from_statistic};
use super::ks_exact;
use super::psi::psi_sorted;
use super::sorted::Sorted;
use super::walk::Walk;

/// All drift statistics of C against R, as stored in a drift artifact.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    let ks = ks_from_statistic(r.0.len(), c.0.len(), walk.ks_statistic(), ks_exact::two_sided_pvalue);
    let js_distance = jensen_shannon_base2(&psi.reference_props, &psi.current_props);
    DriftStats {
        psi: psi.value,
        ks_statistic: ks.statistic,
        ks_pvalue: ks.pvalue,
        ks_method: ks.method,
        js_distance,
        wasserstein: walk.wasserstein,
        edges: psi.edges,
        n_reference: r.0.len(),
        n_current: c.0.len(),
    }
}
