//! Holm–Bonferroni adjusted p-values over a family of tests (Holm 1979), as
//! `statsmodels.stats.multitest.multipletests(p, method="holm")` returns them: sort the `m`
//! p-values ascending, multiply the `k`-th smallest (from 0) by `m − k`, take the running
//! maximum so the adjusted values keep the raw order, and cap at 1. Rejecting where the
//! adjusted p is below α controls the family-wise error rate at α for any dependence between
//! the tests.

/// The adjusted p-values, in the order of `p`.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (k, &i) in order.iter().enumerate() {
        running = running.max(((m - k) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    // reference: statsmodels 0.14 multipletests([0.01, 0.04, 0.03, 0.005], method="holm")[1]
    // = [0.03, 0.06, 0.06, 0.02]; for [0.2, 0.6, 0.001]: [0.4, 0.6, 0.003]; for [0.9, 0.8]:
    // [1.0, 1.0].
    #[test]
    fn matches_statsmodels_holm() {
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-15);
        let got = holm(&[0.01, 0.04, 0.03, 0.005]);
        assert!(close(&got, &[0.03, 0.06, 0.06, 0.02]), "{got:?}");
        let got = holm(&[0.2, 0.6, 0.001]);
        assert!(close(&got, &[0.4, 0.6, 0.003]), "{got:?}");
        assert_eq!(holm(&[0.9, 0.8]), [1.0, 1.0]);
        assert_eq!(holm(&[0.04]), [0.04]);
        assert!(holm(&[]).is_empty());
    }
}
