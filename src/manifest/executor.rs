//! Where a pipeline's instances compute: the `[executor]` table and each stage's `resources`.
//!
//! Neither is part of the resolved manifest, its digest or any cache key: where an instance ran
//! never changes what it computed, so a run on a Slurm cluster and a local run of the same
//! manifest share their cache and write byte-identical artifacts.

use std::fmt;
use std::num::NonZeroU32;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// Deserializes a string newtype through its `parse`, so a bad value is reported where it is
/// written, with `parse`'s words.
macro_rules! parsed_from_string {
    ($($t:ty),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

parsed_from_string!(Memory, TimeLimit, SlurmName);

/// Which executor runs the instances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExecutorKind {
    /// Threads of this process (`-j N` at once).
    #[default]
    Local,
    /// Jobs on a Slurm cluster, submitted with `sbatch`; the run folder and the cache must be
    /// on a filesystem every node shares.
    Slurm,
}

impl ExecutorKind {
    /// Its name in manifests and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Slurm => "slurm",
        }
    }
}

/// What one instance's job asks the cluster for (`sbatch --cpus-per-task`, `--mem`, `--time`).
/// Unset fields fall back to `[executor]`'s, then to the cluster's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// CPUs of the job (`--cpus-per-task`); the instance sizes its threads from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<NonZeroU32>,
    /// Memory of the job (`--mem`): a whole number with an optional unit K, M, G or T
    /// (megabytes without one), e.g. `"4G"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem: Option<Memory>,
    /// Wall-clock limit (`--time`), in one of Slurm's forms: `MM`, `MM:SS`, `HH:MM:SS`,
    /// `D-HH`, `D-HH:MM`, `D-HH:MM:SS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeLimit>,
}

impl Resources {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.cpus.is_none() && self.mem.is_none() && self.time.is_none()
    }

    /// These resources, with `defaults` filling what is unset.
    #[must_use]
    pub fn or(&self, defaults: &Self) -> Self {
        Self {
            cpus: self.cpus.or(defaults.cpus),
            mem: self.mem.clone().or_else(|| defaults.mem.clone()),
            time: self.time.clone().or_else(|| defaults.time.clone()),
        }
    }
}

/// A `--mem` value, checked when the manifest is read rather than when the cluster refuses it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Memory(#[schemars(regex(pattern = r"^[0-9]+[KMGTkmgt]?$"))] String);

impl Memory {
    /// Parses `4G`, `512M`, `1024`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let digits = s.trim_end_matches(['K', 'M', 'G', 'T', 'k', 'm', 'g', 't']);
        let unit_len = s.len() - digits.len();
        if digits.is_empty() || unit_len > 1 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "`{s}` is not a memory size: write a whole number with an optional unit K, M, G or T, e.g. \"4G\""
            ));
        }
        if digits.bytes().all(|b| b == b'0') {
            return Err(format!("`{s}` is no memory at all: ask for at least 1M"));
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    /// As `sbatch --mem` takes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A `--time` value in one of Slurm's forms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct TimeLimit(#[schemars(regex(pattern = r"^([0-9]+-)?[0-9]+(:[0-9]+){0,2}$"))] String);

impl TimeLimit {
    /// Parses `30`, `30:00`, `01:30:00`, `2-00`, `2-00:30`, `2-00:30:00`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{s}` is not a Slurm time limit: write MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS, e.g. \"01:30:00\""
            )
        };
        let (days, rest) = match s.split_once('-') {
            Some((d, r)) => (Some(d), r),
            None => (None, s),
        };
        let number = |p: &str| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit());
        if days.is_some_and(|d| !number(d)) {
            return Err(bad());
        }
        let parts: Vec<&str> = rest.split(':').collect();
        if parts.len() > 3 || !parts.iter().all(|p| number(p)) {
            return Err(bad());
        }
        let total: u64 = parts.iter().chain(days.as_slice()).map(|p| p.parse::<u64>().unwrap_or(0)).sum();
        if total == 0 {
            return Err(format!("`{s}` leaves no time to run: ask for at least a minute"));
        }
        Ok(Self(s.to_owned()))
    }

    /// As `sbatch --time` takes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `[executor]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecutorConfig {
    /// `local` (the default) or `slurm`; `nethical run --executor` overrides it.
    #[serde(default)]
    pub kind: ExecutorKind,
    /// Slurm partition (`--partition`); the cluster's default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<SlurmName>,
    /// Slurm account charged for the jobs (`--account`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<SlurmName>,
    /// At most this many instances submitted and not yet finished at once.
    #[serde(default = "default_max_jobs")]
    pub max_jobs: NonZeroU32,
    /// Seconds between two `squeue` calls.
    #[serde(default = "default_poll_interval")]
    #[schemars(range(min = 0.05, max = 600.0))]
    pub poll_interval: f64,
    /// Seconds to wait, after a job left the queue, for the status file it wrote to appear
    /// (a shared filesystem can show it late). A job that leaves none by then failed.
    #[serde(default = "default_status_timeout")]
    #[schemars(range(min = 0.0, max = 3600.0))]
    pub status_timeout: f64,
    /// More `sbatch` options, passed as they are (e.g. `["--qos=normal", "--constraint=avx2"]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sbatch_args: Vec<String>,
    // The defaults below repeat `Resources`' fields rather than flatten it: serde cannot
    // combine `flatten` with `deny_unknown_fields`, and a misspelt key must be an error.
    /// CPUs of every stage's jobs, unless the stage's `resources` says otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<NonZeroU32>,
    /// Memory of every stage's jobs (`"4G"`), unless the stage's `resources` says otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem: Option<Memory>,
    /// Time limit of every stage's jobs, unless the stage's `resources` says otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeLimit>,
}

