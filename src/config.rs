//! The runner's own settings (not a pipeline's): runs and cache folders, `jobs`, `link`, the
//! default executor, the output level and the gc policy, layered with figment and keeping where
//! each value came from.
//!
//! Layers, lowest first: built-in defaults, the user's `~/.config/nethical/config.toml`
//! (`$XDG_CONFIG_HOME`), the project's `nethical.toml` (the first found walking up from the
//! working folder, stopping at the repository root, the folder holding `.git`), then the
//! `NETHICAL_*` variables the CLI reads, then flags. So a project's file beats a user's, as
//! `.git/config` beats `~/.gitconfig`. Relative folders in a file are relative to that file's
//! folder.
//!
//! Each file is parsed with `toml` + serde first (`deny_unknown_fields`), so an error points at
//! its file, line and column; figment then only merges tables that are known to be valid and
//! records each value's source (the crate note in STYLE.md: its own TOML provider keeps no
//! line or column).

use std::path::{Path, PathBuf};

use figment::value::{Dict, Map};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Serialize};

/// The project file's name.
pub const PROJECT_FILE: &str = "nethical.toml";

/// Settings as one layer gives them: every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Folder of run folders (`--runs-dir`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs_dir: Option<PathBuf>,
    /// The stage cache (`--cache-dir`, `NETHICAL_CACHE_DIR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_dir: Option<PathBuf>,
    /// Instances computed at once (`-j`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jobs: Option<usize>,
    /// How cached artifacts are placed in run folders, in order of preference (`--link`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Vec<LinkSetting>>,
    /// Where instances compute by default (`--executor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<ExecutorSetting>,
    /// How much the commands print (`-q`, `-v`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputLevel>,
    /// `nethical gc`'s policy when its flags are not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gc: Option<GcSettings>,
}

/// `[gc]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcSettings {
    /// `--keep-last`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_last: Option<usize>,
    /// `--older-than` (30d, 12h, 2w).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub older_than: Option<String>,
}

/// A `link` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkSetting {
    /// A copy-on-write clone.
    Reflink,
    /// A hard link to the read-only cache file.
    Hardlink,
    /// A copy.
    Copy,
}

/// An executor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutorSetting {
    /// Threads of this process.
    Local,
    /// A Slurm cluster.
    Slurm,
}

/// An output level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputLevel {
    /// Warnings and errors only (`-q`).
    Quiet,
    /// Progress, notes, warnings and errors.
    Normal,
    /// Detail as well (`-v`).
    Verbose,
}

/// A settings file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Unreadable.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid TOML, or a key or value the settings do not have.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The layers could not be merged (not expected for tables that parsed).
    #[error("settings: {0}")]
    Merge(String),
}

/// One layer: a parsed file or the environment, with its name for provenance.
struct Layer {
    name: String,
    source: Option<PathBuf>,
    settings: Settings,
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        let meta = Metadata::named(self.name.clone());
        match &self.source {
            Some(path) => meta.source(path.as_path()),
            None => meta,
        }
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        figment::providers::Serialized::defaults(&self.settings).data()
    }
}

/// The merged settings and where each came from.
pub struct Layered {
    figment: Figment,
    /// The merged settings.
    pub settings: Settings,
    /// The files read, lowest layer first.
    pub files: Vec<PathBuf>,
}

impl Layered {
    /// Where the value at `key` (`cache_dir`, `gc.keep_last`) came from: a file's path, an
    /// environment variable, or `None` for the built-in default.
    pub fn source_of(&self, key: &str) -> Option<String> {
        let meta = self.figment.find_metadata(key)?;
        Some(match &meta.source {
            Some(figment::Source::File(p)) => p.display().to_string(),
            _ => meta.name.to_string(),
        })
    }
}

/// Reads the layers for a process working in `cwd`, with the user's configuration folder
/// `user_dir` (`~/.config/nethical`) and the environment given by `var`.
pub fn load(cwd: &Path, user_dir: Option<&Path>, var: impl Fn(&str) -> Option<String>) -> Result<Layered, ConfigError> {
    let mut layers = Vec::new();
    let mut files = Vec::new();
    if let Some(path) = user_dir.map(|d| d.join("config.toml")).filter(|p| p.is_file()) {
        layers.push(read_layer(&path)?);
        files.push(path);
    }
    if let Some(path) = project_file(cwd) {
        layers.push(read_layer(&path)?);
        files.push(path);
    }
    let mut env = Settings::default();
    if let Some(v) = var("NETHICAL_CACHE_DIR") {
        env.cache_dir = Some(PathBuf::from(v));
        layers.push(Layer { name: "NETHICAL_CACHE_DIR".to_owned(), source: None, settings: env.clone() });
    }
    let mut figment = Figment::new();
    for layer in layers {
        figment = figment.merge(layer);
    }
    let settings: Settings = figment.extract().map_err(|e| ConfigError::Merge(e.to_string()))?;
    Ok(Layered { figment, settings, files })
}

