//! `schemas/pipeline.schema.json` is generated from the Rust types, committed, and checked
//! here: stale → fail with a diff hint (`NETHICAL_UPDATE_SCHEMA=1 cargo test` rewrites it).
//! Every shipped manifest names it and validates against it.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_schema_is_fresh() {
    let generated = nethical::manifest::schema::render();
    let path = root().join("schemas/pipeline.schema.json");
    if std::env::var_os("NETHICAL_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/pipeline.schema.json is stale: run `NETHICAL_UPDATE_SCHEMA=1 cargo test --test it schema` and commit it"
    );
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let t = crate::common::Test::new();
    let r = t.run(&["schema"]);
    r.ok();
    assert_eq!(r.stdout, std::fs::read_to_string(root().join("schemas/pipeline.schema.json")).unwrap_or_default());
}

#[test]
fn every_shipped_manifest_names_the_schema_validates_and_passes_it() {
    let schema: serde_json::Value =
        serde_json::from_str(&nethical::manifest::schema::render()).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let mut seen = 0;
    for e in std::fs::read_dir(root().join("pipelines")).expect("pipelines/") {
        let path = e.expect("entry").path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        seen += 1;
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.starts_with("#:schema ../schemas/pipeline.schema.json\n"),
            "{} must start with the #:schema line",
            path.display()
        );
        let doc: toml::Value = toml::from_str(&text).expect("TOML");
        let json = serde_json::to_value(&doc).expect("as JSON");
        let errors: Vec<String> = validator.iter_errors(&json).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{} does not match the schema:\n{}", path.display(), errors.join("\n"));
        let input = nethical::manifest::ManifestInput::new(&path, text, Vec::new());
        nethical::manifest::load(&input).unwrap_or_else(|e| panic!("{} is invalid: {e:?}", path.display()));
    }
    assert!(seen >= 1);
}

#[test]
fn schema_rejects_what_the_parser_rejects() {
    let schema: serde_json::Value =
        serde_json::from_str(&nethical::manifest::schema::render()).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("valid");
    let bad = serde_json::json!({
        "pipeline": {"name": "x"},
        "stages": {"t": {"kind": "train", "needs": ["d"], "model": "logistic", "epoch": 3}}
    });
    assert!(!validator.is_valid(&bad), "an unknown key must fail the schema too");
    let unknown_kind = serde_json::json!({"pipeline": {"name": "x"}, "stages": {"t": {"kind": "trian"}}});
    assert!(!validator.is_valid(&unknown_kind));
    let placeholder = serde_json::json!({
        "pipeline": {"name": "x"},
        "stages": {"t": {"kind": "train", "needs": ["d"], "model": "${matrix.m}", "matrix": {"m": ["logistic"]}}}
    });
    assert!(validator.is_valid(&placeholder), "placeholders are accepted where values go");
}
