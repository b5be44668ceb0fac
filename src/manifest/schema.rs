//! `schemas/pipeline.schema.json`: the manifest's JSON Schema, generated from the Rust types.
//!
//! The stage wrapper types below exist only to describe the file's shape to schemars (a
//! stage table is `kind` + the shared keys + that kind's parameters); parsing reads the same
//! parameter types ([`super::params`]) directly. Every parameter also accepts a
//! `"${matrix.x}"` / `"${vars.x}"` string, which is resolved before the value is checked.

use std::collections::BTreeMap;

use schemars::{JsonSchema, generate::SchemaSettings};
use serde_json::{Value, json};

use super::PipelineMeta;
use super::params::StageDoc;

/// A manifest file.
#[derive(JsonSchema)]
#[schemars(title = "nethical pipeline manifest", deny_unknown_fields)]
#[expect(dead_code, reason = "describes the file's shape to schemars; parsing uses the parameter types directly")]
struct ManifestDoc {
    /// The pipeline's name, seed and description.
    pipeline: PipelineMeta,
    /// Values for `${vars.NAME}` placeholders.
    #[serde(default)]
    vars: BTreeMap<String, Value>,
    /// The stages, by name.
    stages: BTreeMap<String, StageDoc>,
    /// Where the instances compute: `local` threads (the default) or a Slurm cluster.
    #[serde(default)]
    executor: Option<super::executor::ExecutorConfig>,
    /// Sizes the manifest may ask for, over their defaults (README "Limits").
    #[serde(default)]
    limits: Option<super::Limits>,
}

/// A stage of kind `P`: the keys every stage shares, and the kind's parameters
/// (`params::StageDoc`, written by the kinds' registration, lists one per kind).
#[derive(JsonSchema)]
#[expect(dead_code, reason = "schema only")]
pub(crate) struct Stage<P> {
    /// Stages whose outputs this one reads; it runs after them.
    #[serde(default)]
    needs: Vec<String>,
    /// Matrix variables: each key lists values; the stage runs once per combination.
    /// `include` adds whole combinations, `exclude` removes matching ones.
    #[serde(default)]
    matrix: Option<BTreeMap<String, Value>>,
    /// Cohort name template, e.g. `"pipeline_${matrix.model}"`.
    #[serde(default)]
    cohort: Option<String>,
    /// What each of its jobs asks a Slurm cluster for; over `[executor]`'s defaults.
    #[serde(default)]
    resources: Option<super::executor::Resources>,
    #[serde(flatten)]
    params: P,
}

const PLACEHOLDER: &str = r"^(\$\{\s*(matrix|vars)\.[A-Za-z0-9_.-]+\s*\}|.*\$\{.*)$";

/// Lets every property of a parameter definition also be a placeholder string.
fn allow_placeholders(schema: &mut Value) {
    let Some(defs) = schema.get_mut("$defs").and_then(Value::as_object_mut) else { return };
    for (name, def) in defs.iter_mut() {
        // Read before interpolation: they take literal values only.
        if matches!(name.as_str(), "ExecutorConfig" | "Resources" | "Limits") {
            continue;
        }
        if let Some(props) = def.get_mut("properties").and_then(Value::as_object_mut) {
            for (name, prop) in props.iter_mut() {
                if matches!(name.as_str(), "needs" | "matrix" | "cohort" | "kind" | "resources") {
                    continue;
                }
                let description = prop.as_object_mut().and_then(|o| o.remove("description"));
                let default = prop.as_object_mut().and_then(|o| o.remove("default"));
                let mut wrapped = json!({"anyOf": [prop.take(), {"$ref": "#/$defs/Placeholder"}]});
                if let (Some(d), Some(o)) = (description, wrapped.as_object_mut()) {
                    o.insert("description".into(), d);
                }
                if let (Some(d), Some(o)) = (default, wrapped.as_object_mut()) {
                    o.insert("default".into(), d);
                }
                *prop = wrapped;
            }
        }
    }
    defs.insert(
        "Placeholder".into(),
        json!({"type": "string", "pattern": PLACEHOLDER, "description": "`${matrix.NAME}` or `${vars.NAME}`, resolved per stage instance before the value is checked"}),
    );
}

/// Inlines each stage variant's referenced definition, adding `kind`, so the variant lists
/// every key it allows and `additionalProperties: false` rejects the rest (a `$ref` beside
/// `properties` cannot do that in the drafts editors implement).
fn close_stage_variants(schema: &mut Value) {
    let Some(defs) = schema.get_mut("$defs").and_then(Value::as_object_mut) else { return };
    let Some(variants) = defs.get("StageDoc").and_then(|d| d.get("oneOf")).and_then(Value::as_array).cloned() else {
        return;
    };
    let mut closed = Vec::new();
    for variant in variants {
        let name = variant
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
            .unwrap_or_default()
            .to_owned();
        let Some(mut body) = defs.remove(&name) else { continue };
        if let Some(o) = body.as_object_mut() {
            if let Some(kind) = variant.pointer("/properties/kind").cloned()
                && let Some(props) = o.get_mut("properties").and_then(Value::as_object_mut)
            {
                props.insert("kind".into(), kind);
            }
            let mut required: Vec<Value> = o.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
            required.insert(0, Value::from("kind"));
            o.insert("required".into(), Value::Array(required));
            o.insert("additionalProperties".into(), Value::Bool(false));
            if let Some(d) = variant.get("description") {
                o.insert("description".into(), d.clone());
            }
        }
        closed.push(body);
    }
    if let Some(doc) = defs.get_mut("StageDoc").and_then(Value::as_object_mut) {
        doc.insert("oneOf".into(), Value::Array(closed));
    }
}

/// The schema as pretty JSON with a final newline.
pub fn render() -> String {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<ManifestDoc>();
    let mut value = serde_json::to_value(&schema).unwrap_or(Value::Null);
    allow_placeholders(&mut value);
    close_stage_variants(&mut value);
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