fn default_max_jobs() -> NonZeroU32 {
    NonZeroU32::new(100).unwrap_or(NonZeroU32::MIN)
}

fn default_poll_interval() -> f64 {
    1.0
}

fn default_status_timeout() -> f64 {
    60.0
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self {
            kind: ExecutorKind::Local,
            partition: None,
            account: None,
            max_jobs: default_max_jobs(),
            poll_interval: default_poll_interval(),
            status_timeout: default_status_timeout(),
            sbatch_args: Vec::new(),
            cpus: None,
            mem: None,
            time: None,
        }
    }
}

impl ExecutorConfig {
    /// The resources every stage's jobs get by default.
    pub fn default_resources(&self) -> Resources {
        Resources { cpus: self.cpus, mem: self.mem.clone(), time: self.time.clone() }
    }

    /// Range checks serde cannot express; each problem as (key, message).
    pub fn check(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !(0.05..=600.0).contains(&self.poll_interval) {
            out.push((
                "poll_interval",
                format!("poll_interval must be between 0.05 and 600 seconds, found {}", self.poll_interval),
            ));
        }
        if !(0.0..=3600.0).contains(&self.status_timeout) {
            out.push((
                "status_timeout",
                format!("status_timeout must be between 0 and 3600 seconds, found {}", self.status_timeout),
            ));
        }
        out
    }
}

/// A partition or account name: passed to `sbatch` as one argument, so it is kept to the
/// characters Slurm names use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct SlurmName(#[schemars(regex(pattern = r"^[A-Za-z0-9_.-]{1,64}$"))] String);

impl SlurmName {
    /// Parses a name of letters, digits, `_`, `-` and `.`.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() || s.len() > 64 || !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(format!("`{s}` is not a Slurm partition or account name (letters, digits, `_`, `-`, `.`)"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_accepts_slurm_sizes_only() {
        assert_eq!(Memory::parse("4g").map(|m| m.as_str().to_owned()), Ok("4G".to_owned()));
        assert!(Memory::parse("1024").is_ok());
        for bad in ["", "G", "4GB", "-1G", "0", "1.5G", "4 G"] {
            assert!(Memory::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn time_limit_accepts_the_forms_sbatch_documents() {
        for ok in ["30", "30:00", "01:30:00", "2-00", "2-00:30", "2-00:30:00"] {
            assert!(TimeLimit::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1h", "1:2:3:4", "-5", "0", "00:00:00", "1-", "a-01"] {
            assert!(TimeLimit::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stage_resources_fall_back_to_the_executors() {
        let stage = Resources { cpus: NonZeroU32::new(4), ..Resources::default() };
        let defaults =
            Resources { cpus: NonZeroU32::new(1), mem: Memory::parse("2G").ok(), time: TimeLimit::parse("10").ok() };
        let r = stage.or(&defaults);
        assert_eq!(r.cpus, NonZeroU32::new(4));
        assert_eq!(r.mem, Memory::parse("2G").ok());
        assert_eq!(r.time, TimeLimit::parse("10").ok());
    }

    #[test]
    fn names_with_spaces_or_shell_characters_are_refused() {
        assert!(SlurmName::parse("gpu-a100").is_ok());
        for bad in ["", "a b", "x;rm", "a\nb"] {
            assert!(SlurmName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
