//! `nethical train`: the original trainer's command line (`training/train_any_model.py`),
//! mapped onto a pipeline. clap types only; `manifest::from_train_flags` builds the pipeline.

use std::path::PathBuf;

use clap::Args;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use crate::manifest::params::{EcePolicy, SplitStrategyName};
use crate::optimize::Technique;

/// `--split-strategy`'s values: the library's own names of the original's strategies
/// ([`SplitStrategyName::ORIGINAL`]), so the flag, a manifest's `split.strategy` and the
/// `load` stage know one list.
fn split_strategy() -> impl TypedValueParser<Value = SplitStrategyName> {
    let values = SplitStrategyName::ORIGINAL.map(|s| PossibleValue::new(s.name()).help(s.summary()));
    PossibleValuesParser::new(values)
        .try_map(|name| SplitStrategyName::from_name(&name).ok_or_else(|| format!("unknown split strategy `{name}`")))
}

/// `--ece-policy`'s values: the library's names, as the original spells them (`probs_only`);
/// `probs-only`, which earlier versions of this flag took, is kept as an alias.
fn ece_policy() -> impl TypedValueParser<Value = EcePolicy> {
    let values = EcePolicy::ALL.map(|p| {
        let value = PossibleValue::new(p.name()).help(p.summary());
        if p == EcePolicy::ProbsOnly { value.alias("probs-only") } else { value }
    });
    PossibleValuesParser::new(values).try_map(|name| {
        EcePolicy::from_name(&name.replace('-', "_")).ok_or_else(|| format!("unknown ECE policy `{name}`"))
    })
}

/// `--optimization-technique`'s values: the library's names of its techniques.
fn technique() -> impl TypedValueParser<Value = Technique> {
    let values = Technique::ALL.map(|t| PossibleValue::new(t.as_str()).help(t.summary()));
    PossibleValuesParser::new(values)
        .try_map(|name| Technique::from_name(&name).ok_or_else(|| format!("unknown technique `{name}`")))
}

