//! Expected values computed with scipy 1.17.1 and numpy 2.4.6 (CPython 3.11, x86-64) on the
//! same inputs: literal lists, or the formulas below written identically in Python
//! (`frac(n, c, shift, scale)` is `[((i * c) % 1.0) * scale + shift for i in range(n)]`,
//! `grid(n, a, b, p)` is `[((i * a + b) % p) / 100 for i in range(n)]`), through
//! `np.unique(np.quantile(R, np.arange(1, 10) / 10))`, `np.searchsorted(edges, x, "right")`
//! counts, `scipy.stats.ks_2samp(R, C)`, `jensenshannon(rp, cp, base=2)` and
//! `scipy.stats.wasserstein_distance(R, C)`.

use super::ks::ks_from_statistic;
use super::numpy_sum::numpy_sum;
use super::*;

const GOLDEN: f64 = 0.6180339887498949;
const SILVER: f64 = 0.4142135623730951;
const PLASTIC: f64 = 0.7548776662466927;

fn frac(n: usize, c: f64, shift: f64, scale: f64) -> Vec<f64> {
    (0..n).map(|i| ((i as f64 * c) % 1.0) * scale + shift).collect()
}

fn grid(n: u64, a: u64, b: u64, p: u64) -> Vec<f64> {
    (0..n).map(|i| ((i * a + b) % p) as f64 / 100.0).collect()
}

fn assert_rel(actual: f64, expected: f64, tol: f64, what: &str) {
    let scale = expected.abs().max(f64::MIN_POSITIVE);
    assert!(
        (actual - expected).abs() <= tol * scale,
        "{what}: got {actual:e}, scipy says {expected:e} (relative error {:e})",
        (actual - expected).abs() / scale
    );
}

struct Case {
    name: &'static str,
    reference: Vec<f64>,
    current: Vec<f64>,
    edges: &'static [f64],
    reference_props: &'static [f64],
    current_props: &'static [f64],
    psi: f64,
    js: f64,
    w1: f64,
    d: f64,
    p: f64,
    method: KsMethod,
}

/// Every statistic of a case against scipy/numpy: edges and proportions bit for bit, D
/// exactly, PSI/JS/W1 to 1e-12 and the p-value to 1e-9 relative.
fn check(case: &Case) {
    let name = case.name;
    let (r, c) = (&case.reference, &case.current);
    assert_eq!(psi_edges(r).expect("valid"), case.edges, "{name}: edges");
    assert_eq!(binned_proportions(r, case.edges).expect("valid"), case.reference_props, "{name}: rp");
    assert_eq!(binned_proportions(c, case.edges).expect("valid"), case.current_props, "{name}: cp");

    let psi = psi(r, c).expect("valid");
    assert_eq!(psi.edges, case.edges, "{name}: psi edges");
    assert_eq!(psi.reference_props, case.reference_props, "{name}: psi rp");
    assert_eq!(psi.current_props, case.current_props, "{name}: psi cp");
    assert_rel(psi.value, case.psi, 1e-12, &format!("{name}: psi"));
    assert_rel(js_distance(case.reference_props, case.current_props).expect("valid"), case.js, 1e-12, name);
    assert_rel(wasserstein_1(r, c).expect("valid"), case.w1, 1e-12, &format!("{name}: w1"));

    let ks = ks_2samp(r, c).expect("valid");
    assert_eq!(ks.statistic, case.d, "{name}: D");
    assert_rel(ks.pvalue, case.p, 1e-9, &format!("{name}: p"));
    assert_eq!(ks.method, case.method, "{name}: method");

    let all = drift_between(r, c).expect("valid");
    assert_eq!(all.edges, case.edges, "{name}: drift edges");
    assert_eq!((all.psi, all.ks_statistic, all.ks_pvalue), (psi.value, ks.statistic, ks.pvalue), "{name}");
    assert_rel(all.js_distance, case.js, 1e-12, &format!("{name}: drift js"));
    assert_rel(all.wasserstein, case.w1, 1e-12, &format!("{name}: drift w1"));
    assert_eq!((all.n_reference, all.n_current), (r.len(), c.len()), "{name}: sizes");
}

