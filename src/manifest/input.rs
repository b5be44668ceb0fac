//! The text a manifest is read from: the file plus its overrides.
//!
//! Overrides (`NETHICAL_*` environment variables, then `--set key=value`) are layered over
//! the file's table before anything is validated, so a bad override is reported exactly like a
//! bad line in the file. To keep one span space, every override's value text is appended to
//! one buffer after the file text; a span past the file's end therefore belongs to an override,
//! and [`ManifestInput::locate`] maps it back to the flag or variable it came from.

use std::ffi::OsString;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Where an override came from, as the user wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OverrideOrigin {
    /// `--set stages.train.epochs=20`
    Flag,
    /// `NETHICAL_STAGES__TRAIN__EPOCHS=20`
    Env {
        /// The variable's name.
        var: String,
    },
}

/// One `key.path = value` layered over the manifest file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// Where it came from.
    pub origin: OverrideOrigin,
    /// The dotted key path, split (`["stages", "train", "epochs"]`).
    pub key: Vec<String>,
    /// The value as written: TOML (`20`, `"x"`, `[1, 2]`) or a bare word taken as a string.
    pub value: String,
}

/// Prefix of the environment variables that override manifest keys.
pub const ENV_PREFIX: &str = "NETHICAL_";

/// Top-level manifest tables an environment variable may override; other `NETHICAL_*`
/// variables (`NETHICAL_LOG`, `NETHICAL_FAILPOINTS`, ...) configure the tool, not the manifest.
const ENV_TABLES: [&str; 4] = ["pipeline", "stages", "vars", "limits"];

/// The `NETHICAL_*` variables that configure the tool (and its tests), not the manifest.
pub const TOOL_VARIABLES: [&str; 9] = [
    "NETHICAL_AUDIT_KEY",
    "NETHICAL_CACHE_DIR",
    "NETHICAL_DEBUG_CODE_VERSIONS",
    "NETHICAL_FAILPOINTS",
    "NETHICAL_KAGGLE_API",
    "NETHICAL_LINK",
    "NETHICAL_LOG",
    "NETHICAL_REFERENCE_DATA",
    "NETHICAL_UPDATE_SCHEMA",
];

/// A `NETHICAL_*` environment variable nethical cannot use: like a bad `--set`, an input
/// error, because a silently ignored variable is a setting the user believes is applied.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadVariable {
    /// Its name or value is not UTF-8.
    #[error("environment variable `{name}` is not valid UTF-8")]
    NonUtf8 {
        /// The variable's name (lossily decoded).
        name: String,
    },
    /// It is neither one of [`TOOL_VARIABLES`] nor a manifest key.
    #[error("environment variable `{name}` is not one nethical reads: {reason}")]
    Unknown {
        /// The variable's name.
        name: String,
        /// What is wrong, and the nearest known name.
        reason: String,
    },
}

/// Why `var` (a `NETHICAL_*` name) is neither a tool variable nor a manifest override, or
/// `None` when it is one of them.
fn unknown_variable(var: &str) -> Option<String> {
    if TOOL_VARIABLES.contains(&var) {
        return None;
    }
    let rest = var.strip_prefix(ENV_PREFIX)?;
    let parts: Vec<&str> = rest.split("__").collect();
    let top = parts[0].to_lowercase();
    if ENV_TABLES.contains(&top.as_str()) {
        if parts.len() < 2 {
            return Some(format!(
                "a manifest override names a key inside `[{top}]`, e.g. `{ENV_PREFIX}{}__KEY` (`__` between the parts)",
                parts[0]
            ));
        }
        if parts.iter().any(|p| p.is_empty()) {
            return Some(
                "a part of its key is empty (`__` separates the parts; a key never ends with `__`)".to_owned(),
            );
        }
        return None;
    }
    let nearest =
        TOOL_VARIABLES.iter().map(|k| (strsim::levenshtein(k, var), *k)).filter(|(d, _)| *d <= 2).min().map(|(_, k)| k);
    Some(match nearest {
        Some(k) => format!("did you mean `{k}`?"),
        None => format!(
            "the tool reads {}, and `{ENV_PREFIX}PIPELINE__*`, `{ENV_PREFIX}STAGES__*`, `{ENV_PREFIX}VARS__*` and `{ENV_PREFIX}LIMITS__*` override manifest keys",
            TOOL_VARIABLES.map(|k| format!("`{k}`")).join(", ")
        ),
    })
}

