//! Expansion and validation semantics, checked on small manifests.

use std::path::Path;

use super::{Manifest, ManifestErrors, ManifestInput, Override, load};

const HEAD: &str = "[pipeline]\nname = \"t\"\n[stages.data]\nkind = \"load\"\nsource = { synthetic = {} }\n";

fn try_load(body: &str, overrides: &[&str]) -> Result<Manifest, ManifestErrors> {
    let overrides = overrides.iter().map(|s| Override::from_flag(s).expect("valid flag")).collect();
    let input = ManifestInput::new(Path::new("t.toml"), format!("{HEAD}{body}"), overrides);
    load(&input)
}

fn ids(body: &str) -> Vec<String> {
    try_load(body, &[]).unwrap_or_else(|e| panic!("{:?}", messages(&e))).instances.into_iter().map(|i| i.id).collect()
}

fn messages(e: &ManifestErrors) -> Vec<String> {
    e.issues().iter().map(|i| i.message().to_owned()).collect()
}

fn errors(body: &str, overrides: &[&str]) -> Vec<String> {
    messages(&try_load(body, overrides).expect_err("invalid"))
}

const TRAIN: &str = "[stages.train]\nkind = \"train\"\nneeds = [\"data\"]\nmodel = \"logistic\"\n";

#[test]
fn matrix_is_the_cartesian_product_in_axis_order() {
    let got =
        ids(&format!("{TRAIN}matrix = {{ lr = [0.1, 1.0], bs = [8, 16] }}\nlearning_rate = \"${{matrix.lr}}\"\n"));
    assert_eq!(got, ["data", "train[bs=8,lr=0.1]", "train[bs=8,lr=1.0]", "train[bs=16,lr=0.1]", "train[bs=16,lr=1.0]"]);
}

#[test]
fn exclude_removes_matches_and_include_adds_whole_combinations() {
    let got = ids(&format!(
        "{TRAIN}matrix = {{ lr = [0.1, 1.0], bs = [8, 16], exclude = [{{ lr = 1.0 }}], include = [{{ lr = 0.5, bs = 32 }}, {{ lr = 0.1, bs = 8 }}] }}\nlearning_rate = \"${{matrix.lr}}\"\n"
    ));
    assert_eq!(got, ["data", "train[bs=8,lr=0.1]", "train[bs=16,lr=0.1]", "train[bs=32,lr=0.5]"]);
}

#[test]
fn include_must_name_every_axis_and_exclude_only_known_ones() {
    let e = errors(
        &format!("{TRAIN}matrix = {{ lr = [0.1], bs = [8], include = [{{ lr = 0.5 }}], exclude = [{{ l = 1 }}] }}\n"),
        &[],
    );
    assert_eq!(
        e,
        [
            "this `include` entry has no value for matrix variable `bs`",
            "`l` is not a matrix variable; expected `bs` or `lr`",
        ]
    );
}

#[test]
fn per_cohort_stages_expand_alongside_and_inherit_cohorts() {
    let m = try_load(
        &format!("{TRAIN}matrix = {{ lr = [0.1, 1.0] }}\nlearning_rate = \"${{matrix.lr}}\"\ncohort = \"c_${{matrix.lr}}\"\n[stages.gate]\nkind = \"gate\"\nneeds = [\"train\"]\n"),
        &[],
    )
    .expect("valid");
    let gates: Vec<(&str, Option<&str>, Vec<&String>)> = m
        .instances
        .iter()
        .filter(|i| i.stage == "gate")
        .map(|i| (i.id.as_str(), i.cohort.as_deref(), i.needs["train"].iter().collect()))
        .collect();
    assert_eq!(gates.len(), 2);
    assert_eq!(gates[0].0, "gate[lr=0.1]");
    assert_eq!(gates[0].1, Some("c_0.1"));
    assert_eq!(gates[0].2, [&"train[lr=0.1]".to_owned()]);
    assert_eq!(gates[1].2, [&"train[lr=1.0]".to_owned()]);
}

