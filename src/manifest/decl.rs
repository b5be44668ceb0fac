//! Reads a manifest's tables into stage declarations, keeping every span.
//!
//! Each stage is read as a table whose common keys (`kind`, `needs`, `matrix`, `cohort`) are
//! taken out here; the rest (the kind's parameters) stays raw until expansion has interpolated
//! it for each instance. Deserializing it only then is what lets `epochs = "${matrix.epochs}"`
//! work and still report a bad value at its own line and column (serde's internally tagged
//! enums would lose the spans; see STYLE.md).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, ValueDeserializer};

use super::PipelineMeta;
use super::StageKind;
use super::diagnostic::{Issues, did_you_mean, one_of};
use super::executor::{ExecutorConfig, Resources};
use super::input::ManifestInput;
use super::input::OverrideOrigin;
use super::limits::{Limits, exceeds};

/// Top-level tables of a manifest.
const TOP_KEYS: [&str; 5] = ["pipeline", "vars", "stages", "executor", "limits"];

/// A stage as declared, before expansion.
pub(crate) struct StageDecl<'src> {
    pub(crate) name: String,
    pub(crate) name_span: Range<usize>,
    pub(crate) kind: StageKind,
    pub(crate) needs: Vec<(String, Range<usize>)>,
    pub(crate) matrix: Option<Spanned<DeValue<'src>>>,
    pub(crate) cohort: Option<(String, Range<usize>)>,
    /// What its jobs ask a cluster for (not a parameter: it never changes the outputs).
    pub(crate) resources: Resources,
    pub(crate) body: Spanned<DeTable<'src>>,
}

/// The manifest as declared.
pub(crate) struct ManifestDecl<'src> {
    /// `None` when `[pipeline]` is missing or invalid (already reported); the stages are
    /// still checked so every error is reported in one go.
    pub(crate) pipeline: Option<PipelineMeta>,
    pub(crate) vars: BTreeMap<String, Spanned<DeValue<'src>>>,
    pub(crate) stages: BTreeMap<String, StageDecl<'src>>,
    /// The `[executor]` table (defaults when absent or invalid, which is reported).
    pub(crate) executor: ExecutorConfig,
    /// The `[limits]` table over the defaults (the defaults when invalid, which is reported).
    pub(crate) limits: Limits,
}

/// Parses the file and layers the overrides over it; `None` when the TOML itself is broken.
pub(crate) fn parse_layered<'src>(
    input: &'src ManifestInput,
    issues: &mut Issues<'_>,
) -> Option<Spanned<DeTable<'src>>> {
    let (mut root, errors) = DeTable::parse_recoverable(input.file_text());
    for e in &errors {
        let span = e.span().unwrap_or(0..0);
        issues.push(span, format!("invalid TOML: {}", e.message().trim_end()), "", None);
    }
    if !errors.is_empty() {
        return None;
    }
    for (o, text, start) in input.overrides() {
        let value = match DeValue::parse(text) {
            Ok(v) => shift(v, start),
            Err(_) => Spanned::new(start..start + text.len(), DeValue::String(Cow::Borrowed(text))),
        };
        let key = match o.origin {
            OverrideOrigin::Env { .. } => env_key_case(root.get_ref(), &o.key),
            OverrideOrigin::Flag => o.key.clone(),
        };
        set_path(root.get_mut(), &key, &key, value, start..start + text.len(), issues);
    }
    Some(root)
}

/// An environment variable's key parts, lower-cased when it was read, matched to the
/// manifest's own spelling where one key differs only in case: variable names are upper case
/// by convention, and a stage named `TrainA` must still be reachable
/// (`NETHICAL_STAGES__TRAINA__EPOCHS`).
fn env_key_case(root: &DeTable<'_>, key: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(key.len());
    let mut table = Some(root);
    for part in key {
        let spelled = table.and_then(|t| {
            if t.get(part.as_str()).is_some() {
                return Some(part.clone());
            }
            let mut same = t.keys().filter(|k| k.get_ref().eq_ignore_ascii_case(part));
            match (same.next(), same.next()) {
                (Some(k), None) => Some(k.get_ref().to_string()),
                _ => None,
            }
        });
        let spelled = spelled.unwrap_or_else(|| part.clone());
        table = table.and_then(|t| t.get(spelled.as_str())).and_then(|v| v.get_ref().as_table());
        out.push(spelled);
    }
    out
}