/// The user's configuration folder: `$XDG_CONFIG_HOME/nethical`, else `$HOME/.config/nethical`.
pub fn user_dir(var: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    var("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| var("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("nethical"))
}

/// The project's `nethical.toml`: the first walking up from `cwd`, not above the folder that
/// holds `.git`.
pub fn project_file(cwd: &Path) -> Option<PathBuf> {
    for dir in cwd.ancestors() {
        let candidate = dir.join(PROJECT_FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// Parses one file, resolving its relative folders against the file's folder.
fn read_layer(path: &Path) -> Result<Layer, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
    let mut settings: Settings = toml::from_str(&text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_column(&text, s.start));
        ConfigError::Invalid { path: path.to_owned(), line, column, message: e.message().to_owned() }
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    for dir in [&mut settings.runs_dir, &mut settings.cache_dir].into_iter().flatten() {
        if dir.is_relative() {
            *dir = base.join(&*dir);
        }
    }
    if settings.jobs == Some(0) {
        let at = text.find("jobs").unwrap_or(0);
        let (line, column) = line_column(&text, at);
        return Err(ConfigError::Invalid {
            path: path.to_owned(),
            line,
            column,
            message: "`jobs` must be at least 1".to_owned(),
        });
    }
    Ok(Layer { name: path.display().to_string(), source: Some(path.to_owned()), settings })
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |i| before[i + 1..].chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn the_project_file_beats_the_users_and_the_environment_beats_both() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let user = tmp.path().join("home/.config/nethical");
        write(&user, "config.toml", "jobs = 3\ncache_dir = \"/shared/cache\"\n[gc]\nkeep_last = 5\n");
        let project = tmp.path().join("repo");
        std::fs::create_dir_all(project.join(".git")).expect("git");
        write(&project, PROJECT_FILE, "jobs = 2\nruns_dir = \"out/runs\"\n");
        let cwd = project.join("pipelines");
        std::fs::create_dir_all(&cwd).expect("cwd");
        let none = |_: &str| None;
        let l = load(&cwd, Some(&user), none).expect("load");
        assert_eq!(l.settings.jobs, Some(2));
        assert_eq!(l.settings.runs_dir, Some(project.join("out/runs")));
        assert_eq!(l.settings.cache_dir, Some(PathBuf::from("/shared/cache")));
        assert_eq!(l.settings.gc.as_ref().and_then(|g| g.keep_last), Some(5));
        assert_eq!(l.source_of("jobs"), Some(project.join(PROJECT_FILE).display().to_string()));
        assert_eq!(l.source_of("gc.keep_last"), Some(user.join("config.toml").display().to_string()));
        let env = |k: &str| (k == "NETHICAL_CACHE_DIR").then(|| "/env/cache".to_owned());
        let l = load(&cwd, Some(&user), env).expect("load");
        assert_eq!(l.settings.cache_dir, Some(PathBuf::from("/env/cache")));
        assert_eq!(l.source_of("cache_dir").as_deref(), Some("NETHICAL_CACHE_DIR"));
    }

    #[test]
    fn a_file_above_the_repository_is_not_read_and_errors_have_a_line() {
        let tmp = tempfile::tempdir().expect("tempdir");
        write(tmp.path(), PROJECT_FILE, "jobs = 9\n");
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("git");
        assert_eq!(project_file(&repo), None);
        write(&repo, PROJECT_FILE, "jobs = 2\nlnk = [\"copy\"]\n");
        let e = load(&repo, None, |_| None).err().expect("an error");
        assert!(e.to_string().contains("nethical.toml:2:1: unknown field `lnk`"), "{e}");
        write(&repo, PROJECT_FILE, "link = [\"symlink\"]\n");
        let e = load(&repo, None, |_| None).err().expect("an error");
        assert!(e.to_string().contains("nethical.toml:1:"), "{e}");
    }
}