#[test]
fn a_stage_needing_two_matrix_stages_joins_them_on_shared_variables() {
    let m = try_load(
        &format!(
            "{TRAIN}matrix = {{ e = [10, 20] }}\nepochs = \"${{matrix.e}}\"\n[stages.other]\nkind = \"load\"\nmatrix = {{ e = [10, 20] }}\nsource = {{ synthetic = {{ num_samples = \"${{matrix.e}}\" }} }}\n[stages.gate]\nkind = \"gate\"\nneeds = [\"train\", \"other\"]\n"
        ),
        &[],
    )
    .expect("valid");
    let gates: Vec<&str> = m.instances.iter().filter(|i| i.stage == "gate").map(|i| i.id.as_str()).collect();
    assert_eq!(gates, ["gate[e=10]", "gate[e=20]"], "joined on `e`, not a 2×2 product");
}

#[test]
fn a_per_cohort_stage_cannot_redeclare_an_inherited_variable() {
    let e = errors(
        &format!(
            "{TRAIN}matrix = {{ lr = [0.1] }}\n[stages.gate]\nkind = \"gate\"\nneeds = [\"train\"]\nmatrix = {{ lr = [0.2] }}\n"
        ),
        &[],
    );
    assert_eq!(e, ["matrix variable `lr` of stage `gate` is already set by the stages it needs"]);
}

#[test]
fn whole_placeholders_keep_their_type_and_partial_ones_become_text() {
    let m = try_load(&format!("[vars]\nn = 7\n{TRAIN}epochs = \"${{vars.n}}\"\ncohort = \"run_${{vars.n}}\"\n"), &[]);
    let m = m.expect("valid");
    let train = &m.instances[1];
    let crate::manifest::StageParams::Train(p) = &train.params else { panic!("train params") };
    assert_eq!(p.epochs(), 7);
    assert_eq!(train.cohort.as_deref(), Some("run_7"));
}

#[test]
fn set_overrides_nested_keys_and_wins_over_the_file() {
    let m = try_load(TRAIN, &["stages.train.epochs=3", "stages.data.split.strategy=random", "pipeline.seed=9"])
        .expect("valid");
    assert_eq!(m.pipeline.seed, 9);
    let crate::manifest::StageParams::Train(p) = &m.instances[1].params else { panic!("train params") };
    assert_eq!(p.epochs(), 3);
    let crate::manifest::StageParams::Load(l) = &m.instances[0].params else { panic!("load params") };
    assert_eq!(l.split.strategy, super::params::SplitStrategyName::Random);
}

#[test]
fn overriding_into_a_non_table_is_an_error() {
    let e = errors(TRAIN, &["stages.train.model.x=3"]);
    assert_eq!(e, ["cannot override `stages.train.model.x`: `model` is not a table"]);
}

#[test]
fn structural_errors_are_all_reported() {
    let input = ManifestInput::new(
        Path::new("t.toml"),
        "[pipline]\nname = \"t\"\n[stages.a]\nneeds = \"b\"\n[stages.b]\nkind = 3\n".to_owned(),
        Vec::new(),
    );
    let e = messages(&load(&input).expect_err("invalid"));
    assert_eq!(
        e,
        [
            "missing `[pipeline]` table",
            "unknown top-level table `pipline`, expected `pipeline`, `vars`, `stages`, `executor` or `limits`",
            "stage `a` has no `kind`",
            "`needs` must be an array of stage names, found string",
            "`kind` must be a string, found integer",
        ]
    );
}

#[test]
fn train_and_gate_need_the_right_upstream_kind() {
    let e = errors("[stages.gate]\nkind = \"gate\"\nneeds = [\"data\"]\n", &[]);
    assert_eq!(e, ["stage `gate` of kind `gate` needs a stage of kind `train`"]);
}

#[test]
fn the_resolved_manifest_and_its_digest_are_stable() {
    let a = try_load(TRAIN, &[]).expect("valid");
    let b = try_load(TRAIN, &[]).expect("valid");
    assert_eq!(a.resolved, b.resolved);
    assert_eq!(a.digest, b.digest);
    let c = try_load(TRAIN, &["stages.train.epochs=11"]).expect("valid");
    assert_ne!(a.digest, c.digest);
    assert!(a.resolved.contains("[instances.train.params]"), "{}", a.resolved);
}

