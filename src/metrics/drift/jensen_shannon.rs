//! The Jensen–Shannon distance between two binned distributions, as
//! `scipy.spatial.distance.jensenshannon(p, q, base=2)` computes it.

use super::error::DriftError;
use super::numpy_sum::numpy_sum;

/// `scipy.spatial.distance.jensenshannon(reference_props, current_props, base=2)`: both inputs
/// are normalised to sum to 1 first, as scipy does. A result scipy would compute as the square
/// root of a rounding-negative number (NaN) is reported as 0.
pub fn js_distance(reference_props: &[f64], current_props: &[f64]) -> Result<f64, DriftError> {
    if reference_props.len() != current_props.len() {
        return Err(DriftError::BinCountMismatch { reference: reference_props.len(), current: current_props.len() });
    }
    check_proportions("reference_props", reference_props)?;
    check_proportions("current_props", current_props)?;
    Ok(jensen_shannon_base2(reference_props, current_props))
}

fn check_proportions(name: &'static str, props: &[f64]) -> Result<(), DriftError> {
    if props.is_empty() {
        return Err(DriftError::Empty { name });
    }
    if let Some(index) = props.iter().position(|p| !p.is_finite() || *p < 0.0) {
        return Err(DriftError::InvalidProportion { name, index, value: props[index] });
    }
    if props.iter().all(|&p| p == 0.0) {
        return Err(DriftError::ZeroMass { name });
    }
    Ok(())
}

/// scipy's `rel_entr(x, y)` = `x · ln(x / y)`, 0 where x is 0, as xsf computes it since scipy
/// 1.14: through `log1p` when x and y are close (where JS distances near 0 come from), and
/// through two logarithms when the ratio would leave the normal range.
fn rel_entr(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 || y <= 0.0 {
        return if x == 0.0 && y >= 0.0 { 0.0 } else { f64::INFINITY };
    }
    let ratio = x / y;
    if 0.5 < ratio && ratio < 2.0 {
        x * ((x - y) / y).ln_1p()
    } else if f64::MIN_POSITIVE < ratio && ratio < f64::INFINITY {
        x * ratio.ln()
    } else {
        x * (x.ln() - y.ln())
    }
}

/// `jensenshannon(p, q, base=2)` on validated proportions, operation by operation; the sums
/// follow numpy's order because the two relative entropies nearly cancel for close
/// distributions, where summation order shows at 1e-12.
pub(super) fn jensen_shannon_base2(p: &[f64], q: &[f64]) -> f64 {
    let (p_sum, q_sum) = (numpy_sum(p), numpy_sum(q));
    let p: Vec<f64> = p.iter().map(|&v| v / p_sum).collect();
    let q: Vec<f64> = q.iter().map(|&v| v / q_sum).collect();
    let m: Vec<f64> = p.iter().zip(&q).map(|(&a, &b)| (a + b) / 2.0).collect();
    let left: Vec<f64> = p.iter().zip(&m).map(|(&a, &b)| rel_entr(a, b)).collect();
    let right: Vec<f64> = q.iter().zip(&m).map(|(&a, &b)| rel_entr(a, b)).collect();
    let js = (numpy_sum(&left) + numpy_sum(&right)) / std::f64::consts::LN_2;
    (js / 2.0).max(0.0).sqrt()
}
