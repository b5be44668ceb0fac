//! One trait per stage kind, [`Stage`], and the one place each kind's implementation is
//! registered ([`stage_of`]). The runner reaches a kind only through it: running an instance,
//! the events an audit stage logs for it, what it carries to the next run, and the views
//! rendered from it when the run ends.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{StageContext, StageError};
use crate::manifest::params::KindParams;
use crate::manifest::{StageKind, StageParams};
use crate::plan::Instance;
use crate::store::{EntryMeta, Staging};

/// A stage kind's behaviour, implemented in `stages/<kind>.rs` beside its run.
pub(crate) trait Stage: Sync {
    /// Its parameters (`manifest/params/<kind>.rs`).
    type Params: KindParams;

    /// Computes one instance into `out`.
    fn run(&self, ctx: &StageContext<'_>, params: &Self::Params, out: &mut Staging) -> Result<EntryMeta, StageError>;

    /// The events an `audit` stage logs about one completed instance, read from what it
    /// published. Required, not defaulted: a kind that logs nothing says so by returning none,
    /// so a new kind cannot go unlogged by omission.
    fn audit_events(&self, params: &Self::Params, at: &AuditInput<'_>) -> Result<Vec<AuditEvent>, AuditInputError>;

    /// Whether the models an instance publishes are its cohort's own (the ones its events
    /// link as [`ModelLink::Saved`]), so that later copies of the cohort's model share their
    /// proof. The audit step needs it for an instance sealed by an earlier run, whose events
    /// it does not rebuild. Only `train` saves a cohort's model.
    const SAVES_COHORT_MODEL: bool = false;

    /// Outputs of a completed instance that the next run of the pipeline reads (its cross-run
    /// state), and where they go under the pipeline's folder of runs. Most kinds keep none.
    fn kept_state(&self, _params: &Self::Params, _at: &StateInput<'_>) -> Vec<KeptState> {
        Vec::new()
    }

    /// Files rendered when the run ends from a completed instance's outputs and what only the
    /// finished run knows (its `run.json`, its audit seal): the report's `comparison.md` and
    /// `comparison.html`. Each is a run-folder path and its text; no lockfile or audit event
    /// records them. Most kinds render none.
    fn views(&self, _at: &ViewInput<'_>) -> Result<Vec<(String, String)>, ViewError> {
        Ok(Vec::new())
    }
}

/// What a kind's [`Stage::views`] reads: one completed instance's published files.
pub struct ViewInput<'a> {
    /// The files it published: run-folder path → SHA-256.
    pub outputs: &'a BTreeMap<String, String>,
    /// The finished run's folder.
    pub folder: &'a Path,
}

/// Why a view could not be rendered; the run's results stand, and a warning says this.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// A published file could not be read.
    #[error("cannot read `{rel}`")]
    Read {
        rel: String,
        #[source]
        source: std::io::Error,
    },
    /// A published file is not what its kind writes.
    #[error("`{rel}` is not of the expected form")]
    Json {
        rel: String,
        #[source]
        source: serde_json::Error,
    },
}

/// What an audit stage reads of one instance.
pub struct AuditInput<'a> {
    /// The instance.
    pub instance: &'a Instance,
    /// The files it published: run-folder path → SHA-256.
    pub outputs: &'a BTreeMap<String, String>,
    /// The run folder they were published in.
    pub folder: &'a Path,
}

impl AuditInput<'_> {
    /// The published path ending with `suffix`.
    pub(crate) fn output(&self, suffix: &str) -> Option<String> {
        self.outputs.keys().find(|p| p.ends_with(suffix)).cloned()
    }

    /// Reads a published JSON file through its type (a `Value` only for a file whose content
    /// is hashed as it is, such as a saved model).
    pub(crate) fn read_json<T: serde::de::DeserializeOwned>(&self, rel: &str) -> Result<T, AuditInputError> {
        let bytes = std::fs::read(self.folder.join(rel))
            .map_err(|source| AuditInputError::Read { rel: rel.to_owned(), source })?;
        serde_json::from_slice(&bytes).map_err(|source| AuditInputError::Json { rel: rel.to_owned(), source })
    }
}

/// Why an instance's audit events could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AuditInputError {
    /// A published file could not be read.
    #[error("cannot read `{rel}`")]
    Read {
        /// Its run-folder path.
        rel: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A published file is not JSON, or not the artifact its path says.
    #[error("`{rel}` is not JSON of the expected form")]
    Json {
        /// Its run-folder path.
        rel: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A model's content digest could not be computed.
    #[error(transparent)]
    ModelDigest(#[from] crate::trail::TrailError),
}

/// One event for the log, and the model file it vouches for, if any (the audit step gives
/// each such model its inclusion proof).
#[derive(Debug)]
pub struct AuditEvent {
    /// The event (its `event` field names it).
    pub event: Value,
    /// The model this event logs.
    pub model: Option<ModelLink>,
}

impl AuditEvent {
    /// An event about no model file.
    pub(crate) fn plain(event: Value) -> Self {
        Self { event, model: None }
    }
}

/// How an event relates to a model file of the run folder.
#[derive(Debug)]
pub enum ModelLink {
    /// The event saved the cohort's model at this path.
    Saved(String),
    /// The event copied the cohort's saved model to this path (a promotion).
    Copied(String),
}

/// What a completed instance's cross-run state is looked up from.
pub struct StateInput<'a> {
    /// The instance.
    pub instance: &'a Instance,
    /// Its outputs' paths (relative, as in its cache entry).
    pub outputs: &'a [&'a str],
    /// The pipeline's folder of runs (`runs/<pipeline>`).
    pub state_dir: &'a Path,
}