#[test]
fn the_executor_and_resources_are_read_but_change_no_digest() {
    let plain = try_load(TRAIN, &[]).expect("valid");
    let slurm = try_load(
        &format!(
            "{TRAIN}resources = {{ cpus = 4, mem = \"8g\", time = \"01:30:00\" }}\n\
             [executor]\nkind = \"slurm\"\npartition = \"debug\"\nmax_jobs = 8\nmem = \"2G\"\nsbatch_args = [\"--qos=low\"]\n"
        ),
        &[],
    )
    .expect("valid");
    assert_eq!(slurm.executor.kind, super::executor::ExecutorKind::Slurm);
    assert_eq!(slurm.executor.max_jobs.get(), 8);
    assert_eq!(slurm.executor.partition.as_ref().map(super::executor::SlurmName::as_str), Some("debug"));
    let train = &slurm.instances[1].resources;
    assert_eq!(train.cpus.map(std::num::NonZeroU32::get), Some(4));
    assert_eq!(train.mem.as_ref().map(super::executor::Memory::as_str), Some("8G"));
    // The load stage falls back to the executor's memory.
    let data = slurm.instances[0].resources.or(&slurm.executor.default_resources());
    assert_eq!(data.mem.as_ref().map(super::executor::Memory::as_str), Some("2G"));
    // Where an instance runs never changes what it computes.
    assert_eq!(slurm.digest, plain.digest);
    assert_eq!(slurm.resolved, plain.resolved);
}

#[test]
fn bad_executor_settings_are_reported_with_what_is_expected() {
    let e = errors(&format!("{TRAIN}resources = {{ mem = \"lots\", gpus = 1 }}\n"), &[]);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].contains("unknown field `gpus`") || e[0].contains("is not a memory size"), "{e:?}");
    let e = errors(&format!("{TRAIN}resources = {{ time = \"1h\" }}\n"), &[]);
    assert!(e[0].contains("`1h` is not a Slurm time limit"), "{e:?}");
    let e = errors(&format!("{TRAIN}[executor]\nkind = \"kubernetes\"\n"), &[]);
    assert!(e[0].contains("unknown variant `kubernetes`, expected `local` or `slurm`"), "{e:?}");
    let e = errors(&format!("{TRAIN}[executor]\npoll_interval = 0.0\npartition = \"a b\"\n"), &[]);
    assert!(e.iter().any(|m| m.contains("not a Slurm partition or account name")), "{e:?}");
    let e = errors(&format!("{TRAIN}[executor]\npoll_interval = 0.0\n"), &[]);
    assert_eq!(e, ["poll_interval must be between 0.05 and 600 seconds, found 0"]);
    // `--set executor.kind=slurm` works like any override.
    let m = try_load(TRAIN, &["executor.kind=slurm"]).expect("valid");
    assert_eq!(m.executor.kind, super::executor::ExecutorKind::Slurm);
}

const CORRELATION: &str = "[stages.train]\nkind = \"train\"\nneeds = [\"data\"]\nmodel = \"correlation\"\n";

fn train_params(m: &Manifest, id: &str) -> super::params::TrainParams {
    match m.instances.iter().find(|i| i.id == id).map(|i| &i.params) {
        Some(crate::manifest::StageParams::Train(p)) => p.clone(),
        _ => panic!("no train instance `{id}`"),
    }
}

