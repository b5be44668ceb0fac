//! `train`: fit one model on a `load` instance's training rows and score its validation rows.
//!
//! Outputs, under `cohorts/<cohort>/`: `model.json` (the saved model, which scores raw inputs,
//! plus where and when it was trained), `metrics.json` (every metric of METRICS.md with its
//! convention parameters and reliability-diagram data) and `predictions.csv`
//! (`row,y_true,y_prob,y_pred` for every validation row).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use super::{StageContext, StageError, json_bytes, rel, write};
use crate::data::Dataset;
use crate::manifest::StageKind;
use crate::manifest::params::{ModelType, TrainParams};
use crate::metrics::{MetricsConfig, evaluate};
use crate::models::{LogisticParams, LogisticRegression, Model};
use crate::store::{EntryMeta, Staging};

fn read_dataset(bytes: &[u8]) -> Result<Dataset, StageError> {
    Ok(Dataset::read_csv(bytes)?)
}

/// Adds keys to a JSON object.
fn extend(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

pub(super) fn run(ctx: &StageContext<'_>, params: &TrainParams, out: &mut Staging) -> Result<EntryMeta, StageError> {
    let cohort = ctx.cohort()?;
    let data = ctx.upstream(StageKind::Load)?;
    let train = read_dataset(&data.read("train.csv")?)?;
    let validation = read_dataset(&data.read("validation.csv")?)?;
    let mut rng = ChaCha8Rng::seed_from_u64(ctx.instance.seed);
    let cancel = || ctx.cancel.load(std::sync::atomic::Ordering::Relaxed);
    let model: Box<dyn Model> = match params.model {
        ModelType::Logistic => {
            let p = LogisticParams {
                epochs: params.epochs,
                batch_size: params.batch_size as usize,
                learning_rate: params.learning_rate,
                l2: params.l2,
                class_weight: None,
            };
            Box::new(LogisticRegression::fit(train.x(), train.y(), train.feature_names(), &p, &mut rng, &cancel)?)
        }
        other => return Err(StageError::Invalid(format!("model type `{}` is not implemented", other.name()))),
    };
    let probs = model.predict_dataset(&validation)?;
    let config = MetricsConfig { threshold: params.threshold, bins: params.ece_bins as usize };
    let report = evaluate(validation.y(), &probs, &config)?;

    let dir = format!("cohorts/{cohort}");
    let saved = model.to_json().map_err(|e| StageError::Invalid(e.to_string()))?;
    let model_doc = extend(
        saved,
        json!({
            "cohort": cohort,
            "trained_at": ctx.clock.timestamp(),
            "seed": ctx.instance.seed,
            "training_rows": train.n_rows(),
            "data": data.id,
        }),
    );
    write(out, &format!("{dir}/model.json"), &json_bytes(&model_doc)?)?;
    let report_value = serde_json::to_value(&report).map_err(|e| StageError::Invalid(e.to_string()))?;
    let metrics_doc = extend(
        report_value,
        json!({
            "format_version": 1,
            "cohort": cohort,
            "model_type": params.model.name(),
            "split": "validation",
        }),
    );
    write(out, &format!("{dir}/metrics.json"), &json_bytes(&metrics_doc)?)?;
    let pred_path = format!("{dir}/predictions.csv");
    let r = rel(&pred_path)?;
    out.write_with(&r, |w| {
        writeln!(w, "row,y_true,y_prob,y_pred")?;
        for ((row, y), p) in validation.row_ids().iter().zip(validation.y()).zip(&probs) {
            writeln!(w, "{row},{y},{p},{}", u8::from(*p >= params.threshold))?;
        }
        Ok(())
    })
    .map_err(|source| StageError::Io { what: format!("write `{pred_path}`"), source })?;
    let fmt = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.4}"));
    let summary = format!("{}: accuracy {}, ECE {}", params.model.name(), fmt(report.accuracy), fmt(report.ece));
    Ok(EntryMeta { summary, failure: None })
}
