//! The malformed-manifest corpus (`tests/malformed/*.toml`, written by its `generate.py`):
//! every file through the real `nethical validate`, each with the exit code its first line
//! expects and its stderr snapshot. Zero panics, zero exit codes outside the README's table.

use std::path::{Path, PathBuf};

use crate::common::{Test, scrub};

/// The README's exit codes.
const EXIT_CODES: [i32; 6] = [0, 1, 2, 3, 4, 130];

/// The CSV the corpus's `csv` sources read (`../data/small.csv` from `pipelines/`): a label `y`,
/// two features, and a column `one` with a single class.
const SMALL_CSV: &str = "a,b,y,one\n1,x,0,1\n2,y,1,1\n3,x,0,1\n4,y,1,1\n5,x,0,1\n6,y,1,1\n7,x,0,1\n8,y,1,1\n";

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/malformed")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn expected_code(text: &str, file: &Path) -> i32 {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("# expect: "))
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or_else(|| panic!("{} does not start with `# expect: <exit code>`", file.display()))
}

#[test]
fn every_malformed_manifest_is_refused_with_its_code_and_message() {
    let files = corpus();
    assert!(files.len() >= 100, "the corpus has {} manifests, fewer than 100", files.len());
    let t = Test::new();
    t.file("data/small.csv", SMALL_CSV);
    let mut wrong = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).expect("read case");
        let text = String::from_utf8_lossy(&bytes);
        let want = expected_code(&text, file);
        let stem = file.file_stem().and_then(|s| s.to_str()).expect("utf-8 name");
        let rel = format!("pipelines/{stem}.toml");
        std::fs::create_dir_all(t.path().join("pipelines")).expect("mkdir");
        std::fs::write(t.path().join(&rel), &bytes).expect("write case");
        let r = t.run(&["validate", &rel]);
        assert!(!r.stderr.contains("panicked"), "{stem} panicked:\n{}", r.stderr);
        assert!(EXIT_CODES.contains(&r.code), "{stem}: exit {} is not in the README's table", r.code);
        if r.code != want {
            wrong.push(format!("{stem}: exit {} (expected {want})\n{}{}", r.code, r.stdout, r.stderr));
        }
        insta::with_settings!({ snapshot_path => "snapshots/malformed", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(stem.to_owned(), scrub(&r.stderr));
        });
    }
    assert!(wrong.is_empty(), "{} cases exited with another code:\n{}", wrong.len(), wrong.join("\n"));
}