#[test]
fn correlation_boosts_rounds_and_a_correlation_only_stage_may_not_set_epochs() {
    let m = try_load(&format!("{CORRELATION}rounds = 40\nalgorithm = \"exact\"\n"), &[]).expect("valid");
    let p = train_params(&m, "train");
    assert_eq!((p.rounds, p.epochs), (Some(40), None));
    assert!(!m.resolved.contains("epochs"), "{}", m.resolved);
    let e = errors(&format!("{CORRELATION}epochs = 20\n"), &[]);
    assert_eq!(e, ["`epochs` does not apply to model `correlation`: did you mean `rounds`?"]);
    // Every instance of the stage is a correlation model: still an error, said once.
    let e =
        errors(&format!("{CORRELATION}matrix = {{ d = [2, 3] }}\nmax_depth = \"${{matrix.d}}\"\nepochs = 5\n"), &[]);
    assert_eq!(e, ["`epochs` does not apply to model `correlation`: did you mean `rounds`?"]);
    assert_eq!(errors(&format!("{CORRELATION}\n"), &["stages.train.epochs=3"]).len(), 1);
    let e = errors(&format!("{TRAIN}rounds = 5\nalgorithm = \"hist\"\n"), &[]);
    assert_eq!(
        e,
        [
            "`rounds` must be left out: it only applies to model `correlation`",
            "`algorithm` must be left out: it only applies to model `correlation`",
        ]
    );
    assert_eq!(errors(&format!("{CORRELATION}rounds = 0\n"), &[]), ["`rounds` must be at least 1"]);
}

#[test]
fn in_a_matrix_of_models_correlation_drops_epochs_and_the_plan_says_so() {
    let body = "[stages.train]\nkind = \"train\"\nneeds = [\"data\"]\nmatrix = { model = [\"logistic\", \"correlation\"] }\nmodel = \"${matrix.model}\"\nepochs = 20\n";
    let m = try_load(body, &[]).expect("valid");
    let logistic = m.instances.iter().find(|i| i.id == "train[model=logistic]").expect("logistic");
    let correlation = m.instances.iter().find(|i| i.id == "train[model=correlation]").expect("correlation");
    assert_eq!(train_params(&m, &logistic.id).epochs, Some(20));
    assert_eq!(train_params(&m, &correlation.id).epochs, None);
    assert!(logistic.notes.is_empty());
    assert_eq!(correlation.notes, [super::expand::EPOCHS_IGNORED]);
    // Changing `epochs` changes nothing the correlation instance is keyed on.
    let other = try_load(&body.replace("epochs = 20", "epochs = 30"), &[]).expect("valid");
    assert_eq!(train_params(&other, &correlation.id), train_params(&m, &correlation.id));
    // Left unset, the models that take `epochs` get the default written out, as before.
    let unset = try_load(&body.replace("epochs = 20\n", ""), &[]).expect("valid");
    assert_eq!(train_params(&unset, &logistic.id).epochs, Some(10));
    assert!(unset.instances.iter().all(|i| i.notes.is_empty()));
}

#[test]
fn a_per_cohort_stage_may_not_need_two_stages_of_its_upstream_kind() {
    let body = format!(
        "{TRAIN}cohort = \"a\"\n[stages.train_b]\nkind = \"train\"\nneeds = [\"data\"]\nmodel = \"heuristic\"\ncohort = \"b\"\n[stages.gate]\nkind = \"gate\"\nneeds = [\"train\", \"train_b\"]\n"
    );
    assert_eq!(
        errors(&body, &[]),
        [
            "stage `gate` of kind `gate` needs two stages of kind `train` (`train` and `train_b`), but each of its instances reads exactly one"
        ]
    );
}

#[test]
fn limits_are_named_and_raised_in_the_manifest() {
    let e = errors(&format!("{TRAIN}epochs = 200000\n"), &[]);
    assert_eq!(e, ["`epochs` 200000 exceeds limit `max_epochs` = 100000; raise it in [limits]"]);
    try_load(&format!("{TRAIN}epochs = 200000\n[limits]\nmax_epochs = 200000\n"), &[]).expect("raised");
    // Lowered by an override, from the flag or the environment's form.
    let e = errors(&format!("{TRAIN}epochs = 50\n"), &["limits.max_epochs=10"]);
    assert_eq!(e, ["`epochs` 50 exceeds limit `max_epochs` = 10; raise it in [limits]"]);
    let e = errors(&format!("{TRAIN}matrix = {{ a = [1, 2, 3] }}\n[limits]\nmax_instances = 2\n"), &[]);
    assert_eq!(
        e,
        [
            "the matrix of stage `train` expands to 3 combinations, which exceeds limit `max_instances` = 2; raise it in [limits]"
        ]
    );
    let e = errors(&format!("{TRAIN}[limits]\nmax_rows = 10\n"), &[]);
    assert_eq!(e, ["`source.synthetic.num_samples` 10000 exceeds limit `max_rows` = 10; raise it in [limits]"]);
    let e = errors(&format!("{TRAIN}[limits]\nmax_epoch = 10\n"), &[]);
    assert!(e[0].starts_with("unknown field `max_epoch`"), "{e:?}");
    let e = errors(&format!("{TRAIN}[limits]\nmax_errors = 0\n"), &[]);
    assert_eq!(e, ["`limits.max_errors` must be at least 1"]);
}

