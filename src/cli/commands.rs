//! One function per subcommand.

use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use super::args::{
    Cli, Command, ExecInstanceArgs, ExecutorArg, GraphArgs, GraphFormatArg, ManifestArgs, MetricsArgs, PlanArgs,
    PredictArgs, ReportArgs, RunArgs, SchemaArgs, SelectionArgs, ValidateArgs,
};
use super::out::{out, outln};
use super::reporter::CliReporter;
use crate::clock::RunClock;
use crate::data::csv_source::DEFAULT_MISSING_TOKENS;
use crate::error::{Error, InputError};
use crate::exec::slurm::{JobOutcome, SlurmLaunch, slurm_cpus};
use crate::exec::{ExecutorChoice, Failpoints, InstanceStatus, RunOptions, RunStatus, RunSummary};
use crate::exit_code;
use crate::manifest::{self, ManifestInput, Override};
use crate::metrics::{FairnessOptions, MetricsConfig};
use crate::plan::{
    GraphFormat, Lockfile, Plan, Status, lockfile_path, plan_statuses_forcing, render_graph, resolve_all,
};
use crate::predictions::{FairnessSettings, PredictionColumns, evaluate_predictions, read_predictions};
use crate::stages::KaggleAccess;
use crate::store::{Cache, write_atomic};
use crate::trained::{TrainedModel, read_raw_csv};

pub(crate) fn dispatch(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Run(a) => run(a),
        Command::Validate(a) => validate(&a),
        Command::Plan(a) => plan(&a),
        Command::Graph(a) => graph(&a),
        Command::Schema(a) => schema(&a),
        Command::Metrics(a) => metrics(&a),
        Command::Predict(a) => predict(&a),
        Command::Train(a) => super::train_command::train(*a),
        Command::Audit(a) => super::audit_command::audit(a),
        Command::Report(a) => report(&a),
        Command::Runs(a) => super::runs_command::runs(&a),
        Command::Compare(a) => super::runs_command::compare(&a),
        Command::Cache(a) => super::cache_command::cache(&a),
        Command::Gc(a) => super::cache_command::gc(a),
        Command::Completions(a) => completions(&a),
        Command::Config(_) => Ok(exit_code::OK),
        Command::Man(a) => man(&a),
        Command::ExecInstance(a) => exec_instance(&a),
    }
}

/// Reads the manifest and layers `NETHICAL_*` variables, then `--set` flags, over it.
fn read_input(args: &ManifestArgs) -> Result<ManifestInput, Error> {
    check_manifest_file(&args.manifest)?;
    let bytes =
        std::fs::read(&args.manifest).map_err(|source| Error::ReadManifest { path: args.manifest.clone(), source })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid.len() - valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
        Error::ManifestNotUtf8 { path: args.manifest.clone(), line, column }
    })?;
    let mut overrides = Override::from_env_os(std::env::vars_os())?;
    for s in &args.set {
        overrides.push(Override::from_flag(s)?);
    }
    tracing::debug!("manifest `{}`: {} bytes, {} overrides", args.manifest.display(), text.len(), overrides.len());
    for o in &overrides {
        tracing::debug!("override {} = {} (from {:?})", o.key.join("."), o.value.escape_debug(), o.origin);
    }
    Ok(ManifestInput::new(&args.manifest, text, overrides))
}

/// Refuses, before reading it, a manifest that is not a file (a FIFO would block, a device
/// would never end) or is over the default `max_manifest_bytes`: a manifest cannot raise the
/// limit for itself.
fn check_manifest_file(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::metadata(path) else { return Ok(()) };
    let t = meta.file_type();
    if t.is_fifo() || t.is_char_device() || t.is_block_device() || t.is_socket() {
        let source = std::io::Error::other("not a regular file");
        return Err(Error::ReadManifest { path: path.to_path_buf(), source });
    }
    let max = manifest::Limits::default().max_manifest_bytes;
    if meta.is_file() && meta.len() > max {
        return Err(InputError::ManifestTooLarge { path: path.to_path_buf(), size: meta.len(), max }.into());
    }
    Ok(())
}

fn load_plan(args: &ManifestArgs) -> Result<Plan, Error> {
    let input = read_input(args)?;
    let base = args.manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(Plan::new(manifest::load(&input)?, base))
}

fn print_json(value: &impl serde::Serialize) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Internal(e.to_string()))?;
    outln!("{text}");
    Ok(())
}

