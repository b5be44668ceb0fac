//! Stage kinds: each adapts the `data`, `models` and `metrics` libraries to the pipeline.
//!
//! A stage reads its upstream instances' outputs from the cache, writes its own through a
//! [`Staging`] (paths relative to the run folder), and returns a one-line summary. It draws
//! randomness only from an RNG seeded with its instance's seed, and takes timestamps only
//! from the run clock, so its bytes never depend on scheduling.

mod audit;
mod candidate_error;
mod cohort_error;
mod cohorts;
mod dataset_file;
mod drift;
mod gate;
mod hand_off;
mod history_error;
mod load;
mod load_error;
mod load_kaggle;
mod optimize;
mod optimize_error;
mod optimize_files;
mod phase3;
mod phase3_files;
mod predictions_csv;
mod predictions_hand_off;
mod report;
mod stage;
mod stage_error;
mod train;
mod training_rows;

use std::sync::atomic::AtomicBool;

use crate::artifacts::ArtifactFile;
use crate::clock::RunClock;
use crate::manifest::{PipelineMeta, StageKind};
use crate::plan::Instance;
use crate::store::{CacheEntry, EntryMeta, RelPath, Staging};

pub use candidate_error::CandidateError;
pub use cohort_error::CohortError;
pub use drift::{DRIFT_REPORT_FORMAT, DriftMetricsFile, DriftReportFile, PairFile};
pub use history_error::HistoryError;
pub use load_error::LoadStageError;
pub use load_kaggle::{KAGGLE_API_VAR, KaggleAccess};
pub use optimize_error::OptimizeError;
pub(crate) use optimize_files::{CandidateOutcome, CandidatesSummary, OptimizeGateFile};
pub(crate) use phase3_files::{StatusFile, from_bytes as read_phase3_file};
pub use stage::{AuditEvent, AuditInput, AuditInputError, KeptState, ModelLink, StateInput, ViewError, ViewInput};
pub use stage_error::StageError;

/// The outputs of one upstream instance.
#[derive(Clone, Debug)]
pub struct UpstreamOutput {
    /// The need stage it belongs to.
    pub stage: String,
    /// Its instance id.
    pub id: String,
    /// Its kind.
    pub kind: StageKind,
    /// Its cohort.
    pub cohort: Option<String>,
    /// Its matrix variables (`fold` for a fold of a cross-validation).
    pub bindings: std::collections::BTreeMap<String, toml::Value>,
    /// Its resolved parameters, as JSON (what a report shows of the cohorts).
    pub params: serde_json::Value,
    /// Its cached outputs.
    pub entry: CacheEntry,
}

impl UpstreamOutput {
    /// The output whose path ends with `/name`.
    pub(crate) fn find(&self, name: &str) -> Result<&str, StageError> {
        let suffix = format!("/{name}");
        self.entry
            .outputs
            .keys()
            .find(|p| p.ends_with(&suffix))
            .map(String::as_str)
            .ok_or_else(|| StageError::MissingInput(format!("`{}` produced no `{name}`", self.id)))
    }

    /// Reads the output whose path ends with `/name`, `None` when there is none.
    pub(crate) fn read_optional(&self, name: &str) -> Result<Option<Vec<u8>>, StageError> {
        if self.find(name).is_err() {
            return Ok(None);
        }
        self.read(name).map(Some)
    }

    /// Opens the output whose path ends with `/name` to be read as a stream, checked as it is
    /// read (see [`crate::store::CheckedReader`]); `None` when there is none.
    pub(crate) fn open_optional(&self, name: &str) -> Result<Option<OpenedFile<'_>>, StageError> {
        let Ok(path) = self.find(name) else { return Ok(None) };
        let what = format!("read `{path}` of `{}`", self.id);
        match self.entry.open(path) {
            Ok(reader) => Ok(Some(OpenedFile { reader, what })),
            Err(source) => Err(StageError::Io { what, source }),
        }
    }

    /// Reads and checks one of its artifacts through its type; errors name the file and the
    /// instance.
    pub(crate) fn read_artifact<T: ArtifactFile>(&self) -> Result<T, StageError> {
        let what = format!("`{}` of `{}`", T::FILE_NAME, self.id);
        Ok(T::from_bytes(&self.read(T::FILE_NAME)?, &what)?)
    }

    /// Reads the output whose path ends with `/name`.
    pub(crate) fn read(&self, name: &str) -> Result<Vec<u8>, StageError> {
        let path = self.find(name)?;
        self.entry
            .read(path)
            .map_err(|source| StageError::Io { what: format!("read `{path}` of `{}`", self.id), source })
    }
}

/// A cached output being read as a stream, with what reading it is called in errors.
pub(crate) struct OpenedFile<'a> {
    /// The file, checked against its digest as it is read.
    pub reader: crate::store::CheckedReader<'a>,
    /// "read `<path>` of `<instance>`".
    pub what: String,
}

