//! Where instances compute. The scheduler (`run`) keeps the DAG and hands each ready batch to an
//! [`Executor`]; the local one computes on a rayon pool, the Slurm one submits jobs that run this
//! binary's `exec-instance` on a shared filesystem. Both compute an instance with the same
//! [`compute`], into the same cache, and the scheduler alone publishes outputs into the run
//! folder: so where an instance ran never changes a byte of the run.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::plan::{Plan, cache_key, external_digests};
use crate::stages::{StageContext, UpstreamOutput, run_stage};
use crate::store::{Cache, CacheEntry, tree_digest};

use super::instance_error::InstanceError;
use super::quiet_panic::{panic_message, quietly};
use super::reporter::Reporter;
use super::run_options::RunOptions;

/// An instance whose inputs are all done, with those inputs.
pub(crate) struct Launch {
    pub(crate) index: usize,
    pub(crate) inputs: Vec<UpstreamOutput>,
}

/// An instance that ended: its cache entry (and whether it came from the cache), or why not.
pub(crate) struct Finished {
    pub(crate) index: usize,
    pub(crate) outcome: Result<(CacheEntry, bool), InstanceError>,
    pub(crate) seconds: f64,
}

/// Runs instances somewhere.
pub(crate) trait Executor {
    /// Instances it takes at once.
    fn capacity(&self) -> usize;
    /// Starts every instance of `batch` (all ready now, in plan order).
    fn launch(&mut self, batch: Vec<Launch>);
    /// The next instance that ended, waiting at most `wait` for one.
    fn next(&mut self, wait: Duration) -> Option<Finished>;
    /// The run was interrupted: stop what is running. Each launched instance still ends with
    /// a [`Finished`] (cancelled ones with [`InstanceError::Cancelled`]).
    fn cancel(&mut self);
}

/// An instance's cache key, from its inputs' outputs and external files.
pub(crate) fn instance_key(plan: &Plan, i: usize, inputs: &[UpstreamOutput], cache: Option<&Cache>) -> String {
    let inst = &plan.instances[i];
    let mut digests: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for stage in inst.decl.needs.keys() {
        digests.entry(stage.clone()).or_default();
    }
    for up in inputs {
        digests.entry(up.stage.clone()).or_default().insert(up.id.clone(), tree_digest(&up.entry.outputs));
    }
    let files = external_digests(inst, plan, cache.map(Cache::index));
    cache_key(inst, &digests, &files)
}

/// What the cache holds under a key, as far as this run may use it.
pub(crate) enum Lookup {
    /// A reusable entry: nothing to compute.
    Hit(CacheEntry),
    /// Nothing usable; `replace` when an entry exists that the new one must replace (a
    /// volatile one, or any under `--force`).
    Miss { replace: bool },
}

/// Looks instance `id`'s `key` up once, for both the decision and the commit.
pub(crate) fn lookup(cache: &Cache, key: &str, id: &str, opts: &RunOptions) -> Lookup {
    if opts.force || opts.forcerun.contains(id) {
        return Lookup::Miss { replace: true };
    }
    match cache.lookup(key) {
        // A file changed after it was cached (an edit through a hard link, a damaged disk):
        // the instance is computed again and the entry replaced.
        Some(entry) if entry.reusable() && entry.check().is_ok() => Lookup::Hit(entry),
        other => Lookup::Miss { replace: other.is_some() },
    }
}

/// Computes instance `i` into the cache under `key` (faults injected first), replacing an
/// existing entry when `replace`, telling `reporter` of its progress. Returns the new entry.
#[expect(clippy::too_many_arguments, reason = "the instance, its inputs and key, where it goes, how it runs")]
pub(crate) fn compute(
    plan: &Plan,
    i: usize,
    inputs: &[UpstreamOutput],
    key: &str,
    replace: bool,
    cache: &Cache,
    opts: &RunOptions,
    reporter: &dyn Reporter,
) -> Result<CacheEntry, InstanceError> {
    let inst = &plan.instances[i];
    if opts.cancel.load(Ordering::Relaxed) {
        return Err(InstanceError::Cancelled);
    }
    opts.failpoints.hit(inst.id(), &opts.cancel)?;
    let mut staging =
        cache.stage(key).map_err(|source| InstanceError::Staging { dir: cache.root().to_owned(), source })?;
    // Parts of the work kept between runs, unless this run must compute everything.
    let memo = crate::store::Memo::new(cache.root());
    let remember = !(opts.force || opts.verify || opts.forcerun.contains(inst.id()));
    let ctx = StageContext {
        instance: inst,
        pipeline: &plan.pipeline,
        inputs,
        base_dir: &plan.base_dir,
        clock: opts.clock,
        cancel: &opts.cancel,
        kaggle: &opts.kaggle,
        state_dir: plan.state_dir.as_deref(),
        progress: &|message| reporter.instance_progress(inst.id(), message),
        memo: remember.then_some(&memo),
    };
    let meta = match run_stage(&ctx, &mut staging) {
        Ok(meta) => meta,
        Err(e) if e.is_cancelled() => return Err(InstanceError::Cancelled),
        Err(e) => return Err(InstanceError::Stage(Box::new(e))),
    };
    // A volatile entry from an earlier run is replaced, never kept in preference to this one.
    staging.commit(meta, replace).map_err(InstanceError::Store)
}

