//! The two-sample Kolmogorov–Smirnov test as `scipy.stats.ks_2samp(method="auto")` runs it:
//! the exact lattice-path p-value for small cohorts, `kstwo.sf` for large ones.

use serde::{Deserialize, Serialize};

use super::error::DriftError;
use super::sorted::Sorted;
use super::walk::Walk;
use super::{ks_exact, kstwo};

/// Largest cohort size for which `ks_2samp(method="auto")` computes the exact p-value; scipy's
/// `MAX_AUTO_N`.
pub const KS_MAX_EXACT_N: usize = 10_000;

/// The two-sample Kolmogorov–Smirnov test, as `scipy.stats.ks_2samp(R, C)` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ks {
    /// D = sup |F_R − F_C|. In the exact regime scipy reports it rounded to the lattice
    /// `h / lcm(n, m)` it computed the p-value on, and so does this.
    pub statistic: f64,
    /// Two-sided p-value.
    pub pvalue: f64,
    /// How the p-value was computed.
    pub method: KsMethod,
}

/// How a KS p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KsMethod {
    /// Exact lattice-path count, used when both cohorts have at most [`KS_MAX_EXACT_N`] values.
    Exact,
    /// `kstwo.sf(D, round(n·m / (n + m)))`, used for larger cohorts.
    Asymptotic,
    /// The exact computation produced no valid probability, so the asymptotic form was used:
    /// the case where scipy warns "Exact calculation unsuccessful. Switching to method=asymp".
    AsymptoticAfterExactFailed,
}

/// `scipy.stats.ks_2samp(reference, current)` with `method="auto"` and the two-sided alternative.
pub fn ks_2samp(reference: &[f64], current: &[f64]) -> Result<Ks, DriftError> {
    let (r, c) = Sorted::pair(reference, current)?;
    let walk = Walk::new(&r.0, &c.0);
    Ok(ks_from_statistic(r.0.len(), c.0.len(), walk.ks_statistic(), ks_exact::two_sided_pvalue))
}

/// The p-value half of `ks_2samp` once D is known. `exact` is scipy's exact two-sided
/// probability for `(n1, n2, gcd, h)`, a parameter so tests can make it fail.
pub(super) fn ks_from_statistic(n1: usize, n2: usize, d: f64, exact: impl Fn(u64, u64, u64, u64) -> f64) -> Ks {
    let (n1, n2) = (n1 as u64, n2 as u64);
    if n1.max(n2) <= KS_MAX_EXACT_N as u64 {
        let g = gcd(n1, n2);
        let lcm = (n1 / g) * n2;
        // scipy snaps D to the lattice the exact distribution lives on and reports that value.
        let h = (d * lcm as f64).round_ties_even() as u64;
        let d = h as f64 / lcm as f64;
        if h == 0 {
            return Ks { statistic: d, pvalue: 1.0, method: KsMethod::Exact };
        }
        let prob = exact(n1, n2, g, h);
        if (0.0..=1.0).contains(&prob) {
            return Ks { statistic: d, pvalue: prob, method: KsMethod::Exact };
        }
        let pvalue = asymptotic_pvalue(n1, n2, d);
        return Ks { statistic: d, pvalue, method: KsMethod::AsymptoticAfterExactFailed };
    }
    Ks { statistic: d, pvalue: asymptotic_pvalue(n1, n2, d), method: KsMethod::Asymptotic }
}

/// `kstwo.sf(D, np.round(en))` with `en = m·n / (m + n)`, m the larger size, clipped to [0, 1].
fn asymptotic_pvalue(n1: u64, n2: u64, d: f64) -> f64 {
    let (m, n) = if n1 >= n2 { (n1 as f64, n2 as f64) } else { (n2 as f64, n1 as f64) };
    let en = (m * n / (m + n)).round_ties_even();
    kstwo::sf(d, en).clamp(0.0, 1.0)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}