impl OpenedFile<'_> {
    /// Reads what is left; a file that could not be read or does not hold its digest's
    /// bytes is the error, as [`UpstreamOutput::read`] reports it.
    pub(crate) fn finish(self) -> Result<(), StageError> {
        let what = self.what;
        self.reader.finish().map_err(|problem| StageError::Io { what, source: problem.to_io() })
    }
}

/// What a stage instance is given.
pub struct StageContext<'a> {
    /// The instance.
    pub instance: &'a Instance,
    /// The pipeline.
    pub pipeline: &'a PipelineMeta,
    /// Outputs of the instances it needs.
    pub inputs: &'a [UpstreamOutput],
    /// The manifest's folder, against which input paths are resolved.
    pub base_dir: &'a std::path::Path,
    /// The run clock.
    pub clock: RunClock,
    /// Set when the run is interrupted; long stages poll it.
    pub cancel: &'a AtomicBool,
    /// How `kaggle` sources download.
    pub kaggle: &'a KaggleAccess,
    /// The pipeline's folder of runs (`runs/<pipeline>`): histories and baseline runs.
    pub state_dir: Option<&'a std::path::Path>,
    /// Reports where a long computation stands (one short line, replaced by the next); for a
    /// person watching only, so nothing it is given may reach an output.
    pub progress: &'a dyn Fn(&str),
    /// Where parts of the work are kept between runs ([`crate::store::Memo`]); `None` when
    /// the run must compute everything (`--force`, `--verify`, `--forcerun` of this instance).
    pub memo: Option<&'a crate::store::Memo>,
}

impl StageContext<'_> {
    /// The single upstream instance of `kind` (what a per-cohort stage reads).
    pub(crate) fn upstream(&self, kind: StageKind) -> Result<&UpstreamOutput, StageError> {
        let mut found = self.inputs.iter().filter(|u| u.kind == kind);
        let first = found
            .next()
            .ok_or_else(|| StageError::MissingInput(format!("`{}` needs a `{kind}` stage", self.instance.id())))?;
        if found.next().is_some() {
            return Err(StageError::MissingInput(format!(
                "`{}` needs exactly one `{kind}` instance but was given several",
                self.instance.id()
            )));
        }
        Ok(first)
    }

    /// The instance's cohort (per-cohort kinds always have one).
    pub(crate) fn cohort(&self) -> Result<&str, StageError> {
        self.instance
            .decl
            .cohort
            .as_deref()
            .ok_or_else(|| StageError::MissingInput(format!("`{}` has no cohort", self.instance.id())))
    }
}

/// A checked output path.
pub(crate) fn rel(path: &str) -> Result<RelPath, StageError> {
    RelPath::new(path).map_err(StageError::Path)
}

/// Pretty JSON with a final newline: the form of every JSON artifact.
pub(crate) fn json_bytes(value: &impl serde::Serialize) -> Result<Vec<u8>, StageError> {
    Ok(crate::artifacts::json_bytes(value)?)
}

/// Writes a file into the staging area.
pub(crate) fn write(out: &mut Staging, path: &str, bytes: &[u8]) -> Result<(), StageError> {
    let rel = rel(path)?;
    out.write(&rel, bytes).map_err(|source| StageError::Io { what: format!("write `{path}`"), source })
}

/// Runs one stage instance.
pub fn run_stage(ctx: &StageContext<'_>, out: &mut Staging) -> Result<EntryMeta, StageError> {
    stage::stage_of(ctx.instance.decl.kind).run(ctx, out)
}

/// The events an `audit` stage logs about one completed instance, by its kind's own
/// [`stage::Stage::audit_events`].
pub fn audit_events(at: &AuditInput<'_>) -> Result<Vec<AuditEvent>, AuditInputError> {
    stage::stage_of(at.instance.decl.kind).audit_events(at)
}

/// Whether an instance of `kind` saves its cohort's model ([`stage::Stage::SAVES_COHORT_MODEL`]).
pub fn saves_cohort_model(kind: StageKind) -> bool {
    stage::stage_of(kind).saves_cohort_model()
}

/// What a completed instance carries to the next run, by its kind's own
/// [`stage::Stage::kept_state`].
pub fn kept_state(at: &StateInput<'_>) -> Vec<KeptState> {
    stage::stage_of(at.instance.decl.kind).kept_state(at)
}

/// The views rendered from a completed instance of `kind` when the run ends, by its kind's
/// own [`stage::Stage::views`].
pub fn views(kind: crate::manifest::StageKind, at: &ViewInput<'_>) -> Result<Vec<(String, String)>, ViewError> {
    stage::stage_of(kind).views(at)
}