/// Moves an override's spans from its own text into the combined buffer.
fn shift(v: Spanned<DeValue<'_>>, by: usize) -> Spanned<DeValue<'_>> {
    let span = v.span();
    let span = span.start + by..span.end + by;
    let inner = match v.into_inner() {
        DeValue::Array(items) => {
            let mut out = DeArray::new();
            for item in items {
                out.push(shift(item, by));
            }
            DeValue::Array(out)
        }
        DeValue::Table(table) => {
            let mut out = DeTable::new();
            for (k, item) in table {
                let ks = k.span();
                out.insert(Spanned::new(ks.start + by..ks.end + by, k.into_inner()), shift(item, by));
            }
            DeValue::Table(out)
        }
        other => other,
    };
    Spanned::new(span, inner)
}

fn set_path<'src>(
    table: &mut DeTable<'src>,
    full: &[String],
    key: &[String],
    value: Spanned<DeValue<'src>>,
    span: Range<usize>,
    issues: &mut Issues<'_>,
) {
    let Some((first, rest)) = key.split_first() else { return };
    if rest.is_empty() {
        table.insert(Spanned::new(span, Cow::Owned(first.clone())), value);
        return;
    }
    if table.get(first.as_str()).is_none() {
        table.insert(
            Spanned::new(span.clone(), Cow::Owned(first.clone())),
            Spanned::new(span.clone(), DeValue::Table(DeTable::new())),
        );
    }
    match table.get_mut(first.as_str()).map(Spanned::get_mut) {
        Some(DeValue::Table(inner)) => set_path(inner, full, rest, value, span, issues),
        _ => issues.push(
            span,
            format!("cannot override `{}`: `{first}` is not a table", full.join(".")),
            "override",
            None,
        ),
    }
}

/// Turns a serde error from a stage or table into an issue, with a suggestion for unknown keys
/// and variants.
pub(crate) fn push_serde_issue(
    issues: &mut Issues<'_>,
    e: &toml::de::Error,
    fallback: Range<usize>,
    context: Option<&str>,
) {
    let message = e.message().trim_end().to_owned();
    let span = e.span().unwrap_or(fallback);
    let mut help = None;
    let mut label = "";
    for (prefix, what) in [("unknown field `", "unknown key"), ("unknown variant `", "unknown value")] {
        if let Some(rest) = message.strip_prefix(prefix) {
            label = what;
            let word = rest.split('`').next().unwrap_or_default();
            let candidates: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
            help = did_you_mean(word, candidates.iter().copied());
        }
    }
    if message.starts_with("invalid type") {
        label = "wrong type";
    } else if message.starts_with("invalid value") {
        label = "invalid value";
    } else if message.starts_with("missing field") {
        label = "in this table";
    }
    let help = match (help, context) {
        (Some(h), Some(c)) => Some(format!("{h} ({c})")),
        (Some(h), None) => Some(h),
        (None, Some(c)) => Some(c.to_owned()),
        (None, None) => None,
    };
    issues.push(span, message, label, help);
}

/// Windows device names: a file or folder so named (with any extension) cannot be checked out
/// there, and a run folder is often committed or shared.
const RESERVED_NAMES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2",
    "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Why `name` cannot be a portable folder name, or `None` when it can.
pub(crate) fn unsafe_name_reason(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    if name.len() > 100 {
        return Some("it is longer than 100 characters");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Some("it has a character other than letters, digits, `_`, `-` and `.`");
    }
    if name.starts_with('.') {
        return Some("it starts with `.` (a hidden folder)");
    }
    if name.ends_with('.') {
        return Some("it ends with `.`, which Windows drops");
    }
    let stem = name.split('.').next().unwrap_or(name);
    if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        return Some("it is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9), even with an extension");
    }
    None
}

/// A name as it may appear in a message: control characters and quotes escaped, so a manifest
/// cannot send escape sequences to the terminal.
pub(crate) fn shown(name: &str) -> String {
    name.escape_debug().to_string()
}

