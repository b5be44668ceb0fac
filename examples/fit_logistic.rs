//! Peak memory of a logistic fit on 1,000,000 × 20 rows for 10 epochs (issue #3: under 2× the
//! dataset's size as f64, i.e. 320 MB for the 160 MB of features). Run:
//! `cargo build --release --example fit_logistic && /usr/bin/time -v target/release/examples/fit_logistic`
//! and read "Maximum resident set size".

use ndarray::Array2;
use nethical::models::{LogisticParams, LogisticRegression};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn main() {
    let (rows, features) = (1_000_000, 20);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let x = Array2::from_shape_fn((rows, features), |_| nethical::data::sampling::unit_f64(&mut rng));
    let y: Vec<u8> = x.rows().into_iter().map(|r| u8::from(r[0] + r[1] - r[2] > 0.5)).collect();
    let names: Vec<String> = (0..features).map(|j| format!("f{j}")).collect();
    let params = LogisticParams {
        epochs: 10,
        batch_size: 256,
        learning_rate: 0.1,
        l2: 0.0,
        class_weight: None,
        ..LogisticParams::default()
    };
    let start = std::time::Instant::now();
    let model = LogisticRegression::fit(x.view(), &y, &names, &params, &mut rng, &|| false).expect("fit");
    let seconds = start.elapsed().as_secs_f64();
    let dataset_mb = (rows * features * 8) as f64 / 1e6;
    println!(
        "fit {rows} x {features}, 10 epochs: {seconds:.3} s; dataset {dataset_mb:.0} MB; final loss {:?}",
        model.history().last()
    );
}
