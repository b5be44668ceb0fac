//! The CSV reader's unit tests: against hand-written expectations, and against the plain
//! `csv`-crate reader in `csv_source_reference.rs` on the same bytes.

use super::*;
use crate::data::row_filter::Condition;

const ADULT_LIKE: &str = "age,workclass,sex,income\n39,State-gov,Male,<=50K\n50,?,Female,>50K\n38,Private,Male,<=50K\n";

fn map() -> BTreeMap<String, u8> {
    BTreeMap::from([("<=50K".to_owned(), 0), (">50K".to_owned(), 1)])
}

/// A result as compared between readers: the table and report, or the error's full text
/// (with its sources, where `csv`'s own words and positions are).
fn outcome(r: Result<(LabeledTable, CsvReport), DataError>) -> Result<(LabeledTable, CsvReport), String> {
    r.map_err(|e| crate::error_chain::error_chain(&e))
}

/// Checks that every way of cutting `csv` into chunks reads what the single-threaded
/// reader read before chunking.
fn same_in_every_chunking(csv: &[u8], opts: &CsvOptions) {
    let want = outcome(reference::read_labeled_csv(csv, "x.csv", opts));
    let parts = [1, 2, 3, 4, 7, csv.len() / 3, csv.len()];
    for parts in parts.into_iter().filter(|&p| p > 0) {
        let got = outcome(read_labeled_csv_in(csv, "x.csv", opts, Chunking { parts, min_bytes: 1 }));
        assert_eq!(got, want, "{parts} chunks of {:?} with {opts:?}", String::from_utf8_lossy(csv));
    }
    assert_eq!(outcome(read_labeled_csv(csv, "x.csv", opts)), want);
}

fn option_sets() -> Vec<CsvOptions> {
    let filter = |c: &[&str]| c.iter().map(|c| Condition::parse(c).expect("valid filter")).collect();
    vec![
        CsvOptions::default(),
        CsvOptions { missing: MissingPolicy::Drop, ..CsvOptions::default() },
        CsvOptions { missing: MissingPolicy::Impute, group: Some("g".into()), ..CsvOptions::default() },
        CsvOptions {
            missing: MissingPolicy::Drop,
            filter: filter(&["a >= 0", "g != \"q\""]),
            max_categories: Some(3),
            ..CsvOptions::default()
        },
        CsvOptions { missing: MissingPolicy::Impute, max_rows: Some(5), ..CsvOptions::default() },
    ]
}

#[test]
fn chunked_reads_match_the_single_threaded_reader_on_tricky_files() {
    let files: [&[u8]; 12] = [
        // Quoted delimiters and line breaks, doubled quotes.
        b"a,g,label\n1,\"x,y\",0\n2,\"multi\nline\",1\n3,\"q\"\"uote\",0\n4,plain,1\n5,\"\n\n\",0\n6,z,1\n",
        // CRLF with blank lines and no final line break.
        b"a,g,label\r\n1,x,0\r\n\r\n2,y,1\r\n3,x,0\r\n\r\n\r\n4,y,1",
        // A byte-order mark, and one at the start of a value.
        b"\xef\xbb\xbfa,g,label\n1,x,0\n2,\xef\xbb\xbfy,1\n3,x,0\n",
        // Trailing empty lines.
        b"a,g,label\n1,x,0\n2,y,1\n\n\n\n",
        // Missing values of every token, in features, group and label.
        b"a,g,label\n1,x,0\n,y,1\nNA,?,0\n4,null,1\nN/A,z,\n6,NaN,1\n7,x,0\n",
        // A bad label late in the file.
        b"a,g,label\n1,x,0\n2,y,1\n3,x,0\n4,y,1\n5,x,0\n6,y,1\n7,x,2\n8,y,1\n",
        // A field count other than the header's, late.
        b"a,g,label\n1,x,0\n2,y,1\n3,x,0\n4,y,1\n5,x\n6,y,1\n",
        // Text that is not UTF-8, late.
        b"a,g,label\n1,x,0\n2,y,1\n3,x,0\n4,\xff,1\n5,x,0\n",
        // Text in a numeric-looking column, only in one row; infinities are text.
        b"a,g,label\n1,x,0\n2,y,1\n3,x,0\ninf,y,1\n5,x,0\n 6 ,y,1\n",
        // A filter on a column holding text, late.
        b"a,g,label\n1,x,0\n2,y,1\n-3,q,0\n4,y,1\nabc,x,0\n",
        // Old Mac line ends: no `\n` to cut at.
        b"a,g,label\r1,x,0\r2,y,1\r3,x,0\r",
        // A quoted field spanning most of the file.
        b"a,g,label\n1,\"x\n2,y,1\n3,x,0\n4,y,1\n5,x,0\",0\n6,y,1\n",
    ];
    for csv in files {
        for opts in option_sets() {
            same_in_every_chunking(csv, &opts);
        }
    }
    let headerless = CsvOptions { header: false, label: Some("column_3".into()), ..CsvOptions::default() };
    same_in_every_chunking(b"\xef\xbb\xbf1,x,0\n2,y,1\n\n3,x,0\r\n4,y,1\n", &headerless);
}

