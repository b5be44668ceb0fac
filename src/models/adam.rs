//! The Adam optimiser (Kingma and Ba, 2015) over one flat parameter vector.

/// Exponential decay of the first-moment estimate.
const BETA1: f64 = 0.9;
/// Exponential decay of the second-moment estimate.
const BETA2: f64 = 0.999;
/// Added to the root of the second moment so a parameter with no gradient yet does not
/// divide by zero.
const EPSILON: f64 = 1e-8;

/// Adam's moment estimates. The paper's defaults (β₁ = 0.9, β₂ = 0.999, ε = 1e-8) are fixed:
/// they are robust and the learning rate is the one setting worth tuning.
#[derive(Debug, Clone)]
pub struct Adam {
    first: Vec<f64>,
    second: Vec<f64>,
    /// β₁^t and β₂^t, kept as running products so no `powi` (whose precision is not
    /// specified) enters the update.
    beta1_power: f64,
    beta2_power: f64,
}

impl Adam {
    pub fn new(parameters: usize) -> Self {
        Self { first: vec![0.0; parameters], second: vec![0.0; parameters], beta1_power: 1.0, beta2_power: 1.0 }
    }

    /// One bias-corrected update of `parameters` against `gradient` with step size
    /// `learning_rate`.
    pub fn step(&mut self, parameters: &mut [f64], gradient: &[f64], learning_rate: f64) {
        self.beta1_power *= BETA1;
        self.beta2_power *= BETA2;
        let first_correction = 1.0 / (1.0 - self.beta1_power);
        let second_correction = 1.0 / (1.0 - self.beta2_power);
        let moments = self.first.iter_mut().zip(self.second.iter_mut());
        for ((parameter, &g), (m, v)) in parameters.iter_mut().zip(gradient).zip(moments) {
            *m = BETA1 * *m + (1.0 - BETA1) * g;
            *v = BETA2 * *v + (1.0 - BETA2) * g * g;
            *parameter -= learning_rate * (*m * first_correction) / ((*v * second_correction).sqrt() + EPSILON);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_each_parameter_by_the_learning_rate() {
        // With bias correction, step 1 is lr · g / (|g| + ε) ≈ lr · sign(g).
        let mut adam = Adam::new(3);
        let mut parameters = [1.0, 1.0, 1.0];
        adam.step(&mut parameters, &[0.5, -2.0, 0.0], 0.1);
        assert!((parameters[0] - 0.9).abs() < 1e-7);
        assert!((parameters[1] - 1.1).abs() < 1e-7);
        assert_eq!(parameters[2], 1.0);
    }

    #[test]
    fn minimises_a_quadratic() {
        let mut adam = Adam::new(2);
        let mut parameters = [3.0, -2.0];
        for _ in 0..2_000 {
            let gradient = [2.0 * (parameters[0] - 1.0), 8.0 * (parameters[1] + 0.5)];
            adam.step(&mut parameters, &gradient, 0.05);
        }
        assert!((parameters[0] - 1.0).abs() < 1e-3 && (parameters[1] + 0.5).abs() < 1e-3, "{parameters:?}");
    }
}
