//! What a long fit tells its caller while it runs, and how the caller stops it.

/// Where a fit stands after an epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochProgress {
    /// The epoch just finished, from 1.
    pub epoch: u32,
    pub epochs: u32,
    /// The epoch's mean training loss.
    pub loss: f64,
}

/// Callbacks of an iterative fit. The library never prints: a fit of minutes reports its
/// epochs here, and the caller decides whether anyone sees them (the CLI shows them on a
/// terminal only, never in an artifact).
pub struct FitHooks<'a> {
    /// Polled before every epoch; `true` stops the fit with [`super::FitError::Cancelled`].
    pub cancel: &'a dyn Fn() -> bool,
    /// Called after every completed epoch.
    pub epoch_done: &'a dyn Fn(EpochProgress),
}
