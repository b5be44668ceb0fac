//! Risk profiles per cohort, fused from what the cohort's model was measured to do.
//!
//! The original `RiskEngine` fused behaviour, severity, frequency and recency, but it counted
//! every call as a violation and its "frequency" counted tier *transitions*, so an agent with no
//! violation at all climbed 0.14 → 0.39 → 0.48 → 0.51 (HIGH). Here every component is a
//! measurement of the run, in [0, 1]:
//!
//! - `error` = 1 − accuracy (0 when accuracy is unknown);
//! - `calibration` = min(ECE / 0.16, 1): 0.16 is twice the original gate's 0.08 ECE limit, the
//!   point where its severity turns "high", so a model at the gate limit scores 0.5;
//! - `violations` = the worst severity among the run's violations (low .25, medium .5, high .75,
//!   critical 1, anything else .5), 0 without violations;
//! - `drift` = the share of drifted comparisons, clamped to [0, 1].
//!
//! `fused` = 0.40·error + 0.20·calibration + 0.25·violations + 0.15·drift. Across runs the score
//! keeps the original's blend and 24 h half-life: `score = clamp(0.7·fused + 0.3·decayed)` with
//! `decayed = previous · 2^(−hours/24)`. Because the carried part never exceeds the previous
//! score, identical signals can never push the score above the first observation's fused value;
//! only a worse measurement (a violation, lower accuracy) raises it.
//!
//! [`score_actions`] aggregates per-action risks (one validation prediction each) per cohort in
//! a single pass, for runs with millions of predictions.
//!
//! Pure: no clock reads and no I/O. The caller passes the run clock and persists the profiles.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

/// Weight of the error component: accuracy is the primary measurement of a classifier.
pub const WEIGHT_ERROR: f64 = 0.40;
/// Weight of the calibration component: a miscalibrated model misleads downstream thresholds.
pub const WEIGHT_CALIBRATION: f64 = 0.20;
/// Weight of the worst violation: the gate's own verdict, weighted above drift.
pub const WEIGHT_VIOLATIONS: f64 = 0.25;
/// Weight of distribution drift: a warning about the data, not yet about the model.
pub const WEIGHT_DRIFT: f64 = 0.15;
/// ECE at which the calibration component saturates (twice the original gate's 0.08).
pub const CALIBRATION_SATURATION_ECE: f64 = 0.16;
/// The original's half-life of a carried score, in hours.
pub const HALF_LIFE_HOURS: f64 = 24.0;
/// Share of the new score taken from the current run's fused value (the original's 0.7).
pub const FUSED_SHARE: f64 = 0.7;
/// Share of the new score carried from the decayed previous score (the original's 0.3).
pub const CARRIED_SHARE: f64 = 0.3;
/// Tier changes kept per profile (the original's 100).
pub const TIER_HISTORY_LIMIT: usize = 100;
/// Score from which the advanced detectors run: the ELEVATED tier's lower bound.
pub const ADVANCED_DETECTOR_THRESHOLD: f64 = 0.75;

/// The original's risk tiers, ordered LOW < NORMAL < HIGH < ELEVATED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskTier {
    Low,
    Normal,
    High,
    Elevated,
}

impl RiskTier {
    /// The tier whose half-open interval holds `score`: [0, .25) LOW, [.25, .5) NORMAL,
    /// [.5, .75) HIGH, [.75, ∞) ELEVATED. NaN falls to LOW, as no comparison holds for it.
    pub fn from_score(score: f64) -> Self {
        if score >= 0.75 {
            Self::Elevated
        } else if score >= 0.5 {
            Self::High
        } else if score >= 0.25 {
            Self::Normal
        } else {
            Self::Low
        }
    }
}

/// Weight of a violation severity, case-insensitive. Unknown severities count as medium so a
/// misspelt severity neither hides a violation nor inflates it.
pub fn severity_weight(severity: &str) -> f64 {
    if severity.eq_ignore_ascii_case("low") {
        0.25
    } else if severity.eq_ignore_ascii_case("high") {
        0.75
    } else if severity.eq_ignore_ascii_case("critical") {
        1.0
    } else {
        0.5
    }
}