pub(crate) fn read_manifest<'src>(
    root: &Spanned<DeTable<'src>>,
    issues: &mut Issues<'_>,
) -> Option<ManifestDecl<'src>> {
    let table = root.get_ref();
    // First: it bounds what follows, the number of errors kept included.
    let limits = table.get("limits").map_or_else(Limits::default, |v| read_limits(v, issues));
    issues.set_max(limits.max_errors);
    if let Some(n) = issues.input_len().checked_sub(usize::try_from(limits.max_manifest_bytes).unwrap_or(usize::MAX))
        && n > 0
    {
        let span = table.get("limits").and_then(|v| v.get_ref().get("max_manifest_bytes")).map_or(0..0, Spanned::span);
        issues.push(
            span,
            exceeds(
                "the manifest's size in bytes,",
                issues.input_len(),
                "max_manifest_bytes",
                limits.max_manifest_bytes,
            ),
            "limit",
            None,
        );
        return None;
    }
    for (key, _) in table.iter() {
        if !TOP_KEYS.contains(&key.get_ref().as_ref()) {
            let help = did_you_mean(key.get_ref(), TOP_KEYS);
            issues.push(
                key.span(),
                format!("unknown top-level table `{}`, expected {}", key.get_ref(), one_of(TOP_KEYS)),
                "unknown key",
                help,
            );
        }
    }
    let pipeline = match table.get("pipeline") {
        None => {
            issues.push(0..0, "missing `[pipeline]` table", "", Some("add `[pipeline]` with `name = \"...\"`".into()));
            None
        }
        Some(v) => match PipelineMeta::deserialize(ValueDeserializer::from(v.clone())) {
            Ok(p) => {
                if let Some(reason) = unsafe_name_reason(&p.name) {
                    let span = v.get_ref().get("name").map_or(v.span(), Spanned::span);
                    issues.push(
                        span,
                        format!("pipeline name `{}` cannot be a folder name: {reason}", shown(&p.name)),
                        "used as runs/<name>/",
                        Some("use letters, digits, `_`, `-` and `.`, not starting with `.`".into()),
                    );
                }
                Some(p)
            }
            Err(e) => {
                push_serde_issue(issues, &e, v.span(), None);
                None
            }
        },
    };
    let mut vars = BTreeMap::new();
    if let Some(v) = table.get("vars") {
        match v.get_ref() {
            DeValue::Table(t) => {
                for (k, value) in t.iter() {
                    vars.insert(k.get_ref().to_string(), value.clone());
                }
            }
            other => issues.push(v.span(), format!("`vars` must be a table, found {}", other.type_str()), "", None),
        }
    }
    let stages = match table.get("stages") {
        None => {
            issues.push(0..0, "the manifest declares no stages", "", Some("add a `[stages.<name>]` table".into()));
            BTreeMap::new()
        }
        Some(v) => match v.get_ref() {
            DeValue::Table(t) => read_stages(t, issues),
            other => {
                issues.push(v.span(), format!("`stages` must be a table, found {}", other.type_str()), "", None);
                BTreeMap::new()
            }
        },
    };
    let executor = table.get("executor").map_or_else(ExecutorConfig::default, |v| read_executor(v, issues));
    Some(ManifestDecl { pipeline, vars, stages, executor, limits })
}

fn read_limits(v: &Spanned<DeValue<'_>>, issues: &mut Issues<'_>) -> Limits {
    match Limits::deserialize(ValueDeserializer::from(v.clone())) {
        Ok(limits) => {
            let wrong = limits.check();
            for (key, message) in &wrong {
                let span = v.get_ref().get(*key).map_or(v.span(), Spanned::span);
                issues.push(span, message.clone(), "out of range", None);
            }
            if wrong.is_empty() { limits } else { Limits::default() }
        }
        Err(e) => {
            push_serde_issue(issues, &e, v.span(), Some("in `[limits]`"));
            Limits::default()
        }
    }
}

fn read_executor(v: &Spanned<DeValue<'_>>, issues: &mut Issues<'_>) -> ExecutorConfig {
    match ExecutorConfig::deserialize(ValueDeserializer::from(v.clone())) {
        Ok(config) => {
            for (key, message) in config.check() {
                let span = v.get_ref().get(key).map_or(v.span(), Spanned::span);
                issues.push(span, message, "out of range", None);
            }
            config
        }
        Err(e) => {
            push_serde_issue(issues, &e, v.span(), Some("in `[executor]`"));
            ExecutorConfig::default()
        }
    }
}