#[test]
fn exact_regime_20_vs_30_with_ties_across_samples() {
    check(&Case {
        name: "small_20_vs_30_ties",
        reference: vec![
            0.12, 0.5, 0.33, 0.5, 0.91, 0.07, 0.45, 0.5, 0.62, 0.28, 0.77, 0.33, 0.19, 0.84, 0.5, 0.41, 0.66, 0.05,
            0.95, 0.58,
        ],
        current: vec![
            0.33, 0.5, 0.71, 0.88, 0.5, 0.62, 0.93, 0.45, 0.79, 0.66, 0.54, 0.97, 0.41, 0.86, 0.7, 0.62, 0.99, 0.25,
            0.81, 0.5, 0.73, 0.58, 0.9, 0.68, 0.77, 0.95, 0.35, 0.84, 0.6, 0.74,
        ],
        edges: &[0.115, 0.26200000000000007, 0.33, 0.434, 0.5, 0.592, 0.6820000000000002, 0.8470000000000001],
        reference_props: &[0.1, 0.1, 0.05, 0.15, 0.05, 0.25, 0.1, 0.1, 0.1],
        current_props: &[
            0.0,
            0.03333333333333333,
            0.0,
            0.1,
            0.03333333333333333,
            0.16666666666666666,
            0.16666666666666666,
            0.26666666666666666,
            0.23333333333333334,
        ],
        psi: 1.4447539137469956,
        js: 0.3907526457231816,
        w1: 0.194,
        d: 0.38333333333333336,
        p: 0.048040321074667734,
        method: KsMethod::Exact,
    });
}

#[test]
fn exact_regime_equal_sizes_uses_the_square_formula() {
    check(&Case {
        name: "frac_25_vs_25",
        reference: frac(25, GOLDEN, 0.0, 1.0),
        current: frac(25, SILVER, 0.3, 1.0),
        edges: &[
            0.10394668524892801,
            0.20789337049785603,
            0.28165544924859165,
            0.3941166289984026,
            0.5065778087482133,
            0.6052622469985707,
            0.6970583144992011,
            0.8052622469985707,
            0.874767078498865,
        ],
        reference_props: &[0.12, 0.08, 0.12, 0.08, 0.08, 0.12, 0.08, 0.12, 0.08, 0.12],
        current_props: &[0.0, 0.0, 0.0, 0.12, 0.08, 0.12, 0.08, 0.12, 0.08, 0.4],
        psi: 2.587631891795363,
        js: 0.4693335518142625,
        w1: 0.29415488347840224,
        d: 0.32,
        p: 0.15576025200619348,
        method: KsMethod::Exact,
    });
    check(&Case {
        name: "frac_400_vs_400",
        reference: frac(400, GOLDEN, 0.0, 1.0),
        current: frac(400, SILVER, 0.1, 1.0),
        edges: &[
            0.09990937922924845,
            0.200056006716423,
            0.3009143789773901,
            0.40129825472248515,
            0.5019193787255105,
            0.5999093792292569,
            0.7006491273612425,
            0.798757751993945,
            0.8989043794811213,
        ],
        reference_props: &[0.1; 10],
        current_props: &[0.0, 0.1025, 0.1, 0.1025, 0.1, 0.1, 0.0975, 0.0975, 0.0975, 0.2025],
        psi: 0.762718993300396,
        js: 0.2506684251573155,
        w1: 0.09782493782843685,
        d: 0.1025,
        p: 0.02985302150862578,
        method: KsMethod::Exact,
    });
}

