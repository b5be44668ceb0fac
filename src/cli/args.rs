//! The command line, as clap sees it. These types stop here: `cli::commands` turns them into
//! library calls.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Governed machine-learning experiments from TOML manifests.
#[derive(Debug, Parser)]
#[command(name = "nethical", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Print only warnings and errors on stderr: no progress, no notes.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print detail on stderr (`-vv` for more); `NETHICAL_LOG=debug` does the same.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a pipeline: validate, plan, execute in parallel, write the run folder.
    Run(RunArgs),
    /// Check a manifest without running anything.
    Validate(ValidateArgs),
    /// Show every stage instance, whether it will run or come from the cache, and why.
    Plan(PlanArgs),
    /// Draw the stage-instance graph.
    Graph(GraphArgs),
    /// Print the JSON Schema of manifests.
    Schema(SchemaArgs),
    /// Compute the metrics of METRICS.md for any predictions file.
    Metrics(MetricsArgs),
    /// Score a raw CSV with a saved model.json.
    Predict(PredictArgs),
    /// The original trainer's command line (`--model-type ...`), run as a pipeline.
    Train(Box<super::train_args::TrainArgs>),
    /// Verify, prove and show a pipeline's tamper-evident audit log.
    Audit(super::audit_command::AuditArgs),
    /// Re-render a run's comparison report views from its `comparison.json`.
    Report(ReportArgs),
    /// List the runs on disk, newest first, with their status and headline metrics.
    Runs(RunsArgs),
    /// Parameters and metrics of two runs per cohort, with deltas and A/B tests.
    Compare(CompareArgs),
    /// Check the stage cache.
    Cache(CacheArgs),
    /// Remove old run folders, unreferenced cache entries and what killed runs left behind.
    Gc(GcArgs),
    /// The runner's settings (`nethical.toml`, `~/.config/nethical/config.toml`, `NETHICAL_*`)
    /// as merged, and where each value came from.
    Config(super::config_command::ConfigArgs),
    /// Print a shell completion script (e.g. `nethical completions bash > /etc/bash_completion.d/nethical`).
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per subcommand with `--out`.
    Man(ManArgs),
    /// Compute one stage instance from a job spec (what a Slurm job runs).
    #[command(hide = true)]
    ExecInstance(ExecInstanceArgs),
}

/// `nethical exec-instance`.
#[derive(Debug, Args)]
pub struct ExecInstanceArgs {
    /// The job spec (`slurm/<instance>.spec.json` in the run folder).
    pub spec: PathBuf,
}

/// Where instances compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExecutorArg {
    /// Threads of this process.
    Local,
    /// Jobs on a Slurm cluster (`sbatch`), on a shared filesystem.
    Slurm,
}

/// `nethical cache`.
#[derive(Debug, Args)]
pub struct CacheArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: CacheCommand,
}

/// `nethical cache` subcommands.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Hash every file of every cache entry and name each entry that does not match its
    /// digests (exit 1). A damaged entry is computed again by the next run that needs it.
    Verify(CacheVerifyArgs),
}

/// `nethical cache verify`.
#[derive(Debug, Args)]
pub struct CacheVerifyArgs {
    /// The stage cache.
    #[arg(long, value_name = "DIR", env = "NETHICAL_CACHE_DIR", default_value = ".nethical/cache")]
    pub cache_dir: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `nethical gc`.
///
/// Never removes a run `latest` points at, a pipeline's newest complete run, a run named with
/// `--keep` or one a lockfile reads (a drift baseline). With both `--keep-last` and
/// `--older-than`, a run goes only when both let it go. Without either, no run is removed and
/// only unreferenced cache entries and leftovers are. The audit log is never touched.
#[derive(Debug, Args)]
pub struct GcArgs {
    /// Keep the newest N runs of each pipeline.
    #[arg(long, value_name = "N")]
    pub keep_last: Option<usize>,
    /// Keep the runs started less than this long ago (30d, 12h, 2w).
    #[arg(long, value_name = "AGE", value_parser = crate::exec::parse_age)]
    pub older_than: Option<std::time::Duration>,
    /// Never remove this run (repeatable).
    #[arg(long, value_name = "RUN")]
    pub keep: Vec<String>,
    /// Also keep what this lockfile names (repeatable); the lockfiles of the manifests the runs
    /// recorded are always read.
    #[arg(long, value_name = "FILE")]
    pub lockfile: Vec<PathBuf>,
    /// List what would be removed and how many bytes, removing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Folder of run folders.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// The stage cache.
    #[arg(long, value_name = "DIR", env = "NETHICAL_CACHE_DIR", default_value = ".nethical/cache")]
    pub cache_dir: PathBuf,
}

/// A way of placing cached artifacts into a run folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LinkArg {
    /// A copy-on-write clone (btrfs, XFS, APFS-like file systems).
    Reflink,
    /// A hard link to the read-only cache file.
    Hardlink,
    /// A copy of the bytes.
    Copy,
}

