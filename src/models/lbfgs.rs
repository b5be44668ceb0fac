//! Limited-memory BFGS (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithm 7.4 and
//! 7.5) for smooth convex objectives: what scikit-learn's default `LogisticRegression` solver
//! minimises its objective with, so a model fitted here can match it to the optimum.
//!
//! The search direction comes from the two-loop recursion over the last `memory` curvature
//! pairs; the step from a backtracking line search on the Armijo condition (a pair is kept only
//! when its curvature `sᵀy` is positive, so the implicit Hessian stays positive definite). It
//! stops when the largest gradient component is at most `tolerance`, when the objective stops
//! decreasing, or after `max_iterations`. Everything runs in a fixed order, so the same
//! objective gives the same iterates on every machine.

/// Settings of [`minimize`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsSettings {
    /// Curvature pairs kept (scipy's `maxcor`, 10 by default).
    pub memory: usize,
    /// Stop when `max |∇f| ≤ tolerance`.
    pub tolerance: f64,
    /// Stop after this many iterations.
    pub max_iterations: usize,
}

impl Default for LbfgsSettings {
    fn default() -> Self {
        Self { memory: 10, tolerance: 1e-8, max_iterations: 1000 }
    }
}

/// How [`minimize`] ended.
#[derive(Debug, Clone, PartialEq)]
pub struct LbfgsResult {
    /// The minimiser found.
    pub x: Vec<f64>,
    /// The objective there.
    pub value: f64,
    /// The objective after each iteration.
    pub history: Vec<f64>,
    /// Whether the gradient tolerance was met (otherwise the iteration limit or a line search
    /// that could not decrease the objective ended it).
    pub converged: bool,
}

/// Minimises `f` from `x0`; `f(x, grad)` returns the objective at `x` and writes its gradient
/// into `grad`. `cancel` is polled before every iteration; `None` means it was cancelled.
pub fn minimize(
    mut f: impl FnMut(&[f64], &mut [f64]) -> f64,
    x0: Vec<f64>,
    settings: LbfgsSettings,
    cancel: &dyn Fn() -> bool,
) -> Option<LbfgsResult> {
    let n = x0.len();
    let mut x = x0;
    let mut g = vec![0.0; n];
    let mut value = f(&x, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut rho_hist: Vec<f64> = Vec::new();
    let mut history = Vec::new();
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    for iteration in 0..settings.max_iterations {
        if max_abs(&g) <= settings.tolerance {
            return Some(LbfgsResult { x, value, history, converged: true });
        }
        if cancel() {
            return None;
        }
        let direction = two_loop(&g, &s_hist, &y_hist, &rho_hist);
        let slope = dot(&g, &direction);
        // Not a descent direction (rounding on a flat objective): restart from the gradient.
        let (direction, slope) = if slope < 0.0 {
            (direction, slope)
        } else {
            s_hist.clear();
            y_hist.clear();
            rho_hist.clear();
            let d: Vec<f64> = g.iter().map(|v| -v).collect();
            let slope = dot(&g, &d);
            (d, slope)
        };
        // The first step has no curvature to scale it: make its length at most 1.
        let mut step = if iteration == 0 { (1.0 / norm(&direction)).min(1.0) } else { 1.0 };
        let mut accepted = None;
        for _ in 0..60 {
            for ((xn, xi), di) in x_new.iter_mut().zip(&x).zip(&direction) {
                *xn = xi + step * di;
            }
            let v = f(&x_new, &mut g_new);
            if v.is_finite() && v <= value + 1e-4 * step * slope {
                accepted = Some(v);
                break;
            }
            step *= 0.5;
        }
        let Some(v) = accepted else {
            // No step decreases the objective: at the optimum to rounding.
            return Some(LbfgsResult { x, value, history, converged: max_abs(&g) <= settings.tolerance });
        };
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * norm(&s) * norm(&y) {
            if s_hist.len() == settings.memory {
                s_hist.remove(0);
                y_hist.remove(0);
                rho_hist.remove(0);
            }
            rho_hist.push(1.0 / sy);
            s_hist.push(s);
            y_hist.push(y);
        }
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        let decrease = value - v;
        value = v;
        history.push(value);
        if decrease <= f64::EPSILON * value.abs().max(1.0) && max_abs(&g) <= settings.tolerance.sqrt() {
            return Some(LbfgsResult { x, value, history, converged: true });
        }
    }
    let converged = max_abs(&g) <= settings.tolerance;
    Some(LbfgsResult { x, value, history, converged })
}

/// `−H·g` for the inverse-Hessian approximation of the stored pairs (Algorithm 7.4).
fn two_loop(g: &[f64], s: &[Vec<f64>], y: &[Vec<f64>], rho: &[f64]) -> Vec<f64> {
    let mut q = g.to_vec();
    let mut alpha = vec![0.0; s.len()];
    for i in (0..s.len()).rev() {
        alpha[i] = rho[i] * dot(&s[i], &q);
        for (qj, yj) in q.iter_mut().zip(&y[i]) {
            *qj -= alpha[i] * yj;
        }
    }
    // H₀ = γ I with γ = sᵀy / yᵀy of the newest pair (equation 7.20).
    let gamma = match (s.last(), y.last()) {
        (Some(sl), Some(yl)) => dot(sl, yl) / dot(yl, yl),
        _ => 1.0,
    };
    for qj in &mut q {
        *qj *= gamma;
    }
    for i in 0..s.len() {
        let beta = rho[i] * dot(&y[i], &q);
        for (qj, sj) in q.iter_mut().zip(&s[i]) {
            *qj += (alpha[i] - beta) * sj;
        }
    }
    q.iter().map(|v| -v).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_the_rosenbrock_function() {
        // f(x, y) = (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1).
        let rosenbrock = |p: &[f64], g: &mut [f64]| {
            let (x, y) = (p[0], p[1]);
            g[0] = -2.0 * (1.0 - x) - 400.0 * x * (y - x * x);
            g[1] = 200.0 * (y - x * x);
            (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
        };
        let got = minimize(rosenbrock, vec![-1.2, 1.0], LbfgsSettings::default(), &|| false).expect("not cancelled");
        assert!(got.converged, "{got:?}");
        assert!((got.x[0] - 1.0).abs() < 1e-7 && (got.x[1] - 1.0).abs() < 1e-7, "{:?}", got.x);
        assert!(got.history.windows(2).all(|w| w[1] <= w[0]), "the objective never increases");
    }

    #[test]
    fn a_quadratic_is_solved_exactly_and_cancel_stops_it() {
        // f = ½ xᵀ A x − bᵀ x with A = diag(1, 10, 100): minimum at b / diag(A).
        let quad = |p: &[f64], g: &mut [f64]| {
            let a = [1.0, 10.0, 100.0];
            let b = [1.0, 2.0, 3.0];
            let mut f = 0.0;
            for i in 0..3 {
                g[i] = a[i] * p[i] - b[i];
                f += 0.5 * a[i] * p[i] * p[i] - b[i] * p[i];
            }
            f
        };
        let got = minimize(quad, vec![0.0; 3], LbfgsSettings::default(), &|| false).expect("not cancelled");
        for (x, want) in got.x.iter().zip([1.0, 0.2, 0.03]) {
            assert!((x - want).abs() < 1e-9, "{:?}", got.x);
        }
        assert_eq!(minimize(quad, vec![0.0; 3], LbfgsSettings::default(), &|| true), None);
    }
}
