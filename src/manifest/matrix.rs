//! Matrix expansion: `matrix = { model = [...], lr = [...], exclude = [...], include = [...] }`.
//!
//! The combinations are the cartesian product of the axes (axes in name order, values in the
//! order written), minus every combination that matches an `exclude` entry on all the keys the
//! entry names, plus each `include` entry (which must give a value for every axis) that is not
//! already there. Unlike GitHub Actions, an `include` never extends existing combinations with
//! new keys: a combination's variables are always exactly the matrix's axes, so instance ids
//! stay predictable.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeValue, ValueDeserializer};

use super::diagnostic::{Issues, did_you_mean, one_of};

/// One matrix variable's value in one combination.
#[derive(Clone, Debug)]
pub(crate) struct Binding<'src> {
    /// The value as written in the manifest, with its span, substituted for `${matrix.x}`.
    pub(crate) value: Spanned<DeValue<'src>>,
    /// The owned value, for comparisons and the resolved manifest.
    pub(crate) toml: toml::Value,
}

impl Binding<'_> {
    /// The value as it appears in instance ids and string interpolation.
    pub(crate) fn display(&self) -> String {
        display_value(&self.toml)
    }
}

/// Renders a scalar the way it appears in ids: strings bare, numbers and booleans as Rust
/// prints them.
pub fn display_value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A set of matrix variable bindings.
pub(crate) type Combo<'src> = BTreeMap<String, Binding<'src>>;

const RESERVED: [&str; 2] = ["include", "exclude"];

/// The matrix variable a `kfold` split sets on its `load` instances and everything downstream.
pub const FOLD: &str = "fold";

/// An instance id from its stage and its bindings' `name=value` parts, in binding order:
/// `train[fold=1,model=logistic]`, or the stage name alone without bindings.
pub(crate) fn format_id(stage: &str, parts: &[String]) -> String {
    if parts.is_empty() { stage.to_owned() } else { format!("{stage}[{}]", parts.join(",")) }
}

/// The id an instance would have without its `fold` binding: what the folds of one
/// cross-validated configuration share (their data's seed, their report arm).
pub fn id_without_fold(stage: &str, bindings: &BTreeMap<String, toml::Value>) -> String {
    let parts: Vec<String> =
        bindings.iter().filter(|(k, _)| k.as_str() != FOLD).map(|(k, v)| format!("{k}={}", display_value(v))).collect();
    format_id(stage, &parts)
}

/// The binding of [`FOLD`] to `fold`, pointing at `span` (the split's `strategy`) in messages.
pub(crate) fn fold_binding<'src>(fold: u32, span: std::ops::Range<usize>) -> Option<Binding<'src>> {
    // A parsed value borrows its text; the texts of the possible folds live for the program.
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let texts = TEXTS.get_or_init(|| (0..=super::params::MAX_FOLDS).map(|k| k.to_string()).collect());
    let text: &'static str = texts.get(fold as usize)?;
    let value = DeValue::parse(text).ok()?.into_inner();
    Some(Binding { value: Spanned::new(span, value), toml: toml::Value::Integer(i64::from(fold)) })
}

fn to_toml(v: &Spanned<DeValue<'_>>) -> Option<toml::Value> {
    toml::Value::deserialize(ValueDeserializer::from(v.clone())).ok()
}

fn is_scalar(v: &DeValue<'_>) -> bool {
    matches!(v, DeValue::String(_) | DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_))
}

