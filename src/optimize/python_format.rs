//! Python's float formatting, so the gate's reasons read exactly as the original's.
//!
//! Rust's `{:.N}` and `{:+.N}` already agree with Python's `{:.Nf}` and `{:+.Nf}` on every
//! finite value: both round the exact binary value half-to-even and keep the sign of a
//! negative value that rounds to zero (`-0.0001` → `-0.000`, as Python prints it). Only NaN
//! differs (`NaN` vs `nan`); the tests pin all of these cases.

/// Python's `format(value, f".{precision}f")`.
pub fn fixed(value: f64, precision: usize) -> String {
    if value.is_nan() { "nan".to_owned() } else { format!("{value:.precision$}") }
}

/// Python's `format(value, f"+.{precision}f")`: the sign is always written.
pub fn signed_fixed(value: f64, precision: usize) -> String {
    if value.is_nan() { "+nan".to_owned() } else { format!("{value:+.precision$}") }
}

/// Python's `repr(value)` (what an f-string prints for a float threshold): the shortest
/// round-trip digits, `.0` on whole numbers, scientific notation below 1e-4 and from 1e16 up
/// with a signed exponent of at least two digits.
pub fn repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf".to_owned() } else { "-inf".to_owned() };
    }
    let magnitude = value.abs();
    if magnitude == 0.0 || (1e-4..1e16).contains(&magnitude) {
        let text = value.to_string();
        return if text.contains('.') { text } else { format!("{text}.0") };
    }
    let text = format!("{value:e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let (sign, digits) = match exponent.strip_prefix('-') {
                Some(digits) => ('-', digits),
                None => ('+', exponent),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_matches_python() {
        // Expected values printed by CPython 3: format(v, '.3f') and format(v, '+.3f').
        let cases: [(f64, &str, &str); 9] = [
            (-0.0001, "-0.000", "-0.000"),
            (-0.0, "-0.000", "-0.000"),
            (0.0, "0.000", "+0.000"),
            (0.0625, "0.062", "+0.062"),
            (-0.0625, "-0.062", "-0.062"),
            (0.0005, "0.001", "+0.001"),
            (0.049, "0.049", "+0.049"),
            (0.83 - 0.80, "0.030", "+0.030"),
            (f64::NAN, "nan", "+nan"),
        ];
        for (value, plain, signed) in cases {
            assert_eq!(fixed(value, 3), plain, "{value:?}");
            assert_eq!(signed_fixed(value, 3), signed, "{value:?}");
        }
        assert_eq!(fixed(0.125, 2), "0.12");
        assert_eq!(signed_fixed(7.25, 1), "+7.2");
        assert_eq!(signed_fixed(-2.0, 1), "-2.0");
        assert_eq!(signed_fixed(f64::INFINITY, 1), "+inf");
    }

    #[test]
    fn repr_matches_python() {
        let cases = [
            (0.03, "0.03"),
            (5.0, "5.0"),
            (0.85, "0.85"),
            (100.0, "100.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1e-5, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (2.5e123, "2.5e+123"),
            (0.0001, "0.0001"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (value, expected) in cases {
            assert_eq!(repr(value), expected, "{value:?}");
        }
    }
}
