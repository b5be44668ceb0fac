//! Risk-tier gating of governance detectors, with their CPU time measured.
//!
//! The original `PerformanceOptimizer` gated detectors by the agent's risk (a detector runs when
//! `risk ≥` its tier's threshold: fast 0, standard 0.25, advanced 0.5, premium 0.75) and
//! reported a "CPU reduction" against a baseline. In training it was never given a detector, so
//! `meeting_target` was always false, and its "CPU" was wall time around its own bookkeeping.
//!
//! Here the detectors are real checks of a cohort's model ([`super::detectors`]). The stage runs
//! them twice: gated by each cohort's risk score, then ungated (every detector on every cohort),
//! each invocation timed with the thread's CPU clock (`CLOCK_THREAD_CPUTIME_ID`: the kernel's
//! per-thread user + system time that `getrusage(RUSAGE_THREAD)` reports, at nanosecond
//! resolution). `cpu_reduction_pct = (ungated − gated) / ungated · 100`, measured in the same
//! process on the same data; the gated pass runs first, so cache warm-up favours the baseline
//! and the figure errs low. `meeting_target` compares it with the target (30 %).
//!
//! Which detectors ran is deterministic (it depends on risk scores only); the times are not,
//! so they are kept apart ([`Timings`]) for the `*timings*` file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The original's detector tiers, by the risk score from which they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DetectorTier {
    /// Always runs.
    Fast,
    /// Runs from risk 0.25 (NORMAL).
    Standard,
    /// Runs from risk 0.5 (HIGH).
    Advanced,
    /// Runs from risk 0.75 (ELEVATED).
    Premium,
}

impl DetectorTier {
    /// The lowest risk score at which the tier runs (the original's gate thresholds).
    pub fn threshold(self) -> f64 {
        match self {
            Self::Fast => 0.0,
            Self::Standard => 0.25,
            Self::Advanced => 0.5,
            Self::Premium => 0.75,
        }
    }

    /// Whether a detector of this tier runs for a cohort at `risk`.
    pub fn runs_at(self, risk: f64) -> bool {
        risk >= self.threshold()
    }
}

/// The calling thread's CPU time so far, in nanoseconds; 0 where the clock is unavailable
/// (timings then read 0, never invented).
pub fn thread_cpu_ns() -> u64 {
    use nix::time::{ClockId, clock_gettime};
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(0, |t| {
        let secs = u64::try_from(t.tv_sec()).unwrap_or(0);
        let nanos = u64::try_from(t.tv_nsec()).unwrap_or(0);
        secs.saturating_mul(1_000_000_000).saturating_add(nanos)
    })
}

/// Runs `f` and returns its result with the CPU nanoseconds it took on this thread.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let start = thread_cpu_ns();
    let out = f();
    (out, thread_cpu_ns().saturating_sub(start))
}

/// What gating decided for one detector (deterministic).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DetectorDecisions {
    /// The detector's tier.
    pub tier: Option<DetectorTier>,
    /// Cohorts it ran on.
    pub invoked: Vec<String>,
    /// Cohorts it skipped, their risk being below the tier's threshold.
    pub skipped: Vec<String>,
    /// skipped / (invoked + skipped).
    pub skip_rate: f64,
}

/// The measured CPU time of one detector (not deterministic).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DetectorTiming {
    /// Invocations in the gated pass.
    pub invocations: u64,
    /// CPU milliseconds in the gated pass.
    pub gated_cpu_ms: f64,
    /// CPU milliseconds with every cohort checked.
    pub ungated_cpu_ms: f64,
    /// Mean CPU milliseconds per invocation (ungated pass).
    pub avg_cpu_ms: f64,
}

/// The timings of both passes and the verdict on the target: `phase3`'s
/// `performance_timings.json`, read back through this type by `nethical phase3-status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Which clock measured them.
    pub clock: String,
    /// Per detector.
    pub detectors: BTreeMap<String, DetectorTiming>,
    /// CPU milliseconds of the ungated pass (the baseline).
    pub baseline_cpu_ms: f64,
    /// CPU milliseconds of the gated pass.
    pub gated_cpu_ms: f64,
    /// (baseline − gated) / baseline · 100; 0 when the baseline measured nothing.
    pub cpu_reduction_pct: f64,
    /// The target, in percent.
    pub target_cpu_reduction_pct: f64,
    /// Whether the reduction reached the target.
    pub meeting_target: bool,
    /// The original's suggestions, on these figures.
    pub suggestions: Vec<String>,
}

/// Accumulates both passes.
#[derive(Debug, Default)]
pub struct PerformanceLedger {
    decisions: BTreeMap<String, DetectorDecisions>,
    timings: BTreeMap<String, DetectorTiming>,
}

/// Nanoseconds to milliseconds.
fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

impl PerformanceLedger {
    /// Records the gated pass's decision for a detector on a cohort, and its time if it ran.
    pub fn gated(&mut self, detector: &str, tier: DetectorTier, cohort: &str, cpu_ns: Option<u64>) {
        let d = self.decisions.entry(detector.to_owned()).or_default();
        d.tier = Some(tier);
        match cpu_ns {
            Some(ns) => {
                d.invoked.push(cohort.to_owned());
                let t = self.timings.entry(detector.to_owned()).or_default();
                t.invocations += 1;
                t.gated_cpu_ms += ms(ns);
            }
            None => d.skipped.push(cohort.to_owned()),
        }
    }