/// What one run measured about one cohort's model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskSignals {
    pub cohort: String,
    /// The cohort's model, e.g. `model_logistic`.
    pub agent: String,
    /// The run clock, in Unix seconds (never read here, so runs replay identically).
    pub at_unix: i64,
    pub accuracy: Option<f64>,
    /// Expected calibration error.
    pub ece: Option<f64>,
    /// The gate's violations, as (type, severity).
    pub violations: Vec<(String, String)>,
    /// Share of drifted comparisons, in [0, 1].
    pub drift: Option<f64>,
}

/// The four measured components, each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RiskComponents {
    pub error: f64,
    pub calibration: f64,
    pub violations: f64,
    pub drift: f64,
}

/// `value` clamped to [0, 1]; non-finite values count as unknown (0) rather than poisoning
/// every later score with NaN.
fn unit(value: f64) -> f64 {
    if value.is_finite() { value.clamp(0.0, 1.0) } else { 0.0 }
}

impl RiskComponents {
    /// The components of one run's signals.
    pub fn from_signals(signals: &RiskSignals) -> Self {
        let error = signals.accuracy.filter(|a| a.is_finite()).map_or(0.0, |a| 1.0 - unit(a));
        let calibration = signals.ece.map_or(0.0, |e| unit(e / CALIBRATION_SATURATION_ECE));
        let violations = signals.violations.iter().map(|(_, severity)| severity_weight(severity)).fold(0.0, f64::max);
        let drift = signals.drift.map_or(0.0, unit);
        Self { error, calibration, violations, drift }
    }

    /// The weighted sum; in [0, 1] because the weights sum to 1.
    pub fn fused(&self) -> f64 {
        WEIGHT_ERROR * self.error
            + WEIGHT_CALIBRATION * self.calibration
            + WEIGHT_VIOLATIONS * self.violations
            + WEIGHT_DRIFT * self.drift
    }
}

/// A cohort's risk across runs; `risk_profiles.json` holds one per cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskProfile {
    pub agent_id: String,
    pub cohort: String,
    pub current_score: f64,
    pub current_tier: RiskTier,
    pub last_update_unix: i64,
    /// Runs observed, this one included.
    pub observations: u64,
    /// The latest run's components.
    pub components: RiskComponents,
    /// The latest run's fused value, before blending with the carried score.
    pub fused: f64,
    /// (run clock, tier) at the first observation and at every tier change, last 100.
    pub tier_history: Vec<(i64, RiskTier)>,
}

impl RiskProfile {
    /// Whether the score reached the ELEVATED tier, where the original ran its costly detectors.
    pub fn should_invoke_advanced_detectors(&self) -> bool {
        self.current_score >= ADVANCED_DETECTOR_THRESHOLD
    }
}

/// `previous` decayed by the 24 h half-life over the time since `from`. A clock that went
/// backwards counts as no time passed: a negative age would amplify the carried score.
fn decayed(previous: f64, from_unix: i64, to_unix: i64) -> f64 {
    let seconds = to_unix.saturating_sub(from_unix).max(0) as f64;
    previous * (-(seconds / 3600.0) / HALF_LIFE_HOURS).exp2()
}

/// Profiles keyed by cohort, carried from earlier runs.
#[derive(Debug, Clone, Default)]
pub struct RiskEngine {
    profiles: BTreeMap<String, RiskProfile>,
}

impl RiskEngine {
    /// An engine continuing from earlier runs' profiles. When a cohort appears twice, the most
    /// recently updated profile wins (the later one on a tie), so a concatenated history works.
    pub fn new(history: Vec<RiskProfile>) -> Self {
        let mut profiles: BTreeMap<String, RiskProfile> = BTreeMap::new();
        for profile in history {
            match profiles.get(&profile.cohort) {
                Some(kept) if kept.last_update_unix > profile.last_update_unix => {}
                _ => {
                    profiles.insert(profile.cohort.clone(), profile);
                }
            }
        }
        Self { profiles }
    }

