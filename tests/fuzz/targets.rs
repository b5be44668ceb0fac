//! The four fuzz targets: what each feeds its parser, and what it asserts besides "no panic".

use std::ffi::OsString;
use std::io::Cursor;
use std::path::Path;

use miette::{GraphicalReportHandler, GraphicalTheme};
use nethical::audit::{Checkpoint, LineCheck, NoteSigner, NoteVerifier, SignedNote, read_leaf_hashes, scan_log};
use nethical::data::csv_source::{CsvOptions, DEFAULT_MISSING_TOKENS, MissingPolicy, read_labeled_csv};
use nethical::data::row_filter::Condition;
use nethical::manifest::{ManifestInput, Override, load};
use nethical::predictions::{PredictionColumns, read_predictions};
use nethical::{Error, exit_code};

use crate::harness::Target;

/// The README's exit codes.
const EXIT_CODES: [i32; 6] =
    [exit_code::OK, exit_code::STAGE_FAILED, exit_code::INVALID_INPUT, exit_code::INTERNAL, exit_code::BUSY, 130];

/// Separates a manifest seed's file text from its overrides, one a line: `--set k=v` or
/// `NAME=value` (an environment variable).
const OVERRIDES: &[u8] = b"\n#%% overrides\n";

pub fn manifest_target() -> Target {
    Target::new(
        "manifest",
        &[
            "[stages.x]\nkind = \"train\"\n",
            "needs = [\"data\"]\n",
            "matrix = { a = [1, 2], b = [\"x\"] }\n",
            "exclude = [{ a = 1 }]\n",
            "include = [{ a = 3, b = \"y\" }]\n",
            "\"${matrix.a}\"",
            "\"${vars.epochs}\"",
            "$${",
            "${",
            "\"${matrix.fold}\"",
            "cohort = \"../x\"\n",
            "cohort = \"CON\"\n",
            "= ",
            "[[",
            "]]",
            "{ }",
            "\"\"\"",
            "'",
            "\\u0000",
            "\u{1b}[31m",
            "é",
            "\n",
            "#",
            ".",
            "9223372036854775807",
            "-9223372036854775808",
            "18446744073709551615",
            "1e308",
            "nan",
            "-inf",
            "0",
            "-1",
            "1000000000000",
            "0.5",
            "true",
            "[pipeline]\nname = \"p\"\n",
            "[limits]\nmax_epochs = 1\n",
            "kind = \"load\"\nsource = { csv = { path = \"-\" } }\n",
            "source = { synthetic = { num_samples = 10 } }\n",
            "split = { strategy = \"kfold\", folds = 3 }\n",
            "--set stages.train.epochs=4\n",
            "--set vars.x=[1,2]\n",
            "--set a..b=1\n",
            "NETHICAL_STAGES__TRAIN__EPOCHS=4\n",
            "NETHICAL_VARS__X=\"${matrix.a}\"\n",
            "NETHICAL_PIPELINE=1\n",
            "NETHICAL_LOG=debug\n",
            "NETHICAL_LIMITS__MAX_EPOCHS=2\n",
        ],
    )
}

/// The manifest loader as `nethical validate` drives it. Every outcome must be an exit code of
/// the README's table: 0 for a valid manifest, 2 for anything the user wrote.
pub fn check_manifest(bytes: &[u8]) {
    let (file, rest) = match bytes.windows(OVERRIDES.len()).position(|w| w == OVERRIDES) {
        Some(i) => (&bytes[..i], &bytes[i + OVERRIDES.len()..]),
        None => (bytes, &[][..]),
    };
    let code = manifest_exit_code(file, rest);
    assert!(EXIT_CODES.contains(&code), "exit code {code} is not in the README's table");
    assert!(code == exit_code::OK || code == exit_code::INVALID_INPUT, "manifest input gave exit code {code}");
}

