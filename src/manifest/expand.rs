//! Expansion of declared stages into stage instances.
//!
//! A stage's instances are the combinations of the matrix variables it inherits and its own
//! matrix. A per-cohort stage inherits the variables of the stages it needs (their natural
//! join), so `gate` needing `train[model=...]` gets one instance per `train` instance; a fan-in
//! stage inherits none and depends on every instance of what it needs.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use petgraph::graphmap::DiGraphMap;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::InstanceDecl;
use super::StageKind;
use super::decl::{ManifestDecl, StageDecl, push_serde_issue, shown, unsafe_name_reason};
use super::diagnostic::{Issues, one_of};
use super::interpolate::{Scope, interpolate_table, interpolate_text};
use super::limits::Limits;
use super::matrix::{Combo, FOLD, combinations, fold_binding, format_id};
use super::params::{MAX_FOLDS, ModelType, RangeIssue, StageParams};

/// The plan's note on a `correlation` instance of a matrix whose other models use `epochs`.
pub(crate) const EPOCHS_IGNORED: &str = "`epochs` is not used: model `correlation` boosts `rounds` trees (default 100)";

/// Stages in dependency order, ties broken by name; cycles are reported and left out.
pub(crate) fn stage_order(decl: &ManifestDecl<'_>, issues: &mut Issues<'_>) -> Vec<String> {
    let mut graph: DiGraphMap<&str, ()> = DiGraphMap::new();
    for (name, stage) in &decl.stages {
        graph.add_node(name.as_str());
        for (need, _) in &stage.needs {
            graph.add_edge(name.as_str(), need.as_str(), ());
        }
    }
    for scc in petgraph::algo::tarjan_scc(&graph) {
        let is_cycle = scc.len() > 1 || graph.contains_edge(scc[0], scc[0]);
        if !is_cycle {
            continue;
        }
        let members: BTreeSet<&str> = scc.iter().copied().collect();
        let start = members.iter().next().copied().unwrap_or_default();
        let path = cycle_path(&graph, start, &members);
        let shown: Vec<String> = path.iter().map(|s| format!("`{s}`")).collect();
        let span = decl.stages.get(start).and_then(|s| {
            let next = path.get(1).copied().unwrap_or(start);
            s.needs.iter().find(|(n, _)| n == next).map(|(_, sp)| sp.clone())
        });
        issues.push(
            span.unwrap_or(0..0),
            format!("the stages form a dependency cycle: {}", shown.join(" → ")),
            "this need closes the cycle",
            Some("each stage needs the next one; remove one of these `needs`".into()),
        );
    }
    // Kahn's algorithm over each stage's distinct needs (a need that names no stage keeps its
    // stage from ever becoming ready, like a cycle); linear in stages plus needs.
    let mut indegree: BTreeMap<&str, usize> = BTreeMap::new();
    let mut dependents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, stage) in &decl.stages {
        let needs: BTreeSet<&str> = stage.needs.iter().map(|(x, _)| x.as_str()).collect();
        indegree.insert(name.as_str(), needs.len());
        for need in needs {
            dependents.entry(need).or_default().push(name.as_str());
        }
    }
    let mut ready: BTreeSet<&str> = indegree.iter().filter(|(_, d)| **d == 0).map(|(n, _)| *n).collect();
    let mut order = Vec::new();
    while let Some(next) = ready.pop_first() {
        order.push(next.to_owned());
        for name in dependents.get(next).into_iter().flatten() {
            if let Some(d) = indegree.get_mut(name) {
                *d -= 1;
                if *d == 0 {
                    ready.insert(name);
                }
            }
        }
    }
    // Stages on a cycle (reported above) and those needing them never become ready, so the
    // rest of the manifest is still expanded and checked.
    order
}