    /// Fold one run's signals into the cohort's profile. The agent id follows the latest run,
    /// so a cohort whose model type changed keeps its history under the new model's name.
    pub fn observe(&mut self, signals: RiskSignals) -> &RiskProfile {
        let components = RiskComponents::from_signals(&signals);
        let fused = components.fused();
        let at = signals.at_unix;
        let profile = self.profiles.entry(signals.cohort.clone()).or_insert_with(|| RiskProfile {
            agent_id: signals.agent.clone(),
            cohort: signals.cohort.clone(),
            current_score: 0.0,
            current_tier: RiskTier::Low,
            last_update_unix: at,
            observations: 0,
            components,
            fused,
            tier_history: Vec::new(),
        });
        let score = if profile.observations == 0 {
            unit(fused)
        } else {
            let carried = decayed(unit(profile.current_score), profile.last_update_unix, at);
            unit(FUSED_SHARE * fused + CARRIED_SHARE * carried)
        };
        let tier = RiskTier::from_score(score);
        if profile.tier_history.last().is_none_or(|&(_, last)| last != tier) {
            profile.tier_history.push((at, tier));
            let excess = profile.tier_history.len().saturating_sub(TIER_HISTORY_LIMIT);
            profile.tier_history.drain(..excess);
        }
        profile.agent_id = signals.agent;
        profile.current_score = score;
        profile.current_tier = tier;
        profile.last_update_unix = at;
        profile.observations += 1;
        profile.components = components;
        profile.fused = fused;
        profile
    }

    /// The cohort's profile, if it was ever observed.
    pub fn profile(&self, cohort: &str) -> Option<&RiskProfile> {
        self.profiles.get(cohort)
    }

    /// All profiles, ordered by cohort.
    pub fn profiles(&self) -> impl Iterator<Item = &RiskProfile> {
        self.profiles.values()
    }

    /// All profiles, ordered by cohort, for `risk_profiles.json`.
    pub fn into_profiles(self) -> Vec<RiskProfile> {
        self.profiles.into_values().collect()
    }
}

/// One scored action: a validation prediction of a cohort's model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub cohort: String,
    pub agent: String,
    /// Measured risk in [0, 1], e.g. the absolute error |y − p|.
    pub risk: f64,
    /// (type, severity) when the action is a violation, e.g. a misclassification.
    pub violation: Option<(String, String)>,
}

/// A cohort's actions, aggregated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortRisk {
    pub cohort: String,
    /// Distinct agents seen, sorted.
    pub agents: Vec<String>,
    pub actions: u64,
    /// Mean of the finite risks, each clamped to [0, 1]; 0 when there is none.
    pub mean_risk: f64,
    pub mean_risk_tier: RiskTier,
    /// Actions whose risk was NaN or infinite, left out of the mean rather than poisoning it.
    pub non_finite_risks: u64,
    pub violations: u64,
    /// violations / actions.
    pub violation_rate: f64,
    /// Σ severity weight / actions: the violation rate with each violation weighted by severity.
    pub violation_score: f64,
    /// Violations per type.
    pub violations_by_type: BTreeMap<String, u64>,
}

#[derive(Default)]
struct CohortAccumulator<'a> {
    agents: BTreeSet<&'a str>,
    actions: u64,
    risk_sum: f64,
    finite_risks: u64,
    violations: u64,
    severity_sum: f64,
    by_type: BTreeMap<&'a str, u64>,
}

