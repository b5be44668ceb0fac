//! `load`: generate or read a dataset and split it into training and validation parts.
//!
//! Outputs, under `data/<instance>/`: `train.csv`, `validation.csv`, `calibration.csv` when a
//! calibration split is asked for (the bit-exact CSV hand-off form of [`crate::data::Dataset`]),
//! and `dataset.json` describing what was loaded.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::{StageContext, StageError, json_bytes, rel, write};
use crate::data::{Dataset, SplitConfig, SplitStrategy, split, synthetic};
use crate::manifest::params::{DataSource, LoadParams, SplitStrategyName, SyntheticFamily};
use crate::store::{EntryMeta, Staging};

/// The folder of an instance's data files: its id with anything unusual replaced by `_`.
pub(crate) fn data_dir(id: &str) -> String {
    let safe: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '.') { c } else { '_' }).collect();
    format!("data/{}", safe.trim_end_matches('_'))
}

fn write_csv(out: &mut Staging, path: &str, data: &Dataset) -> Result<(), StageError> {
    let r = rel(path)?;
    out.write_with(&r, |w| data.write_csv(w).map_err(std::io::Error::other))
        .map_err(|source| StageError::Io { what: format!("write `{path}`"), source })
}

pub(super) fn run(ctx: &StageContext<'_>, params: &LoadParams, out: &mut Staging) -> Result<EntryMeta, StageError> {
    let mut rng = ChaCha8Rng::seed_from_u64(ctx.instance.seed);
    let DataSource::Synthetic(source) = &params.source;
    let rows = usize::try_from(source.num_samples)
        .map_err(|_| StageError::Invalid(format!("num_samples {} does not fit in memory", source.num_samples)))?;
    let data = match source.family {
        SyntheticFamily::Default => synthetic::default_family(rows, &mut rng),
    };
    let strategy = match params.split.strategy {
        SplitStrategyName::Temporal => SplitStrategy::Temporal,
        SplitStrategyName::Random => SplitStrategy::Random,
        SplitStrategyName::Stratified => SplitStrategy::Stratified,
    };
    let config = SplitConfig {
        strategy,
        train_ratio: params.split.train_ratio,
        calibration_ratio: params.split.calibration_ratio,
    };
    let parts = split(&data, &config, &mut rng)?;
    let dir = data_dir(ctx.instance.id());
    write_csv(out, &format!("{dir}/train.csv"), &parts.train)?;
    write_csv(out, &format!("{dir}/validation.csv"), &parts.validation)?;
    if let Some(c) = &parts.calibration {
        write_csv(out, &format!("{dir}/calibration.csv"), c)?;
    }
    let description = json!({
        "format_version": 1,
        "source": "synthetic",
        "family": "default",
        "rows": data.n_rows(),
        "features": data.feature_names(),
        "positives": data.n_positive(),
        "seed": ctx.instance.seed,
        "split": {
            "strategy": params.split.strategy,
            "train_ratio": params.split.train_ratio,
            "calibration_ratio": params.split.calibration_ratio,
            "train_rows": parts.train.n_rows(),
            "validation_rows": parts.validation.n_rows(),
            "calibration_rows": parts.calibration.as_ref().map(Dataset::n_rows),
        },
    });
    write(out, &format!("{dir}/dataset.json"), &json_bytes(&description)?)?;
    let summary = format!(
        "{} synthetic rows, {} features (train {}, validation {})",
        data.n_rows(),
        data.n_features(),
        parts.train.n_rows(),
        parts.validation.n_rows()
    );
    Ok(EntryMeta { summary, failure: None })
}