/// The stages of a cycle in order, starting and ending at `start`.
fn cycle_path<'a>(graph: &DiGraphMap<&'a str, ()>, start: &'a str, members: &BTreeSet<&'a str>) -> Vec<&'a str> {
    fn walk<'a>(
        graph: &DiGraphMap<&'a str, ()>,
        at: &'a str,
        start: &'a str,
        members: &BTreeSet<&'a str>,
        path: &mut Vec<&'a str>,
        seen: &mut BTreeSet<&'a str>,
    ) -> bool {
        let mut next: Vec<&str> = graph.neighbors(at).filter(|n| members.contains(n)).collect();
        next.sort_unstable();
        for n in next {
            if n == start {
                path.push(n);
                return true;
            }
            if seen.insert(n) {
                path.push(n);
                if walk(graph, n, start, members, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start];
    let mut seen = BTreeSet::from([start]);
    walk(graph, start, start, members, &mut path, &mut seen);
    path
}

struct Expanded<'src> {
    id: String,
    bindings: Combo<'src>,
    cohort: Option<String>,
}

fn instance_id(stage: &str, bindings: &Combo<'_>) -> String {
    let parts: Vec<String> = bindings.iter().map(|(k, b)| format!("{k}={}", b.display())).collect();
    format_id(stage, &parts)
}

fn compatible(a: &Combo<'_>, b: &Combo<'_>) -> bool {
    b.iter().all(|(k, v)| a.get(k).is_none_or(|x| x.toml == v.toml))
}

fn contains(whole: &Combo<'_>, part: &Combo<'_>) -> bool {
    part.iter().all(|(k, v)| whole.get(k).is_some_and(|x| x.toml == v.toml))
}

/// Expands every stage; the instances come in dependency order.
pub(crate) fn expand<'src>(decl: &ManifestDecl<'src>, order: &[String], issues: &mut Issues<'_>) -> Vec<InstanceDecl> {
    let mut done: BTreeMap<&str, Vec<Expanded<'src>>> = BTreeMap::new();
    let mut out = Vec::new();
    let mut cohorts_by_kind: BTreeMap<(StageKind, String), String> = BTreeMap::new();
    // The pipeline has one audit log: two audit stages would both append to it, and a run
    // would fail only after the first had sealed its events.
    let audits: Vec<&StageDecl<'_>> = decl.stages.values().filter(|s| s.kind == StageKind::Audit).collect();
    for extra in audits.iter().skip(1) {
        issues.push(
            extra.name_span.clone(),
            format!(
                "stage `{}` is a second audit stage; a pipeline has one audit log and at most one audit stage (`{}`)",
                extra.name, audits[0].name
            ),
            "second audit stage",
            Some(format!("list the stages to seal in the `needs` of `{}`", audits[0].name)),
        );
    }
    for name in order {
        let Some(stage) = decl.stages.get(name) else { continue };
        // A stage that needs an invalid (already reported) stage cannot be expanded; saying
        // so again would only repeat the first error.
        if stage.needs.iter().any(|(n, _)| !done.contains_key(n.as_str())) {
            check_alone(decl, stage, issues);
            continue;
        }
        check_upstream_kinds(decl, stage, issues);
        let needs: Vec<&str> = {
            let mut seen = BTreeSet::new();
            stage.needs.iter().map(|(n, _)| n.as_str()).filter(|n| seen.insert(*n)).collect()
        };
        let mut inherited: Vec<Combo<'src>> = vec![Combo::new()];
        if !stage.kind.is_fan_in() {
            for need in &needs {
                let ups = done.get(need).map_or(&[][..], Vec::as_slice);
                inherited = inherited
                    .iter()
                    .flat_map(|acc| {
                        ups.iter().filter(|u| compatible(acc, &u.bindings)).map(move |u| {
                            let mut merged = acc.clone();
                            merged.extend(u.bindings.iter().map(|(k, v)| (k.clone(), v.clone())));
                            merged
                        })
                    })
                    .collect();
            }
            if inherited.is_empty() {
                issues.push(
                    stage.name_span.clone(),
                    format!("the stages `{}` needs share no matrix combination", stage.name),
                    "no instance to run",
                    None,
                );
                continue;
            }
        }
        let own = match &stage.matrix {
            None => vec![Combo::new()],
            Some(m) => match combinations(&stage.name, m, decl.limits.max_instances, issues) {
                Some(c) => c,
                None => continue,
            },
        };
        if let (Some(m), Some(first)) = (&stage.matrix, own.first()) {
            let clash: Vec<&str> =
                first.keys().filter(|k| inherited.iter().any(|i| i.contains_key(*k))).map(String::as_str).collect();
            if !clash.is_empty() {
                issues.push(
                    m.span(),
                    format!(
                        "matrix variable {} of stage `{}` is already set by the stages it needs",
                        one_of(clash),
                        stage.name
                    ),
                    "set upstream",
                    Some("a per-cohort stage runs alongside its upstream instances; drop the variable here".into()),
                );
                continue;
            }
        }
        let issues_before = issues.len();
        let mut mine: Vec<Expanded<'src>> = Vec::new();
        let mut epochs_ignored_by = Vec::new();
        let mut trains_epoch_models = false;
        for inh in &inherited {
            for o in &own {
                let mut bindings = inh.clone();
                bindings.extend(o.iter().map(|(k, v)| (k.clone(), v.clone())));
                let id = instance_id(&stage.name, &bindings);
                let multi = inherited.len() * own.len() > 1;
                let context = multi.then(|| format!("in instance `{id}`"));
                let scope = Scope { stage: &stage.name, matrix: &bindings, vars: &decl.vars };
                let body = Spanned::new(stage.body.span(), interpolate_table(stage.body.get_ref(), &scope, issues));
                let mut params = typed_params(stage, body, context.as_deref(), &decl.limits, issues);
                if let Some(StageParams::Train(p)) = &mut params {
                    if p.resolve_epochs() {
                        epochs_ignored_by.push(out.len());
                    } else {
                        trains_epoch_models |= p.model != ModelType::Correlation;
                    }
                }
                let folds = kfold_folds(stage, params.as_ref(), issues);
                for fold in folds {
                    let (bindings, id, params) = match fold {
                        Some((k, span)) => {
                            let mut with_fold = bindings.clone();
                            if let Some(b) = fold_binding(k, span) {
                                with_fold.insert(FOLD.to_owned(), b);
                            }
                            let id = instance_id(&stage.name, &with_fold);
                            let mut params = params.clone();
                            if let Some(StageParams::Load(l)) = &mut params {
                                l.split.fold = Some(k);
                            }
                            (with_fold, id, params)
                        }
                        None => (bindings.clone(), id.clone(), params.clone()),
                    };
                    let scope = Scope { stage: &stage.name, matrix: &bindings, vars: &decl.vars };
                    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
                    for need in &needs {
                        let ups = done.get(need).map_or(&[][..], Vec::as_slice);
                        let ids = ups
                            .iter()
                            .filter(|u| stage.kind.is_fan_in() || contains(&bindings, &u.bindings))
                            .map(|u| u.id.clone())
                            .collect();
                        deps.insert((*need).to_owned(), ids);
                    }
                    let cohort = cohort_for(stage, &scope, &needs, &deps, &done, &bindings, issues);
                    if let (Some(c), true) = (&cohort, stage.kind.writes_cohort())
                        && let Some(other) = cohorts_by_kind.insert((stage.kind, c.clone()), id.clone())
                    {
                        let span = stage.cohort.as_ref().map_or(stage.name_span.clone(), |(_, s)| s.clone());
                        issues.push(
                            span,
                            format!("instances `{other}` and `{id}` both write cohort `{c}`"),
                            "cohort name",
                            Some("put a matrix variable in `cohort`, e.g. `cohort = \"x_${matrix.model}\"`".into()),
                        );
                    }
                    let Some(params) = params else { continue };
                    out.push(InstanceDecl {
                        id: id.clone(),
                        stage: stage.name.clone(),
                        kind: stage.kind,
                        bindings: owned_bindings(&bindings),
                        cohort: cohort.clone(),
                        needs: deps,
                        params,
                        resources: stage.resources.clone(),
                        notes: Vec::new(),
                    });
                    mine.push(Expanded { id, bindings, cohort });
                }
            }
        }
        if !epochs_ignored_by.is_empty() {
            if trains_epoch_models {
                for &i in &epochs_ignored_by {
                    out[i].notes.push(EPOCHS_IGNORED.to_owned());
                }
            } else {
                let span =
                    stage.body.get_ref().get_key_value("epochs").map_or(stage.name_span.clone(), |(k, _)| k.span());
                issues.push(
                    span,
                    "`epochs` does not apply to model `correlation`: did you mean `rounds`?".to_owned(),
                    "not for this model",
                    Some("`correlation` boosts `rounds` trees (default 100); `epochs` counts the passes of `logistic` and `simple_transformer`".into()),
                );
            }
        }
        if issues.len() == issues_before {
            done.insert(name.as_str(), mine);
        }
    }
    out
}