/// An output the next run reads, and where it is kept.
#[derive(Debug, PartialEq, Eq)]
pub struct KeptState {
    /// Its path in the instance's outputs.
    pub output: String,
    /// Where it goes, under the pipeline's folder of runs.
    pub to: PathBuf,
    /// What it is, for a warning when it cannot be kept ("history").
    pub what: &'static str,
}

/// [`Stage`] over any kind's parameters: what the runner holds.
pub(crate) trait AnyStage: Sync {
    /// The kind it implements.
    fn kind(&self) -> StageKind;

    /// [`Stage::run`].
    fn run(&self, ctx: &StageContext<'_>, out: &mut Staging) -> Result<EntryMeta, StageError>;

    /// [`Stage::audit_events`].
    fn audit_events(&self, at: &AuditInput<'_>) -> Result<Vec<AuditEvent>, AuditInputError>;

    /// [`Stage::SAVES_COHORT_MODEL`].
    fn saves_cohort_model(&self) -> bool;

    /// [`Stage::kept_state`].
    fn kept_state(&self, at: &StateInput<'_>) -> Vec<KeptState>;

    /// [`Stage::views`].
    fn views(&self, at: &ViewInput<'_>) -> Result<Vec<(String, String)>, ViewError>;
}

impl<S: Stage> AnyStage for S {
    fn kind(&self) -> StageKind {
        <S::Params as crate::manifest::params::Registered>::KIND
    }

    fn run(&self, ctx: &StageContext<'_>, out: &mut Staging) -> Result<EntryMeta, StageError> {
        let found = &ctx.instance.decl.params;
        let params = params_of::<S::Params>(found).ok_or_else(|| StageError::WrongParams {
            id: ctx.instance.id().to_owned(),
            kind: self.kind(),
            found: found.kind(),
        })?;
        Stage::run(self, ctx, params, out)
    }

    fn audit_events(&self, at: &AuditInput<'_>) -> Result<Vec<AuditEvent>, AuditInputError> {
        // `stage_of` picked this stage by the parameters' kind, so they are its own.
        params_of::<S::Params>(&at.instance.decl.params).map_or(Ok(Vec::new()), |p| Stage::audit_events(self, p, at))
    }

    fn saves_cohort_model(&self) -> bool {
        S::SAVES_COHORT_MODEL
    }

    fn kept_state(&self, at: &StateInput<'_>) -> Vec<KeptState> {
        params_of::<S::Params>(&at.instance.decl.params).map_or_else(Vec::new, |p| Stage::kept_state(self, p, at))
    }

    fn views(&self, at: &ViewInput<'_>) -> Result<Vec<(String, String)>, ViewError> {
        Stage::views(self, at)
    }
}

fn params_of<P: KindParams>(params: &StageParams) -> Option<&P> {
    P::of(params)
}

/// The implementation of `kind`: each kind is registered here once, and the match makes a
/// kind without one fail to compile.
pub(crate) fn stage_of(kind: StageKind) -> &'static dyn AnyStage {
    match kind {
        StageKind::Load => &super::load::Load,
        StageKind::Train => &super::train::Train,
        StageKind::Gate => &super::gate::Gate,
        StageKind::Audit => &super::audit::Audit,
        StageKind::Drift => &super::drift::Drift,
        StageKind::Phase3 => &super::phase3::Phase3,
        StageKind::Optimize => &super::optimize::Optimize,
        StageKind::Report => &super::report::Report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each registered implementation is the one for its kind, and the registered kinds are
    /// exactly the kinds the manifest schema documents.
    #[test]
    fn registered_kinds_are_the_schema_kinds() {
        let registered: Vec<&str> = StageKind::ALL.iter().map(|&k| stage_of(k).kind().name()).collect();
        let names: Vec<&str> = StageKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(registered, names);
        let schema: Value = serde_json::from_str(&crate::manifest::schema::render()).expect("the schema is JSON");
        let documented: Vec<&str> = schema
            .pointer("/$defs/StageDoc/oneOf")
            .and_then(Value::as_array)
            .expect("the schema lists stage kinds")
            .iter()
            .filter_map(|v| v.pointer("/properties/kind/const").and_then(Value::as_str))
            .collect();
        assert_eq!(documented, registered);
    }

    /// A reused instance's models are linked by this flag alone, so it must name the kinds
    /// whose events save a cohort's model: `train`.
    #[test]
    fn only_train_saves_a_cohort_model() {
        let saving: Vec<StageKind> = StageKind::ALL.into_iter().filter(|&k| stage_of(k).saves_cohort_model()).collect();
        assert_eq!(saving, [StageKind::Train]);
    }
}
