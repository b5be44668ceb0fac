//! `scipy.stats.kstwo.sf(x, n)`: the survival function of the one-sample two-sided KS statistic
//! D_n, ported from `scipy/stats/_ksstats.py` (`_kolmogn` with `cdf=False`, Simard and
//! L'Ecuyer's choice among Ruben–Gambino, Durbin/Marsaglia–Tsang–Wang, Pomeranz, Pelz–Good and
//! Smirnov's one-sided formula) and the `rv_continuous.sf` support checks around it.

use super::smirnov::smirnov;

const E128: i32 = 128;

fn ep128() -> f64 {
    2f64.powi(E128)
}

fn em128() -> f64 {
    2f64.powi(-E128)
}

/// `kstwo.sf(x, n)` for an integral `n` given as a float (scipy rounds `en` as a float).
pub(super) fn sf(x: f64, n: f64) -> f64 {
    if x.is_nan() || n.is_nan() || n < 1.0 || n != n.round() {
        return f64::NAN;
    }
    // rv_continuous.sf: below the support (0.5/n, 1) the survival is 1, at or above it 0.
    if x <= 0.5 / n {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    kolmogn_sf(n as i64, x)
}

fn clip(p: f64) -> f64 {
    p.clamp(0.0, 1.0)
}

/// `_kolmogn(n, x, cdf=False)`.
fn kolmogn_sf(n: i64, x: f64) -> f64 {
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        // Ruben–Gambino: 1/2n ≤ x ≤ 1/n.
        if t <= 0.5 {
            return 1.0;
        }
        let prob = if n <= 140 {
            (1..=n).fold(1.0, |acc, i| acc * (i as f64 * (1.0 / nf) * (2.0 * t - 1.0)))
        } else {
            (log_nfactorial_div_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return clip(1.0 - prob);
    }
    if t >= nf - 1.0 {
        // Ruben–Gambino: x ≥ 1 − 1/n.
        return clip(2.0 * (1.0 - x).powf(nf));
    }
    if x >= 0.5 {
        return clip(2.0 * smirnov(n, x));
    }
    let nxsquared = t * x;
    if n <= 140 {
        if nxsquared <= 0.754693 {
            return clip(1.0 - dmtw_cdf(n, x));
        }
        if nxsquared <= 4.0 {
            return clip(1.0 - pomeranz_cdf(n, x));
        }
        return clip(2.0 * smirnov(n, x));
    }
    if nxsquared >= 370.0 {
        return 0.0;
    }
    if nxsquared >= 2.2 {
        return clip(2.0 * smirnov(n, x));
    }
    let cdf = if n <= 100_000 && nf * x.powf(1.5) <= 1.4 { dmtw_cdf(n, x) } else { pelz_good_cdf(n, x) };
    clip(1.0 - cdf)
}

/// `log(n! / n^n)` by Stirling's series with `n·log(n)` removed up front.
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    const STIRLING: [f64; 8] = [
        -0.029550653594771242,
        0.00641025641025641,
        -0.0019175269175269176,
        0.0008417508417508417,
        -0.0005952380952380953,
        0.0007936507936507937,
        -0.002777777777777778,
        0.08333333333333333,
    ];
    let rn = 1.0 / n;
    let x = rn / n;
    let poly = STIRLING.iter().fold(0.0, |acc, &c| acc * x + c);
    let log_2pi = (2.0 * std::f64::consts::PI).ln();
    n.ln() / 2.0 - n + log_2pi / 2.0 + rn * poly
}

/// `_kolmogn_DMTW`: `P(D_n ≤ d)` as the (k, k) entry of `H^n · n!/n^n` (Durbin's matrix,
/// Marsaglia–Tsang–Wang's evaluation), rescaling by 2^128 to stay in range.
fn dmtw_cdf(n: i64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nd = n as f64 * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;

    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powf(j as f64)).collect();
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let lower = 2.0 * h - 1.0;
    let tt = if lower > 0.0 { lower.powf(m as f64) } else { 0.0 } - 2.0 * h.powf(m as f64);
    v[m - 1] = (1.0 + tt) * fac;

    let mut hm = vec![0.0; m * m];
    for i in 1..m {
        for row in (i - 1)..m {
            hm[row * m + i] = w[row - (i - 1)];
        }
    }
    for row in 0..m {
        hm[row * m] = v[row];
    }
    for col in 0..m {
        hm[(m - 1) * m + col] = v[m - 1 - col];
    }

    let mut hpwr = vec![0.0; m * m];
    for i in 0..m {
        hpwr[i * m + i] = 1.0;
    }
    let mut nn = n;
    let mut expnt: i32 = 0;
    let mut h_expnt: i32 = 0;
    while nn > 0 {
        if nn % 2 == 1 {
            hpwr = matmul(&hpwr, &hm, m);
            expnt += h_expnt;
        }
        hm = matmul(&hm, &hm, m);
        h_expnt *= 2;
        if hm[(k - 1) * m + (k - 1)].abs() > ep128() {
            for value in &mut hm {
                *value /= ep128();
            }
            h_expnt += E128;
        }
        nn /= 2;
    }

    let mut p = hpwr[(k - 1) * m + (k - 1)];
    let nf = n as f64;
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < em128() {
            p *= ep128();
            expnt -= E128;
        }
    }
    if expnt != 0 {
        p = ldexp(p, expnt);
    }
    clip(p)
}

