//! Validated, sorted samples: every statistic of the module reads the same sorted copy of each
//! cohort, and the checks that make a sample acceptable live here once.

use super::error::DriftError;

/// A validated (non-empty, finite) sample sorted ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct Sorted(pub(super) Vec<f64>);

impl Sorted {
    /// Validates `values` (named `name` in errors: `reference` or `current`) and sorts a copy.
    pub fn new(name: &'static str, values: &[f64]) -> Result<Self, DriftError> {
        check_finite(name, values)?;
        let mut sorted = values.to_vec();
        sort_values(&mut sorted);
        Ok(Self(sorted))
    }

    /// Validates both samples, then sorts them on both cores at once.
    pub(super) fn pair(reference: &[f64], current: &[f64]) -> Result<(Self, Self), DriftError> {
        check_finite("reference", reference)?;
        check_finite("current", current)?;
        let (mut r, mut c) = (reference.to_vec(), current.to_vec());
        rayon::join(|| sort_values(&mut r), || sort_values(&mut c));
        Ok((Self(r), Self(c)))
    }
}

/// Below this many values a parallel sort costs more in coordination than it saves.
const PARALLEL_SORT_MIN: usize = 1 << 15;

fn sort_values(values: &mut [f64]) {
    if values.len() >= PARALLEL_SORT_MIN {
        rayon::slice::ParallelSliceMut::par_sort_unstable_by(values, f64::total_cmp);
    } else {
        values.sort_unstable_by(f64::total_cmp);
    }
}

pub(super) fn check_finite(name: &'static str, values: &[f64]) -> Result<(), DriftError> {
    if values.is_empty() {
        return Err(DriftError::Empty { name });
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(DriftError::NonFinite { name, index, value: values[index] }),
        None => Ok(()),
    }
}

pub(super) fn check_edges(edges: &[f64]) -> Result<(), DriftError> {
    for (index, &value) in edges.iter().enumerate() {
        let increasing = index == 0 || edges[index - 1] < value;
        if !value.is_finite() || !increasing {
            return Err(DriftError::InvalidEdge { index, value });
        }
    }
    Ok(())
}
