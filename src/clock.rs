//! The run clock: the one source of timestamps inside artifacts.
//!
//! Fixed by `SOURCE_DATE_EPOCH` when set (reproducible-builds.org convention), so two runs of
//! the same manifest produce byte-identical artifacts.

use chrono::{DateTime, SecondsFormat, Utc};

/// The instant a run started, as artifacts record it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunClock {
    at: DateTime<Utc>,
    fixed: bool,
}

/// A `SOURCE_DATE_EPOCH` that is not a Unix time.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("SOURCE_DATE_EPOCH must be a Unix time in whole seconds, found `{0}`")]
pub struct BadEpoch(pub String);

impl RunClock {
    /// The clock from `SOURCE_DATE_EPOCH`'s value if given, else now.
    pub fn from_source_date_epoch(value: Option<&str>) -> Result<Self, BadEpoch> {
        match value {
            None => Ok(Self { at: Utc::now(), fixed: false }),
            Some(v) => {
                let secs: i64 = v.trim().parse().map_err(|_| BadEpoch(v.to_owned()))?;
                let at = DateTime::from_timestamp(secs, 0).ok_or_else(|| BadEpoch(v.to_owned()))?;
                Ok(Self { at, fixed: true })
            }
        }
    }

    /// A clock fixed at a Unix time (tests, benches).
    pub fn fixed(secs: i64) -> Self {
        Self { at: DateTime::from_timestamp(secs, 0).unwrap_or_default(), fixed: true }
    }

    /// The clock of a run that started at Unix time `secs` (a Slurm job continuing a run).
    pub fn at_unix(secs: i64, fixed: bool) -> Self {
        Self { at: DateTime::from_timestamp(secs, 0).unwrap_or_default(), fixed }
    }

    /// RFC 3339 UTC, second precision: `2026-11-22T12:03:09Z`.
    pub fn timestamp(&self) -> String {
        self.at.to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// Compact form for run ids: `20261122T120309Z`.
    pub fn compact(&self) -> String {
        self.at.format("%Y%m%dT%H%M%SZ").to_string()
    }

    /// Unix time in whole seconds (risk decay across runs).
    pub fn unix_seconds(&self) -> i64 {
        self.at.timestamp()
    }

    /// Whether `SOURCE_DATE_EPOCH` fixed it.
    pub fn is_fixed(&self) -> bool {
        self.fixed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_date_epoch_fixes_the_clock() {
        let c = RunClock::from_source_date_epoch(Some("1700000000")).expect("valid");
        assert_eq!(c.timestamp(), "2023-11-14T22:13:20Z");
        assert_eq!(c.compact(), "20231114T221320Z");
        assert!(c.is_fixed());
        assert!(RunClock::from_source_date_epoch(Some("yesterday")).is_err());
    }
}
