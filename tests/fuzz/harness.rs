//! A small mutation fuzzer on stable Rust, built on proptest: each case takes a seed from the
//! target's committed corpus (`tests/fuzz/corpus/<target>/`) and applies a few mutations
//! (byte flips, deletions, duplications, splices from another seed, tokens from the target's
//! dictionary). proptest catches a panic, shrinks the mutation list and reports the smallest
//! input that still panics.
//!
//! Why not `cargo fuzz`: it needs a nightly toolchain, and CI builds with stable. This is not
//! coverage-guided; what it buys is every parser run on many near-valid inputs, the inputs on
//! which parsers' edge cases (spans, offsets, slicing) live.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

/// The variable that sets the total time of the `--ignored` fuzz run, in seconds.
pub const BUDGET_VAR: &str = "FUZZ_SECONDS";

/// Cases run per target by the quick (not ignored) test.
const QUICK_CASES: u32 = 300;

/// One change to a seed.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// Replace the byte at (position mod length) with this one.
    Set(usize, u8),
    /// Remove up to `len` bytes from a position.
    Delete(usize, usize),
    /// Repeat up to `len` bytes at a position.
    Duplicate(usize, usize),
    /// Insert a dictionary token at a position.
    Token(usize, usize),
    /// Insert a slice of another seed at a position.
    Splice(usize, usize, usize, usize),
}

/// A target's corpus and dictionary.
pub struct Target {
    /// Its name: the corpus folder.
    pub name: &'static str,
    /// Its seeds.
    pub seeds: Vec<Vec<u8>>,
    /// Tokens worth inserting (keywords, delimiters, boundary numbers).
    pub dictionary: &'static [&'static str],
}

/// The folder of a target's seed corpus.
pub fn corpus_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus").join(name)
}

impl Target {
    /// Reads the target's seeds (sorted by file name, so runs are reproducible).
    pub fn new(name: &'static str, dictionary: &'static [&'static str]) -> Self {
        let dir = corpus_dir(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let seeds: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).expect("read seed")).collect();
        assert!(!seeds.is_empty(), "corpus {} is empty", dir.display());
        Self { name, seeds, dictionary }
    }

    /// Seed `index` with `mutations` applied.
    pub fn build(&self, index: usize, mutations: &[Mutation]) -> Vec<u8> {
        let mut data = self.seeds[index % self.seeds.len()].clone();
        for m in mutations {
            let at = |p: usize, data: &Vec<u8>| if data.is_empty() { 0 } else { p % (data.len() + 1) };
            match *m {
                Mutation::Set(p, b) if !data.is_empty() => {
                    let i = p % data.len();
                    data[i] = b;
                }
                Mutation::Set(..) => {}
                Mutation::Delete(p, len) => {
                    let i = at(p, &data);
                    let end = (i + len).min(data.len());
                    data.drain(i..end);
                }
                Mutation::Duplicate(p, len) => {
                    let i = at(p, &data);
                    let end = (i + len).min(data.len());
                    let copy = data[i..end].to_vec();
                    data.splice(i..i, copy);
                }
                Mutation::Token(p, t) => {
                    let i = at(p, &data);
                    let token = self.dictionary[t % self.dictionary.len()].as_bytes();
                    data.splice(i..i, token.iter().copied());
                }
                Mutation::Splice(p, seed, from, len) => {
                    let other = &self.seeds[seed % self.seeds.len()];
                    let i = at(p, &data);
                    let from = if other.is_empty() { 0 } else { from % other.len() };
                    let end = (from + len).min(other.len());
                    data.splice(i..i, other[from..end].iter().copied());
                }
            }
        }
        data
    }

    /// The strategy of one case: a seed and up to 8 mutations.
    pub fn strategy(&self) -> impl Strategy<Value = (usize, Vec<Mutation>)> + use<> {
        let mutation = prop_oneof![
            3 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Set(p, b)),
            2 => (any::<usize>(), 1..64usize).prop_map(|(p, l)| Mutation::Delete(p, l)),
            1 => (any::<usize>(), 1..64usize).prop_map(|(p, l)| Mutation::Duplicate(p, l)),
            3 => (any::<usize>(), any::<usize>()).prop_map(|(p, t)| Mutation::Token(p, t)),
            1 => (any::<usize>(), any::<usize>(), any::<usize>(), 1..256usize)
                .prop_map(|(p, s, f, l)| Mutation::Splice(p, s, f, l)),
        ];
        (any::<usize>(), proptest::collection::vec(mutation, 0..8))
    }
}

/// What a fuzz run did.
#[derive(Debug, Default)]
pub struct Stats {
    /// Inputs run.
    pub executions: u64,
    /// Seeds in the corpus.
    pub seeds: usize,
    /// Their total size.
    pub corpus_bytes: usize,
}

/// Runs `check` on every seed, then on mutated seeds: `cases` of them, or, with a `budget`,
/// as many as fit in it. Panics (with the smallest failing input) when `check` panics.
pub fn fuzz(target: &Target, budget: Option<Duration>, check: impl Fn(&[u8])) -> Stats {
    for seed in &target.seeds {
        check(seed);
    }
    let mut stats = Stats {
        executions: target.seeds.len() as u64,
        seeds: target.seeds.len(),
        corpus_bytes: target.seeds.iter().map(Vec::len).sum(),
    };
    let start = Instant::now();
    let mut round = 0u64;
    loop {
        let cases = if budget.is_some() { 2_000 } else { QUICK_CASES };
        let config = Config { cases, failure_persistence: None, max_shrink_iters: 4_096, ..Config::default() };
        // A fixed sequence of seeds: a failure in CI reproduces locally with the same budget.
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&round.to_le_bytes());
        key[8..16].copy_from_slice(&(target.name.len() as u64).to_le_bytes());
        for (k, b) in key[16..].iter_mut().zip(target.name.bytes()) {
            *k = b;
        }
        let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &key));
        let result = quietly(|| {
            runner.run(&target.strategy(), |(index, mutations)| {
                check(&target.build(index, &mutations));
                Ok(())
            })
        });
        stats.executions += u64::from(cases);
        if let Err(e) = result {
            match e {
                TestError::Fail(reason, (index, mutations)) => {
                    let input = target.build(index, &mutations);
                    panic!(
                        "fuzz target `{}` panicked: {reason}\nseed {index}, mutations {mutations:?}\ninput: {:?}",
                        target.name,
                        String::from_utf8_lossy(&input)
                    );
                }
                TestError::Abort(reason) => panic!("fuzz target `{}` aborted: {reason}", target.name),
            }
        }
        round += 1;
        if budget.is_none_or(|b| start.elapsed() >= b) {
            break;
        }
    }
    stats
}

/// The time budget of one target when `FUZZ_SECONDS` is shared among `targets`.
pub fn budget(targets: u32) -> Duration {
    let total: f64 = std::env::var(BUDGET_VAR).ok().and_then(|v| v.parse().ok()).unwrap_or(60.0);
    Duration::from_secs_f64(total.max(0.0) / f64::from(targets))
}

thread_local! {
    static FUZZING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Silences the default panic printout on this thread while `f` runs: proptest catches each
/// panic while it shrinks, and hundreds of printouts would bury the one report that matters.
/// Other threads (other tests) keep the default printout.
fn quietly<T>(f: impl FnOnce() -> T) -> T {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !FUZZING.with(std::cell::Cell::get) {
                default(info);
            }
        }));
    });
    FUZZING.with(|q| q.set(true));
    let out = f();
    FUZZING.with(|q| q.set(false));
    out
}
