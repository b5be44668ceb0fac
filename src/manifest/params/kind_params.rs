//! What the manifest layer knows of a stage kind, as one trait its parameter type implements:
//! its range checks, the limits that bound it, the files outside the pipeline it reads,
//! whether it fans in, and what it must need. [`stage_kinds!`](super) registers each kind once with its parameter
//! type; the parser, the schema and the plan reach a kind only through this trait.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::range_issue::RangeIssue;
use super::{StageKind, StageParams};
use crate::manifest::Limits;

/// Ties a parameter type to its kind: written by `stage_kinds!`, never by hand.
pub trait Registered: Sized {
    /// The kind whose parameters these are.
    const KIND: StageKind;

    /// These parameters inside the enum of every kind's, `None` for another kind's.
    fn of(params: &StageParams) -> Option<&Self>;
}

/// A stage kind's parameters: everything the manifest, the schema and the plan need to know
/// of the kind, implemented in `manifest/params/<kind>.rs`.
pub trait KindParams: Registered + Serialize + DeserializeOwned + JsonSchema + Clone + PartialEq {
    /// A fan-in kind sees every instance of the stages it needs and runs once; the others run
    /// once per cohort, alongside the matrix instances they need.
    const FAN_IN: bool;

    /// The kind a stage of this kind must need (a `train` its `load`, a `gate` its `train`);
    /// validation names the missing need. Most kinds need no particular kind.
    const REQUIRED_UPSTREAM: Option<StageKind> = None;

    /// Whether the kind compares the cohorts of the `train` stages it needs, so a stage of it
    /// that needs none has nothing to compare and is refused.
    const COMPARES_COHORTS: bool = false;

    /// Whether an instance writes its cohort's folder (`cohorts/<name>/`), so two instances of
    /// the kind writing one cohort would overwrite each other and are refused.
    const WRITES_COHORT: bool = false;

    /// Checks value ranges serde cannot express, each at its key.
    fn range_issues(&self) -> Vec<RangeIssue>;

    /// Values over a `[limits]` limit. Most kinds ask for nothing a limit bounds.
    fn limit_issues(&self, _limits: &Limits) -> Vec<RangeIssue> {
        Vec::new()
    }

    /// Files outside the pipeline the kind reads, whose contents enter the cache key: the
    /// name recorded for each, and where it is read. Most kinds read only their upstream.
    fn external_inputs(&self, _at: &ExternalAt<'_>) -> Vec<(String, PathBuf)> {
        Vec::new()
    }
}

/// Where an instance's external inputs are looked for.
#[derive(Clone, Copy, Debug)]
pub struct ExternalAt<'a> {
    /// The instance's id (a history is kept per instance).
    pub instance: &'a str,
    /// The manifest's folder, against which input paths are resolved.
    pub base_dir: &'a Path,
    /// The pipeline's folder of runs (`runs/<pipeline>`), when the plan has one.
    pub state_dir: Option<&'a Path>,
}

/// Deserializes a stage table as the kind's parameters and checks their ranges and limits.
pub(super) fn parse_as<'de, P: KindParams>(
    de: impl serde::Deserializer<'de, Error = toml::de::Error>,
    limits: &Limits,
) -> Result<(P, Vec<RangeIssue>), toml::de::Error> {
    let params = P::deserialize(de)?;
    let mut issues = params.range_issues();
    issues.extend(params.limit_issues(limits));
    Ok((params, issues))
}

