//! The user's Kaggle API credentials, where they were found, and the one place the key is used.
//!
//! The key lives in a [`Zeroizing`] string, is never formatted (no `Display`, a redacting
//! `Debug`, no `Serialize`), and leaves this type only as an HTTP Basic `Authorization` value.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::KaggleError;

/// Environment variable holding the Kaggle user name.
pub const USERNAME_VAR: &str = "KAGGLE_USERNAME";
/// Environment variable holding the Kaggle API key.
pub const KEY_VAR: &str = "KAGGLE_KEY";

/// Where a set of credentials came from, so a run can say which account it used and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    /// Given by the caller (a command-line pair).
    Explicit,
    /// `KAGGLE_USERNAME` and `KAGGLE_KEY`.
    Environment,
    /// A `kaggle.json` file.
    File(PathBuf),
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Explicit => f.write_str("explicit credentials"),
            Self::Environment => write!(f, "{USERNAME_VAR}/{KEY_VAR}"),
            Self::File(path) => write!(f, "`{}`", path.display()),
        }
    }
}

/// A Kaggle user name and API key.
///
/// `Display` is deliberately not implemented and `Debug` shows `key: "<redacted>"`, so neither
/// a log line nor an error can carry the key by accident.
#[derive(Clone)]
pub struct Credentials {
    username: String,
    key: Zeroizing<String>,
    source: CredentialSource,
}

/// The `kaggle.json` layout written by Kaggle's "Create New Token" button; other fields are
/// ignored.
#[derive(Deserialize)]
struct KaggleJson {
    username: String,
    key: String,
}

impl Credentials {
    /// Credentials given directly by the caller.
    pub fn new(username: impl Into<String>, key: impl Into<String>) -> Self {
        Self { username: username.into(), key: Zeroizing::new(key.into()), source: CredentialSource::Explicit }
    }

    /// Finds credentials the way the Kaggle tools do, first match wins: the `explicit` pair,
    /// then `KAGGLE_USERNAME` + `KAGGLE_KEY` read through `env`, then
    /// `<home>/.kaggle/kaggle.json`.
    ///
    /// `env` and `home` are parameters so callers decide what the process environment is and
    /// tests never touch the real one. An empty value counts as unset (`KAGGLE_KEY=` in a
    /// shell). A source that is present but half-filled or malformed is an error rather than a
    /// reason to fall through: using a different account than the one the user half-configured
    /// would be a surprise. When nothing is found, the error lists every place it looked.
    pub fn resolve(
        explicit: Option<(String, String)>,
        env: impl Fn(&str) -> Option<String>,
        home: Option<&Path>,
    ) -> Result<Self, KaggleError> {
        if let Some((username, key)) = explicit {
            let key = Zeroizing::new(key);
            if username.is_empty() || key.is_empty() {
                return Err(KaggleError::CredentialsIncomplete {
                    problem: "the explicit pair has an empty user name or key".to_owned(),
                });
            }
            return Ok(Self { username, key, source: CredentialSource::Explicit });
        }

        let non_empty = |name: &str| env(name).filter(|v| !v.is_empty());
        let username = non_empty(USERNAME_VAR);
        let key = non_empty(KEY_VAR).map(Zeroizing::new);
        match (username, key) {
            (Some(username), Some(key)) => {
                return Ok(Self { username, key, source: CredentialSource::Environment });
            }
            (Some(_), None) => {
                return Err(KaggleError::CredentialsIncomplete {
                    problem: format!("{USERNAME_VAR} is set but {KEY_VAR} is not"),
                });
            }
            (None, Some(_)) => {
                return Err(KaggleError::CredentialsIncomplete {
                    problem: format!("{KEY_VAR} is set but {USERNAME_VAR} is not"),
                });
            }
            (None, None) => {}
        }

        let mut looked = vec!["no explicit pair given".to_owned(), format!("{USERNAME_VAR} and {KEY_VAR} are not set")];
        let Some(home) = home else {
            looked.push("no home folder to look for `.kaggle/kaggle.json` in".to_owned());
            return Err(KaggleError::CredentialsMissing { looked });
        };
        let path = home.join(".kaggle").join("kaggle.json");
        match std::fs::read(&path) {
            Ok(bytes) => Self::from_kaggle_json(&Zeroizing::new(bytes), path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                looked.push(format!("`{}` does not exist", path.display()));
                Err(KaggleError::CredentialsMissing { looked })
            }
            Err(source) => Err(KaggleError::CredentialsFileRead { path, source }),
        }
    }

