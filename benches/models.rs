//! Model and data benchmarks (`cargo bench --bench models`), issue #3 targets: logistic
//! regression on 1,000,000 × 20 rows for 10 epochs in under 0.5 s (and at least 2× faster than
//! scikit-learn's `SGDClassifier` on the same data and epochs: `benches/sklearn_sgd.py`); CSV
//! loading at 100 MB/s or more; the transformer's time per epoch. Peak memory of the logistic
//! fit: `examples/fit_logistic.rs` under `/usr/bin/time -v`.

use std::io::Write;

use divan::Bencher;
use divan::counter::BytesCount;
use ndarray::Array2;
use nethical::data::csv_source::{CsvOptions, read_labeled_csv};
use nethical::models::{LogisticParams, LogisticRegression, SimpleTransformer, TransformerParams};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn main() {
    divan::main();
}

/// Rows of `features` uniform values with a linear label, from a fixed seed.
fn linear_data(rows: usize, features: usize) -> (Array2<f64>, Vec<u8>, Vec<String>) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let x = Array2::from_shape_fn((rows, features), |_| nethical::data::sampling::unit_f64(&mut rng));
    let y = x.rows().into_iter().map(|r| u8::from(r[0] + r[1] - r[2] > 0.5)).collect();
    let names = (0..features).map(|j| format!("f{j}")).collect();
    (x, y, names)
}

/// Logistic regression, 1,000,000 × 20, 10 epochs, batch 256 (target < 0.5 s).
#[divan::bench(sample_count = 5)]
fn logistic_1m_x_20_10_epochs(bencher: Bencher<'_, '_>) {
    let (x, y, names) = linear_data(1_000_000, 20);
    let params = LogisticParams {
        epochs: 10,
        batch_size: 256,
        learning_rate: 0.1,
        l2: 0.0,
        class_weight: None,
        ..LogisticParams::default()
    };
    bencher.bench(|| {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        LogisticRegression::fit(x.view(), &y, &names, &params, &mut rng, &|| false).expect("fit")
    });
}

/// CSV loading of a 1,000,000-row file (20 numeric columns and a label), in bytes per second.
#[divan::bench(sample_count = 5)]
fn csv_load_1m_rows(bencher: Bencher<'_, '_>) {
    let (x, y, names) = linear_data(1_000_000, 20);
    let mut csv = Vec::with_capacity(200_000_000);
    let _ = writeln!(csv, "{},label", names.join(","));
    for (row, label) in x.rows().into_iter().zip(&y) {
        for v in row {
            let _ = write!(csv, "{v},");
        }
        let _ = writeln!(csv, "{label}");
    }
    let opts = CsvOptions { label: Some("label".into()), ..CsvOptions::default() };
    bencher.counter(BytesCount::new(csv.len())).bench(|| read_labeled_csv(&csv, "bench.csv", &opts).expect("csv"));
}

/// The transformer's time per epoch on 8,000 rows of 5 features (default architecture).
#[divan::bench(sample_count = 5)]
fn transformer_one_epoch_8000_rows(bencher: Bencher<'_, '_>) {
    let (x, y, names) = linear_data(8_000, 5);
    let params = TransformerParams { epochs: 1, ..TransformerParams::default() };
    bencher.bench(|| {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        SimpleTransformer::fit(x.view(), &y, &names, &params, &mut rng, &|| false).expect("fit")
    });
}