/// A malformed `--set` argument.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid override `{arg}`: {reason}")]
pub struct OverrideSyntaxError {
    /// The argument as given.
    pub arg: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Override {
    /// Parses `--set stages.train.epochs=20`.
    pub fn from_flag(arg: &str) -> Result<Self, OverrideSyntaxError> {
        let err = |reason| OverrideSyntaxError { arg: arg.to_owned(), reason };
        let (key, value) = arg.split_once('=').ok_or_else(|| err("expected KEY=VALUE"))?;
        let key: Vec<String> = key.trim().split('.').map(str::to_owned).collect();
        if key.iter().any(|part| part.is_empty()) {
            return Err(err("the key has an empty part; write it as a.b.c"));
        }
        Ok(Self { origin: OverrideOrigin::Flag, key, value: value.to_owned() })
    }

    /// Collects the manifest overrides among environment variables, sorted by name so their
    /// layering order never depends on the environment's order.
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> Vec<Self> {
        let mut found: Vec<Self> = vars
            .into_iter()
            .filter_map(|(var, value)| {
                let rest = var.strip_prefix(ENV_PREFIX)?;
                let key: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
                let top = key.first()?;
                if !ENV_TABLES.contains(&top.as_str()) || key.len() < 2 {
                    return None;
                }
                if key.iter().any(String::is_empty) {
                    return None;
                }
                Some(Self { origin: OverrideOrigin::Env { var: var.clone() }, key, value })
            })
            .collect();
        found.sort_by_key(|a| a.display());
        found
    }

    /// [`Override::from_env`] over the process environment as the OS gives it: a variable
    /// that is not UTF-8 is ignored unless it is one of nethical's (`NETHICAL_*`), which is an
    /// input error naming it (`std::env::vars` would panic on any of them).
    pub fn from_env_os(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Result<Vec<Self>, BadVariable> {
        let mut utf8 = Vec::new();
        for (name, value) in vars {
            let ours = name.as_encoded_bytes().starts_with(ENV_PREFIX.as_bytes());
            match (name.into_string(), value.into_string()) {
                (Ok(name), Ok(value)) => {
                    if let Some(reason) = ours.then(|| unknown_variable(&name)).flatten() {
                        return Err(BadVariable::Unknown { name, reason });
                    }
                    utf8.push((name, value));
                }
                (name, _) if ours => {
                    let name = name.unwrap_or_else(|n| n.to_string_lossy().into_owned());
                    return Err(BadVariable::NonUtf8 { name });
                }
                _ => {}
            }
        }
        Ok(Self::from_env(utf8))
    }

    /// The override as the user wrote it, for error messages.
    pub fn display(&self) -> String {
        match &self.origin {
            OverrideOrigin::Flag => format!("--set {}={}", self.key.join("."), self.value),
            OverrideOrigin::Env { var } => format!("{var}={}", self.value),
        }
    }

    /// Byte offset of the value inside [`Override::display`].
    fn value_offset(&self) -> usize {
        self.display().len() - self.value.len()
    }
}

/// The manifest file and its overrides, owned in one place so everything parsed from it can
/// borrow it.
#[derive(Debug)]
pub struct ManifestInput {
    path: PathBuf,
    display: String,
    combined: String,
    file_len: usize,
    overrides: Vec<(Override, Range<usize>)>,
}

/// Where a span points: the file, or one override.
#[derive(Debug, Clone)]
pub struct Located {
    /// Name of the source (the manifest path, or the override as written).
    pub name: String,
    /// Its text.
    pub text: String,
    /// The span inside `text`.
    pub span: Range<usize>,
}

impl ManifestInput {
    /// Builds the input from a file's text and the overrides layered over it, in order.
    pub fn new(path: &Path, text: String, overrides: Vec<Override>) -> Self {
        let file_len = text.len();
        let mut combined = text;
        combined.push('\n');
        let overrides = overrides
            .into_iter()
            .map(|o| {
                let start = combined.len();
                combined.push_str(&o.value);
                let range = start..combined.len();
                combined.push('\n');
                (o, range)
            })
            .collect();
        Self { path: path.to_owned(), display: path.display().to_string(), combined, file_len, overrides }
    }

    /// The manifest's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The manifest's path as shown in messages.
    pub fn display_name(&self) -> &str {
        &self.display
    }

    /// The manifest file's text.
    pub fn file_text(&self) -> &str {
        &self.combined[..self.file_len]
    }

    /// The overrides with the ranges of their values in the combined buffer.
    pub fn overrides(&self) -> impl Iterator<Item = (&Override, &str, usize)> {
        self.overrides.iter().map(|(o, r)| (o, &self.combined[r.clone()], r.start))
    }

    /// Maps a span of the combined buffer to the file or the override it lies in.
    pub fn locate(&self, span: Range<usize>) -> Located {
        if span.start <= self.file_len {
            let end = span.end.min(self.file_len);
            return Located { name: self.display.clone(), text: self.file_text().to_owned(), span: span.start..end };
        }
        for (o, range) in &self.overrides {
            if span.start >= range.start && span.start <= range.end {
                let shift = o.value_offset();
                let start = span.start - range.start + shift;
                let end = span.end.min(range.end) - range.start + shift;
                let name = match o.origin {
                    OverrideOrigin::Flag => "--set".to_owned(),
                    OverrideOrigin::Env { .. } => "environment".to_owned(),
                };
                return Located { name, text: o.display(), span: start..end.max(start) };
            }
        }
        Located { name: self.display.clone(), text: self.file_text().to_owned(), span: 0..0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_parses_key_path_and_raw_value() {
        let o = Override::from_flag("stages.train.epochs=20").expect("valid");
        assert_eq!(o.key, ["stages", "train", "epochs"]);
        assert_eq!(o.value, "20");
        assert_eq!(o.display(), "--set stages.train.epochs=20");
    }

    #[test]
    fn flag_without_equals_is_rejected() {
        let e = Override::from_flag("stages.train.epochs").expect_err("invalid");
        assert_eq!(e.to_string(), "invalid override `stages.train.epochs`: expected KEY=VALUE");
        assert!(Override::from_flag("stages..epochs=1").is_err());
    }

    #[test]
    fn env_keeps_only_manifest_tables_sorted() {
        let vars = vec![
            ("NETHICAL_STAGES__TRAIN__EPOCHS".to_owned(), "5".to_owned()),
            ("NETHICAL_LOG".to_owned(), "debug".to_owned()),
            ("NETHICAL_PIPELINE__SEED".to_owned(), "7".to_owned()),
            ("HOME".to_owned(), "/root".to_owned()),
        ];
        let found = Override::from_env(vars);
        let keys: Vec<String> = found.iter().map(|o| o.key.join(".")).collect();
        assert_eq!(keys, ["pipeline.seed", "stages.train.epochs"]);
    }

    #[test]
    fn spans_past_the_file_map_to_their_override() {
        let o = Override::from_flag("stages.train.epochs=abc").expect("valid");
        let input = ManifestInput::new(Path::new("m.toml"), "x = 1".to_owned(), vec![o]);
        let (_, text, start) = input.overrides().next().expect("one override");
        assert_eq!(text, "abc");
        let loc = input.locate(start..start + 3);
        assert_eq!(loc.name, "--set");
        assert_eq!(&loc.text[loc.span.clone()], "abc");
        let in_file = input.locate(0..1);
        assert_eq!(in_file.name, "m.toml");
    }
}