    fn from_kaggle_json(bytes: &[u8], path: PathBuf) -> Result<Self, KaggleError> {
        let parsed: KaggleJson = serde_json::from_slice(bytes).map_err(|e| {
            use serde_json::error::Category;
            let reason = match e.classify() {
                Category::Syntax | Category::Eof => {
                    format!("invalid JSON at line {}, column {}", e.line(), e.column())
                }
                Category::Data => "`username` and `key` must both be strings".to_owned(),
                Category::Io => "it could not be read".to_owned(),
            };
            KaggleError::CredentialsFileMalformed { path: path.clone(), reason }
        })?;
        // Moving the String keeps its buffer, so the key is wiped on drop from here on.
        let key = Zeroizing::new(parsed.key);
        if parsed.username.is_empty() || key.is_empty() {
            return Err(KaggleError::CredentialsFileMalformed {
                path,
                reason: "`username` or `key` is empty".to_owned(),
            });
        }
        Ok(Self { username: parsed.username, key, source: CredentialSource::File(path) })
    }

    /// The Kaggle user name (not secret: it appears in errors such as a rejected login).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Where these credentials were found.
    pub fn source(&self) -> &CredentialSource {
        &self.source
    }

    /// The Kaggle CLI's warning, when the key came from a `kaggle.json` that other users can
    /// read (any group or other permission bit): the key still works, but it should not.
    pub fn permission_warning(&self) -> Option<String> {
        use std::os::unix::fs::PermissionsExt;
        let CredentialSource::File(path) = &self.source else { return None };
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "the Kaggle API key file `{}` is readable by other users (mode {mode:o}); run `chmod 600 {}`",
                path.display(),
                path.display()
            )
        })
    }

    /// The `Authorization` header value for HTTP Basic auth, the only form in which the key
    /// leaves this type.
    pub(super) fn basic_authorization(&self) -> Zeroizing<String> {
        let pair = Zeroizing::new(format!("{}:{}", self.username, self.key.as_str()));
        Zeroizing::new(format!("Basic {}", STANDARD.encode(pair.as_bytes())))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("key", &"<redacted>")
            .field("source", &self.source)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "s3cr3t-key-0123456789abcdef";

    fn env_with(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn home_with_json(json: &str) -> tempfile::TempDir {
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(home.path().join(".kaggle")).expect("mkdir");
        std::fs::write(home.path().join(".kaggle/kaggle.json"), json).expect("write");
        home
    }

    #[test]
    fn explicit_pair_wins_over_env_and_file() {
        let home = home_with_json(r#"{"username":"file-user","key":"k"}"#);
        let env = env_with(&[("KAGGLE_USERNAME", "env-user"), ("KAGGLE_KEY", "k")]);
        let c = Credentials::resolve(Some(("cli-user".into(), KEY.into())), env, Some(home.path())).expect("found");
        assert_eq!((c.username(), c.source()), ("cli-user", &CredentialSource::Explicit));
    }

    #[test]
    fn a_key_file_others_can_read_is_warned_about_as_the_kaggle_cli_does() {
        use std::os::unix::fs::PermissionsExt;
        let home = home_with_json(r#"{"username":"file-user","key":"k"}"#);
        let path = home.path().join(".kaggle/kaggle.json");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let c = Credentials::resolve(None, no_env, Some(home.path())).expect("found");
        let warning = c.permission_warning().expect("a warning");
        assert!(
            warning.ends_with(&format!("is readable by other users (mode 644); run `chmod 600 {}`", path.display()))
        );
        assert!(!warning.contains(KEY), "the key is never in the warning");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(c.permission_warning(), None);
        let env = env_with(&[("KAGGLE_USERNAME", "env-user"), ("KAGGLE_KEY", KEY)]);
        assert_eq!(Credentials::resolve(None, env, None).expect("found").permission_warning(), None);
    }

    #[test]
    fn env_wins_over_file() {
        let home = home_with_json(r#"{"username":"file-user","key":"k"}"#);
        let env = env_with(&[("KAGGLE_USERNAME", "env-user"), ("KAGGLE_KEY", KEY)]);
        let c = Credentials::resolve(None, env, Some(home.path())).expect("found");
        assert_eq!((c.username(), c.source()), ("env-user", &CredentialSource::Environment));
    }

    #[test]
    fn file_is_the_last_resort_and_extra_fields_are_ignored() {
        let home = home_with_json(r#"{"username":"file-user","key":"k","proxy":null}"#);
        let c = Credentials::resolve(None, no_env, Some(home.path())).expect("found");
        assert_eq!(c.username(), "file-user");
        assert_eq!(c.source(), &CredentialSource::File(home.path().join(".kaggle/kaggle.json")));
    }

    #[test]
    fn empty_env_values_count_as_unset() {
        let home = home_with_json(r#"{"username":"file-user","key":"k"}"#);
        let env = env_with(&[("KAGGLE_USERNAME", ""), ("KAGGLE_KEY", "")]);
        let c = Credentials::resolve(None, env, Some(home.path())).expect("found");
        assert_eq!(c.username(), "file-user");
    }

    #[test]
    fn half_set_env_is_an_error_not_a_fall_through() {
        let home = home_with_json(r#"{"username":"file-user","key":"k"}"#);
        let err = Credentials::resolve(None, env_with(&[("KAGGLE_KEY", KEY)]), Some(home.path())).expect_err("half");
        assert_eq!(err.to_string(), "Kaggle credentials are incomplete: KAGGLE_KEY is set but KAGGLE_USERNAME is not");
        assert!(!format!("{err:?}").contains(KEY));
    }

    #[test]
    fn missing_everywhere_names_every_place_it_looked() {
        let home = tempfile::tempdir().expect("tempdir");
        let err = Credentials::resolve(None, no_env, Some(home.path())).expect_err("missing");
        let path = home.path().join(".kaggle/kaggle.json");
        assert_eq!(
            err.to_string(),
            format!(
                "no Kaggle credentials found: no explicit pair given; KAGGLE_USERNAME and KAGGLE_KEY are not set; \
                 `{}` does not exist",
                path.display()
            )
        );
        let err = Credentials::resolve(None, no_env, None).expect_err("missing");
        assert!(err.to_string().ends_with("no home folder to look for `.kaggle/kaggle.json` in"), "{err}");
    }

    #[test]
    fn malformed_file_errors_never_quote_the_key() {
        // A numeric key would be quoted by serde_json's own message ("invalid type: integer ...").
        for (json, reason) in [
            (r#"{"username":"u","key":987654321987654321}"#, "`username` and `key` must both be strings"),
            (r#"{"username":"u"}"#, "`username` and `key` must both be strings"),
            (r#"{"username":"u","key":""}"#, "`username` or `key` is empty"),
            ("{\"username\":\"u\",\n\"key\":\"987654321987654321\" oops}", "invalid JSON at line 2, column 28"),
        ] {
            let home = home_with_json(json);
            let err = Credentials::resolve(None, no_env, Some(home.path())).expect_err(json);
            assert!(matches!(err, KaggleError::CredentialsFileMalformed { .. }), "{err:?}");
            let shown = format!("{err} {err:?}");
            assert!(shown.contains(reason), "{shown}");
            assert!(!shown.contains("987654321987654321"), "{shown}");
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        let c = Credentials::new("alice", KEY);
        let shown = format!("{c:?} {c:#?}");
        assert!(shown.contains("alice") && shown.contains("<redacted>"), "{shown}");
        assert!(!shown.contains(KEY), "{shown}");
    }

    #[test]
    fn basic_authorization_is_base64_of_user_colon_key() {
        let c = Credentials::new("alice", "open-sesame");
        // printf 'alice:open-sesame' | base64
        assert_eq!(c.basic_authorization().as_str(), "Basic YWxpY2U6b3Blbi1zZXNhbWU=");
    }
}
