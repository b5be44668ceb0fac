//! `manifest.resolved.toml`: the manifest after layering and expansion, one table per stage
//! instance. The manifest layer writes it (its text is what the manifest digest hashes) and the
//! runner copies it into each run folder; `nethical compare` and the experiments table read a
//! run's parameters back from it.
//!
//! One generic type serves both sides. The writer fills in its typed pipeline, kind and
//! parameters; a reader here cannot name them (this layer sits below `manifest`) and has no
//! use for them typed: it compares parameters by dotted key, whatever the kind. The file has
//! no `format_version`: adding one would change every manifest digest, and with it every run id
//! and cache key. Its first line names the nethical version that wrote it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The file's name in a run folder.
pub const RESOLVED_MANIFEST_FILE: &str = "manifest.resolved.toml";

/// The whole document: `[pipeline]` and `[instances."<id>"]`, instances by id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResolvedManifest<Pipeline, Kind, Params> {
    /// The `[pipeline]` table.
    pub pipeline: Pipeline,
    /// Every stage instance, by id.
    pub instances: BTreeMap<String, ResolvedInstance<Kind, Params>>,
}

/// One stage instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResolvedInstance<Kind, Params> {
    /// The stage it expands.
    pub stage: String,
    /// The stage's kind.
    pub kind: Kind,
    /// Its cohort, for per-cohort kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohort: Option<String>,
    /// The instances it depends on, in the order of the stages it needs.
    #[serde(default)]
    pub needs: Vec<String>,
    /// Its matrix variables (inherited and own).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub matrix: BTreeMap<String, toml::Value>,
    /// Its parameters, serialized as the bare table of its kind's parameters (always written,
    /// an empty table included).
    pub params: Params,
}

/// The file as a reader below the manifest layer sees it: the kind by name, the pipeline and
/// parameters as tables.
pub type ResolvedManifestFile = ResolvedManifest<toml::Table, String, toml::Table>;
