//! Profiling aid for CSV loading (issue 14): writes the 1,000,000-row file of the
//! `csv_load_1m_rows` bench (20 numeric columns and a label, same seed) to the path given, if
//! it is not there, then times `read_labeled_csv` on it with the load stage's default options
//! (`label = "label"`). The file also serves an end-to-end `nethical run`. Run:
//! `cargo run --release --example csv_load -- /tmp/csv1m.csv [repeats]`, under `perf record`
//! or `/usr/bin/time` for CPU time.

use std::io::Write;

use nethical::data::csv_source::{CsvOptions, read_labeled_csv};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: csv_load FILE [repeats]")?;
    let repeats: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    if !std::path::Path::new(&path).exists() {
        let (rows, features) = (1_000_000, 20);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let names: Vec<String> = (0..features).map(|j| format!("f{j}")).collect();
        writeln!(out, "{},label", names.join(","))?;
        let mut row = vec![0.0; features];
        for _ in 0..rows {
            row.iter_mut().for_each(|v| *v = nethical::data::sampling::unit_f64(&mut rng));
            for v in &row {
                write!(out, "{v},")?;
            }
            writeln!(out, "{}", u8::from(row[0] + row[1] - row[2] > 0.5))?;
        }
        out.flush()?;
    }
    let bytes = std::fs::read(&path)?;
    let opts = CsvOptions { label: Some("label".into()), ..CsvOptions::default() };
    for _ in 0..repeats {
        let start = std::time::Instant::now();
        let (table, _) = read_labeled_csv(&bytes, &path, &opts)?;
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{} rows, {:.0} MB in {seconds:.3} s: {:.0} MB/s",
            table.y.len(),
            bytes.len() as f64 / 1e6,
            bytes.len() as f64 / 1e6 / seconds
        );
    }
    Ok(())
}