#[test]
fn numbers_parse_as_the_standard_library_parses_them() {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut cases: Vec<String> = [
        "0",
        "-0",
        "+1",
        "1.",
        ".5",
        ".",
        "-",
        "",
        "1e5",
        "inf",
        "-NaN",
        "1.2.3",
        "12a",
        "0.1",
        "9007199254740992",
        "9007199254740993",
        "0.30000000000000004",
        "123456789012345678901",
        "00000000000000000001",
        "-0.000000000000000000001",
        "0.0000000000000000000001",
        " 1",
        "1_000",
        "٣",
    ]
    .map(str::to_owned)
    .to_vec();
    for _ in 0..20_000 {
        let x = f64::from_bits(rng.random::<u64>());
        cases.push(x.to_string());
        cases.push(format!(
            "{:.*}",
            rng.random_range(0..25),
            rng.random::<f64>() * 10f64.powi(rng.random_range(-5..18))
        ));
        let shift = rng.random_range(0..64);
        cases.push(format!("-{}", rng.random_range(0..u64::MAX >> shift)));
    }
    for v in &cases {
        let want = v.parse::<f64>().ok();
        assert_eq!(parse_number(v).map(f64::to_bits), want.map(f64::to_bits), "{v:?}");
    }
}

#[test]
fn a_bad_cell_late_in_the_file_names_its_exact_line() {
    let mut csv = String::from("a,label\n");
    for i in 0..5_000 {
        csv.push_str(&format!("{i},{}\n", i % 2));
        if i % 1000 == 0 {
            csv.push_str("\"quoted\nline\",1\n\n");
        }
    }
    csv.push_str("1,7\n");
    let opts = CsvOptions { missing: MissingPolicy::Impute, ..CsvOptions::default() };
    let e =
        read_labeled_csv_in(csv.as_bytes(), "x.csv", &opts, Chunking { parts: 8, min_bytes: 1 }).expect_err("label 7");
    let line = csv.bytes().filter(|&b| b == b'\n').count();
    assert_eq!(
        e.to_string(),
        format!(
            "invalid value `7` at line {line}, column 2 (`label`): expected 0 or 1; map text labels with `label_map`"
        )
    );
    same_in_every_chunking(csv.as_bytes(), &opts);
}

/// Random files from a vocabulary chosen to hit the reader's corners, each compared with
/// the single-threaded reader in several chunkings.
#[test]
fn chunked_reads_match_the_single_threaded_reader_on_random_files() {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
    let values = ["1", "-2.5", " 3 ", "1e3", "x", "q", "", "?", "NA", "\"4,5\"", "\"a\nb\"", "\"\"", "inf", "\"6\""];
    let labels = ["0", "1", " 1 ", "true", "", "2"];
    let ends = ["\n", "\r\n", "\n\n", "\r"];
    let option_sets = option_sets();
    for case in 0..300 {
        let mut csv = String::new();
        if case % 7 == 0 {
            csv.push('\u{feff}');
        }
        csv.push_str("a,g,label\n");
        for _ in 0..rng.random_range(0..40) {
            let a = values[rng.random_range(0..values.len())];
            let g = values[rng.random_range(0..values.len())];
            // Bad labels and short records are rare, so most files read to the end.
            let label = labels[if rng.random_range(0..30) == 0 { 5 } else { rng.random_range(0..5) }];
            if rng.random_range(0..60) == 0 {
                csv.push_str(&format!("{a},{label}"));
            } else {
                csv.push_str(&format!("{a},{g},{label}"));
            }
            csv.push_str(ends[rng.random_range(0..ends.len())]);
        }
        same_in_every_chunking(csv.as_bytes(), &option_sets[case % option_sets.len()]);
    }
}

#[test]
fn label_map_group_and_types() {
    let opts = CsvOptions {
        label: Some("income".into()),
        label_map: map(),
        group: Some("sex".into()),
        missing: MissingPolicy::Impute,
        ..CsvOptions::default()
    };
    let (t, report) = read_labeled_csv(ADULT_LIKE.as_bytes(), "adult.csv", &opts).expect("valid");
    assert_eq!(t.y, [0, 1, 0]);
    assert_eq!(t.group, Some(vec!["Male".into(), "Female".into(), "Male".into()]));
    assert_eq!(report.features, [("age".to_owned(), ColumnKind::Numeric), ("workclass".to_owned(), ColumnKind::Text)]);
    assert_eq!(t.features.column("workclass").map(|c| c.values.is_missing(1)), Some(true));
    assert_eq!(report.class_counts, [2, 1]);
}