#[test]
fn exact_regime_500_vs_700_without_ties() {
    check(&Case {
        name: "frac_500_vs_700",
        reference: frac(500, GOLDEN, 0.0, 1.0),
        current: frac(700, PLASTIC, 0.08, 0.9),
        edges: &[
            0.09990937922924845,
            0.200056006716423,
            0.3009143789773901,
            0.39967213097131665,
            0.4994068793551847,
            0.5994348827134046,
            0.6992429448408358,
            0.798757751993945,
            0.8987857553521579,
        ],
        reference_props: &[0.1; 10],
        current_props: &[
            0.022857142857142857,
            0.11428571428571428,
            0.10857142857142857,
            0.11142857142857143,
            0.11,
            0.11142857142857143,
            0.11142857142857143,
            0.11,
            0.11428571428571428,
            0.08571428571428572,
        ],
        psi: 0.12619426265504027,
        js: 0.14517043977434607,
        w1: 0.03355933557648226,
        d: 0.08171428571428571,
        p: 0.03839030314425437,
        method: KsMethod::Exact,
    });
}

#[test]
fn exact_regime_500_vs_700_with_ties() {
    check(&Case {
        name: "grid_500_vs_700_ties",
        reference: grid(500, 37, 0, 101),
        current: grid(700, 53, 7, 97).into_iter().map(|v| v * 1.1).collect(),
        edges: &[0.09900000000000006, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        reference_props: &[0.1, 0.098, 0.098, 0.1, 0.1, 0.098, 0.098, 0.1, 0.1, 0.108],
        current_props: &[
            0.10428571428571429,
            0.09285714285714286,
            0.09285714285714286,
            0.09285714285714286,
            0.09285714285714286,
            0.09142857142857143,
            0.09285714285714286,
            0.09285714285714286,
            0.09285714285714286,
            0.15428571428571428,
        ],
        psi: 0.020093972229327742,
        js: 0.06006561775682666,
        w1: 0.02803857142857147,
        d: 0.06142857142857143,
        p: 0.21190939395063113,
        method: KsMethod::Exact,
    });
}

#[test]
fn asymptotic_regime_20000_vs_20000_pelz_good() {
    check(&Case {
        name: "asym_20000_vs_20000",
        reference: frac(20_000, GOLDEN, 0.0, 1.0),
        current: frac(20_000, SILVER, 0.012, 1.0),
        edges: &[
            0.09997415330217337,
            0.19998172848554532,
            0.30001381747879347,
            0.39999807102485646,
            0.49993389303881486,
            0.5999766783632366,
            0.7000194636872038,
            0.7999552857010713,
            0.8999980710251294,
        ],
        reference_props: &[0.1; 10],
        current_props: &[0.08805, 0.09995, 0.10005, 0.09995, 0.1, 0.1, 0.1, 0.09995, 0.1001, 0.11195],
        psi: 0.0028699626843670992,
        js: 0.02274304523460266,
        w1: 0.01199644519027426,
        d: 0.01215000000000005,
        p: 0.10356321160411086,
        method: KsMethod::Asymptotic,
    });
}

#[test]
fn asymptotic_regime_15000_vs_12000_smirnov() {
    check(&Case {
        name: "asym_15000_vs_12000",
        reference: frac(15_000, GOLDEN, 0.0, 1.0),
        current: frac(12_000, PLASTIC, 0.02, 1.0),
        edges: &[
            0.09997006766716368,
            0.19997355721552595,
            0.29993545361303403,
            0.39999807102485646,
            0.49993389303881486,
            0.6000031211475289,
            0.6999609319096635,
            0.7999685070933993,
            0.8999344891247347,
        ],
        reference_props: &[0.1; 10],
        current_props: &[
            0.08008333333333334,
            0.09991666666666667,
            0.1,
            0.10008333333333333,
            0.09983333333333333,
            0.1,
            0.1,
            0.10016666666666667,
            0.09983333333333333,
            0.12008333333333333,
        ],
        psi: 0.008100078972877171,
        js: 0.03818617335407757,
        w1: 0.020010017196179467,
        d: 0.02028333333333332,
        p: 0.008176554506651862,
        method: KsMethod::Asymptotic,
    });
}

#[test]
fn asymptotic_regime_near_identical_samples() {
    check(&Case {
        name: "asym_20000_near_identical",
        reference: frac(20_000, GOLDEN, 0.0, 1.0),
        current: frac(20_000, SILVER, 0.0, 1.0),
        edges: &[
            0.09997415330217337,
            0.19998172848554532,
            0.30001381747879347,
            0.39999807102485646,
            0.49993389303881486,
            0.5999766783632366,
            0.7000194636872038,
            0.7999552857010713,
            0.8999980710251294,
        ],
        reference_props: &[0.1; 10],
        current_props: &[0.10005, 0.09995, 0.10005, 0.1, 0.1, 0.0999, 0.10005, 0.09995, 0.1001, 0.09995],
        psi: 3.5000007916669397e-07,
        js: 0.00025123280138339464,
        w1: 2.8950069658610713e-05,
        d: 0.0001500000000000945,
        p: 1.0,
        method: KsMethod::Asymptotic,
    });
}

#[test]
fn asymptotic_regime_with_a_small_cohort_uses_pomeranz() {
    check(&Case {
        name: "asym_10001_vs_50",
        reference: frac(10_001, GOLDEN, 0.0, 1.0),
        current: frac(50, SILVER, 0.2, 1.0),
        edges: &[
            0.0999807639982464,
            0.19998677860780845,
            0.3000336495670126,
            0.39990745025443175,
            0.49991346486422117,
            0.599960335823198,
            0.6999002434720296,
            0.7998401511206339,
            0.8998870220798381,
        ],
        reference_props: &[
            0.0999900009999,
            0.0999900009999,
            0.0999900009999,
            0.0999900009999,
            0.0999900009999,
            0.0999900009999,
            0.0999900009999,
            0.0999900009999,
            0.0999900009999,
            0.10008999100089991,
        ],
        current_props: &[0.0, 0.0, 0.12, 0.08, 0.12, 0.1, 0.12, 0.08, 0.1, 0.28],
        psi: 1.5849564440801869,
        js: 0.3681645096496191,
        w1: 0.18832152536664692,
        d: 0.21900009999000092,
        p: 0.013823400146582676,
        method: KsMethod::Asymptotic,
    });
}

#[test]
fn identical_samples_show_no_drift() {
    let sample = frac(300, GOLDEN, 0.0, 1.0);
    let stats = drift_between(&sample, &sample).expect("valid");
    assert_eq!(stats.psi, 0.0);
    assert_eq!((stats.ks_statistic, stats.ks_pvalue), (0.0, 1.0));
    assert_eq!(stats.js_distance, 0.0);
    assert_eq!(stats.wasserstein, 0.0);
    assert_eq!(ks_2samp(&sample, &sample).expect("valid").method, KsMethod::Exact);
    assert_eq!(psi(&sample, &sample).expect("valid").band(), PsiBand::Stable);
}

#[test]
fn constant_reference_collapses_the_edges_to_one() {
    let reference = [3.0; 10];
    let current = [1.0, 3.0, 3.0, 5.0, 2.0, 4.0];
    let psi = psi(&reference, &current).expect("valid");
    assert_eq!(psi.edges, [3.0]);
    // A value equal to the edge belongs to the upper bin.
    assert_eq!(psi.reference_props, [0.0, 1.0]);
    assert_eq!(psi.current_props, [0.3333333333333333, 0.6666666666666666]);
    assert_rel(psi.value, 2.8382532243304146, 1e-12, "psi");
    assert_rel(js_distance(&psi.reference_props, &psi.current_props).expect("valid"), 0.4368918683394205, 1e-12, "js");
    assert_rel(wasserstein_1(&reference, &current).expect("valid"), 1.0, 1e-12, "w1");
    let ks = ks_2samp(&reference, &current).expect("valid");
    assert_eq!(ks.statistic, 0.3333333333333333);
    assert_rel(ks.pvalue, 0.7125374625374625, 1e-9, "p");
    assert_eq!(psi_edges(&[7.5]).expect("valid"), [7.5]);
}

#[test]
fn kstwo_survival_matches_scipy_in_every_branch() {
    // (n, x, scipy.stats.kstwo.sf(x, n)); the comment names the branch of `_kolmogn`.
    let cases = [
        (10.0, 0.04, 1.0),                          // below the support
        (10.0, 0.06, 0.9999999999628411),           // Ruben–Gambino, t ≤ 1, n ≤ 140
        (10.0, 0.95, 1.9531250000000172e-13),       // Ruben–Gambino, t ≥ n − 1
        (10.0, 0.6, 0.0005681672000000003),         // x ≥ 0.5: 2·smirnov
        (10.0, 0.2, 0.7487190399999999),            // Durbin/MTW
        (10.0, 0.4, 0.05898924519999926),           // Pomeranz
        (100.0, 0.05, 0.9532159710635725),          // Durbin/MTW
        (100.0, 0.15, 0.019839242125641813),        // Pomeranz
        (100.0, 0.25, 5.408871776434847e-06),       // Miller: 2·smirnov
        (140.0, 0.1, 0.11353657290090946),          // Pomeranz
        (200.0, 0.004, 1.0),                        // Ruben–Gambino with Stirling, n > 140
        (200.0, 0.035, 0.959895555633483),          // Durbin/MTW, n > 140
        (240.0, 0.03, 0.9777573617798243),          // Durbin/MTW, n > 140
        (200.0, 0.05, 0.6802625495871704),          // Pelz–Good
        (200.0, 0.01, 1.0),                         // Durbin/MTW, tiny x
        (200.0, 0.12, 0.005745760601982814),        // 2·smirnov, n·x² ≥ 2.2
        (200.0, 0.6, 2.2284451128877564e-69),       // x ≥ 0.5
        (200.0, 0.998, 0.0),                        // Ruben–Gambino, t ≥ n − 1
        (10000.0, 0.01, 0.2682191277029192),        // Pelz–Good
        (10000.0, 0.02, 0.0006616848639387309),     // 2·smirnov
        (10000.0, 0.2, 0.0),                        // n·x² ≥ 370
        (150000.0, 0.003, 0.1341018124495077),      // Pelz–Good, n > 100000
        (150000.0, 0.005, 0.001102453936024622),    // 2·smirnov
        (1500000.0, 0.0015, 0.0023394185661850583), // smirnov's approximation, n > 10^6
        (10.0, 1.0, 0.0),                           // above the support
    ];
    for (n, x, expected) in cases {
        assert_rel(kstwo::sf(x, n), expected, 1e-10, &format!("kstwo.sf({x}, {n})"));
    }
}

#[test]
fn smirnov_matches_scipy_special() {
    let cases = [
        (100, 0.025, 0.8681674982884928),     // upper sum
        (1000001, 0.001, 0.1352448117787778), // approximation for n > 10^6
        (50, 0.3, 8.676630101359369e-05),     // lower sum
        (10, 0.95, 9.765625000000086e-14),    // x ≥ 1 − 1/n
        (10, 0.05, 0.9224335892010742),       // x ≤ 1/n
        (1000, 0.05, 0.006506037390545166),   // lower sum, many terms
    ];
    for (n, x, expected) in cases {
        assert_rel(smirnov::smirnov(n, x), expected, 1e-12, &format!("smirnov({n}, {x})"));
    }
}

#[test]
fn exact_kernels_match_scipy() {
    // scipy's _compute_prob_outside_square(25, 8) and
    // _compute_outer_prob_inside_method(20, 30, 10, 23).
    assert_rel(ks_exact::two_sided_pvalue(25, 25, 25, 8), 0.15576025200619348, 1e-12, "square");
    assert_rel(ks_exact::two_sided_pvalue(20, 30, 10, 23), 0.048040321074667734, 1e-12, "inside");
}

#[test]
fn failed_exact_computation_falls_back_to_the_asymptotic_form() {
    // scipy warns and switches to method="asymp" with D already snapped to h / lcm.
    for bad in [f64::NAN, 1.5, -0.25] {
        let ks = ks_from_statistic(20, 30, 0.38333333333333336, |_, _, _, _| bad);
        assert_eq!(ks.method, KsMethod::AsymptoticAfterExactFailed);
        assert_eq!(ks.statistic, 23.0 / 60.0);
        // scipy.stats.kstwo.sf(23 / 60, 12)
        assert_rel(ks.pvalue, 0.042731765344184325, 1e-12, "fallback p");
    }
}

#[test]
fn values_on_inner_edges_go_to_the_upper_bin() {
    let props = binned_proportions(&[0.0, 1.0, 1.5, 2.0, 3.0], &[1.0, 2.0]).expect("valid");
    assert_eq!(props, [0.2, 0.4, 0.4]);
    assert_eq!(binned_proportions(&[5.0], &[]).expect("valid"), [1.0]);
}

#[test]
fn psi_bands_follow_the_spec() {
    assert_eq!(PsiBand::of(0.0999), PsiBand::Stable);
    assert_eq!(PsiBand::of(0.10), PsiBand::Moderate);
    assert_eq!(PsiBand::of(0.25), PsiBand::Moderate);
    assert_eq!(PsiBand::of(0.2501), PsiBand::Significant);
    assert_eq!(PsiBand::Significant.to_string(), "significant");
}

#[test]
fn js_distance_normalises_like_scipy() {
    // jensenshannon([1, 2, 3], [3, 2, 1], base=2) == 0.35470351519813204 (scipy 1.17.1).
    assert_rel(js_distance(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).expect("valid"), 0.35470351519813204, 1e-12, "js");
    assert_eq!(js_distance(&[1.0, 0.0], &[0.0, 1.0]).expect("valid"), 1.0);
}

#[test]
fn numpy_sum_order_is_pairwise() {
    // np.sum of this 10-element array (8 accumulators, then the remainder) is
    // 1.0000000000000002; a left-to-right sum gives 1.0.
    let values = [0.1, 0.2, 0.3, 0.4, 1e-16, 1e-16, -1.0, 1.0, 1e-16, 1e-16];
    assert_eq!(numpy_sum(&values), 1.0000000000000002);
}

#[test]
fn invalid_inputs_are_rejected_with_their_position() {
    assert_eq!(psi_edges(&[]), Err(DriftError::Empty { name: "reference" }));
    assert_eq!(ks_2samp(&[1.0], &[]), Err(DriftError::Empty { name: "current" }));
    assert!(matches!(
        drift_between(&[1.0, f64::NAN], &[1.0]),
        Err(DriftError::NonFinite { name: "reference", index: 1, .. })
    ));
    assert_eq!(
        wasserstein_1(&[1.0], &[0.0, f64::INFINITY]),
        Err(DriftError::NonFinite { name: "current", index: 1, value: f64::INFINITY })
    );
    assert_eq!(binned_proportions(&[1.0], &[2.0, 1.0]), Err(DriftError::InvalidEdge { index: 1, value: 1.0 }));
    assert_eq!(binned_proportions(&[1.0], &[1.0, 1.0]), Err(DriftError::InvalidEdge { index: 1, value: 1.0 }));
    assert_eq!(js_distance(&[0.5, 0.5], &[1.0]), Err(DriftError::BinCountMismatch { reference: 2, current: 1 }));
    assert_eq!(
        js_distance(&[0.5, -0.5], &[0.5, 0.5]),
        Err(DriftError::InvalidProportion { name: "reference_props", index: 1, value: -0.5 })
    );
    assert_eq!(js_distance(&[0.5, 0.5], &[0.0, 0.0]), Err(DriftError::ZeroMass { name: "current_props" }));
    let error = drift_between(&[1.0], &[2.0, f64::NEG_INFINITY]).expect_err("infinite value");
    assert_eq!(error.to_string(), "current[1] is -inf, but drift needs finite values");
}

#[test]
fn drift_stats_serialise_with_the_artifact_field_names() {
    let stats = drift_between(&[0.0, 1.0, 2.0], &[1.0, 2.0, 3.0]).expect("valid");
    let json = serde_json::to_value(&stats).expect("serialisable");
    let keys: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
    let mut expected = [
        "psi",
        "ks_statistic",
        "ks_pvalue",
        "ks_method",
        "js_distance",
        "wasserstein",
        "edges",
        "n_reference",
        "n_current",
    ];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(json["ks_method"], "exact");
}
