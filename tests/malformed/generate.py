#!/usr/bin/env python3
"""Writes the malformed-manifest corpus: one `NNN_name.toml` per case, each opening with
`# expect: <exit code>` and a line saying what is wrong. `tests/it/malformed.rs` runs
`nethical validate` on every file (in a project whose `data/small.csv` the CSV cases read),
checks the exit code and snapshots stderr.

Run from anywhere: `python3 tests/malformed/generate.py` rewrites the `.toml` files (and
removes stale ones); review the diff of `tests/it/snapshots/` after `cargo test --test it malformed`.
"""
from pathlib import Path

HERE = Path(__file__).resolve().parent

PIPE = '[pipeline]\nname = "m"\n'
LOAD = '[stages.data]\nkind = "load"\nsource = { synthetic = { num_samples = 100 } }\n'
TRAIN = '[stages.train]\nkind = "train"\nneeds = ["data"]\nmodel = "logistic"\n'
GATE = '[stages.gate]\nkind = "gate"\nneeds = ["train"]\n'
BASE = PIPE + LOAD + TRAIN
CSV = '[stages.data]\nkind = "load"\n[stages.data.source.csv]\npath = "../data/small.csv"\n'


def train(extra):
    return PIPE + LOAD + TRAIN + extra


def load(source, extra=""):
    return PIPE + '[stages.data]\nkind = "load"\nsource = ' + source + "\n" + extra + TRAIN


def csv(extra):
    return PIPE + CSV + extra + TRAIN