#[test]
fn drop_policy_drops_and_counts() {
    let opts = CsvOptions {
        label: Some("income".into()),
        label_map: map(),
        missing: MissingPolicy::Drop,
        ..CsvOptions::default()
    };
    let (t, report) = read_labeled_csv(ADULT_LIKE.as_bytes(), "adult.csv", &opts).expect("valid");
    assert_eq!(t.features.row_ids(), [0, 2]);
    assert_eq!(report.dropped, BTreeMap::from([("missing value in `workclass`".to_owned(), 1)]));
}

#[test]
fn error_policy_names_line_and_column() {
    let opts = CsvOptions { label: Some("income".into()), label_map: map(), ..CsvOptions::default() };
    let e = read_labeled_csv(ADULT_LIKE.as_bytes(), "adult.csv", &opts).expect_err("missing value");
    assert_eq!(
        e.to_string(),
        "invalid value `?` at line 3, column 2 (`workclass`): expected a value; set `missing = \"drop\"` or `\"impute\"` to accept missing values"
    );
}

#[test]
fn unmapped_labels_are_errors_even_when_dropping() {
    let opts = CsvOptions { label: Some("income".into()), missing: MissingPolicy::Drop, ..CsvOptions::default() };
    let e = read_labeled_csv(ADULT_LIKE.as_bytes(), "adult.csv", &opts).expect_err("text labels");
    assert!(
        e.to_string().contains("line 2, column 4 (`income`): expected 0 or 1; map text labels with `label_map`"),
        "{e}"
    );
}

#[test]
fn one_text_value_makes_a_text_column_with_every_kept_string() {
    let csv = b"a,b,label\n1, 2.50 ,0\n2,x,1\n,4,1\n3,5,0\n";
    let column = |t: &LabeledTable, name: &str| t.features.column(name).map(|c| c.values.clone());
    let text = |values: &[&str]| Values::Text(values.iter().map(|v| Some((*v).to_owned())).collect());

    let opts = CsvOptions { missing: MissingPolicy::Impute, ..CsvOptions::default() };
    let (t, report) = read_labeled_csv(csv, "x.csv", &opts).expect("valid");
    assert_eq!(column(&t, "a"), Some(Values::Numeric(vec![1.0, 2.0, f64::NAN, 3.0])));
    assert_eq!(column(&t, "b"), Some(text(&["2.50", "x", "4", "5"])));
    assert_eq!(report.features, [("a".to_owned(), ColumnKind::Numeric), ("b".to_owned(), ColumnKind::Text)]);

    let opts = CsvOptions { missing: MissingPolicy::Drop, ..CsvOptions::default() };
    let (t, _) = read_labeled_csv(csv, "x.csv", &opts).expect("valid");
    assert_eq!(t.features.row_ids(), [0, 1, 3]);
    assert_eq!(column(&t, "b"), Some(text(&["2.50", "x", "5"])));

    // A text value in a dropped row does not make its column text.
    let (t, _) = read_labeled_csv(b"a,b,label\n1,2,0\n,x,1\n3,4,0\n", "x.csv", &opts).expect("valid");
    assert_eq!(column(&t, "b"), Some(Values::Numeric(vec![2.0, 4.0])));
}

#[test]
fn label_is_discovered_and_never_a_feature() {
    let (t, report) = read_labeled_csv(b"a,Target,b\n1,0,2\n3,1,4\n", "x.csv", &CsvOptions::default()).expect("valid");
    assert_eq!(report.label, "Target");
    assert_eq!(t.features.columns().iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    let opts = CsvOptions { features: Some(vec!["a".into(), "Target".into()]), ..CsvOptions::default() };
    assert!(read_labeled_csv(b"a,Target,b\n1,0,2\n", "x.csv", &opts).is_err());
}

#[test]
fn unknown_columns_are_named() {
    let opts = CsvOptions { label: Some("incme".into()), ..CsvOptions::default() };
    let e = read_labeled_csv(ADULT_LIKE.as_bytes(), "adult.csv", &opts).expect_err("unknown");
    assert_eq!(
        e.to_string(),
        "adult.csv: label `incme` is not a column (did you mean `income`?); the columns are age, workclass, sex, income"
    );
}

#[test]
fn max_rows_caps_and_headerless_files_get_numbered_columns() {
    let opts = CsvOptions { header: false, label: Some("column_3".into()), max_rows: Some(2), ..CsvOptions::default() };
    let (t, report) = read_labeled_csv(b"1,2,0\n3,4,1\n5,6,1\n", "x.csv", &opts).expect("valid");
    assert_eq!(report.rows_read, 2);
    assert_eq!(t.y, [0, 1]);
}