/// The folds a `load` instance expands to: one per fold of a `kfold` split, each with the span
/// of its `strategy` (where a message about the `fold` variable points), or `[None]`.
fn kfold_folds(
    stage: &StageDecl<'_>,
    params: Option<&StageParams>,
    issues: &mut Issues<'_>,
) -> Vec<Option<(u32, Range<usize>)>> {
    let Some(StageParams::Load(load)) = params else { return vec![None] };
    let Some(folds) = load.split.kfold_folds() else { return vec![None] };
    let split = stage.body.get_ref().get("split");
    let key_span = |name: &str| {
        split.and_then(|t| t.get_ref().as_table()).and_then(|t| t.get_key_value(name)).map(|(k, _)| k.span())
    };
    if let Some(span) = key_span("train_ratio") {
        issues.push(
            span,
            "`split.train_ratio` does not apply to a `kfold` split: each fold trains on the other folds".to_owned(),
            "not for kfold",
            Some("leave it out; `split.folds` sets how many rows validate (one fold in `folds`)".into()),
        );
        return Vec::new();
    }
    if !(2..=MAX_FOLDS).contains(&folds) {
        return Vec::new();
    }
    let span = key_span("strategy").unwrap_or_else(|| stage.name_span.clone());
    (1..=folds).map(|k| Some((k, span.clone()))).collect()
}