fn read_stages<'src>(table: &DeTable<'src>, issues: &mut Issues<'_>) -> BTreeMap<String, StageDecl<'src>> {
    let names: Vec<String> = table.iter().map(|(k, _)| k.get_ref().to_string()).collect();
    let mut stages = BTreeMap::new();
    for (key, value) in table.iter() {
        let name = key.get_ref().to_string();
        if let Some(reason) = unsafe_name_reason(&name) {
            issues.push(
                key.span(),
                format!("stage name `{}` is not a valid identifier", shown(&name)),
                "stage name",
                Some(reason.into()),
            );
        }
        let DeValue::Table(body) = value.get_ref() else {
            issues.push(value.span(), format!("stage `{name}` must be a table"), "", None);
            continue;
        };
        if let Some(stage) = read_stage(&name, key.span(), value.span(), body, &names, issues) {
            stages.insert(name, stage);
        }
    }
    stages
}

fn read_stage<'src>(
    name: &str,
    name_span: Range<usize>,
    span: Range<usize>,
    table: &DeTable<'src>,
    all_names: &[String],
    issues: &mut Issues<'_>,
) -> Option<StageDecl<'src>> {
    let mut body = table.clone();
    let kind = match body.remove("kind") {
        None => {
            issues.push(
                name_span.clone(),
                format!("stage `{name}` has no `kind`"),
                "this stage",
                Some(format!("add `kind = ...`, one of {}", one_of(StageKind::ALL.map(StageKind::name)))),
            );
            None
        }
        Some(v) => match v.get_ref().as_str() {
            None => {
                issues.push(
                    v.span(),
                    format!("`kind` must be a string, found {}", v.get_ref().type_str()),
                    "wrong type",
                    None,
                );
                None
            }
            Some(k) => match StageKind::from_name(k) {
                None => {
                    issues.push(
                        v.span(),
                        format!("unknown stage kind `{k}`, expected {}", one_of(StageKind::ALL.map(StageKind::name))),
                        "unknown kind",
                        did_you_mean(k, StageKind::ALL.map(StageKind::name)),
                    );
                    None
                }
                Some(kind) if !kind.is_supported() => {
                    let supported: Vec<&str> =
                        StageKind::ALL.into_iter().filter(|k| k.is_supported()).map(StageKind::name).collect();
                    issues.push(
                        v.span(),
                        format!("stage kind `{k}` is not yet supported by nethical {}", crate::VERSION),
                        "not yet supported",
                        Some(format!("this version runs {}", one_of(supported))),
                    );
                    None
                }
                Some(kind) => Some(kind),
            },
        },
    };
    let mut needs = Vec::new();
    if let Some(v) = body.remove("needs") {
        match v.get_ref() {
            DeValue::Array(items) => {
                for item in items.iter() {
                    match item.get_ref().as_str() {
                        Some(n) if all_names.iter().any(|s| s == n) => needs.push((n.to_owned(), item.span())),
                        Some(n) => issues.push(
                            item.span(),
                            format!("stage `{name}` needs unknown stage `{n}`"),
                            "not declared",
                            did_you_mean(n, all_names.iter().map(String::as_str)),
                        ),
                        None => issues.push(
                            item.span(),
                            format!("`needs` lists stage names, found {}", item.get_ref().type_str()),
                            "wrong type",
                            None,
                        ),
                    }
                }
            }
            other => issues.push(
                v.span(),
                format!("`needs` must be an array of stage names, found {}", other.type_str()),
                "wrong type",
                Some("write `needs = [\"...\"]`".to_string()),
            ),
        }
    }
    let matrix = body.remove("matrix");
    if let Some(m) = &matrix
        && !m.get_ref().is_table()
    {
        issues.push(
            m.span(),
            format!("`matrix` must be a table, found {}", m.get_ref().type_str()),
            "wrong type",
            None,
        );
    }
    let cohort = match body.remove("cohort") {
        None => None,
        Some(v) => match v.get_ref().as_str() {
            Some(s) => Some((s.to_owned(), v.span())),
            None => {
                issues.push(
                    v.span(),
                    format!("`cohort` must be a string, found {}", v.get_ref().type_str()),
                    "wrong type",
                    None,
                );
                None
            }
        },
    };
    let resources = match body.remove("resources") {
        None => Resources::default(),
        Some(v) => match Resources::deserialize(ValueDeserializer::from(v.clone())) {
            Ok(r) => r,
            Err(e) => {
                push_serde_issue(issues, &e, v.span(), Some("`resources` takes `cpus`, `mem` and `time`"));
                Resources::default()
            }
        },
    };
    Some(StageDecl {
        name: name.to_owned(),
        name_span,
        kind: kind?,
        needs,
        matrix,
        cohort,
        resources,
        body: Spanned::new(span, body),
    })
}
