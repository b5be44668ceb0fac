//! Relative paths that cannot leave the folder they are joined to.

use std::path::{Component, Path, PathBuf};

/// A path relative to a run folder or cache entry: no root, no `..`, no empty parts. Every
/// path a stage writes goes through this type, so no manifest value can place a file outside
/// the run's folder.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(String);

/// Why a path was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("path `{path}` must stay inside the run folder: {reason}")]
pub struct RelPathError {
    /// The path.
    pub path: String,
    /// Why.
    pub reason: &'static str,
}

impl RelPath {
    /// Checks and wraps a `/`-separated relative path.
    pub fn new(path: &str) -> Result<Self, RelPathError> {
        let err = |reason| RelPathError { path: path.to_owned(), reason };
        if path.is_empty() {
            return Err(err("it is empty"));
        }
        if path.contains('\\') || path.contains('\0') {
            return Err(err("it contains `\\` or NUL"));
        }
        for c in Path::new(path).components() {
            match c {
                Component::Normal(_) => {}
                Component::ParentDir => return Err(err("it contains `..`")),
                Component::RootDir | Component::Prefix(_) => return Err(err("it is absolute")),
                Component::CurDir => return Err(err("it contains `.`")),
            }
        }
        if path.split('/').any(str::is_empty) {
            return Err(err("it has an empty part"));
        }
        Ok(Self(path.to_owned()))
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Joins it under `base`.
    pub fn under(&self, base: &Path) -> PathBuf {
        base.join(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_nested_relative_paths() {
        assert_eq!(RelPath::new("cohorts/a/model.json").expect("ok").as_str(), "cohorts/a/model.json");
    }

    #[test]
    fn refuses_escapes() {
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a\\b", "a/"] {
            assert!(RelPath::new(bad).is_err(), "{bad}");
        }
    }
}