fn manifest_exit_code(file: &[u8], overrides: &[u8]) -> i32 {
    let Ok(text) = String::from_utf8(file.to_vec()) else { return exit_code::INVALID_INPUT };
    let mut flags = Vec::new();
    let mut env: Vec<(OsString, OsString)> = Vec::new();
    for line in overrides.split(|&b| b == b'\n') {
        if let Some(flag) = line.strip_prefix(b"--set ") {
            // clap hands over only UTF-8 arguments; others are its own error (exit 2).
            let Ok(flag) = std::str::from_utf8(flag) else { return exit_code::INVALID_INPUT };
            flags.push(flag.to_owned());
        } else if let Some(eq) = line.iter().position(|&b| b == b'=') {
            use std::os::unix::ffi::OsStrExt;
            let name = std::ffi::OsStr::from_bytes(&line[..eq]).to_owned();
            let value = std::ffi::OsStr::from_bytes(&line[eq + 1..]).to_owned();
            env.push((name, value));
        }
    }
    let mut all = match Override::from_env_os(env) {
        Ok(o) => o,
        Err(e) => return Error::from(e).exit_code(),
    };
    for flag in &flags {
        match Override::from_flag(flag) {
            Ok(o) => all.push(o),
            Err(e) => return Error::from(e).exit_code(),
        }
    }
    // In the fixtures folder, so a seed's `path = "messy/compas_like.csv"` reads a real file.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/m.toml");
    let input = ManifestInput::new(&path, text, all);
    match load(&input) {
        Ok(m) => {
            let plan = nethical::plan::Plan::new(m, path.parent().unwrap_or(Path::new(".")));
            let _ = nethical::plan::render_graph(&plan, nethical::plan::GraphFormat::Dot);
            exit_code::OK
        }
        Err(e) => {
            assert!(!e.issues().is_empty(), "an invalid manifest without a single issue");
            // `[limits] max_errors` may raise the default of 100 kept; it still bounds them.
            assert!(e.issues().len() <= 100_000, "{} issues listed", e.issues().len());
            let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
            for issue in e.issues() {
                let mut out = String::new();
                let _ = handler.render_report(&mut out, issue);
                let (_, line, column) = issue.location();
                assert!(line >= 1 && column >= 1, "location {line}:{column}");
            }
            Error::from(e).exit_code()
        }
    }
}

pub fn csv_target() -> Target {
    Target::new(
        "csv",
        &[
            ",",
            ";",
            "\t",
            "\"",
            "\"\"",
            "\n",
            "\r\n",
            "\r",
            "NA",
            "?",
            "",
            "label",
            "y",
            "group",
            "1",
            "0",
            "-1",
            "1e999",
            "nan",
            "inf",
            "0.5",
            "a,b,label\n",
            "é",
            "\u{feff}",
            "\0",
            ">=",
            "!=",
        ],
    )
}

/// Options from the input's first byte, so mutations explore them too.
fn csv_options(b: u8) -> CsvOptions {
    let mut o = CsvOptions {
        delimiter: [b',', b';', b'\t', b'|'][usize::from(b & 3)],
        header: b & 4 == 0,
        missing: [MissingPolicy::Error, MissingPolicy::Drop, MissingPolicy::Impute, MissingPolicy::Drop]
            [usize::from((b >> 3) & 3)],
        dedupe_headers: b & 32 != 0,
        ..CsvOptions::default()
    };
    if b & 64 != 0 {
        o.group = Some("group".to_owned());
        o.max_categories = Some(3);
        o.filter = ["x >= 0", "group != \"b\""].iter().filter_map(|c| Condition::parse(c).ok()).collect();
    }
    if b & 128 != 0 {
        o.label = Some("y".to_owned());
        o.label_map = [("yes".to_owned(), 1), ("no".to_owned(), 0)].into();
        o.max_rows = Some(5);
    }
    o
}

