//! A stage kind's code version, its lookup by name and its display. The kinds themselves are
//! registered once, with their parameters, in `params/mod.rs`.

use super::params::StageKind;

impl StageKind {
    /// The version of the kind's code, part of every cache key: bump it when a change makes
    /// the kind write other outputs (other bytes or other files) for the same inputs, so that
    /// results cached by the earlier code are computed again instead of reused. The crate
    /// version is in the key too, but it changes only at a release.
    pub fn code_version(self) -> u32 {
        match self {
            // 2: the parts are `.npy` files (dataset.json format 2), not CSV.
            StageKind::Load => 2,
            // 2: the drift report records its `format_version`.
            StageKind::Drift | StageKind::Phase3 => 2,
            // 2: Platt fits on more than 65,536 rows start from a sample's fit and stop at the
            // sums' rounding floor: the same optimum to ~1e-14, but the last bits may differ.
            // 3: the validation predictions are handed on in binary too (`predictions.npy`, …).
            // 4: and their ranking (`predictions_ranking.npy`), which spares the comparing
            // stages a sort per cohort.
            StageKind::Train => 4,
            // 2: a candidate's seed comes from the canonical digest of its parameters, not from
            // their JSON in declaration order.
            StageKind::Optimize => 2,
            StageKind::Gate | StageKind::Audit | StageKind::Report => 1,
        }
    }

    /// Looks a kind up by its manifest name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether this version can run the kind. The others are rejected at validation time
    /// instead of running as stubs.
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            StageKind::Load
                | StageKind::Train
                | StageKind::Gate
                | StageKind::Audit
                | StageKind::Drift
                | StageKind::Phase3
                | StageKind::Optimize
                | StageKind::Report
        )
    }
}

impl std::fmt::Display for StageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