fn validate(args: &ValidateArgs) -> Result<i32, Error> {
    let input = match read_input(&args.manifest) {
        Ok(input) => input,
        // `--json` always answers on stdout, even when the file is not a manifest at all.
        Err(e) if args.json => {
            let (line, column) = match &e {
                Error::ManifestNotUtf8 { line, column, .. } => (json!(line), json!(column)),
                _ => (json!(null), json!(null)),
            };
            let file = args.manifest.manifest.display().to_string();
            let message = crate::error_chain::error_chain(&e);
            print_json(
                &json!({"valid": false, "errors": [{"message": message, "file": file, "line": line, "column": column, "help": null}]}),
            )?;
            return Ok(e.exit_code());
        }
        Err(e) => return Err(e),
    };
    match manifest::load(&input) {
        Ok(m) => {
            let stages: BTreeSet<&str> = m.instances.iter().map(|i| i.stage.as_str()).collect();
            if args.json {
                let ids: Vec<&str> = m.instances.iter().map(|i| i.id.as_str()).collect();
                print_json(
                    &json!({"valid": true, "pipeline": m.pipeline.name, "stages": stages.len(), "instances": ids}),
                )?;
            } else {
                outln!(
                    "{} is valid: pipeline `{}`, {} stages, {} instances",
                    input.display_name(),
                    m.pipeline.name,
                    stages.len(),
                    m.instances.len()
                );
            }
            Ok(exit_code::OK)
        }
        Err(e) if args.json => {
            let errors: Vec<serde_json::Value> = e
                .issues()
                .iter()
                .map(|i| {
                    let (file, line, column) = i.location();
                    json!({"message": i.message(), "file": file, "line": line, "column": column, "help": i.help_text()})
                })
                .collect();
            print_json(&json!({"valid": false, "errors": errors}))?;
            Ok(exit_code::INVALID_INPUT)
        }
        Err(e) => Err(e.into()),
    }
}

/// The plan restricted to the targets and `--until`, and the ids of the instances `--forcerun`
/// names. Every name is checked, so a typo is an error (exit 2) rather than an empty run.
fn select(plan: Plan, selection: &SelectionArgs) -> Result<(Plan, BTreeSet<String>), Error> {
    let forced: BTreeSet<String> =
        resolve_all(&plan, &selection.forcerun)?.into_iter().map(|i| plan.instances[i].id().to_owned()).collect();
    let plan = if selection.targets.is_empty() && selection.until.is_empty() {
        plan
    } else {
        crate::plan::select(&plan, &selection.targets, &selection.until)?
    };
    Ok((plan, forced))
}

fn plan(args: &PlanArgs) -> Result<i32, Error> {
    let (plan, forcerun) = select(load_plan(&args.manifest)?, &args.selection)?;
    let mut plan = plan.with_runs_dir(&args.runs_dir);
    // The key a run would sign with decides whether its audit seal is already in the log.
    plan.audit_signer = env_value("NETHICAL_AUDIT_KEY")
        .and_then(|k| crate::audit::NoteSigner::from_file(std::path::Path::new(&k)).ok())
        .map(|s| crate::trail::KeyName::of(&s.verifier()).to_string());
    let cache = Cache::new(&args.cache_dir);
    let lock = Lockfile::read(&lockfile_path(&args.manifest.manifest)).ok().flatten();
    let forced = |i: usize| {
        if args.force {
            Some("forced")
        } else {
            forcerun.contains(plan.instances[i].id()).then_some("forced (--forcerun)")
        }
    };
    let planned = plan_statuses_forcing(&plan, &cache, lock.as_ref(), &forced);
    for p in &planned {
        tracing::debug!("{}: {:?}, {}", p.id, p.status, p.reason);
    }
    if args.json {
        print_json(&json!({"pipeline": plan.pipeline.name, "stages": planned}))?;
        return Ok(exit_code::OK);
    }
    let to_run = planned.iter().filter(|p| p.status == Status::Run).count();
    outln!(
        "plan for `{}`: {} instances, {} to run, {} cached",
        plan.pipeline.name,
        planned.len(),
        to_run,
        planned.len() - to_run
    );
    let rows: Vec<[String; 5]> = planned
        .iter()
        .map(|p| {
            let status = match p.status {
                Status::Run => "run",
                Status::Cached => "cached",
            };
            [
                p.id.clone(),
                p.kind.name().to_owned(),
                p.cohort.clone().unwrap_or_else(|| "-".into()),
                status.into(),
                p.reason.clone(),
            ]
        })
        .collect();
    out!("{}", table(&["INSTANCE", "KIND", "COHORT", "STATUS", "REASON"], &rows));
    for p in &planned {
        for note in &p.notes {
            outln!("note: {}: {note}", p.id);
        }
    }
    Ok(exit_code::OK)
}

