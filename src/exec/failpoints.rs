//! Fault injection for testing failure handling (`NETHICAL_FAILPOINTS`).
//!
//! `NETHICAL_FAILPOINTS="train[model=a]=panic;gate=error;data=sleep(2000)"` makes the named
//! instances panic, fail, or sleep (in 10 ms steps that watch for Ctrl-C) before their stage
//! runs. It exists so the scheduler's handling of panics, failures and interruption can be
//! tested through the real binary; cached instances never reach it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::instance_error::InstanceError;

/// What to do at an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Panic inside the stage.
    Panic,
    /// Return an error.
    Error,
    /// Sleep this many milliseconds first.
    Sleep(u64),
    /// Abort the process at a named point of an `audit` instance's append (`crash(mid_append)`,
    /// `crash(before_checkpoint)`), as a kill would: no destructors, no cleanup.
    Crash(String),
}

/// A `NETHICAL_FAILPOINTS` value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FailpointsError {
    /// A part without `=`.
    #[error("NETHICAL_FAILPOINTS: `{0}` is not ID=ACTION")]
    NotIdAction(String),
    /// An action that is none of the known ones.
    #[error("NETHICAL_FAILPOINTS: unknown action `{0}` (panic, error, sleep(MS), crash(POINT))")]
    UnknownAction(String),
}

/// Faults by instance id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Failpoints(BTreeMap<String, Fault>);

impl Failpoints {
    /// Parses the variable's value.
    pub fn parse(spec: &str) -> Result<Self, FailpointsError> {
        let mut out = BTreeMap::new();
        for part in spec.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, action) = part.rsplit_once('=').ok_or_else(|| FailpointsError::NotIdAction(part.to_owned()))?;
            let fault = match action {
                "panic" => Fault::Panic,
                "error" => Fault::Error,
                a if a.starts_with("crash(") && a.ends_with(')') => Fault::Crash(a[6..a.len() - 1].to_owned()),
                a => a
                    .strip_prefix("sleep(")
                    .and_then(|r| r.strip_suffix(')'))
                    .and_then(|n| n.parse().ok())
                    .map(Fault::Sleep)
                    .ok_or_else(|| FailpointsError::UnknownAction(a.to_owned()))?,
            };
            out.insert(id.to_owned(), fault);
        }
        Ok(Self(out))
    }

    /// Applies the fault for `id`, if any: panics, returns an error message, or sleeps (and
    /// returns [`InstanceError::Cancelled`] if the run is interrupted meanwhile).
    pub(crate) fn hit(&self, id: &str, cancel: &AtomicBool) -> Result<(), InstanceError> {
        match self.0.get(id) {
            None | Some(Fault::Crash(_)) => Ok(()),
            Some(Fault::Panic) => panic!("failpoint: injected panic in {id}"),
            Some(Fault::Error) => Err(InstanceError::Injected),
            Some(Fault::Sleep(ms)) => {
                let until = Instant::now() + Duration::from_millis(*ms);
                while Instant::now() < until {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(InstanceError::Cancelled);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(())
            }
        }
    }
}

impl Failpoints {
    /// Whether instance `id` should abort at `point`.
    pub fn crashes_at(&self, id: &str, point: &str) -> bool {
        matches!(self.0.get(id), Some(Fault::Crash(p)) if p == point)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_actions_and_ids_with_brackets() {
        let f = Failpoints::parse("train[model=a]=panic; gate=error;data=sleep(5)").expect("valid");
        assert_eq!(f.0.get("train[model=a]"), Some(&Fault::Panic));
        assert_eq!(f.0.get("data"), Some(&Fault::Sleep(5)));
        assert_eq!(
            Failpoints::parse("x=explode").map_err(|e| e.to_string()),
            Err("NETHICAL_FAILPOINTS: unknown action `explode` (panic, error, sleep(MS), crash(POINT))".into())
        );
        assert_eq!(
            Failpoints::parse("x").map_err(|e| e.to_string()),
            Err("NETHICAL_FAILPOINTS: `x` is not ID=ACTION".into())
        );
        assert!(f.hit("gate", &AtomicBool::new(false)).is_err());
        assert!(f.hit("other", &AtomicBool::new(false)).is_ok());
    }
}