/// `nethical compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Runs: folders (`runs/<pipeline>/latest`, ...) or run ids. Each later run is compared
    /// with the first (two runs print one comparison; more print one per later run).
    #[arg(value_name = "RUN", required = true, num_args = 2..)]
    pub runs: Vec<PathBuf>,
    /// Show only what differs.
    #[arg(long)]
    pub only_changed: bool,
    /// Print JSON.
    #[arg(long, conflicts_with = "md")]
    pub json: bool,
    /// Print Markdown (the default view, for pasting).
    #[arg(long)]
    pub md: bool,
    /// Where run ids are looked up.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
}

/// `nethical runs`.
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Only this pipeline's runs.
    pub pipeline: Option<String>,
    /// Folder of run folders.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// Print JSON.
    #[arg(long, conflicts_with_all = ["md", "csv"])]
    pub json: bool,
    /// One row per run × cohort: the parameters that differ between the rows shown and the
    /// headline metrics (accuracy, roc_auc, ece, gate).
    #[arg(long)]
    pub table: bool,
    /// With `--table`: print Markdown.
    #[arg(long, requires = "table", conflicts_with = "csv")]
    pub md: bool,
    /// With `--table`: print CSV.
    #[arg(long, requires = "table")]
    pub csv: bool,
    /// With `--table`: sort by this column (a metric or parameter); a leading `-` sorts
    /// descending (`--sort -roc_auc`).
    #[arg(long, value_name = "COLUMN", requires = "table", allow_hyphen_values = true)]
    pub sort: Option<String>,
    /// With `--table`: keep the rows whose COLUMN shows VALUE (repeatable, all must match).
    #[arg(long = "where", value_name = "COLUMN=VALUE", requires = "table")]
    pub filters: Vec<String>,
}

/// `nethical report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run folder (`runs/<pipeline>/<run-id>` or `runs/<pipeline>/latest`), its `report/`
    /// folder, or a `comparison.json`.
    pub path: PathBuf,
}

/// `nethical metrics`.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// A CSV with a header, a 0/1 label column and a probability column.
    pub predictions: PathBuf,
    /// The label column.
    #[arg(long, default_value = "y_true")]
    pub label_col: String,
    /// The P(y = 1) column.
    #[arg(long, default_value = "y_prob")]
    pub prob_col: String,
    /// A sensitive column: adds the fairness metrics by group.
    #[arg(long)]
    pub group_col: Option<String>,
    /// Groups with fewer rows are listed with their size and left out of every fairness gap.
    #[arg(long, default_value_t = crate::metrics::DEFAULT_MIN_GROUP_SIZE, value_parser = clap::value_parser!(u64).range(1..))]
    pub min_group_size: u64,
    /// Pool the groups smaller than --min-group-size into one group `other`, compared when it
    /// reaches that size itself.
    #[arg(long)]
    pub pool_small_groups: bool,
    /// Bootstrap resamples behind each fairness gap's 95% interval.
    #[arg(long, default_value_t = crate::metrics::DEFAULT_FAIRNESS_RESAMPLES as u64, value_parser = clap::value_parser!(u64).range(1..100_001))]
    pub resamples: u64,
    /// Seed of the intervals' resamples (ChaCha8): the same file and seed give the same intervals.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Equal-width bins of the calibration metrics.
    #[arg(long, default_value_t = 10)]
    pub bins: usize,
    /// Decision threshold: class 1 iff P(y = 1) >= threshold.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
    /// Print JSON (metric names as in METRICS.md; fairness under `fairness`).
    #[arg(long)]
    pub json: bool,
}

/// `nethical predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A `model.json` written by a `train` stage.
    pub model: PathBuf,
    /// A CSV with a header holding the model's raw input columns (others are ignored).
    pub data: PathBuf,
    /// Write the predictions here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Field delimiter.
    #[arg(long, default_value_t = ',')]
    pub delimiter: char,
}