/// Per-cohort aggregates in one pass, ordered by cohort. O(n): a hash lookup per action (skipped
/// when the cohort repeats, the usual layout) plus ordered inserts into per-cohort sets whose
/// size is bounded by the few agents and violation types.
pub fn score_actions(actions: &[Action]) -> Vec<CohortRisk> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut accumulators: Vec<(&str, CohortAccumulator<'_>)> = Vec::new();
    let mut last: Option<(&str, usize)> = None;
    for action in actions {
        let slot = match last {
            Some((cohort, slot)) if cohort == action.cohort => slot,
            _ => {
                let next = accumulators.len();
                let slot = *index.entry(action.cohort.as_str()).or_insert(next);
                if slot == next {
                    accumulators.push((action.cohort.as_str(), CohortAccumulator::default()));
                }
                last = Some((action.cohort.as_str(), slot));
                slot
            }
        };
        let Some((_, acc)) = accumulators.get_mut(slot) else { continue };
        acc.agents.insert(action.agent.as_str());
        acc.actions += 1;
        if action.risk.is_finite() {
            acc.risk_sum += action.risk.clamp(0.0, 1.0);
            acc.finite_risks += 1;
        }
        if let Some((kind, severity)) = &action.violation {
            acc.violations += 1;
            acc.severity_sum += severity_weight(severity);
            *acc.by_type.entry(kind.as_str()).or_insert(0) += 1;
        }
    }
    accumulators.sort_unstable_by(|a, b| a.0.cmp(b.0));
    accumulators
        .into_iter()
        .map(|(cohort, acc)| {
            let mean_risk = if acc.finite_risks == 0 { 0.0 } else { acc.risk_sum / acc.finite_risks as f64 };
            // Every accumulator holds at least the action that created it.
            let actions = acc.actions.max(1) as f64;
            CohortRisk {
                cohort: cohort.to_owned(),
                agents: acc.agents.into_iter().map(str::to_owned).collect(),
                actions: acc.actions,
                mean_risk,
                mean_risk_tier: RiskTier::from_score(mean_risk),
                non_finite_risks: acc.actions - acc.finite_risks,
                violations: acc.violations,
                violation_rate: acc.violations as f64 / actions,
                violation_score: acc.severity_sum / actions,
                violations_by_type: acc.by_type.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600;

    fn signals(at: i64, accuracy: f64, ece: f64, violations: &[(&str, &str)], drift: f64) -> RiskSignals {
        RiskSignals {
            cohort: "a".to_owned(),
            agent: "model_logistic".to_owned(),
            at_unix: at,
            accuracy: Some(accuracy),
            ece: Some(ece),
            violations: violations.iter().map(|&(t, s)| (t.to_owned(), s.to_owned())).collect(),
            drift: Some(drift),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn components_and_fused_by_hand() {
        // error = 1 − 0.9 = 0.1; calibration = 0.04/0.16 = 0.25; violations = max(.5, .75) = .75;
        // drift = 0.2. fused = .4·.1 + .2·.25 + .25·.75 + .15·.2 = .04 + .05 + .1875 + .03 = .3075.
        let s = signals(0, 0.9, 0.04, &[("low_accuracy", "medium"), ("calibration_error", "HIGH")], 0.2);
        let c = RiskComponents::from_signals(&s);
        assert!(close(c.error, 0.1) && close(c.calibration, 0.25) && close(c.violations, 0.75) && close(c.drift, 0.2));
        assert!(close(c.fused(), 0.3075));
    }

    #[test]
    fn unknown_and_out_of_range_signals() {
        // Everything unknown: all components 0. ECE 0.5 saturates at 1; drift 3 clamps to 1;
        // unknown severity "weird" weighs .5; NaN accuracy counts as unknown.
        let none = RiskSignals {
            cohort: "a".into(),
            agent: "m".into(),
            at_unix: 0,
            accuracy: None,
            ece: None,
            violations: vec![],
            drift: None,
        };
        assert_eq!(RiskComponents::from_signals(&none), RiskComponents::default());
        let mut s = signals(0, f64::NAN, 0.5, &[("x", "weird")], 3.0);
        let c = RiskComponents::from_signals(&s);
        assert!(close(c.error, 0.0) && close(c.calibration, 1.0) && close(c.violations, 0.5) && close(c.drift, 1.0));
        s.ece = Some(f64::INFINITY);
        assert!(close(RiskComponents::from_signals(&s).calibration, 0.0));
        assert!(close(severity_weight("low"), 0.25) && close(severity_weight("Critical"), 1.0));
    }

    #[test]
    fn tiers_at_exact_boundaries() {
        assert_eq!(RiskTier::from_score(0.0), RiskTier::Low);
        assert_eq!(RiskTier::from_score(0.249_999), RiskTier::Low);
        assert_eq!(RiskTier::from_score(0.25), RiskTier::Normal);
        assert_eq!(RiskTier::from_score(0.5), RiskTier::High);
        assert_eq!(RiskTier::from_score(0.749_999), RiskTier::High);
        assert_eq!(RiskTier::from_score(0.75), RiskTier::Elevated);
        assert_eq!(RiskTier::from_score(1.0), RiskTier::Elevated);
        assert!(RiskTier::Low < RiskTier::Normal && RiskTier::High < RiskTier::Elevated);
        let json = serde_json::to_string(&[RiskTier::Low, RiskTier::Normal, RiskTier::High, RiskTier::Elevated])
            .expect("tiers serialise");
        assert_eq!(json, r#"["low","normal","high","elevated"]"#);
    }

    #[test]
    fn first_observation_scores_fused() {
        // accuracy .5, nothing else: fused = .4·.5 = .2 → LOW.
        let mut engine = RiskEngine::new(vec![]);
        let p = engine.observe(signals(100, 0.5, 0.0, &[], 0.0));
        assert!(close(p.current_score, 0.2) && close(p.fused, 0.2));
        assert_eq!(p.current_tier, RiskTier::Low);
        assert_eq!(p.observations, 1);
        assert_eq!(p.tier_history, vec![(100, RiskTier::Low)]);
        assert!(!p.should_invoke_advanced_detectors());
    }

    #[test]
    fn no_violation_no_climb() {
        // The original climbed 0.14 → 0.39 → 0.48 → 0.51 (HIGH) on identical, violation-free calls.
        // Here with fused f = .4·.2 + .2·.5 = .18 (accuracy .8, ECE .08), hourly:
        // s1 = .18; s2 = .7·.18 + .3·.18·2^(−1/24) < .18; and s(k+1) − s(k) = .3·d·(s(k) − s(k−1)) ≤ 0.
        let mut engine = RiskEngine::new(vec![]);
        let mut previous = f64::INFINITY;
        for k in 0..50 {
            let score = engine.observe(signals(k * HOUR, 0.8, 0.08, &[], 0.0)).current_score;
            assert!(score <= previous + 1e-15, "run {k}: {score} > {previous}");
            assert!(score <= 0.18 + 1e-15);
            previous = score;
        }
        let p = engine.profile("a").expect("observed");
        assert_eq!(p.current_tier, RiskTier::Low);
        assert_eq!(p.observations, 50);
        assert_eq!(p.tier_history.len(), 1);
        // Same time for every run (no decay): the score stays exactly at f = .18 (.7f + .3f = f).
        let mut engine = RiskEngine::new(vec![]);
        for _ in 0..10 {
            engine.observe(signals(0, 0.8, 0.08, &[], 0.0));
        }
        assert!(close(engine.profile("a").expect("observed").current_score, 0.18));
    }

    #[test]
    fn decay_after_24_hours_halves_the_carried_part() {
        // s1 = fused = .4·.5 = .2 at t = 0. At t = 24 h with the same signals:
        // decayed = .2·2^(−1) = .1; s2 = .7·.2 + .3·.1 = .14 + .03 = .17.
        let mut engine = RiskEngine::new(vec![]);
        engine.observe(signals(0, 0.5, 0.0, &[], 0.0));
        let p = engine.observe(signals(24 * HOUR, 0.5, 0.0, &[], 0.0));
        assert!(close(p.current_score, 0.17), "{}", p.current_score);
        // 48 h later: decayed = .17·.25 = .0425; s3 = .14 + .3·.0425 = .15275.
        let p = engine.observe(signals(72 * HOUR, 0.5, 0.0, &[], 0.0));
        assert!(close(p.current_score, 0.152_75), "{}", p.current_score);
    }

    #[test]
    fn clock_going_backwards_does_not_amplify() {
        // 10 h backwards counts as 0 h: s2 = .7·.2 + .3·.2 = .2, not .3·.2·2^(10/24) on top.
        let mut engine = RiskEngine::new(vec![]);
        engine.observe(signals(10 * HOUR, 0.5, 0.0, &[], 0.0));
        assert!(close(engine.observe(signals(0, 0.5, 0.0, &[], 0.0)).current_score, 0.2));
    }

    #[test]
    fn a_violation_raises_the_score_and_changes_tier() {
        // s1 = .2 (LOW). Same hour, a critical violation: fused = .2 + .25·1 = .45;
        // s2 = .7·.45 + .3·.2 = .315 + .06 = .375 → NORMAL, recorded in the history.
        let mut engine = RiskEngine::new(vec![]);
        engine.observe(signals(0, 0.5, 0.0, &[], 0.0));
        let p = engine.observe(signals(0, 0.5, 0.0, &[("low_accuracy", "critical")], 0.0));
        assert!(close(p.current_score, 0.375), "{}", p.current_score);
        assert_eq!(p.current_tier, RiskTier::Normal);
        assert_eq!(p.tier_history, vec![(0, RiskTier::Low), (0, RiskTier::Normal)]);
    }

    #[test]
    fn profile_scores_on_tier_boundaries() {
        // Only a critical violation: fused = .25·1 = .25 exactly → NORMAL, not LOW.
        let mut engine = RiskEngine::new(vec![]);
        let p = engine.observe(signals(0, 1.0, 0.0, &[("x", "critical")], 0.0));
        assert_eq!((p.current_score, p.current_tier), (0.25, RiskTier::Normal));
        // accuracy 0, ECE .08, critical: .4·1 + .2·(.08/.16 = .5) + .25·1 = .4 + .1 + .25 = .75 → ELEVATED.
        let mut engine = RiskEngine::new(vec![]);
        let p = engine.observe(signals(0, 0.0, 0.08, &[("x", "critical")], 0.0));
        assert_eq!((p.current_score, p.current_tier), (0.75, RiskTier::Elevated));
        assert!(p.should_invoke_advanced_detectors());
    }

    #[test]
    fn elevated_invokes_advanced_detectors() {
        // accuracy 0, ECE .16, critical violation, drift 1: fused = .4 + .2 + .25 + .15 = 1.
        let mut engine = RiskEngine::new(vec![]);
        let p = engine.observe(signals(0, 0.0, 0.16, &[("calibration_error", "critical")], 1.0));
        assert!(close(p.current_score, 1.0));
        assert_eq!(p.current_tier, RiskTier::Elevated);
        assert!(p.should_invoke_advanced_detectors());
    }

    #[test]
    fn history_round_trips_and_latest_duplicate_wins() {
        let mut engine = RiskEngine::new(vec![]);
        engine.observe(signals(0, 0.5, 0.0, &[], 0.0));
        let json = serde_json::to_string(&engine.into_profiles()).expect("serialise");
        let mut history: Vec<RiskProfile> = serde_json::from_str(&json).expect("deserialise");
        let mut stale = history[0].clone();
        stale.last_update_unix = -HOUR;
        stale.current_score = 0.9;
        history.insert(0, stale);
        let mut engine = RiskEngine::new(history);
        // Carried from the t = 0 profile (.2), not the stale .9: .7·.2 + .3·.2 = .2.
        let p = engine.observe(signals(0, 0.5, 0.0, &[], 0.0));
        assert!(close(p.current_score, 0.2));
        assert_eq!(p.observations, 2);
    }

    #[test]
    fn tier_history_keeps_last_100() {
        // Alternate accuracy 1 (fused 0, LOW) and 0 (fused .4, NORMAL) at the same time:
        // scores alternate between LOW and NORMAL, so every run is a change.
        let mut engine = RiskEngine::new(vec![]);
        for k in 0..150 {
            engine.observe(signals(k, if k % 2 == 0 { 1.0 } else { 0.0 }, 0.0, &[], 0.0));
        }
        let p = engine.profile("a").expect("observed");
        assert_eq!(p.tier_history.len(), TIER_HISTORY_LIMIT);
        assert_eq!(p.tier_history.first().map(|h| h.0), Some(50));
        assert_eq!(p.tier_history.last().map(|h| h.0), Some(149));
    }

    #[test]
    fn score_actions_aggregates_per_cohort() {
        let action = |cohort: &str, risk: f64, violation: Option<(&str, &str)>| Action {
            cohort: cohort.to_owned(),
            agent: format!("model_{cohort}"),
            risk,
            violation: violation.map(|(t, s)| (t.to_owned(), s.to_owned())),
        };
        let actions = vec![
            action("b", 0.2, None),
            action("a", 0.9, Some(("false_positive", "high"))),
            action("a", 0.1, None),
            action("a", f64::NAN, None),
            action("a", 0.6, Some(("false_negative", "medium"))),
            action("b", 0.4, Some(("false_positive", "critical"))),
        ];
        let scored = score_actions(&actions);
        assert_eq!(scored.iter().map(|c| c.cohort.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        let a = &scored[0];
        // a: 4 actions, finite risks .9 .1 .6 → mean .5333 (HIGH); 2 violations → rate .5;
        // severity (.75 + .5)/4 = .3125.
        assert_eq!((a.actions, a.violations, a.non_finite_risks), (4, 2, 1));
        assert!(close(a.mean_risk, 1.6 / 3.0) && a.mean_risk_tier == RiskTier::High);
        assert!(close(a.violation_rate, 0.5) && close(a.violation_score, 0.3125));
        assert_eq!(a.violations_by_type.get("false_negative"), Some(&1));
        // b: mean .3 (NORMAL); 1 of 2 violating; severity 1/2 = .5.
        let b = &scored[1];
        assert!(close(b.mean_risk, 0.3) && b.mean_risk_tier == RiskTier::Normal);
        assert!(close(b.violation_rate, 0.5) && close(b.violation_score, 0.5));
        assert_eq!(b.agents, ["model_b"]);
        assert!(score_actions(&[]).is_empty());
    }
}