/// Computes one instance, or finds it in the cache, catching a panic.
pub(crate) fn execute(
    plan: &Plan,
    i: usize,
    inputs: &[UpstreamOutput],
    cache: &Cache,
    opts: &RunOptions,
    reporter: &dyn Reporter,
) -> Result<(CacheEntry, bool), InstanceError> {
    quietly(|| {
        catch_unwind(AssertUnwindSafe(|| {
            let key = instance_key(plan, i, inputs, Some(cache));
            match lookup(cache, &key, plan.instances[i].id(), opts) {
                Lookup::Hit(entry) => Ok((entry, true)),
                Lookup::Miss { replace } => {
                    compute(plan, i, inputs, &key, replace, cache, opts, reporter).map(|e| (e, false))
                }
            }
        }))
    })
    .unwrap_or_else(|p| Err(InstanceError::Panicked(panic_message(p.as_ref()))))
}

/// Threads of this process: a rayon pool of `-j` workers, each running one instance at a time.
///
/// Every worker runs a loop of its own (a broadcast job, which no other worker can take) that
/// takes the next launched instance from a queue. Instances are not pool jobs: a stage waiting
/// in `rayon::join` steals pool jobs, and an instance spawned as one could be stolen whole by a
/// worker in the middle of another instance, which then resumed only when the stolen one
/// ended (at 1,000,000 rows a 0.6 s `train` took 1.4 s that way). An idle worker runs the busy
/// ones' parallel halves while it waits for an instance.
pub(crate) struct Local {
    jobs: usize,
    work: mpsc::Sender<Launch>,
    rx: mpsc::Receiver<Finished>,
}

/// How long an idle worker with no pool work to run sleeps before looking again.
const IDLE_POLL: Duration = Duration::from_micros(200);

impl Local {
    pub(crate) fn new<'scope>(
        scope: &rayon::Scope<'scope>,
        plan: &'scope Plan,
        cache: &'scope Cache,
        opts: &'scope RunOptions,
        reporter: &'scope dyn Reporter,
    ) -> Self {
        let (tx, rx) = mpsc::channel();
        let (work, queue) = mpsc::channel::<Launch>();
        let queue = std::sync::Mutex::new(queue);
        scope.spawn_broadcast(move |_, _| {
            let tx = tx.clone();
            loop {
                let next = queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).try_recv();
                match next {
                    Ok(Launch { index, inputs }) => {
                        let t = Instant::now();
                        let outcome = execute(plan, index, &inputs, cache, opts, reporter);
                        let _ = tx.send(Finished { index, outcome, seconds: t.elapsed().as_secs_f64() });
                    }
                    Err(mpsc::TryRecvError::Empty) => crate::pool_wait::help_or_sleep(IDLE_POLL),
                    // The scheduler is done and dropped its end.
                    Err(mpsc::TryRecvError::Disconnected) => return,
                }
            }
        });
        Self { jobs: opts.jobs.get(), work, rx }
    }
}

impl Executor for Local {
    fn capacity(&self) -> usize {
        self.jobs
    }

    fn launch(&mut self, batch: Vec<Launch>) {
        for launch in batch {
            // The workers loop until this end is dropped, so the queue is open here.
            let _ = self.work.send(launch);
        }
    }

    fn next(&mut self, wait: Duration) -> Option<Finished> {
        self.rx.recv_timeout(wait).ok()
    }

    /// Running instances watch the run's cancel flag themselves.
    fn cancel(&mut self) {}
}