fn owned_bindings(b: &Combo<'_>) -> BTreeMap<String, toml::Value> {
    b.iter().map(|(k, v)| (k.clone(), v.toml.clone())).collect()
}

fn cohort_for<'src>(
    stage: &StageDecl<'src>,
    scope: &Scope<'_, 'src>,
    needs: &[&str],
    deps: &BTreeMap<String, Vec<String>>,
    done: &BTreeMap<&str, Vec<Expanded<'src>>>,
    bindings: &Combo<'src>,
    issues: &mut Issues<'_>,
) -> Option<String> {
    if stage.kind.is_fan_in() {
        return None;
    }
    // Each fold of a cross-validation is a cohort of its own: `<name>_fold<k>`, unless the
    // template places the fold itself.
    let fold_suffix = bindings.get(FOLD).map(|b| format!("_fold{}", b.display()));
    if let Some((template, span)) = &stage.cohort {
        let mut name = interpolate_text(template, span.clone(), scope, issues)?;
        if let Some(suffix) = fold_suffix.as_deref().filter(|_| !template.contains("matrix.fold")) {
            name.push_str(suffix);
        }
        if let Some(reason) = unsafe_name_reason(&name) {
            issues.push(
                span.clone(),
                format!("cohort name `{}` cannot be a folder name: {reason}", shown(&name)),
                "used as cohorts/<name>/",
                Some("use letters, digits, `_`, `-` and `.`, not starting or ending with `.`".into()),
            );
            return None;
        }
        return Some(name);
    }
    for need in needs {
        let ids = deps.get(*need)?;
        let ups = done.get(need)?;
        if let Some(c) = ups.iter().filter(|u| ids.contains(&u.id)).find_map(|u| u.cohort.clone()) {
            return Some(c);
        }
    }
    if stage.kind == StageKind::Load {
        return None;
    }
    let mut name = stage.name.clone();
    for (_, b) in bindings.iter().filter(|(k, _)| k.as_str() != FOLD) {
        name.push('_');
        name.extend(
            b.display().chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '.') { c } else { '_' }),
        );
    }
    name.push_str(fold_suffix.as_deref().unwrap_or_default());
    Some(name)
}

fn check_upstream_kinds(decl: &ManifestDecl<'_>, stage: &StageDecl<'_>, issues: &mut Issues<'_>) {
    for (need, span) in &stage.needs {
        if decl.stages.get(need).is_some_and(|s| s.kind == StageKind::Audit) {
            issues.push(
                span.clone(),
                format!("stage `{}` needs `{need}`, an audit stage, but nothing can run after an audit stage", stage.name),
                "an audit stage",
                Some("an audit stage seals the events of the stages it needs at the end of the run; need its upstream instead".into()),
            );
        }
    }
    if stage.kind == StageKind::Audit && stage.needs.is_empty() {
        issues.push(
            stage.name_span.clone(),
            format!("audit stage `{}` needs no stage, so it has nothing to seal", stage.name),
            "nothing to seal",
            Some("list the stages whose events it seals in `needs`, e.g. `needs = [\"gate\"]`".into()),
        );
    }
    if stage.kind.compares_cohorts()
        && !stage.needs.iter().any(|(n, _)| decl.stages.get(n).is_some_and(|s| s.kind == StageKind::Train))
    {
        issues.push(
            stage.name_span.clone(),
            format!("{} stage `{}` needs no `train` stage, so it has no cohorts to compare", stage.kind, stage.name),
            "missing upstream",
            Some("list the `train` stages whose cohorts it compares in `needs` (and their `gate` and `load` stages for violations and input drift)".into()),
        );
    }
    let Some(want) = stage.kind.required_upstream() else { return };
    let found = stage.needs.iter().any(|(n, _)| decl.stages.get(n).is_some_and(|s| s.kind == want));
    if !found {
        let candidates: Vec<&str> = decl.stages.values().filter(|s| s.kind == want).map(|s| s.name.as_str()).collect();
        let help = if candidates.is_empty() {
            format!("declare a `{want}` stage and list it in `needs`")
        } else {
            format!("add {} to `needs`", one_of(candidates))
        };
        issues.push(
            stage.name_span.clone(),
            format!("stage `{}` of kind `{}` needs a stage of kind `{want}`", stage.name, stage.kind),
            "missing upstream",
            Some(help),
        );
    }
    // Each instance reads exactly one upstream instance of that kind; two such stages in
    // `needs` would give every instance one of each, which it cannot use (found at run time
    // before this check, after the upstream stages had run).
    let mut of_kind = stage.needs.iter().filter(|(n, _)| decl.stages.get(n).is_some_and(|s| s.kind == want));
    if let (Some((first, _)), Some((second, span))) = (of_kind.next(), of_kind.next()) {
        issues.push(
            span.clone(),
            format!(
                "stage `{}` of kind `{}` needs two stages of kind `{want}` (`{first}` and `{second}`), but each of its instances reads exactly one",
                stage.name, stage.kind
            ),
            "a second one",
            Some(format!("give each `{want}` stage a `{}` stage of its own", stage.kind)),
        );
    }
}

