//! `[limits]`: the sizes a manifest may ask for, each overridable.
//!
//! A typo (`epochs = 1000000000`, a 10⁶-combination matrix, `num_samples = 1e12`) would
//! otherwise run for days or abort the process; a limit turns it into an input error at
//! `validate`, at the key, naming the limit and where to raise it. One typed struct so the
//! project config can layer its own `[limits]` under the manifest's.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::params::optimize::OptimizeParams;
use super::params::{RangeIssue, TrainParams};

/// The hard ceiling of `max_grid`: what the optimize library will enumerate at all.
pub const GRID_CEILING: u64 = crate::optimize::MAX_GRID_SIZE as u64;

/// The `[limits]` table. Every field has a default; a manifest names only what it changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Rows of a `synthetic` source. Unset: what the machine's memory holds at about 400 bytes
    /// a row (the error gives the estimate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<u64>,
    /// `epochs` and `rounds` of a `train` stage (and of an `optimize` stage's space).
    pub max_epochs: u32,
    /// Combinations of one stage's matrix, counted before they are built.
    pub max_instances: u64,
    /// Configurations of an `optimize` stage's `grid_search` (at most 10,000,000).
    pub max_grid: u64,
    /// Errors listed for one manifest; the rest are counted.
    pub max_errors: usize,
    /// Bytes of the manifest file. Checked before the file is read, so only a layer read
    /// before it (the project config) can raise it; in the manifest it can only lower it.
    pub max_manifest_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_rows: None,
            max_epochs: 100_000,
            max_instances: 100_000,
            max_grid: 100_000,
            max_errors: 100,
            max_manifest_bytes: 10 << 20,
        }
    }
}

/// The message of a value over a limit, with where to raise it.
pub fn exceeds(what: &str, value: impl std::fmt::Display, limit: &str, max: impl std::fmt::Display) -> String {
    format!("{what} {value} exceeds limit `{limit}` = {max}; raise it in [limits]")
}

impl Limits {
    /// Limits that cannot hold: a zero (nothing would be allowed) or a grid over what the
    /// optimize library enumerates. Key and message for each.
    pub fn check(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let zero = [
            ("max_rows", self.max_rows.unwrap_or(1)),
            ("max_epochs", u64::from(self.max_epochs)),
            ("max_instances", self.max_instances),
            ("max_grid", self.max_grid),
            ("max_errors", self.max_errors as u64),
            ("max_manifest_bytes", self.max_manifest_bytes),
        ];
        for (key, value) in zero {
            if value == 0 {
                out.push((key, format!("`limits.{key}` must be at least 1")));
            }
        }
        if self.max_grid > GRID_CEILING {
            out.push(("max_grid", format!("`limits.max_grid` must be at most {GRID_CEILING}")));
        }
        out
    }

    /// A `train` stage's values over these limits.
    pub fn train_issues(&self, p: &TrainParams) -> Vec<RangeIssue> {
        let mut out = Vec::new();
        for (key, value) in [("epochs", p.epochs), ("rounds", p.rounds)] {
            if let Some(v) = value.filter(|v| *v > self.max_epochs) {
                out.push(RangeIssue::over(key, exceeds(&format!("`{key}`"), v, "max_epochs", self.max_epochs)));
            }
        }
        out
    }

    /// An `optimize` stage's values over these limits: its grid, and `epochs` or `rounds` in
    /// its space or base.
    pub fn optimize_issues(&self, p: &OptimizeParams) -> Vec<RangeIssue> {
        let mut out = Vec::new();
        if let Some(n) = p.grid_configurations()
            && n > u128::from(self.max_grid)
        {
            out.push(RangeIssue::over(
                "space",
                format!(
                    "{}, or use fewer `grid_steps` or `random_search`",
                    exceeds("a grid of", format!("{n} configurations"), "max_grid", self.max_grid)
                ),
            ));
        }
        if let Some((key, v)) = p.largest_pass_count().filter(|(_, v)| *v > u64::from(self.max_epochs)) {
            out.push(RangeIssue::over("space", exceeds(&format!("`{key}` up to"), v, "max_epochs", self.max_epochs)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones_and_zeros_are_refused() {
        let d = Limits::default();
        assert_eq!((d.max_epochs, d.max_instances, d.max_grid, d.max_errors), (100_000, 100_000, 100_000, 100));
        assert!(d.check().is_empty());
        let zero = Limits { max_epochs: 0, max_grid: GRID_CEILING + 1, ..Limits::default() };
        let keys: Vec<&str> = zero.check().iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["max_epochs", "max_grid"]);
        assert_eq!(
            exceeds("`epochs`", 7, "max_epochs", 5),
            "`epochs` 7 exceeds limit `max_epochs` = 5; raise it in [limits]"
        );
    }
}