/// A plain left-aligned table; the last column is not padded.
pub(super) fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut push = |cells: Vec<&str>| {
        let mut line = String::from(" ");
        for (k, c) in cells.iter().enumerate() {
            line.push(' ');
            line.push_str(c);
            if k + 1 < N {
                line.push_str(&" ".repeat(widths[k] - c.chars().count() + 1));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    push(header.to_vec());
    for r in rows {
        push(r.iter().map(String::as_str).collect());
    }
    out
}

fn graph(args: &GraphArgs) -> Result<i32, Error> {
    let plan = load_plan(&args.manifest)?;
    let format = match (args.json, args.format) {
        (true, _) | (_, GraphFormatArg::Json) => GraphFormat::Json,
        (_, GraphFormatArg::Dot) => GraphFormat::Dot,
        (_, GraphFormatArg::Mermaid) => GraphFormat::Mermaid,
    };
    out!("{}", render_graph(&plan, format));
    Ok(exit_code::OK)
}

fn schema(args: &SchemaArgs) -> Result<i32, Error> {
    let text = manifest::schema::render();
    match &args.out {
        Some(path) => write_atomic(path, text.as_bytes()).map_err(Error::io("write", path))?,
        None => out!("{text}"),
    }
    Ok(exit_code::OK)
}

/// A Slurm job's instance: sizes rayon from the job's CPUs, turns SIGTERM (`scancel`, a time
/// limit) into a cooperative stop, and exits 0 (done), 1 (failed) or 130 (stopped).
fn exec_instance(args: &ExecInstanceArgs) -> Result<i32, Error> {
    if let Some(n) = slurm_cpus(env_value) {
        // Fails only if a pool already exists, which then is the one to use.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n.get()).build_global();
    }
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(exit_code::INTERRUPTED);
        }
    });
    let status = crate::exec::slurm::exec_instance(&args.spec, cancel).map_err(InputError::from)?;
    match &status.outcome {
        JobOutcome::Computed | JobOutcome::Cached => {
            let word = if status.outcome == JobOutcome::Cached { "found in the cache" } else { "computed" };
            outln!("{}: {word} in {:.2} s", status.instance, status.seconds);
            Ok(exit_code::OK)
        }
        JobOutcome::Failed { error } => {
            eprintln!("{}: failed: {error}", status.instance);
            Ok(exit_code::STAGE_FAILED)
        }
        JobOutcome::Cancelled => {
            eprintln!("{}: stopped by a signal", status.instance);
            Ok(exit_code::INTERRUPTED)
        }
    }
}

/// The `--link` modes as the store's linker.
pub(super) fn linker(modes: &[super::args::LinkArg]) -> crate::store::Linker {
    use super::args::LinkArg;
    use crate::store::LinkMode;
    crate::store::Linker::new(
        modes
            .iter()
            .map(|m| match m {
                LinkArg::Reflink => LinkMode::Reflink,
                LinkArg::Hardlink => LinkMode::Hardlink,
                LinkArg::Copy => LinkMode::Copy,
            })
            .collect(),
    )
}

fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Writes the completion script of `args.shell` for every subcommand and flag.
fn completions(args: &super::args::CompletionsArgs) -> Result<i32, Error> {
    let mut command = <super::args::Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "nethical", &mut script);
    // Through `out!`, so a closed pipe ends quietly.
    super::out::out!("{}", String::from_utf8_lossy(&script));
    Ok(0)
}

/// Man pages from the same clap definition as `--help`, so they cannot drift from it. Pages are
/// named by the command path (`nethical-cache-verify.1`), as git's and cargo's are.
fn man(args: &super::args::ManArgs) -> Result<i32, Error> {
    let mut command = <super::args::Cli as clap::CommandFactory>::command();
    command.build();
    let Some(dir) = &args.out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command).render(&mut page).map_err(Error::io("render", "nethical.1"))?;
        out!("{}", String::from_utf8_lossy(&page));
        return Ok(exit_code::OK);
    };
    std::fs::create_dir_all(dir).map_err(Error::io("create folder", dir))?;
    let mut pending = vec![("nethical".to_owned(), command)];
    while let Some((name, cmd)) = pending.pop() {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
            pending.push((format!("{name}-{}", sub.get_name()), sub.clone()));
        }
        let path = dir.join(format!("{name}.1"));
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd).title(&name).render(&mut page).map_err(Error::io("render", &path))?;
        write_atomic(&path, &page).map_err(Error::io("write", &path))?;
    }
    Ok(exit_code::OK)
}