CASES = [
    # --- TOML syntax
    ("syntax_unclosed_table", "[pipeline\nname = \"m\"\n"),
    ("syntax_missing_value", PIPE + "seed = \n"),
    ("syntax_unterminated_string", '[pipeline]\nname = "m\n'),
    ("syntax_duplicate_key", PIPE + 'name = "n"\n'),
    ("syntax_duplicate_table", PIPE + LOAD + LOAD),
    ("syntax_bad_escape", '[pipeline]\nname = "a\\qb"\n'),
    ("syntax_bad_number", PIPE + "seed = 12_\n"),
    ("syntax_key_without_value", PIPE + "seed\n"),
    ("syntax_inline_missing_value", PIPE + LOAD.replace("num_samples = 100 }", "num_samples = }")),
    ("syntax_control_character", '[pipeline]\nname = "a\x01b"\n'),
    ("syntax_bad_unicode_escape", '[pipeline]\nname = "\\uD800"\n'),
    ("syntax_dotted_key_conflict", PIPE + "seed = 1\nseed.x = 2\n"),
    ("syntax_several_errors", "[pipeline\nname = = 1\n[stages.x\n"),
    ("syntax_leading_zero", PIPE + "seed = 007\n"),
    ("syntax_bare_value", PIPE + "description = hello\n"),
    # --- wrong types
    ("type_name_integer", "[pipeline]\nname = 1\n" + LOAD),
    ("type_seed_string", PIPE + 'seed = "x"\n' + LOAD),
    ("type_seed_negative", PIPE + "seed = -1\n" + LOAD),
    ("type_seed_float", PIPE + "seed = 1.5\n" + LOAD),
    ("type_kind_integer", PIPE + "[stages.data]\nkind = 3\n"),
    ("type_needs_string", PIPE + LOAD + '[stages.train]\nkind = "train"\nneeds = "data"\nmodel = "logistic"\n'),
    ("type_needs_integers", PIPE + LOAD + '[stages.train]\nkind = "train"\nneeds = [1]\nmodel = "logistic"\n'),
    ("type_matrix_integer", train("matrix = 1\n")),
    ("type_matrix_axis_not_list", train("matrix = { learning_rate = 0.1 }\n")),
    ("type_cohort_integer", train("cohort = 1\n")),
    ("type_epochs_string", train('epochs = "five"\n')),
    ("type_epochs_negative", train("epochs = -1\n")),
    ("type_epochs_float", train("epochs = 1.5\n")),
    ("type_batch_size_bool", train("batch_size = true\n")),
    ("type_learning_rate_string", train('learning_rate = "fast"\n')),
    ("type_source_string", PIPE + '[stages.data]\nkind = "load"\nsource = "csv"\n'),
    ("type_split_integer", load("{ synthetic = { num_samples = 100 } }", "split = 1\n")),
    ("type_fail_on_reject_string", BASE + GATE + 'fail_on_reject = "yes"\n'),
    ("type_min_accuracy_string", BASE + GATE + 'min_accuracy = "high"\n'),
    ("type_stages_integer", PIPE + "stages = 1\n"),
    ("type_pipeline_string", 'pipeline = "m"\n' + LOAD),
    ("type_vars_integer", PIPE + "vars = 1\n" + LOAD),
    ("type_num_samples_float", load("{ synthetic = { num_samples = 1e3 } }")),
    ("type_label_map_string_values", csv('label = "y"\nlabel_map = { yes = "1" }\n')),
    ("type_filter_string", csv('filter = "x > 1"\n')),
    # --- unknown keys and names
    ("unknown_top_level_key", PIPE + "[stagez.data]\n" + LOAD),
    ("unknown_pipeline_key", PIPE + "seeed = 3\n" + LOAD),
    ("unknown_stage_key", train("epoch = 5\n")),
    ("unknown_synthetic_key", load("{ synthetic = { num_sample = 100 } }")),
    ("unknown_split_key", load("{ synthetic = { num_samples = 100 } }", "split = { ratio = 0.5 }\n")),
    ("unknown_csv_key", csv("labels = \"y\"\n")),
    ("unknown_gate_key", BASE + GATE + "min_acc = 0.5\n"),
    ("unknown_executor_key", BASE + '[executor]\nkind = "local"\ngpus = 2\n'),
    ("unknown_kind", PIPE + LOAD + '[stages.x]\nkind = "trian"\nneeds = ["data"]\n'),
    ("unknown_model", PIPE + LOAD + '[stages.train]\nkind = "train"\nneeds = ["data"]\nmodel = "svm"\n'),
    ("unknown_split_strategy", load("{ synthetic = { num_samples = 100 } }", 'split = { strategy = "shuffle" }\n')),
    ("unknown_family", load('{ synthetic = { num_samples = 100, family = "gauss" } }')),
    ("unknown_source", load("{ parquet = { path = \"x\" } }")),
    ("unknown_missing_policy", csv('missing = "ignore"\n')),
    ("unknown_ece_policy", BASE + GATE + 'ece_policy = "lenient"\n'),
    ("unknown_executor_kind", BASE + '[executor]\nkind = "k8s"\n'),
    ("missing_kind", PIPE + "[stages.data]\nsource = { synthetic = { num_samples = 100 } }\n"),
    ("missing_model", PIPE + LOAD + '[stages.train]\nkind = "train"\nneeds = ["data"]\n'),
    ("missing_source", PIPE + '[stages.data]\nkind = "load"\n'),
    ("missing_pipeline_table", LOAD),
    ("missing_pipeline_name", "[pipeline]\nseed = 1\n" + LOAD),
    ("empty_file", ""),
    ("only_comments", "# nothing here\n"),
    ("no_stages", PIPE),
    # --- bad ranges
    ("range_train_ratio_zero", load("{ synthetic = { num_samples = 100 } }", "split = { train_ratio = 0.0 }\n")),
    ("range_train_ratio_one", load("{ synthetic = { num_samples = 100 } }", "split = { train_ratio = 1.0 }\n")),
    ("range_calibration_ratio", load("{ synthetic = { num_samples = 100 } }", "split = { train_ratio = 0.8, calibration_ratio = 0.3 }\n")),
    ("range_folds_one", load("{ synthetic = { num_samples = 100 } }", 'split = { strategy = "kfold", folds = 1 }\n')),
    ("range_folds_too_many", load("{ synthetic = { num_samples = 100 } }", 'split = { strategy = "kfold", folds = 101 }\n')),
    ("range_folds_without_kfold", load("{ synthetic = { num_samples = 100 } }", "split = { folds = 3 }\n")),
    ("range_num_samples_three", load("{ synthetic = { num_samples = 3 } }")),
    ("range_noise_one", load('{ synthetic = { num_samples = 100, family = "anomaly", noise = 1.0 } }')),
    ("range_noise_wrong_family", load("{ synthetic = { num_samples = 100, noise = 0.2 } }")),
    ("range_threshold_zero", train("threshold = 0.0\n")),
    ("range_ece_bins_zero", train("ece_bins = 0\n")),
    ("range_ece_bins_large", train("ece_bins = 1001\n")),
    ("range_batch_size_zero", train("batch_size = 0\n")),
    ("range_learning_rate_negative", train("learning_rate = -1.0\n")),
    ("range_learning_rate_nan", train("learning_rate = nan\n")),
    ("range_l2_negative", train("l2 = -0.5\n")),
    ("range_min_accuracy", BASE + GATE + "min_accuracy = 2.0\n"),
    ("range_max_ece", BASE + GATE + "max_ece = -0.1\n"),
    ("range_min_roc_auc", BASE + GATE + "min_roc_auc = 1.5\n"),
    ("range_subsample_zero", PIPE + LOAD + '[stages.train]\nkind = "train"\nneeds = ["data"]\nmodel = "correlation"\nsubsample = 0.0\n'),
    ("range_max_depth", PIPE + LOAD + '[stages.train]\nkind = "train"\nneeds = ["data"]\nmodel = "correlation"\nmax_depth = 17\n'),
    ("range_min_samples_leaf", PIPE + LOAD + '[stages.train]\nkind = "train"\nneeds = ["data"]\nmodel = "correlation"\nmin_samples_leaf = 0\n'),
    ("range_epochs_zero", train("epochs = 0\n")),
    ("range_leak_auc", csv("leak_auc = 0.5\n")),
    ("range_max_categories", csv("max_categories = 1\n")),
    ("range_min_group_size", csv("min_group_size = 0\n")),
    ("range_label_map_two", csv('label = "y"\nlabel_map = { yes = 2 }\n')),
    ("range_delimiter_two_chars", csv('delimiter = ";;"\n')),
    ("range_max_rows_zero", csv("max_rows = 0\n")),
    ("range_executor_time", BASE + '[executor]\nkind = "slurm"\ntime = "ninety minutes"\n'),
    ("range_executor_mem", BASE + '[executor]\nkind = "slurm"\nmem = "0"\n'),
    # --- model-specific keys
    ("model_class_weight_on_heuristic", PIPE + LOAD + '[stages.train]\nkind = "train"\nneeds = ["data"]\nmodel = "heuristic"\nclass_weight = "balanced"\n'),
    ("model_rounds_on_logistic", train("rounds = 10\n")),
    ("model_epochs_on_correlation", PIPE + LOAD + '[stages.train]\nkind = "train"\nneeds = ["data"]\nmodel = "correlation"\nepochs = 5\n'),
    # --- cycles
    ("cycle_self", PIPE + LOAD + '[stages.train]\nkind = "train"\nneeds = ["data", "train"]\nmodel = "logistic"\n'),
    ("cycle_two", PIPE + LOAD + '[stages.a]\nkind = "train"\nneeds = ["data", "b"]\nmodel = "logistic"\n[stages.b]\nkind = "gate"\nneeds = ["a"]\n'),
    ("cycle_three", PIPE + LOAD + '[stages.a]\nkind = "train"\nneeds = ["data", "c"]\nmodel = "logistic"\n[stages.b]\nkind = "gate"\nneeds = ["a"]\n[stages.c]\nkind = "gate"\nneeds = ["b"]\n'),
    ("cycle_two_separate", PIPE + LOAD + '[stages.a]\nkind = "gate"\nneeds = ["b"]\n[stages.b]\nkind = "gate"\nneeds = ["a"]\n[stages.c]\nkind = "gate"\nneeds = ["d"]\n[stages.d]\nkind = "gate"\nneeds = ["c"]\n'),
    ("cycle_with_valid_branch", BASE + GATE + '[stages.x]\nkind = "gate"\nneeds = ["y"]\n[stages.y]\nkind = "gate"\nneeds = ["x"]\n'),
    # --- missing dependencies
    ("needs_unknown_stage", BASE + '[stages.gate]\nkind = "gate"\nneeds = ["trian"]\n'),
    ("needs_empty_name", BASE + '[stages.gate]\nkind = "gate"\nneeds = [""]\n'),
    ("train_without_load", PIPE + '[stages.train]\nkind = "train"\nmodel = "logistic"\n'),
    ("gate_without_train", PIPE + LOAD + '[stages.gate]\nkind = "gate"\nneeds = ["data"]\n'),
    ("drift_without_train", PIPE + LOAD + '[stages.drift]\nkind = "drift"\nneeds = ["data"]\n'),
    ("audit_without_needs", BASE + GATE + '[stages.audit]\nkind = "audit"\n'),
    ("two_audit_stages", BASE + GATE + '[stages.audit]\nkind = "audit"\nneeds = ["gate"]\n[stages.audit2]\nkind = "audit"\nneeds = ["gate"]\n'),
    ("needs_duplicate_entry", BASE + '[stages.gate]\nkind = "gate"\nneeds = ["train", "train"]\n'),
    ("invalid_load_and_its_dependents", PIPE + '[stages.data]\nkind = "load"\nsource = { synthetic = { num_samples = 1 } }\n' + TRAIN + "epochs = 0\n" + GATE + "min_accuracy = 7.0\n"),
    # --- matrices and interpolation
    ("matrix_empty_axis", train("matrix = { learning_rate = [] }\n")),
    ("matrix_exclude_unknown_axis", train("matrix = { learning_rate = [0.1, 0.5], exclude = [{ lr = 0.1 }] }\nlearning_rate = \"${matrix.learning_rate}\"\n")),
    ("matrix_include_missing_axis", train("matrix = { learning_rate = [0.1], batch_size = [8], include = [{ learning_rate = 0.2 }] }\nlearning_rate = \"${matrix.learning_rate}\"\nbatch_size = \"${matrix.batch_size}\"\n")),
    ("matrix_exclude_everything", train("matrix = { learning_rate = [0.1], exclude = [{ learning_rate = 0.1 }] }\nlearning_rate = \"${matrix.learning_rate}\"\n")),
    ("matrix_unknown_placeholder", train("matrix = { learning_rate = [0.1] }\nlearning_rate = \"${matrix.lr}\"\n")),
    ("matrix_placeholder_without_matrix", train('learning_rate = "${matrix.learning_rate}"\n')),
    ("vars_unknown_placeholder", train('epochs = "${vars.epochs}"\n')),
    ("placeholder_unterminated", train('cohort = "x_${matrix.a"\n')),
    ("placeholder_unknown_namespace", train('cohort = "x_${env.HOME}"\n')),
    ("matrix_fold_reserved", train("matrix = { fold = [1, 2] }\n")),
    ("matrix_value_wrong_type", train('matrix = { learning_rate = [0.1, "fast"] }\nlearning_rate = "${matrix.learning_rate}"\n')),
    ("matrix_nested_table_value", train('matrix = { learning_rate = [{ a = 1 }] }\nlearning_rate = "${matrix.learning_rate}"\n')),
    ("matrix_exclude_not_a_list", train('matrix = { learning_rate = [0.1], exclude = 3 }\nlearning_rate = "${matrix.learning_rate}"\n')),
    ("matrix_duplicate_values", train('matrix = { learning_rate = [0.1, 0.1] }\nlearning_rate = "${matrix.learning_rate}"\n')),
    # --- duplicate names
    ("duplicate_cohorts", train('matrix = { learning_rate = [0.1, 0.5] }\nlearning_rate = "${matrix.learning_rate}"\ncohort = "same"\n')),
    ("duplicate_cohorts_across_stages", PIPE + LOAD + TRAIN + 'cohort = "c"\n[stages.train2]\nkind = "train"\nneeds = ["data"]\nmodel = "heuristic"\ncohort = "c"\n'),
    ("stage_name_empty", PIPE + LOAD + '[stages.""]\nkind = "gate"\nneeds = ["data"]\n'),
    # --- names that escape or are not portable
    ("cohort_parent_dir", train('cohort = "../escape"\n')),
    ("cohort_absolute", train('cohort = "/tmp/x"\n')),
    ("cohort_slash", train('cohort = "a/b"\n')),
    ("cohort_empty", train('cohort = ""\n')),
    ("cohort_windows_device", train('cohort = "NUL"\n')),
    ("cohort_trailing_dot", train('cohort = "x."\n')),
    ("cohort_escape_sequence", train('cohort = "a\\u001b[31mred"\n')),
    ("pipeline_name_escapes", '[pipeline]\nname = "../up"\n' + LOAD),
    ("pipeline_name_empty", '[pipeline]\nname = ""\n' + LOAD),
    ("phase3_storage_escapes", BASE + '[stages.governance]\nkind = "phase3"\nneeds = ["train"]\nstorage_dir = "../outside"\n'),
    ("stage_name_with_brackets", PIPE + LOAD.replace("[stages.data]", '[stages."da[ta]"]')),
    # --- limits
    ("limit_epochs", train("epochs = 1000000000\n")),
    ("limit_rounds", PIPE + LOAD + '[stages.train]\nkind = "train"\nneeds = ["data"]\nmodel = "correlation"\nrounds = 200000\n'),
    ("limit_matrix_instances", train("matrix = { a = [" + ", ".join(str(i) for i in range(100)) + "], b = [" + ", ".join(str(i) for i in range(100)) + "], c = [" + ", ".join(str(i) for i in range(100)) + "] }\n")),
    ("limit_grid", PIPE + LOAD + '[stages.opt]\nkind = "optimize"\nneeds = ["data"]\nmodel = "logistic"\ntechnique = "grid_search"\ngrid_steps = 1000\nspace = { learning_rate = { min = 0.001, max = 1.0 }, l2 = { min = 0.0, max = 1.0 }, threshold = { min = 0.1, max = 0.9 } }\n'),
    ("limit_num_samples", load("{ synthetic = { num_samples = 5000 } }", "[limits]\nmax_rows = 1000\n")),
    ("limit_errors_listed", PIPE + "".join(f'[stages.s{i}]\nkind = "train"\nneeds = ["nope"]\nmodel = "logistic"\n' for i in range(120))),
    ("limit_lowered_in_manifest", train("epochs = 50\n[limits]\nmax_epochs = 10\n")),
    ("limit_unknown_name", BASE + "[limits]\nmax_epoch = 10\n"),
    ("limit_zero", BASE + "[limits]\nmax_instances = 0\n"),
    # --- data files
    ("csv_missing_file", PIPE + '[stages.data]\nkind = "load"\nsource = { csv = { path = "../data/nope.csv" } }\n' + TRAIN),
    ("csv_directory", PIPE + '[stages.data]\nkind = "load"\nsource = { csv = { path = "../data" } }\n' + TRAIN),
    ("csv_device", PIPE + '[stages.data]\nkind = "load"\nsource = { csv = { path = "/dev/null" } }\n' + TRAIN),
    ("csv_empty_path", PIPE + '[stages.data]\nkind = "load"\nsource = { csv = { path = "" } }\n' + TRAIN),
    ("csv_unknown_label", csv('label = "target"\n')),
    ("csv_unknown_group", csv('group = "race"\n')),
    ("csv_features_and_exclude", csv('features = ["a"]\nexclude = ["b"]\n')),
    ("csv_bad_filter", csv('filter = ["a >> 1"]\n')),
    ("csv_filter_unknown_column", csv('filter = ["zz > 1"]\n')),
    ("csv_one_class_label", csv('label = "one"\n')),
    ("kaggle_bad_slug", PIPE + '[stages.data]\nkind = "load"\nsource = { kaggle = { dataset = "not a slug" } }\n' + TRAIN),
    ("kaggle_bad_sha", PIPE + '[stages.data]\nkind = "load"\nsource = { kaggle = { dataset = "a/b", sha256 = "xyz" } }\n' + TRAIN),
    # --- optimize
    ("optimize_unknown_parameter", PIPE + LOAD + '[stages.opt]\nkind = "optimize"\nneeds = ["data"]\nmodel = "logistic"\nspace = { max_depth = [2, 4] }\n'),
    ("optimize_bad_range", PIPE + LOAD + '[stages.opt]\nkind = "optimize"\nneeds = ["data"]\nmodel = "logistic"\nspace = { learning_rate = { min = 1.0, max = 0.1 } }\n'),
    ("optimize_unknown_technique", PIPE + LOAD + '[stages.opt]\nkind = "optimize"\nneeds = ["data"]\nmodel = "logistic"\ntechnique = "annealing"\n'),
]


def main():
    names = [n for n, _ in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    wanted = set()
    for i, (name, text) in enumerate(CASES, start=1):
        file = HERE / f"{i:03}_{name}.toml"
        wanted.add(file.name)
        what = name.replace("_", " ")
        file.write_text(f"# expect: 2\n# {what}\n{text}", encoding="utf-8")
    for old in HERE.glob("*.toml"):
        if old.name not in wanted:
            old.unlink()
    print(f"{len(CASES)} malformed manifests in {HERE}")


if __name__ == "__main__":
    main()
