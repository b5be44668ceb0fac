//! scipy's exact two-sided p-value of the two-sample KS statistic (`_attempt_exact_2kssamp`).

/// `P(D ≥ h / lcm(n1, n2))`; NaN where the computation cannot give one.
pub(super) fn two_sided_pvalue(n1: u64, n2: u64, g: u64, h: u64) -> f64 {
    let (n1, n2, g, h) = (n1 as i64, n2 as i64, g as i64, h as i64);
    if n1 == n2 { prob_outside_square(n1, h) } else { outer_prob_inside_method(n1, n2, g, h) }
}

/// `_compute_prob_outside_square(n, h)`: `P(D_{n,n} ≥ h/n)` from the alternating binomial
/// series, each term divided by `binom(2n, n)` and nested Horner-style so nothing overflows.
fn prob_outside_square(n: i64, h: i64) -> f64 {
    let mut p = 0.0;
    let mut k = (n as f64 / h as f64).floor() as i64;
    while k >= 0 {
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// `_compute_outer_prob_inside_method(m, n, g, h)` (scipy's pythran kernel): the share of
/// lattice paths from (0, 0) to (m, n) that leave the band `|x/m − y/n| < h/lcm`, with
/// Viehmann's recursion for the complement, which stays in [0, 1] and cannot overflow.
fn outer_prob_inside_method(m: i64, n: i64, g: i64, h: i64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (mg, ng) = (m / g, n / g);
    let mut minj = 0i64;
    let mut maxj = ((h as f64 / mg as f64).ceil() as i64).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    let mut a = vec![1.0f64; len_a];
    for slot in a.iter_mut().take(maxj as usize) {
        *slot = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = (((ng * i - h) as f64 / mg as f64).floor() as i64 + 1).max(0).min(n);
        maxj = (((ng * i + h) as f64 / mg as f64).ceil() as i64).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            // The pythran kernel reads unchecked; an index outside the window would be a
            // bug there too, so report "no valid probability" rather than guess.
            let Some(&previous) = a.get((jj + minj - lastminj) as usize) else {
                return f64::NAN;
            };
            val = (previous * i as f64 + val * j as f64) / (i + j) as f64;
            if let Some(slot) = a.get_mut(jj as usize) {
                *slot = val;
            }
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let start = (maxj - minj) as usize;
            let end = (start + (lastlen - curlen) as usize).min(len_a);
            for slot in a.iter_mut().take(end).skip(start) {
                *slot = 1.0;
            }
        }
    }
    a.get((maxj - minj - 1) as usize).copied().unwrap_or(f64::NAN)
}