/// Checks the own table of a stage that needs an invalid (already reported) stage, so that
/// every problem is reported in one go: with its first own matrix combination, when its values
/// do not need the upstream's matrix variables. Nothing is expanded.
fn check_alone(decl: &ManifestDecl<'_>, stage: &StageDecl<'_>, issues: &mut Issues<'_>) {
    check_upstream_kinds(decl, stage, issues);
    let own = match &stage.matrix {
        None => vec![Combo::new()],
        Some(m) => match combinations(&stage.name, m, decl.limits.max_instances, issues) {
            Some(c) => c,
            None => return,
        },
    };
    let Some(bindings) = own.into_iter().next() else { return };
    let before = issues.len();
    let scope = Scope { stage: &stage.name, matrix: &bindings, vars: &decl.vars };
    let body = Spanned::new(stage.body.span(), interpolate_table(stage.body.get_ref(), &scope, issues));
    if issues.len() > before {
        // A placeholder of an upstream matrix variable: without the upstream, not an error.
        issues.truncate(before);
        return;
    }
    let context = stage.matrix.is_some().then(|| format!("in instance `{}`", instance_id(&stage.name, &bindings)));
    typed_params(stage, body, context.as_deref(), &decl.limits, issues);
}

fn typed_params<'src>(
    stage: &StageDecl<'src>,
    body: Spanned<DeTable<'src>>,
    context: Option<&str>,
    limits: &Limits,
    issues: &mut Issues<'_>,
) -> Option<StageParams> {
    let lookup = body.clone();
    let de = toml::de::Deserializer::from(body);
    let (params, ranges) = match StageParams::parse(stage.kind, de, limits) {
        Ok(parsed) => parsed,
        Err(e) => {
            push_serde_issue(issues, &e, stage.name_span.clone(), context);
            return None;
        }
    };
    if ranges.is_empty() {
        // The data file is read only once the stage's own settings are valid.
        let StageParams::Load(load) = &params else { return Some(params) };
        let found = super::data_check::load_issues(load, &issues.base_dir(), limits);
        if found.is_empty() {
            return Some(params);
        }
        for super::data_check::DataIssue { keys, message, label } in found {
            let at =
                keys.iter().find_map(|k| value_span(lookup.get_ref(), k)).unwrap_or_else(|| stage.name_span.clone());
            issues.push(at, message, label, context.map(str::to_owned));
        }
        // The settings themselves are valid: the stages that need this one still expand and
        // report their own problems.
        return Some(params);
    }
    for range in ranges {
        let RangeIssue { key, expected, over_limit } = &range;
        let at = value_span(lookup.get_ref(), key).unwrap_or_else(|| stage.name_span.clone());
        let label = if over_limit.is_some() {
            "over the limit"
        } else if expected.starts_with("left out unless") {
            "not for this setting"
        } else if expected.starts_with("left out") {
            "not for this model"
        } else if key.last() == Some(&"filter") {
            "not a condition"
        } else {
            "out of range"
        };
        issues.push(at, range.message(), label, context.map(str::to_owned));
    }
    None
}

fn value_span(table: &DeTable<'_>, key: &[&str]) -> Option<Range<usize>> {
    let (first, rest) = key.split_first()?;
    let v = table.get(*first)?;
    if rest.is_empty() {
        return Some(v.span());
    }
    match v.get_ref() {
        DeValue::Table(t) => value_span(t, rest),
        _ => None,
    }
}
