//! Memory a dataset will take, estimated before it is allocated, so that `num_samples = 1e12`
//! is an input error naming the estimate instead of an allocation failure that aborts the
//! process and leaves a half-written run folder.

/// Peak bytes a synthetic row costs over a whole run: its features and label as generated,
/// the raw table, the split parts and their hand-off files, and the models' encoded copies.
/// Measured: the 11-stage 1,000,000-row workload peaked at 318 MiB at `-j 1` (about 330 bytes
/// a row); 400 leaves room for `-j 2`.
pub const SYNTHETIC_BYTES_PER_ROW: u64 = 400;

/// The machine's memory (`MemTotal` of `/proc/meminfo`), or `None` where it cannot be read.
pub fn total_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Bytes as a person reads them: `24.0 GiB`.
pub fn human_bytes(bytes: u128) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// Synthetic rows that would not fit in the machine's memory: typed so a `load` stage's error
/// keeps the figures, and the manifest check quotes the same words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{rows} rows need about {} of memory (about {SYNTHETIC_BYTES_PER_ROW} bytes a row), more than this machine's {}",
    human_bytes(*.need),
    human_bytes(*.memory)
)]
pub struct TooManyRows {
    /// The rows asked for.
    pub rows: u64,
    /// The bytes they would take.
    pub need: u128,
    /// The machine's memory, in bytes.
    pub memory: u128,
}

/// Why `rows` synthetic rows do not fit in `memory` bytes, or `None` when they do.
pub fn synthetic_rows_too_large(rows: u64, memory: u64) -> Option<TooManyRows> {
    let need = u128::from(rows) * u128::from(SYNTHETIC_BYTES_PER_ROW);
    (need > u128::from(memory)).then_some(TooManyRows { rows, need, memory: u128::from(memory) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_in_readable_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(24 << 30), "24.0 GiB");
        assert_eq!(synthetic_rows_too_large(1_000_000, 24 << 30), None);
        assert_eq!(
            synthetic_rows_too_large(1_000_000_000_000, 24 << 30).map(|e| e.to_string()).as_deref(),
            Some(
                "1000000000000 rows need about 363.8 TiB of memory (about 400 bytes a row), more than this machine's 24.0 GiB"
            )
        );
    }
}