#[test]
fn max_errors_bounds_the_errors_kept() {
    let stages: String =
        (0..5).map(|i| format!("[stages.s{i}]\nkind = \"train\"\nneeds = [\"data\"]\nmodel = \"svm\"\n")).collect();
    let e = try_load(&format!("{stages}[limits]\nmax_errors = 2\n"), &[]).expect_err("invalid");
    assert_eq!(e.issues().len(), 2);
    assert!(e.to_string().contains("5 errors, the first 2 shown (3 more not listed)"), "{e}");
}

#[test]
fn stages_that_need_an_invalid_stage_still_report_their_own_errors() {
    let body = "[stages.data]\nkind = \"load\"\nsource = { synthetic = { num_samples = 1 } }\n";
    let input = ManifestInput::new(
        Path::new("t.toml"),
        format!(
            "[pipeline]\nname = \"t\"\n{body}{TRAIN}epochs = 0\n[stages.gate]\nkind = \"gate\"\nneeds = [\"train\"]\nmin_accuracy = 7.0\n"
        ),
        Vec::new(),
    );
    let e = messages(&load(&input).expect_err("invalid"));
    assert_eq!(
        e,
        [
            "`source.synthetic.num_samples` must be at least 4 rows",
            "`epochs` must be at least 1",
            "`min_accuracy` must be a number between 0 and 1",
        ]
    );
    // A value taken from the upstream's matrix cannot be checked without it: no false error.
    let e = errors(
        "[stages.t2]\nkind = \"train\"\nneeds = [\"bad\"]\nmodel = \"logistic\"\nepochs = \"${matrix.e}\"\n[stages.bad]\nkind = \"load\"\nmatrix = { e = [1, 2] }\nsource = { synthetic = { num_samples = 2 } }\n",
        &[],
    );
    assert_eq!(e, ["`source.synthetic.num_samples` must be at least 4 rows"]);
}

#[test]
fn the_resolved_manifest_reads_back_through_its_file_type() {
    let m = try_load(
        &format!("{TRAIN}matrix = {{ lr = [0.1, 1.0] }}\nlearning_rate = \"${{matrix.lr}}\"\ncohort = \"c_${{matrix.lr}}\"\n[stages.gate]\nkind = \"gate\"\nneeds = [\"train\"]\n"),
        &[],
    )
    .expect("valid");
    let file: crate::artifacts::ResolvedManifestFile = toml::from_str(&m.resolved).expect("reads back");
    assert_eq!(file.pipeline.get("name").and_then(toml::Value::as_str), Some("t"));
    assert_eq!(file.instances.len(), m.instances.len());
    for decl in &m.instances {
        let read = &file.instances[&decl.id];
        assert_eq!((read.stage.as_str(), read.kind.as_str()), (decl.stage.as_str(), decl.kind.name()), "{}", decl.id);
        assert_eq!(read.cohort, decl.cohort, "{}", decl.id);
        assert_eq!(read.needs, decl.needs.values().flatten().cloned().collect::<Vec<_>>(), "{}", decl.id);
        assert_eq!(read.matrix, decl.bindings, "{}", decl.id);
        let written = toml::Table::try_from(&decl.params).expect("params are a table");
        assert_eq!(read.params, written, "{}", decl.id);
    }
    assert_eq!(file.instances["train[lr=0.1]"].params.get("learning_rate"), Some(&toml::Value::Float(0.1)));
}