/// Expands a stage's `matrix` table into its combinations; `None` after reporting a problem.
pub(crate) fn combinations<'src>(
    stage: &str,
    matrix: &Spanned<DeValue<'src>>,
    max_instances: u64,
    issues: &mut Issues<'_>,
) -> Option<Vec<Combo<'src>>> {
    let DeValue::Table(table) = matrix.get_ref() else { return None };
    let before = issues_len(issues);
    let mut axes: BTreeMap<String, Vec<Binding<'src>>> = BTreeMap::new();
    for (key, value) in table.iter() {
        let name = key.get_ref().to_string();
        if RESERVED.contains(&name.as_str()) {
            continue;
        }
        if name == FOLD {
            issues.push(
                key.span(),
                format!("matrix variable `{FOLD}` is reserved: a `kfold` split sets it"),
                "reserved name",
                Some("give the variable another name; for cross-validation write `split = { strategy = \"kfold\", folds = 5 }` in the `load` stage".into()),
            );
            continue;
        }
        let DeValue::Array(items) = value.get_ref() else {
            issues.push(
                value.span(),
                format!("matrix variable `{name}` must be an array of values"),
                "not an array",
                Some(format!("write `{name} = [...]`")),
            );
            continue;
        };
        if items.iter().next().is_none() {
            issues.push(value.span(), format!("matrix variable `{name}` has no values"), "empty", None);
            continue;
        }
        let mut values = Vec::new();
        for item in items.iter() {
            match (is_scalar(item.get_ref()), to_toml(item)) {
                (true, Some(toml)) => values.push(Binding { value: item.clone(), toml }),
                _ => issues.push(
                    item.span(),
                    format!("matrix values must be strings, numbers or booleans, found {}", item.get_ref().type_str()),
                    "not a scalar",
                    None,
                ),
            }
        }
        axes.insert(name, values);
    }
    if axes.is_empty() {
        issues.push(matrix.span(), format!("the matrix of stage `{stage}` has no variables"), "empty matrix", None);
        return None;
    }
    // Counted before anything is built: a matrix of 10^6 combinations would otherwise take
    // minutes and gigabytes before any other check ran.
    let count = axes.values().fold(1u128, |n, v| n.saturating_mul(v.len() as u128));
    if count > u128::from(max_instances) {
        issues.push(
            matrix.span(),
            super::limits::exceeds(
                &format!("the matrix of stage `{stage}` expands to"),
                format!("{count} combinations, which"),
                "max_instances",
                max_instances,
            ),
            "too many combinations",
            Some("split the sweep into several manifests, or sample it with an `optimize` stage".into()),
        );
        return None;
    }
    let mut combos: Vec<Combo<'src>> = vec![Combo::new()];
    for (name, values) in &axes {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut next = c.clone();
                    next.insert(name.clone(), v.clone());
                    next
                })
            })
            .collect();
    }
    let axis_names: Vec<&str> = axes.keys().map(String::as_str).collect();
    if let Some(ex) = table.get("exclude") {
        for entry in entries(ex, "exclude", issues) {
            let Some(wanted) = entry_values(&entry, &axis_names, false, issues) else { continue };
            combos.retain(|c| !wanted.iter().all(|(k, v)| c.get(k).is_some_and(|b| &b.toml == v)));
        }
    }
    if let Some(inc) = table.get("include") {
        for entry in entries(inc, "include", issues) {
            let Some(wanted) = entry_values(&entry, &axis_names, true, issues) else { continue };
            let exists = combos.iter().any(|c| wanted.iter().all(|(k, v)| c.get(k).is_some_and(|b| &b.toml == v)));
            if exists {
                continue;
            }
            let DeValue::Table(t) = entry.get_ref() else { continue };
            let combo: Combo<'src> = t
                .iter()
                .filter_map(|(k, v)| Some((k.get_ref().to_string(), Binding { value: v.clone(), toml: to_toml(v)? })))
                .collect();
            combos.push(combo);
        }
    }
    if issues_len(issues) > before {
        return None;
    }
    if combos.is_empty() {
        issues.push(
            matrix.span(),
            format!("the matrix of stage `{stage}` expands to no combinations"),
            "every combination is excluded",
            None,
        );
        return None;
    }
    Some(combos)
}

fn issues_len(issues: &Issues<'_>) -> usize {
    issues.len()
}

fn entries<'src>(v: &Spanned<DeValue<'src>>, what: &str, issues: &mut Issues<'_>) -> Vec<Spanned<DeValue<'src>>> {
    match v.get_ref() {
        DeValue::Array(items) => items.iter().cloned().collect(),
        other => {
            issues.push(
                v.span(),
                format!("matrix `{what}` must be an array of tables, found {}", other.type_str()),
                "wrong type",
                Some(format!("write `{what} = [{{ name = value }}]`")),
            );
            Vec::new()
        }
    }
}

fn entry_values(
    entry: &Spanned<DeValue<'_>>,
    axes: &[&str],
    complete: bool,
    issues: &mut Issues<'_>,
) -> Option<BTreeMap<String, toml::Value>> {
    let DeValue::Table(t) = entry.get_ref() else {
        issues.push(entry.span(), "matrix `include`/`exclude` entries must be tables", "not a table", None);
        return None;
    };
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (k, v) in t.iter() {
        let name = k.get_ref().to_string();
        if !axes.contains(&name.as_str()) {
            issues.push(
                k.span(),
                format!("`{name}` is not a matrix variable; expected {}", one_of(axes.iter().copied())),
                "unknown variable",
                did_you_mean(&name, axes.iter().copied()),
            );
            ok = false;
            continue;
        }
        match (is_scalar(v.get_ref()), to_toml(v)) {
            (true, Some(val)) => {
                out.insert(name, val);
            }
            _ => {
                issues.push(v.span(), "matrix values must be strings, numbers or booleans", "not a scalar", None);
                ok = false;
            }
        }
    }
    if complete {
        for axis in axes {
            if !out.contains_key(*axis) && ok {
                issues.push(
                    entry.span(),
                    format!("this `include` entry has no value for matrix variable `{axis}`"),
                    "incomplete combination",
                    Some("an included combination names every matrix variable".into()),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}