/// Registers every stage kind once, from one list of `Variant(ParamsType) = "name"` with the
/// kind's description. It writes [`StageKind`] (its variants, `ALL`, `name`, `is_fan_in`),
/// [`StageParams`] (one variant per kind, serialized as the bare parameters, which is what
/// the cache key hashes), `StageParams::parse`, the [`Registered`] impls, and the schema's
/// `StageDoc`, so adding a kind is one line here plus its two files.
macro_rules! stage_kinds {
    ($( $(#[doc = $doc:literal])* $variant:ident($params:ty) = $name:literal, )*) => {
        /// What a stage does.
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum StageKind {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl StageKind {
            /// Every kind, in the order they are listed to users.
            pub const ALL: [StageKind; [$(stringify!($variant)),*].len()] = [$(StageKind::$variant),*];

            /// The name used in manifests.
            pub fn name(self) -> &'static str {
                match self {
                    $( StageKind::$variant => $name, )*
                }
            }

            /// A fan-in kind sees every instance of the stages it needs and runs once; the
            /// others run once per cohort, alongside the matrix instances they need.
            pub fn is_fan_in(self) -> bool {
                match self {
                    $( StageKind::$variant => <$params as $crate::manifest::params::KindParams>::FAN_IN, )*
                }
            }

            /// [`KindParams::REQUIRED_UPSTREAM`] of the kind.
            pub fn required_upstream(self) -> Option<StageKind> {
                match self {
                    $( StageKind::$variant => <$params as $crate::manifest::params::KindParams>::REQUIRED_UPSTREAM, )*
                }
            }

            /// [`KindParams::COMPARES_COHORTS`] of the kind.
            pub fn compares_cohorts(self) -> bool {
                match self {
                    $( StageKind::$variant => <$params as $crate::manifest::params::KindParams>::COMPARES_COHORTS, )*
                }
            }

            /// [`KindParams::WRITES_COHORT`] of the kind.
            pub fn writes_cohort(self) -> bool {
                match self {
                    $( StageKind::$variant => <$params as $crate::manifest::params::KindParams>::WRITES_COHORT, )*
                }
            }
        }

        /// The typed parameters of one stage instance.
        #[derive(Clone, Debug, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        pub enum StageParams {
            $( $(#[doc = $doc])* $variant($params), )*
        }

        impl StageParams {
            /// The kind these parameters belong to.
            pub fn kind(&self) -> StageKind {
                match self {
                    $( StageParams::$variant(_) => StageKind::$variant, )*
                }
            }

            /// Deserializes a stage table of `kind` and checks it: the parameters, and the
            /// values out of range or over a limit (empty when all are fine).
            pub(crate) fn parse<'de>(
                kind: StageKind,
                de: impl serde::Deserializer<'de, Error = toml::de::Error>,
                limits: &$crate::manifest::Limits,
            ) -> Result<(StageParams, Vec<RangeIssue>), toml::de::Error> {
                match kind {
                    $( StageKind::$variant => kind_params::parse_as::<$params>(de, limits)
                        .map(|(p, issues)| (StageParams::$variant(p), issues)), )*
                }
            }

            /// The files outside the pipeline the instance reads ([`KindParams::external_inputs`]).
            pub fn external_inputs(&self, at: &ExternalAt<'_>) -> Vec<(String, std::path::PathBuf)> {
                match self {
                    $( StageParams::$variant(p) => KindParams::external_inputs(p, at), )*
                }
            }
        }

        $(
            impl Registered for $params {
                const KIND: StageKind = StageKind::$variant;

                fn of(params: &StageParams) -> Option<&Self> {
                    match params {
                        StageParams::$variant(p) => Some(p),
                        _ => None,
                    }
                }
            }
        )*

        #[doc = "A stage: `kind`, the keys every stage shares, and the kind's parameters."]
        #[derive(schemars::JsonSchema)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        #[expect(dead_code, reason = "describes the file's shape to schemars; parsing uses the parameter types directly")]
        pub(crate) enum StageDoc {
            $( $(#[doc = $doc])* $variant(crate::manifest::schema::Stage<$params>), )*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::StageKind;

    #[test]
    fn what_a_kind_must_need_agrees_with_how_it_runs() {
        for kind in StageKind::ALL {
            // A kind that compares cohorts sees them all: it must fan in. One that writes a
            // cohort's folder runs per cohort: it must not.
            assert!(!kind.compares_cohorts() || kind.is_fan_in(), "{}", kind.name());
            assert!(!kind.writes_cohort() || !kind.is_fan_in(), "{}", kind.name());
            assert_ne!(kind.required_upstream(), Some(kind), "{}", kind.name());
        }
        assert_eq!(StageKind::Train.required_upstream(), Some(StageKind::Load));
        assert_eq!(StageKind::Gate.required_upstream(), Some(StageKind::Train));
        assert_eq!(StageKind::Optimize.required_upstream(), Some(StageKind::Load));
        let mut comparing: Vec<&str> =
            StageKind::ALL.iter().filter(|k| k.compares_cohorts()).map(|k| k.name()).collect();
        comparing.sort_unstable();
        assert_eq!(comparing, ["drift", "phase3", "report"]);
    }
}
