//! Waiting on a rayon pool thread without taking a core from the pool.
//!
//! A pool thread that blocks (a lock, a channel) leaves the pool one thread short while it
//! waits; one that runs pending pool work meanwhile keeps every core busy. Used by the local
//! executor's idle workers and by `train` instances waiting for the data another instance reads.

use std::time::Duration;

/// Runs one pending pool job if there is one; otherwise sleeps `pause` before the caller looks
/// again for what it waits for.
pub fn help_or_sleep(pause: Duration) {
    if rayon::yield_now() != Some(rayon::Yield::Executed) {
        std::thread::sleep(pause);
    }
}