/// `nethical train`: every flag of the original trainer.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// heuristic, logistic, simple_transformer, anomaly, correlation, or `all` (every model type
    /// this version implements).
    #[arg(long)]
    pub model_type: String,
    /// Passes over the training rows of logistic and simple_transformer [default: 10] (the
    /// original ignored it); correlation boosts --rounds trees instead.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub epochs: Option<u32>,
    /// Boosting rounds of correlation, one tree each [default: 100].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: Option<u32>,
    /// Rows per gradient step (the original ignored it).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    /// Synthetic rows to generate.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(4..))]
    pub num_samples: u64,
    /// The pipeline seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// 0 quiet, 1 normal, 2 verbose.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub verbosity: u8,
    /// Fraction of rows used for training (strictly between 0 and 1).
    #[arg(long, default_value_t = 0.8)]
    pub train_ratio: f64,
    /// How rows are split.
    #[arg(long, default_value = "temporal", value_parser = split_strategy())]
    pub split_strategy: SplitStrategyName,
    /// Do not try to download Kaggle datasets.
    #[arg(long)]
    pub no_download: bool,
    /// Kaggle user name.
    #[arg(long)]
    pub kaggle_username: Option<String>,
    /// Kaggle API key (never printed or written anywhere).
    #[arg(long)]
    pub kaggle_key: Option<String>,
    /// Overwrite ~/.kaggle/kaggle.json with the given credentials.
    #[arg(long)]
    pub overwrite_kaggle_json: bool,
    /// A Kaggle dataset slug (repeatable).
    #[arg(long)]
    pub kaggle_dataset: Vec<String>,
    /// Keep a Merkle audit log.
    #[arg(long)]
    pub enable_audit: bool,
    /// Where the audit log goes.
    #[arg(long, default_value = "training_audit_logs")]
    pub audit_path: PathBuf,
    /// Track ethical drift across cohorts.
    #[arg(long)]
    pub enable_drift_tracking: bool,
    /// Where drift reports go.
    #[arg(long, default_value = "training_drift_reports")]
    pub drift_report_dir: PathBuf,
    /// The cohort name (default: the model type).
    #[arg(long)]
    pub cohort_id: Option<String>,
    /// Governance validation of data and predictions.
    #[arg(long)]
    pub enable_governance: bool,
    /// Raw samples checked by governance.
    #[arg(long, default_value_t = 100)]
    pub gov_data_samples: u32,
    /// Predictions checked by governance.
    #[arg(long, default_value_t = 50)]
    pub gov_pred_samples: u32,
    /// A governance violation fails the model.
    #[arg(long)]
    pub gov_fail_on_violations: bool,
    /// Inject adversarial samples.
    #[arg(long)]
    pub include_adversarial: bool,
    /// Adversarial samples per type.
    #[arg(long, default_value_t = 200)]
    pub adversarial_count: u32,
    /// Promote only at or below this ECE.
    #[arg(long, default_value_t = 0.08)]
    pub promotion_max_ece: f64,
    /// Promote only at or above this accuracy.
    #[arg(long, default_value_t = 0.85)]
    pub promotion_min_accuracy: f64,
    /// Equal-width bins of the ECE.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub ece_bins: u32,
    /// Whether the ECE criterion applies.
    #[arg(long, value_parser = ece_policy(), default_value = "strict")]
    pub ece_policy: EcePolicy,
    /// Where promoted (`current/`) and other (`candidates/`) models are copied after the run.
    #[arg(long, default_value = "models")]
    pub models_dir: PathBuf,
    /// A baseline model to compare with.
    #[arg(long)]
    pub compare_with_baseline: Option<PathBuf>,
    /// Smallest improvement over the baseline that counts.
    #[arg(long, default_value_t = 0.02)]
    pub min_improvement_threshold: f64,
    /// Retrain even when the cache has the result.
    #[arg(long)]
    pub force_retrain: bool,
    /// Phase 3 governance (risk, correlation, fairness sampling, drift, performance).
    #[arg(long)]
    pub enable_phase3: bool,
    /// Phase 3 storage folder.
    #[arg(long, default_value = "nethical_training_data")]
    pub phase3_storage_dir: PathBuf,
    /// Phase 8–9 optimisation and promotion.
    #[arg(long)]
    pub enable_phase89: bool,
    /// Phase 8–9 storage folder.
    #[arg(long, default_value = "training_governance_data")]
    pub phase89_storage: PathBuf,
    /// Search configurations (with --enable-phase89).
    #[arg(long)]
    pub optimize_config: bool,
    /// Search technique.
    #[arg(long, value_parser = technique(), default_value = "random_search")]
    pub optimization_technique: Technique,
    /// Random-search iterations.
    #[arg(long, default_value_t = 20)]
    pub optimization_iterations: u32,
    /// Folder of run folders.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// The stage cache.
    #[arg(long, value_name = "DIR", env = "NETHICAL_CACHE_DIR", default_value = ".nethical/cache")]
    pub cache_dir: PathBuf,
    /// Stage instances computed at once [default: all cores].
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<std::num::NonZeroUsize>,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        train: TrainArgs,
    }

    fn parse(extra: &[&str]) -> Result<TrainArgs, clap::Error> {
        let args = ["nethical", "--model-type", "logistic"].into_iter().chain(extra.iter().copied());
        Cli::try_parse_from(args).map(|c| c.train)
    }

    #[test]
    fn ece_policy_takes_the_original_spelling_and_the_old_alias() {
        assert_eq!(parse(&[]).expect("default").ece_policy, EcePolicy::Strict);
        // The original's choices: {strict,probs_only,disable} (spec/original_pipeline.md).
        for (flag, policy) in
            [("strict", EcePolicy::Strict), ("probs_only", EcePolicy::ProbsOnly), ("disable", EcePolicy::Disable)]
        {
            assert_eq!(parse(&["--ece-policy", flag]).expect(flag).ece_policy, policy);
        }
        assert_eq!(parse(&["--ece-policy", "probs-only"]).expect("alias").ece_policy, EcePolicy::ProbsOnly);
        assert!(parse(&["--ece-policy", "lenient"]).is_err());
    }

    #[test]
    fn optimization_technique_takes_the_library_names() {
        assert_eq!(parse(&[]).expect("default").optimization_technique, Technique::RandomSearch);
        for technique in Technique::ALL {
            let parsed = parse(&["--optimization-technique", technique.as_str()]).expect("technique");
            assert_eq!(parsed.optimization_technique, technique);
        }
        assert!(parse(&["--optimization-technique", "bayesian"]).is_err());
    }
}