fn run(args: RunArgs) -> Result<i32, Error> {
    if args.dry_run {
        return plan(&PlanArgs {
            manifest: args.manifest.clone(),
            force: args.force,
            selection: args.selection.clone(),
            runs_dir: args.runs_dir.clone(),
            cache_dir: args.cache_dir.clone(),
            json: args.json,
        });
    }
    let (plan, forcerun) = select(load_plan(&args.manifest)?, &args.selection)?;
    // A grid search's size, before it starts: a grid grows fast.
    for inst in &plan.instances {
        if let manifest::StageParams::Optimize(p) = &inst.decl.params
            && p.technique == crate::optimize::Technique::GridSearch
            && let Ok(space) = p.search_space()
            && let Ok(n) = crate::optimize::grid_size(&space, p.grid_steps as usize)
        {
            tracing::info!("{}: grid_search over {n} configurations", inst.id());
        }
    }
    let clock =
        RunClock::from_source_date_epoch(env_value("SOURCE_DATE_EPOCH").as_deref()).map_err(InputError::from)?;
    let failpoints =
        Failpoints::parse(&env_value("NETHICAL_FAILPOINTS").unwrap_or_default()).map_err(InputError::from)?;
    // Inside a Slurm allocation, its CPUs: without cgroups nothing else stops us taking more.
    let jobs = args
        .jobs
        .or_else(|| slurm_cpus(env_value))
        .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(std::num::NonZeroUsize::MIN));
    let kind = match args.executor {
        Some(ExecutorArg::Local) => manifest::executor::ExecutorKind::Local,
        Some(ExecutorArg::Slurm) => manifest::executor::ExecutorKind::Slurm,
        None => plan.executor.kind,
    };
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    if kind == manifest::executor::ExecutorKind::Slurm
        && let Some(inst) = plan.instances.iter().find(|i| reads_stdin(&i.decl.params))
    {
        return Err(InputError::StdinOnSlurm { id: inst.id().to_string() }.into());
    }
    if kind == manifest::executor::ExecutorKind::Local && jobs.get() > 4 * cores && !args.jobs_unchecked {
        return Err(InputError::TooManyJobs { jobs: jobs.get(), cores }.into());
    }
    tracing::debug!("executor {kind:?}, -j {jobs} ({cores} cores)");
    let executor = match kind {
        manifest::executor::ExecutorKind::Local => ExecutorChoice::Local,
        manifest::executor::ExecutorKind::Slurm => ExecutorChoice::Slurm(SlurmLaunch {
            program: std::env::current_exe().map_err(Error::io("find this program's path", "nethical"))?,
            overrides: args.manifest.set.clone(),
            path: std::env::var_os("PATH"),
            max_jobs: args.jobs,
        }),
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    // A second Ctrl-C aborts at once; the partial run folder keeps its temporary name.
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(exit_code::INTERRUPTED);
        }
        eprintln!("interrupted: stopping; running instances are asked to stop (Ctrl-C again to abort now)");
    });
    let opts = RunOptions {
        jobs,
        keep_going: args.keep_going,
        force: args.force,
        forcerun,
        runs_dir: args.runs_dir,
        audit_dir: None,
        audit_key: env_value("NETHICAL_AUDIT_KEY").map(std::path::PathBuf::from),
        kaggle: KaggleAccess::from_env(&args.cache_dir, None),
        cache_dir: args.cache_dir,
        manifest_path: args.manifest.manifest.clone(),
        write_lockfile: !args.no_lockfile,
        clock,
        failpoints,
        cancel,
        wait_for_lock: args.wait,
        executor,
        link: linker(&args.link),
        verify: args.verify,
    };
    let reporter = CliReporter::new();
    let summary = crate::exec::run(&plan, &opts, &reporter)?;
    reporter.finish();
    if args.json {
        print_json(&summary)?;
    } else {
        print_summary(&summary, &opts.runs_dir, &args.manifest.manifest);
    }
    Ok(match summary.status {
        RunStatus::Succeeded => exit_code::OK,
        RunStatus::Failed => exit_code::STAGE_FAILED,
        RunStatus::Interrupted => exit_code::INTERRUPTED,
    })
}