    /// Records a detector's time in the ungated pass.
    pub fn ungated(&mut self, detector: &str, cpu_ns: u64) {
        self.timings.entry(detector.to_owned()).or_default().ungated_cpu_ms += ms(cpu_ns);
    }

    /// The deterministic decisions and the measured timings against `target_pct`.
    pub fn finish(mut self, cohorts: usize, target_pct: f64) -> (BTreeMap<String, DetectorDecisions>, Timings) {
        for d in self.decisions.values_mut() {
            let all = d.invoked.len() + d.skipped.len();
            d.skip_rate = if all == 0 { 0.0 } else { d.skipped.len() as f64 / all as f64 };
        }
        for t in self.timings.values_mut() {
            t.avg_cpu_ms = if cohorts == 0 { 0.0 } else { t.ungated_cpu_ms / cohorts as f64 };
        }
        let baseline: f64 = self.timings.values().map(|t| t.ungated_cpu_ms).sum();
        let gated: f64 = self.timings.values().map(|t| t.gated_cpu_ms).sum();
        let reduction = if baseline > 0.0 { (baseline - gated) / baseline * 100.0 } else { 0.0 };
        let meeting = reduction >= target_pct;
        let mut suggestions = Vec::new();
        if !meeting {
            suggestions.push(format!(
                "CPU reduction ({reduction:.1}%) below target ({target_pct:?}%). Consider raising risk thresholds for expensive detectors."
            ));
        }
        for (name, t) in &self.timings {
            if t.avg_cpu_ms > 100.0 {
                suggestions.push(format!(
                    "Detector '{name}' has high average CPU time ({:.1}ms). Consider caching or optimizing.",
                    t.avg_cpu_ms
                ));
            }
        }
        if suggestions.is_empty() {
            suggestions.push("Performance optimization targets are being met.".to_owned());
        }
        let timings = Timings {
            clock: "thread CPU time (CLOCK_THREAD_CPUTIME_ID)".to_owned(),
            detectors: self.timings,
            baseline_cpu_ms: baseline,
            gated_cpu_ms: gated,
            cpu_reduction_pct: reduction,
            target_cpu_reduction_pct: target_pct,
            meeting_target: meeting,
            suggestions,
        };
        (self.decisions, timings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_gate_as_the_original() {
        // The original's test: at .1 fast only; at .6 fast and advanced; at .8 everything.
        assert!(DetectorTier::Fast.runs_at(0.1));
        assert!(!DetectorTier::Advanced.runs_at(0.1) && !DetectorTier::Premium.runs_at(0.1));
        assert!(DetectorTier::Advanced.runs_at(0.6) && !DetectorTier::Premium.runs_at(0.6));
        assert!(DetectorTier::Premium.runs_at(0.8));
        assert!(DetectorTier::Standard.runs_at(0.25), "a threshold is inclusive");
    }

    #[test]
    fn the_thread_clock_counts_work_not_sleep() {
        let ((), slept) = timed(|| std::thread::sleep(std::time::Duration::from_millis(30)));
        let (sum, worked) = timed(|| (0..3_000_000u64).map(|i| i.wrapping_mul(i) % 7).sum::<u64>());
        assert!(sum > 0);
        assert!(slept < 10_000_000, "sleeping is not CPU time: {slept} ns");
        assert!(worked > 0, "work takes CPU time");
    }

    #[test]
    fn reduction_is_measured_against_the_ungated_pass() {
        let mut ledger = PerformanceLedger::default();
        ledger.gated("cheap", DetectorTier::Fast, "a", Some(10_000_000));
        ledger.gated("cheap", DetectorTier::Fast, "b", Some(10_000_000));
        ledger.gated("deep", DetectorTier::Premium, "a", None);
        ledger.gated("deep", DetectorTier::Premium, "b", Some(30_000_000));
        for (d, ns) in [("cheap", 10_000_000), ("cheap", 10_000_000), ("deep", 30_000_000), ("deep", 30_000_000)] {
            ledger.ungated(d, ns);
        }
        let (decisions, timings) = ledger.finish(2, 30.0);
        assert_eq!(decisions["deep"].skipped, vec!["a".to_owned()]);
        assert!((decisions["deep"].skip_rate - 0.5).abs() < 1e-12);
        // Ungated 80 ms, gated 50 ms: 37.5 % saved.
        assert!((timings.baseline_cpu_ms - 80.0).abs() < 1e-9);
        assert!((timings.cpu_reduction_pct - 37.5).abs() < 1e-9);
        assert!(timings.meeting_target);
        assert_eq!(timings.suggestions, vec!["Performance optimization targets are being met.".to_owned()]);
    }

    #[test]
    fn nothing_measured_is_no_reduction() {
        let (_, timings) = PerformanceLedger::default().finish(0, 30.0);
        assert!((timings.cpu_reduction_pct).abs() < f64::EPSILON);
        assert!(!timings.meeting_target);
        assert!(timings.suggestions[0].starts_with("CPU reduction (0.0%) below target (30.0%)"));
    }
}
