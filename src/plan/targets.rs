//! Running part of a pipeline: `nethical run M [STAGE...]`, `--until STAGE` and
//! `--forcerun STAGE`, the conventions of `dvc repro TARGET` and `snakemake TARGET`.
//!
//! A target names a stage (all its instances) or one instance id. Selection keeps the targets
//! and everything they need, transitively; the rest of the plan is left out, as DVC and
//! Snakemake leave out what a target does not need, so a partial run neither computes nor
//! publishes it. Restricting the plan itself (rather than marking instances skipped) keeps
//! every later step (keys, scheduling, publishing) unaware of targets.

use std::collections::BTreeSet;

use super::Plan;
use crate::manifest::did_you_mean;

/// A target names neither a stage nor an instance of the manifest.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{name}` is neither a stage nor a stage instance of pipeline `{pipeline}`{}", hint.as_ref().map(|h| format!(": {h}")).unwrap_or_default())]
pub struct UnknownTarget {
    /// The name given.
    pub name: String,
    /// The pipeline.
    pub pipeline: String,
    /// "did you mean `x`?" when a stage or instance name is close.
    pub hint: Option<String>,
}

/// Indices of the instances `name` designates: every instance of the stage `name`, or the
/// instance whose id is `name`.
pub fn resolve(plan: &Plan, name: &str) -> Result<Vec<usize>, UnknownTarget> {
    if let Some(i) = plan.position(name) {
        return Ok(vec![i]);
    }
    let of_stage: Vec<usize> =
        plan.instances.iter().enumerate().filter(|(_, inst)| inst.decl.stage == name).map(|(i, _)| i).collect();
    if !of_stage.is_empty() {
        return Ok(of_stage);
    }
    let stages: BTreeSet<&str> = plan.instances.iter().map(|i| i.decl.stage.as_str()).collect();
    let names = stages.into_iter().chain(plan.instances.iter().map(|i| i.id()));
    Err(UnknownTarget { name: name.to_owned(), pipeline: plan.pipeline.name.clone(), hint: did_you_mean(name, names) })
}

/// Indices of the instances `names` designate, each checked (see [`resolve`]).
pub fn resolve_all(plan: &Plan, names: &[String]) -> Result<BTreeSet<usize>, UnknownTarget> {
    let mut out = BTreeSet::new();
    for name in names {
        out.extend(resolve(plan, name)?);
    }
    Ok(out)
}

/// `targets` and every instance they need, transitively.
pub fn closure(plan: &Plan, targets: &BTreeSet<usize>) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = targets.iter().copied().collect();
    while let Some(i) = stack.pop() {
        if seen.insert(i) {
            stack.extend(plan.instances[i].deps.iter().copied());
        }
    }
    seen
}

/// The plan restricted to `targets` and their dependency closure, and to the closure of
/// `until` (Snakemake's `--until`: run up to and including those). Empty lists select
/// everything; the plan is returned unchanged when nothing is left out.
pub fn select(plan: &Plan, targets: &[String], until: &[String]) -> Result<Plan, UnknownTarget> {
    let all: BTreeSet<usize> = (0..plan.instances.len()).collect();
    let mut keep = all.clone();
    for names in [targets, until] {
        if !names.is_empty() {
            let chosen = closure(plan, &resolve_all(plan, names)?);
            keep = keep.intersection(&chosen).copied().collect();
        }
    }
    Ok(if keep == all { plan.clone() } else { plan.restrict(&keep) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/multi_model.toml");
        let text = std::fs::read_to_string(&path).expect("the example pipeline");
        let m = crate::manifest::load(&crate::manifest::ManifestInput::new(&path, text, Vec::new())).expect("valid");
        Plan::new(m, ".")
    }

    #[test]
    fn a_stage_name_selects_its_instances_and_their_needs() {
        let p = plan();
        let train = select(&p, &["train".into()], &[]).expect("known");
        assert_eq!(train.instances.len(), 6, "data and five train instances");
        let one = select(&p, &["train[model=logistic]".into()], &[]).expect("known");
        let ids: Vec<&str> = one.instances.iter().map(|i| i.id()).collect();
        assert_eq!(ids, ["data", "train[model=logistic]"]);
        assert_eq!(one.instances[1].deps, [0]);
        assert!(one.is_partial());
        let up_to_gate = select(&p, &[], &["gate".into()]).expect("known");
        assert!(up_to_gate.instances.iter().all(|i| i.decl.stage != "report" && i.decl.stage != "audit"));
    }

    #[test]
    fn an_unknown_name_suggests_the_closest() {
        let e = select(&plan(), &["trian".into()], &[]).expect_err("unknown");
        assert_eq!(e.hint.as_deref(), Some("did you mean `train`?"));
    }
}