/// Whether a `load` stage reads its CSV from standard input.
fn reads_stdin(params: &manifest::StageParams) -> bool {
    matches!(params, manifest::StageParams::Load(l)
        if matches!(&l.source, manifest::params::DataSource::Csv(c) if c.path == crate::data::data_file::STDIN))
}

fn print_summary(s: &RunSummary, runs_dir: &Path, manifest: &Path) {
    let word = match s.status {
        RunStatus::Succeeded => "succeeded",
        RunStatus::Failed => "failed",
        RunStatus::Interrupted => "was interrupted",
    };
    outln!(
        "run {}/{} {word}: {} instances, {} ran, {} cached, {} failed, {} skipped",
        s.pipeline,
        s.run_id,
        s.instances.len(),
        s.count(InstanceStatus::Ran),
        s.count(InstanceStatus::Cached),
        s.count(InstanceStatus::Failed),
        s.count(InstanceStatus::Skipped) + s.count(InstanceStatus::Interrupted),
    );
    let rows: Vec<[String; 5]> = s
        .instances
        .iter()
        .map(|r| {
            let detail = match r.status {
                InstanceStatus::Failed => r.error.clone().unwrap_or_default(),
                InstanceStatus::Skipped => r.reason.clone(),
                _ => r.summary.clone(),
            };
            [
                r.id.clone(),
                r.kind.clone(),
                r.cohort.clone().unwrap_or_else(|| "-".into()),
                r.status.word().into(),
                detail,
            ]
        })
        .collect();
    out!("{}", table(&["INSTANCE", "KIND", "COHORT", "STATUS", "SUMMARY"], &rows));
    let run_dir = runs_dir.join(&s.pipeline).join(&s.run_id);
    for r in s.instances.iter().filter(|r| r.kind == "optimize" && r.status.completed()) {
        if let Some(gate) = r.outputs.keys().find(|p| p.ends_with("/gate.json")) {
            outln!("{}:", r.id);
            super::optimize_report::print_optimization(&run_dir.join(gate.trim_end_matches("/gate.json")));
        }
    }
    for r in s.instances.iter().filter(|r| r.kind == "phase3" && r.status.completed()) {
        if let Some(status) = r.outputs.keys().find(|p| p.ends_with("/status.json")) {
            let dir = run_dir.join(status.trim_end_matches("/status.json"));
            outln!("{}:", r.id);
            super::phase3_status::print_status(&dir);
        }
    }
    outln!("artifacts: {}", run_dir.display());
    if s.status != RunStatus::Succeeded {
        let done = s.count(InstanceStatus::Ran) + s.count(InstanceStatus::Cached);
        let done = match done {
            1 => "the completed instance comes".to_owned(),
            n => format!("the {n} completed instances come"),
        };
        outln!("hint: fix the cause and run `nethical run {}` again; {done} from the cache", manifest.display());
    }
}

/// Reads `comparison.json` (checked against its types) and rewrites its views beside it.
fn report(args: &ReportArgs) -> Result<i32, Error> {
    let p = &args.path;
    let json_path = if p.is_dir() {
        if p.join("comparison.json").is_file() { p.join("comparison.json") } else { p.join("report/comparison.json") }
    } else {
        p.clone()
    };
    let bytes = read_file(&json_path)?;
    let doc: crate::report::ComparisonReport = serde_json::from_slice(&bytes)
        .map_err(|source| InputError::ComparisonReport { path: json_path.clone(), source })?;
    // The run folder is the one holding `report/comparison.json`.
    let run_dir = json_path.parent().and_then(Path::parent).unwrap_or(Path::new("."));
    let context = crate::report::RunContext::read(run_dir);
    let mut written = Vec::new();
    for (name, text) in crate::report::render_views(&doc, context.as_ref()) {
        let path = json_path.with_file_name(name);
        write_atomic(&path, text.as_bytes()).map_err(Error::io("write", &path))?;
        written.push(path.display().to_string());
    }
    outln!("{}", written.join("\n"));
    Ok(exit_code::OK)
}

fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| InputError::Read { path: path.to_owned(), source }.into())
}

/// A model's or a table's error about the file `context`, kept as the source.
fn invalid(context: &Path, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    InputError::File { path: context.to_owned(), source: Box::new(e) }.into()
}

