//! Why a drift statistic could not be computed: one error type for every statistic of the
//! module, so a caller handles bad input in one place.

/// Why a drift statistic could not be computed; each variant names the offending input and,
/// where there is one, the position and value so the caller can point at the bad row.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriftError {
    #[error("{name} has no values")]
    Empty { name: &'static str },

    #[error("{name}[{index}] is {value}, but drift needs finite values")]
    NonFinite { name: &'static str, index: usize, value: f64 },

    #[error("edges[{index}] is {value}, but bin edges must be finite and strictly increasing")]
    InvalidEdge { index: usize, value: f64 },

    #[error("{name}[{index}] is {value}, but proportions must be finite and non-negative")]
    InvalidProportion { name: &'static str, index: usize, value: f64 },

    #[error("{name} sums to 0, so it cannot be normalised to a distribution")]
    ZeroMass { name: &'static str },

    #[error("reference_props has {reference} bins but current_props has {current}")]
    BinCountMismatch { reference: usize, current: usize },
}
