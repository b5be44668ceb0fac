//! Row-major dense-matrix kernels for the hand-written transformer: an affine map and the two
//! products its backward pass needs.
//!
//! Written on plain slices rather than ndarray so that the summation order is explicit and
//! fixed (results are bit-identical from run to run and independent of batch composition:
//! each output row depends only on its input row) and the inner loops are contiguous, which
//! the compiler vectorises in release builds without reordering any sum.
//!
//! The loops are `while` loops over indices, not iterator chains: in unoptimised (debug)
//! builds iterator adaptors are not inlined, and these kernels are most of the training time,
//! so iterator chains made a debug-built test of the transformer about four times slower.

/// `out[m × n] = a[m × k] · w[k × n] + bias[n]`, for every row of `a`.
pub fn affine(a: &[f64], w: &[f64], bias: &[f64], k: usize, n: usize, out: &mut [f64]) {
    let rows = a.len() / k;
    let mut i = 0;
    while i < rows {
        let out_row = &mut out[i * n..(i + 1) * n];
        let a_row = &a[i * k..(i + 1) * k];
        let mut j = 0;
        while j < n {
            out_row[j] = bias[j];
            j += 1;
        }
        let mut p = 0;
        while p < k {
            let a_value = a_row[p];
            // Slicing to the output row's length lets the compiler drop the bounds checks.
            let w_row = &w[p * n..][..out_row.len()];
            let mut j = 0;
            while j < out_row.len() {
                out_row[j] += a_value * w_row[j];
                j += 1;
            }
            p += 1;
        }
        i += 1;
    }
}

/// The parameter gradients of [`affine`]: `grad_w[k × n] += aᵀ · d` and `grad_bias[n] +=
/// Σ_rows d`, where `d[m × n]` is the gradient of the output.
pub fn affine_parameter_gradient(a: &[f64], d: &[f64], k: usize, n: usize, grad_w: &mut [f64], grad_bias: &mut [f64]) {
    let rows = a.len() / k;
    let mut i = 0;
    while i < rows {
        let a_row = &a[i * k..(i + 1) * k];
        let d_row = &d[i * n..(i + 1) * n];
        let mut p = 0;
        while p < k {
            let a_value = a_row[p];
            let grad_row = &mut grad_w[p * n..(p + 1) * n];
            let d_row = &d_row[..grad_row.len()];
            let mut j = 0;
            while j < grad_row.len() {
                grad_row[j] += a_value * d_row[j];
                j += 1;
            }
            p += 1;
        }
        let mut j = 0;
        while j < n {
            grad_bias[j] += d_row[j];
            j += 1;
        }
        i += 1;
    }
}

/// The input gradient of [`affine`]: `d_a[m × k] += d[m × n] · wᵀ`.
///
/// `w` is first transposed into `transposed` (a reusable buffer), so the inner loop runs
/// over contiguous memory like [`affine`]'s instead of being one short dot product per
/// output value.
pub fn affine_input_gradient(d: &[f64], w: &[f64], k: usize, n: usize, d_a: &mut [f64], transposed: &mut Vec<f64>) {
    transposed.clear();
    transposed.resize(k * n, 0.0);
    let mut p = 0;
    while p < k {
        let mut j = 0;
        while j < n {
            transposed[j * k + p] = w[p * n + j];
            j += 1;
        }
        p += 1;
    }
    let rows = d.len() / n;
    let mut i = 0;
    while i < rows {
        let d_row = &d[i * n..(i + 1) * n];
        let d_a_row = &mut d_a[i * k..(i + 1) * k];
        let mut j = 0;
        while j < n {
            let d_value = d_row[j];
            let w_column = &transposed[j * k..][..d_a_row.len()];
            let mut p = 0;
            while p < d_a_row.len() {
                d_a_row[p] += d_value * w_column[p];
                p += 1;
            }
            j += 1;
        }
        i += 1;
    }
}

/// `a · b` (over the shorter length), summed in four interleaved lanes combined in a fixed
/// order, so the CPU can overlap the additions and the result is still deterministic.
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let mut lanes = [0.0; 4];
    let mut i = 0;
    while i + 4 <= len {
        lanes[0] += a[i] * b[i];
        lanes[1] += a[i + 1] * b[i + 1];
        lanes[2] += a[i + 2] * b[i + 2];
        lanes[3] += a[i + 3] * b[i + 3];
        i += 4;
    }
    let mut tail = 0.0;
    while i < len {
        tail += a[i] * b[i];
        i += 1;
    }
    ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    // a: 2 × 3, w: 3 × 2.
    const A: [f64; 6] = [1.0, 2.0, 3.0, -1.0, 0.5, 2.0];
    const W: [f64; 6] = [0.5, -1.0, 2.0, 0.0, -0.5, 1.5];

    #[test]
    fn affine_matches_the_definition() {
        let mut out = [0.0; 4];
        affine(&A, &W, &[0.25, -0.25], 3, 2, &mut out);
        assert_eq!(
            out,
            [0.25 + 0.5 + 4.0 - 1.5, -0.25 - 1.0 + 0.0 + 4.5, 0.25 - 0.5 + 1.0 - 1.0, -0.25 + 1.0 + 0.0 + 3.0]
        );
    }

    #[test]
    fn gradients_are_the_transposed_products() {
        let d = [1.0, 2.0, -1.0, 0.5];
        let (mut grad_w, mut grad_bias) = ([0.0; 6], [0.0; 2]);
        affine_parameter_gradient(&A, &d, 3, 2, &mut grad_w, &mut grad_bias);
        // grad_w[p][j] = Σ_i a[i][p] d[i][j].
        assert_eq!(grad_w, [1.0 + 1.0, 2.0 - 0.5, 2.0 - 0.5, 4.0 + 0.25, 3.0 - 2.0, 6.0 + 1.0]);
        assert_eq!(grad_bias, [0.0, 2.5]);
        let mut d_a = [1.0; 6];
        affine_input_gradient(&d, &W, 3, 2, &mut d_a, &mut Vec::new());
        // d_a[i][p] += Σ_j d[i][j] w[p][j].
        assert_eq!(d_a, [1.0 - 1.5, 1.0 + 2.0, 1.0 + 2.5, 1.0 - 1.0, 1.0 - 2.0, 1.0 + 1.25]);
    }

    #[test]
    fn dot_handles_every_length() {
        for len in 0..11 {
            let a: Vec<f64> = (0..len).map(|i| f64::from(i) + 1.0).collect();
            let expected: f64 = a.iter().map(|x| x * x).sum();
            assert_eq!(dot(&a, &a), expected);
        }
    }
}