/// The load stage's reader, `nethical predict`'s and `nethical metrics`' on the same bytes.
pub fn check_csv(bytes: &[u8]) {
    let Some((&first, body)) = bytes.split_first() else { return };
    let opts = csv_options(first);
    let _ = read_labeled_csv(body, "fuzz.csv", &opts);
    let _ = nethical::trained::read_raw_csv(body, opts.delimiter, &DEFAULT_MISSING_TOKENS);
    let cols = PredictionColumns {
        label: "y_true".to_owned(),
        prob: "y_prob".to_owned(),
        group: (first & 1 == 1).then(|| "group".to_owned()),
        row: None,
    };
    let _ = read_predictions(body, "fuzz.csv", &cols);
    if let Ok(text) = std::str::from_utf8(body) {
        for line in text.lines().take(4) {
            let _ = Condition::parse(line);
        }
    }
}

pub fn audit_log_target() -> Target {
    Target::new(
        "audit_log",
        &[
            "{}",
            "\n",
            "{\"a\":1}\n",
            "\"\\u0000\"",
            "\\ud800",
            "1e400",
            "-0",
            "1.0",
            "[]",
            "null",
            "\u{7f}",
            "é",
            "\"event\":",
            "{\"kind\":\"run_started\"}\n",
            "\r\n",
            "\u{2028}",
        ],
    )
}

/// The log scanners: the audit library's (canonical and hash-only) and the trail's.
pub fn check_audit_log(bytes: &[u8]) {
    let _ = scan_log(Cursor::new(bytes), LineCheck::Canonical);
    let _ = scan_log(Cursor::new(bytes), LineCheck::HashOnly);
    let _ = read_leaf_hashes(Cursor::new(bytes), LineCheck::Canonical);
    // The trail's scanner reads a log folder: the bytes go through a file, as a run's log does.
    LOG_DIR.with(|dir| {
        let log = nethical::trail::LogDir::new(dir.path());
        if std::fs::write(log.events(), bytes).is_ok() {
            let _ = log.scan();
            let _ = log.read_checkpoint();
        }
    });
}

thread_local! {
    static LOG_DIR: tempfile::TempDir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
}

pub fn checkpoint_target() -> Target {
    Target::new(
        "checkpoint",
        &[
            "\n",
            "\n\n",
            "— ",
            "nethical-fuzz",
            "+",
            "0",
            "18446744073709551616",
            "-1",
            "=",
            "AAAA",
            "====",
            "\u{2014}",
            "\u{7f}",
            "é",
            "\t",
            " ",
            "\r",
        ],
    )
}

/// The public key that signed the corpus's checkpoints (a throwaway key made for the corpus),
/// so mutated signatures and texts reach the Ed25519 check, not only the parser.
const CORPUS_VERIFIER: &str = "nethical/s+3cc23792+ASNWXp+FO5XucUWTI5R/hRWSgDHBwcx5mwHa99PqkdQM";

fn trusted_keys() -> [NoteVerifier; 2] {
    let corpus = NoteVerifier::parse(CORPUS_VERIFIER).unwrap_or_else(|e| panic!("corpus key: {e}"));
    let other = NoteSigner::from_seed("nethical-fuzz", [7; 32]).unwrap_or_else(|e| panic!("test key: {e}"));
    [corpus, other.verifier()]
}

/// Checkpoints, signed notes, signature checks and key texts.
pub fn check_checkpoint(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let trusted = trusted_keys();
    let _ = Checkpoint::parse(text);
    let _ = SignedNote::parse(text).map(|n| n.verify(&trusted).map(|_| ()));
    let _ = SignedNote::open(text, &trusted);
    let _ = Checkpoint::open(text, &trusted);
    let _ = nethical::trail::parse_checkpoint_text(text);
    let _ = nethical::trail::check_signature(text, &trusted);
    let _ = nethical::trail::signers(text);
    let _ = NoteVerifier::parse(text.trim_end());
    let _ = NoteSigner::parse(text.trim_end());
}