fn metrics(args: &MetricsArgs) -> Result<i32, Error> {
    let bytes = read_file(&args.predictions)?;
    let cols = PredictionColumns {
        label: args.label_col.clone(),
        prob: args.prob_col.clone(),
        group: args.group_col.clone(),
        row: None,
    };
    let source = args.predictions.display().to_string();
    let p = read_predictions(&bytes, &source, &cols).map_err(|e| {
        match crate::data::located_value::LocatedValueError::locate(&source, &bytes, b',', e) {
            Ok(located) => InputError::Located(Box::new(located)),
            Err(e) => InputError::Predictions(e),
        }
    })?;
    let config = MetricsConfig { threshold: args.threshold, bins: args.bins };
    let fairness = FairnessSettings {
        options: FairnessOptions {
            min_group_size: args.min_group_size,
            pool_small_groups: args.pool_small_groups,
            resamples: usize::try_from(args.resamples).unwrap_or(crate::metrics::DEFAULT_FAIRNESS_RESAMPLES),
        },
        seed: args.seed,
    };
    let e = evaluate_predictions(&p, &config, &fairness).map_err(|e| invalid(&args.predictions, e))?;
    if args.json {
        print_json(&e)?;
        return Ok(exit_code::OK);
    }
    let m = &e.metrics;
    outln!("{}: {} rows, threshold {}, {} bins", source, m.n, m.threshold, m.bins);
    let fmt = |v: Option<f64>| v.map_or_else(|| "null".to_owned(), |x| format!("{x:.6}"));
    let rows: Vec<[String; 2]> = [
        ("accuracy", m.accuracy),
        ("precision", m.precision),
        ("recall", m.recall),
        ("f1", m.f1),
        ("specificity", m.specificity),
        ("fp_rate", m.fp_rate),
        ("roc_auc", m.roc_auc),
        ("average_precision", m.average_precision),
        ("brier", m.brier),
        ("log_loss", m.log_loss),
        ("ece", m.ece),
        ("mce", m.mce),
        ("ece_top_label", m.ece_top_label),
    ]
    .into_iter()
    .map(|(k, v)| [k.to_owned(), fmt(v)])
    .collect();
    out!("{}", table(&["METRIC", "VALUE"], &rows));
    for (name, why) in &m.undefined {
        outln!("  {name} is null: {why}");
    }
    if let Some(f) = &e.fairness {
        outln!(
            "fairness by `{}`: groups of at least {} rows",
            args.group_col.as_deref().unwrap_or("?"),
            f.min_group_size
        );
        let rows: Vec<[String; 5]> = f
            .by_group
            .iter()
            .map(|(g, r)| [g.clone(), r.n.to_string(), format!("{:.6}", r.selection_rate), fmt(r.tpr), fmt(r.fpr)])
            .collect();
        out!("{}", table(&["GROUP", "ROWS", "SELECTION_RATE", "TPR", "FPR"], &rows));
        if let Some(iv) = &f.intervals {
            let rows: Vec<[String; 3]> = iv
                .by_name()
                .iter()
                .map(|(name, b)| {
                    let ci = b.ci.map_or_else(|| "–".to_owned(), |ci| format!("{:.6}–{:.6}", ci.lo, ci.hi));
                    [(*name).to_owned(), fmt(b.estimate), ci]
                })
                .collect();
            let header = format!("95% CI ({}, {} resamples)", iv.method, iv.resamples);
            out!("{}", table(&["GAP", "VALUE", header.as_str()], &rows));
        }
        for (name, why) in f.undefined.iter().chain(&f.notes) {
            outln!("  {name}: {why}");
        }
    }
    Ok(exit_code::OK)
}

fn predict(args: &PredictArgs) -> Result<i32, Error> {
    let model_text = String::from_utf8(read_file(&args.model)?)
        .map_err(|source| InputError::NotUtf8 { path: args.model.clone(), source })?;
    let trained = TrainedModel::from_json(&model_text).map_err(|e| invalid(&args.model, e))?;
    let delimiter = u8::try_from(args.delimiter).map_err(|_| InputError::Delimiter(args.delimiter))?;
    let table = read_raw_csv(&read_file(&args.data)?, delimiter, &DEFAULT_MISSING_TOKENS)
        .map_err(|e| invalid(&args.data, e))?;
    let probs = trained.predict_raw(&table).map_err(|e| invalid(&args.data, e))?;
    let mut out = String::from("row,y_prob,y_pred\n");
    for (row, p) in table.row_ids().iter().zip(&probs) {
        out.push_str(&format!("{row},{p},{}\n", u8::from(*p >= trained.provenance.threshold)));
    }
    match &args.out {
        Some(path) => write_atomic(path, out.as_bytes()).map_err(Error::io("write", path))?,
        None => out!("{out}"),
    }
    Ok(exit_code::OK)
}
