//! How groups are compared: which are large enough to enter a gap, what happens to the others,
//! and how many bootstrap resamples the gaps' intervals rest on.
//!
//! METRICS.md: a group smaller than `min_group_size` (default 30) is listed with its size and
//! left out of every gap, or pooled into `other` when asked, so one row never decides a gap.

use serde::{Deserialize, Serialize};

use super::MetricsError;

/// METRICS.md's default: a group needs 30 rows to enter a gap.
pub const DEFAULT_MIN_GROUP_SIZE: u64 = 30;

/// Resamples behind each gap's interval: the report's 1 000. A resample costs four binomial
/// draws per group (see `fairness_bootstrap`), so this takes well under a millisecond.
pub const DEFAULT_FAIRNESS_RESAMPLES: usize = 1_000;

/// The name of the group that small groups are pooled into (METRICS.md). When the data has a
/// group of its own by that name large enough to be compared, the pool is called
/// [`POOLED_GROUP_FALLBACK`] instead, so two different sets of rows never share a name.
pub const POOLED_GROUP: &str = "other";

/// The pool's name when a compared group is already called [`POOLED_GROUP`].
pub const POOLED_GROUP_FALLBACK: &str = "other (pooled)";

/// Options of [`fairness_with`](super::fairness_with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FairnessOptions {
    /// Groups with fewer rows are left out of every gap (or pooled); at least 1.
    pub min_group_size: u64,
    /// Pool the small groups into one group, `other`, which enters the gaps when it reaches
    /// `min_group_size` itself.
    pub pool_small_groups: bool,
    /// Bootstrap resamples behind each gap's 95% interval; at least 1.
    pub resamples: usize,
}

impl Default for FairnessOptions {
    fn default() -> Self {
        Self { min_group_size: DEFAULT_MIN_GROUP_SIZE, pool_small_groups: false, resamples: DEFAULT_FAIRNESS_RESAMPLES }
    }
}

impl FairnessOptions {
    pub(crate) fn validate(&self) -> Result<(), MetricsError> {
        if self.min_group_size == 0 {
            return Err(MetricsError::ZeroMinGroupSize);
        }
        if self.resamples == 0 {
            return Err(MetricsError::ZeroResamples);
        }
        Ok(())
    }
}