/// A manifest and the overrides layered over it.
#[derive(Debug, Clone, Args)]
pub struct ManifestArgs {
    /// The pipeline manifest (TOML).
    pub manifest: PathBuf,
    /// Override a manifest key, e.g. `--set stages.train.epochs=20` (repeatable; applied after
    /// `NETHICAL_*` environment overrides).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

/// `nethical man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `nethical.1` and a page per subcommand (`nethical-run.1`, ...) into this folder
    /// instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `nethical completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `nethical run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    /// Print what would run and why, and run nothing: `nethical plan` with these arguments
    /// (as `make -n`, `snakemake -n` and `dvc repro --dry`).
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Stage instances computed at once [default: all cores, or the Slurm allocation's CPUs];
    /// with `--executor slurm`, jobs in flight at once [default: `[executor] max_jobs`].
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<NonZeroUsize>,
    /// Allow `-j` above 4 × the cores for local threads (each is an OS thread; the cap keeps a
    /// typo such as `-j 99999999` from spawning threads until the machine gives out).
    #[arg(long)]
    pub jobs_unchecked: bool,
    /// Where instances compute [default: the manifest's `[executor] kind`, else local].
    /// Slurm takes its settings from `[executor]` and each stage's `resources`.
    #[arg(long, value_enum)]
    pub executor: Option<ExecutorArg>,
    /// After a failure, keep running instances that do not depend on it.
    #[arg(short = 'k', long)]
    pub keep_going: bool,
    /// Recompute every instance, ignoring the cache and the figures kept between runs.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Folder of run folders.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// The stage cache.
    #[arg(long, value_name = "DIR", env = "NETHICAL_CACHE_DIR", default_value = ".nethical/cache")]
    pub cache_dir: PathBuf,
    /// How cached artifacts are placed into the run folder: the first of these that the file
    /// system allows (reflink: a copy-on-write clone; hardlink: a second name for the
    /// read-only cache file; copy).
    #[arg(
        long,
        value_name = "MODES",
        env = "NETHICAL_LINK",
        value_enum,
        value_delimiter = ',',
        default_value = "reflink,hardlink,copy"
    )]
    pub link: Vec<LinkArg>,
    /// Hash every cached artifact this run uses instead of trusting the cache's stat index
    /// (size, modification time, inode); a changed one is computed again, and nothing is
    /// taken from the figures kept between runs.
    #[arg(long)]
    pub verify: bool,
    /// Wait for another run of the same pipeline to finish instead of refusing.
    #[arg(long)]
    pub wait: bool,
    /// Do not write the lockfile beside the manifest.
    #[arg(long)]
    pub no_lockfile: bool,
    /// Print the run summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Which part of a pipeline `run` and `plan` cover, as `dvc repro TARGET` and
/// `snakemake TARGET --until --forcerun`.
#[derive(Debug, Clone, Default, Args)]
pub struct SelectionArgs {
    /// Only these stages (every instance) or instances (`train[model=logistic]`), and what they
    /// need; the rest is left out of the plan, the run and the run folder.
    #[arg(value_name = "STAGE")]
    pub targets: Vec<String>,
    /// Only what STAGE needs and STAGE itself (repeatable), as Snakemake's `--until`.
    #[arg(long, value_name = "STAGE")]
    pub until: Vec<String>,
    /// Recompute this stage's instances (or this instance) even when cached (repeatable); what
    /// follows recomputes only if their output changed.
    #[arg(long, value_name = "STAGE")]
    pub forcerun: Vec<String>,
}

/// `nethical validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    /// Print the result (or every error, with line and column) as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `nethical plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    /// Plan as if every instance were forced to run.
    #[arg(short = 'f', long)]
    pub force: bool,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Folder of run folders (where histories and baseline runs are read).
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// The stage cache.
    #[arg(long, value_name = "DIR", env = "NETHICAL_CACHE_DIR", default_value = ".nethical/cache")]
    pub cache_dir: PathBuf,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Graph formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormatArg {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
    /// Nodes and edges as JSON.
    Json,
}

/// `nethical graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: GraphFormatArg,
    /// Same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

/// `nethical schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write it to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

fn parse_jobs(s: &str) -> Result<NonZeroUsize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (it is the number of instances computed at once)".to_owned()),
        Ok(n) => NonZeroUsize::new(n).ok_or_else(|| "must be at least 1".to_owned()),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}