fn matmul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * m];
    for i in 0..m {
        for l in 0..m {
            let a_il = a[i * m + l];
            if a_il == 0.0 {
                continue;
            }
            for j in 0..m {
                out[i * m + j] += a_il * b[l * m + j];
            }
        }
    }
    out
}

/// `_pomeranz_compute_j1j2`: the non-zero window of row `i`.
fn pomeranz_j1j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let (ip1div2, ip1mod2) = ((i + 1).div_euclid(2), (i + 1).rem_euclid(2));
        if ip1mod2 == 0 {
            if ip1div2 == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (ip1div2 - 1 - ll - roundf - 1, ip1div2 + ll - 1 + ceilf - 1)
            }
        } else {
            (ip1div2 - 1 - ll - 1, ip1div2 + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// Python's `seq[start:stop]` bounds for a sequence of length `len`.
fn py_slice(len: usize, start: i64, stop: i64) -> std::ops::Range<usize> {
    let len = len as i64;
    let resolve = |i: i64| if i < 0 { (i + len).max(0) } else { i.min(len) };
    let (start, stop) = (resolve(start), resolve(stop));
    start as usize..(stop.max(start)) as usize
}

/// Python's `seq[i]` position for a possibly negative `i`.
fn py_index(len: usize, i: i64) -> Option<usize> {
    let resolved = if i < 0 { i + len as i64 } else { i };
    usize::try_from(resolved).ok().filter(|&r| r < len)
}

/// `np.convolve(a, v)` in "full" mode.
fn convolve(a: &[f64], v: &[f64]) -> Vec<f64> {
    if a.is_empty() || v.is_empty() {
        return Vec::new();
    }
    let mut out = vec![0.0; a.len() + v.len() - 1];
    for (i, &x) in a.iter().enumerate() {
        for (j, &y) in v.iter().enumerate() {
            out[i + j] += x * y;
        }
    }
    out
}

/// `_kolmogn_Pomeranz`: `P(D_n ≤ x)` by Pomeranz's recursion, two rows of Poisson-weighted
/// convolutions at a time.
fn pomeranz_cdf(n: i64, x: f64) -> f64 {
    let t = n as f64 * x;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceilf = i64::from(f > 0.0);
    let roundf = i64::from(f > 0.5);
    let npwrs = (2 * (ll + 1)) as usize;
    let nf = n as f64;
    let (g_over_n, two_g_over_n, one_minus_two_g_over_n) = (g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf);
    let mut gpower = vec![1.0; npwrs];
    let mut twogpower = vec![1.0; npwrs];
    let mut onem2gpower = vec![1.0; npwrs];
    for m in 1..npwrs {
        gpower[m] = gpower[m - 1] * g_over_n / m as f64;
        twogpower[m] = twogpower[m - 1] * two_g_over_n / m as f64;
        onem2gpower[m] = onem2gpower[m - 1] * one_minus_two_g_over_n / m as f64;
    }

    let mut v0 = vec![0.0; npwrs];
    let mut v1 = vec![0.0; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s) = (0i64, 0i64);
    let mut expnt: i32 = 0;
    let (mut j1, _) = pomeranz_j1j2(0, n, ll, ceilf, roundf);
    for i in 1..(2 * n + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.fill(0.0);
        let (new_j1, j2) = pomeranz_j1j2(i, n, ll, ceilf, roundf);
        j1 = new_j1;
        let pwrs = if i == 1 || i == 2 * n + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            let a = &v0[py_slice(npwrs, k1 - v0s, k1 - v0s + ln2)];
            let b = &pwrs[py_slice(npwrs, 0, ln2)];
            let conv = convolve(a, b);
            let conv_start = j1 - k1;
            let conv_len = j2 - j1 + 1;
            let src = &conv[py_slice(conv.len(), conv_start, conv_start + conv_len)];
            let dst = py_slice(npwrs, 0, conv_len);
            for (slot, &value) in v1[dst].iter_mut().zip(src) {
                *slot = value;
            }
            let max = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if 0.0 < max && max < em128() {
                for value in &mut v1 {
                    *value *= ep128();
                }
                expnt -= E128;
            }
            v1s = v0s + j1 - k1;
        }
    }
    let Some(index) = py_index(npwrs, n - v1s) else {
        return f64::NAN;
    };
    let mut ans = v1[index];
    for m in 1..=n {
        if ans.abs() > ep128() {
            ans *= em128();
            expnt += E128;
        }
        ans *= m as f64;
    }
    if expnt != 0 {
        ans = ldexp(ans, expnt);
    }
    clip(ans)
}

/// `_kolmogn_PelzGood`: Pelz and Good's small-z transform of the Li-Chien/Korolyuk expansion
/// `K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^1.5`, z = x·√n. Returns the (unclipped) CDF.
fn pelz_good_cdf(n: i64, x: f64) -> f64 {
    use std::f64::consts::PI;
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let sqrt2pi = (2.0 * PI).sqrt();
    let pi_squared = PI.powf(2.0);
    let pi_four = PI.powf(4.0);
    let pi_six = PI.powf(6.0);
    let sqrt3 = 3f64.sqrt();

    let z = nf.sqrt() * x;
    let (zsquared, zthree, zfour, zsix) = (z.powf(2.0), z.powf(3.0), z.powf(4.0), z.powf(6.0));
    let qlog = -pi_squared / 8.0 / zsquared;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();

    let k1a = -zsquared;
    let k1b = pi_squared / 4.0;
    let k2a = 6.0 * zsix + 2.0 * zfour;
    let k2b = (2.0 * zfour - 5.0 * zsquared) * pi_squared / 4.0;
    let k2c = pi_four * (1.0 - 2.0 * zsquared) / 16.0;
    let k3d = pi_six * (5.0 - 30.0 * zsquared) / 64.0;
    let k3c = pi_four * (-60.0 * zsquared + 212.0 * zfour) / 16.0;
    let k3b = pi_squared * (135.0 * zfour - 96.0 * zsix) / 4.0;
    let k3a = -30.0 * zsix - 90.0 * z.powf(8.0);

    let mut k = [0.0f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for kk in (1..=maxk).rev() {
        let m = 2 * kk - 1;
        let (msquared, mfour, msix) = ((m * m) as f64, (m * m * m * m) as f64, (m * m * m * m * m * m) as f64);
        let qpower = q.powf((8 * kk) as f64);
        let coeffs = [
            1.0,
            k1a + k1b * msquared,
            k2a + k2b * msquared + k2c * mfour,
            k3a + k3b * msquared + k3c * mfour + k3d * msix,
        ];
        for (acc, c) in k.iter_mut().zip(coeffs) {
            *acc *= qpower;
            *acc += c;
        }
    }
    let divisors = [z, 6.0 * zfour, 72.0 * z.powf(7.0), 6480.0 * z.powf(10.0)];
    for (acc, d) in k.iter_mut().zip(divisors) {
        *acc *= q;
        *acc *= sqrt2pi;
        *acc /= d;
    }

    let q = (-pi_squared / 2.0 / zsquared).exp();
    let sqrt3z = sqrt3 * z;
    let mut k2_terms = Vec::new();
    let mut k3_terms = Vec::new();
    for kk in (1..=maxk).rev() {
        let ksquared = (kk * kk) as f64;
        let kspi = PI * kk as f64;
        let qpwers = q.powf(ksquared);
        k2_terms.push(ksquared * qpwers);
        k3_terms.push((sqrt3z + kspi) * (sqrt3z - kspi) * ksquared * qpwers);
    }
    let k2extra = super::numpy_sum::numpy_sum(&k2_terms) * (pi_squared * sqrt2pi / (-36.0 * zthree));
    let k3extra = super::numpy_sum::numpy_sum(&k3_terms) * (pi_squared * sqrt2pi / (216.0 * zsix));
    k[2] += k2extra;
    k[3] += k3extra;
    for (i, acc) in k.iter_mut().enumerate() {
        *acc /= nf.powf(i as f64 / 2.0);
    }
    k.iter().fold(0.0, |acc, &v| acc + v)
}

/// C's `ldexp`: `x · 2^e`, in steps so intermediate powers of two stay representable.
#[inline]
pub(super) fn ldexp(mut x: f64, mut e: i32) -> f64 {
    while e > 1000 {
        x *= power_of_two(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= power_of_two(-1000);
        e += 1000;
    }
    x * power_of_two(e)
}

/// 2^e for `e` in −1000..=1000, built from its exponent bits: exactly `2f64.powi(e)` (every
/// such power is a normal double, which `powi`'s squarings reach without rounding), without
/// the run-time `powi` call, which was a fifth of the Smirnov series' time.
#[inline]
fn power_of_two(e: i32) -> f64 {
    debug_assert!((-1000..=1000).contains(&e));
    f64::from_bits(((e + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_two_from_their_bits_are_powi_bit_for_bit() {
        for e in -1000..=1000 {
            assert_eq!(power_of_two(e).to_bits(), 2f64.powi(e).to_bits(), "2^{e}");
        }
        // `ldexp` against the steps it took with `powi`, across the range, into subnormals
        // and overflow.
        let by_powi = |mut x: f64, mut e: i32| {
            while e > 1000 {
                x *= 2f64.powi(1000);
                e -= 1000;
            }
            while e < -1000 {
                x *= 2f64.powi(-1000);
                e += 1000;
            }
            x * 2f64.powi(e)
        };
        for x in [1.0, -0.75, 0.6180339887498949, 1e-300, 5e-324, 1.7e308, 0.0, -0.0] {
            for e in (-2200..=2200).step_by(7).chain([-1075, -1074, -1022, 1023, 1024]) {
                assert_eq!(ldexp(x, e).to_bits(), by_powi(x, e).to_bits(), "ldexp({x}, {e})");
            }
        }
    }
}
