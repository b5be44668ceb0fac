//! Why a `load` instance cannot produce its rows past its parameters' checks: a synthetic
//! source too large for the machine, a shift of a feature its family lacks, a CSV column that
//! clashes with the label, a Kaggle archive that no longer matches its pin, a bad value in a
//! CSV it read, located in the file. Typed so the runner
//! renders the message and a test can match the case without parsing text.

use crate::data::located_value::LocatedValueError;
use crate::data::memory::TooManyRows;

use super::load::LABEL_COLUMN;

/// A `load` instance's failure before its rows are split.
#[derive(Debug, thiserror::Error)]
pub enum LoadStageError {
    /// The synthetic rows would not fit in memory (checked when the manifest is read too; here
    /// for library callers that skip that check).
    #[error(transparent)]
    TooManyRows(#[from] TooManyRows),
    /// `num_samples` does not fit in this machine's address space.
    #[error("num_samples {num_samples} does not fit in memory")]
    RowsOverflow {
        /// The rows asked for.
        num_samples: u64,
    },
    /// `shift.feature` names no feature of the synthetic family.
    #[error("`shift.feature` `{feature}` is not a feature of the `{family}` family: {}", .features.join(", "))]
    ShiftFeature {
        /// The feature named.
        feature: String,
        /// The family, by its manifest name.
        family: String,
        /// The family's features, in order.
        features: Vec<String>,
    },
    /// A CSV feature or group column is named like the hand-off tables' label column.
    #[error("a column named `{}` clashes with the label column of the hand-off tables", LABEL_COLUMN)]
    LabelClash,
    /// A `kfold` split reached the stage without its fold (a library caller that did not
    /// expand the manifest).
    #[error("`{id}` has a kfold split but no fold: its instances come from expanding the manifest")]
    NoFold {
        /// The instance.
        id: String,
    },
    /// The downloaded Kaggle archive is not the one the manifest pins.
    #[error(
        "Kaggle dataset `{dataset}` changed: its archive has SHA-256 {found} but the manifest pins {pinned}; \
         check the new data and update `sha256` to use it"
    )]
    KaggleChanged {
        /// The dataset's slug.
        dataset: String,
        /// The archive's digest.
        found: String,
        /// The manifest's `sha256`.
        pinned: String,
    },
    /// A value the CSV reader refuses, located in the bytes the stage read. Only a CSV the
    /// manifest check could not read first gets here (standard input, a Kaggle archive's
    /// file): a file on disk is refused when the manifest is read, at its manifest key.
    #[error(transparent)]
    BadValue(Box<LocatedValueError>),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages the runner writes into `run.json`, pinned as they read before the type.
    #[test]
    fn messages() {
        let e = LoadStageError::RowsOverflow { num_samples: 7 };
        assert_eq!(e.to_string(), "num_samples 7 does not fit in memory");
        let e = LoadStageError::ShiftFeature {
            feature: "z".into(),
            family: "anomaly".into(),
            features: vec!["a".into(), "b".into()],
        };
        assert_eq!(e.to_string(), "`shift.feature` `z` is not a feature of the `anomaly` family: a, b");
        assert_eq!(
            LoadStageError::LabelClash.to_string(),
            "a column named `y_true` clashes with the label column of the hand-off tables"
        );
        let e = LoadStageError::NoFold { id: "load[fold=1]".into() };
        assert_eq!(
            e.to_string(),
            "`load[fold=1]` has a kfold split but no fold: its instances come from expanding the manifest"
        );
        let e = LoadStageError::KaggleChanged { dataset: "o/d".into(), found: "ab".into(), pinned: "cd".into() };
        assert_eq!(
            e.to_string(),
            "Kaggle dataset `o/d` changed: its archive has SHA-256 ab but the manifest pins cd; \
             check the new data and update `sha256` to use it"
        );
        let e = LoadStageError::from(crate::data::memory::synthetic_rows_too_large(1 << 40, 1 << 30).unwrap());
        assert_eq!(
            e.to_string(),
            "1099511627776 rows need about 400.0 TiB of memory (about 400 bytes a row), more than this machine's 1.0 GiB"
        );
    }
}
