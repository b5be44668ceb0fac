//! `metrics.json` as `train` writes it, through types, so the stages that read it back get a
//! compile error rather than a silent `null` when a field is renamed.

use serde::{Deserialize, Serialize};

use crate::metrics::FairnessReport;

/// The fairness block of `metrics.json`: the group column and the library's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CohortFairness {
    /// The data's group column.
    pub group_column: String,
    /// Rates by group and the gaps between them.
    #[serde(flatten)]
    pub report: FairnessReport,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fairness_block_round_trips_with_its_group_column() {
        let report = crate::metrics::fairness(&[0, 1, 1], &[0, 1, 0], &["a", "b", "a"]).expect("valid");
        let block = CohortFairness { group_column: "sex".to_owned(), report };
        let json = serde_json::to_value(&block).expect("serialisable");
        assert_eq!(json["group_column"], "sex");
        assert!(json["small_groups"].is_object(), "the report's fields sit beside the column: {json}");
        let back: CohortFairness = serde_json::from_value(json).expect("readable");
        assert_eq!(back, block);
    }
}
