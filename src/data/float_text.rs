//! Numbers as `Display` writes them, without `core::fmt`.
//!
//! `predictions.csv` has a probability per validation row; formatting them with `{}` took half
//! of writing the file (25 ms at 200,000 rows, on the path of every changed run). zmij finds
//! the same shortest round-trip digits several times faster, but writes an exponent outside
//! a range (`1e-7`) and `.0` after integers, where `Display` writes `0.0000001` and `1`; the
//! digits are moved into `Display`'s layout here.
//!
//! The two pick the same digits except on an exact tie: when the value lies exactly halfway
//! between the two closest shortest candidates, zmij rounds to even and `Display` up
//! (72662599704020.625 gives `…020.62` and `…020.63`). A tie needs the value's exact decimal
//! expansion to end one digit after the shortest digits, so within 18 significant digits;
//! such values (integers, and fractions with few binary digits such as `k / 2^17`) go
//! through `Display` itself. A test compares the bytes with `Display` on millions of values.

/// Appends `value` exactly as `write!(out, "{value}")` would.
pub fn push_f64(out: &mut Vec<u8>, value: f64, buffer: &mut zmij::Buffer) {
    if !value.is_finite() || may_tie(value) {
        out.extend_from_slice(value.to_string().as_bytes());
        return;
    }
    let text = buffer.format_finite(value);
    let (sign, text) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    out.extend_from_slice(sign.as_bytes());
    let Some((mantissa, exponent)) = text.split_once('e') else {
        out.extend_from_slice(text.strip_suffix(".0").unwrap_or(text).as_bytes());
        return;
    };
    // `d.ddd` times 10^exponent: the point goes `exponent + 1` digits into the digits.
    // At most 17 significant digits: a buffer on the stack, not an allocation per value.
    let mut buffer = [0u8; 24];
    let mut len = 0;
    for b in mantissa.bytes().filter(|&b| b != b'.') {
        buffer[len] = b;
        len += 1;
    }
    let digits = &buffer[..len];
    let point = exponent.parse::<i64>().unwrap_or(0) + 1;
    if point <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', point.unsigned_abs() as usize));
        out.extend_from_slice(digits);
    } else if point as usize >= digits.len() {
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', point as usize - digits.len()));
    } else {
        let (whole, fraction) = digits.split_at(point as usize);
        out.extend_from_slice(whole);
        out.push(b'.');
        out.extend_from_slice(fraction);
    }
}

/// Whether `value`'s exact decimal expansion has at most 18 significant digits (or `value` is
/// 0 or an integer), the only values whose shortest digits can be a tie. With `value = m · 2^-k`
/// (`m` odd, `k > 0`) the expansion is `m · 5^k` over `10^k`: its significant digits are those
/// of `m · 5^k`.
fn may_tie(value: f64) -> bool {
    let bits = value.to_bits();
    let (exponent, fraction) = ((bits >> 52) & 0x7ff, bits & ((1 << 52) - 1));
    let (mantissa, power) = match exponent {
        0 => (fraction, -1074_i64),
        _ => (fraction | (1 << 52), exponent as i64 - 1075),
    };
    if mantissa == 0 || power >= 0 {
        return true;
    }
    let (odd, k) = (mantissa >> mantissa.trailing_zeros(), -power - i64::from(mantissa.trailing_zeros()));
    if k <= 0 {
        return true;
    }
    // 5^27 > 10^18: with k that large, m · 5^k has more than 18 digits.
    k <= 26 && u128::from(odd) * 5_u128.pow(k as u32) < 10_u128.pow(18)
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn ours(value: f64) -> String {
        let mut out = Vec::new();
        push_f64(&mut out, value, &mut zmij::Buffer::new());
        String::from_utf8(out).expect("ASCII")
    }

    #[test]
    fn edge_values_are_written_as_display_writes_them() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.5,
            1e-7,
            1.5e-7,
            0.0001,
            0.00001,
            1e15,
            1e16,
            1e17,
            1e21,
            1e22,
            123456.0,
            544_431_068_535_091.6,
            6.62607015e-34,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 3.0,
            5e-324,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            1.0 - f64::EPSILON,
            f64::from_bits(0x42d0_8585_1c67_7528), // 72662599704020.625, a tie
            0.5 + 1.0 / 131_072.0,                 // 0.50000762939453125, a tie
            0.75,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for value in values {
            assert_eq!(ours(value), value.to_string(), "{value:e}");
        }
    }

    /// Probabilities (uniform, and near 0 and 1 as a confident model gives them), any bit
    /// pattern at all, and values with few binary digits, two million each.
    #[test]
    fn random_values_are_written_as_display_writes_them() {
        let mut rng = ChaCha8Rng::seed_from_u64(19);
        for _ in 0..2_000_000 {
            let uniform: f64 = rng.random();
            let near_zero = uniform.powi(12);
            let bits = f64::from_bits(rng.random::<u64>());
            // Few binary digits: the ties.
            let dyadic = f64::from(rng.random_range(1..1_u32 << 20)) / f64::from(1_u32 << rng.random_range(1..24));
            for value in [uniform, near_zero, 1.0 - near_zero, bits, dyadic, dyadic * 1e13] {
                assert_eq!(ours(value), value.to_string(), "{:#x}", value.to_bits());
            }
        }
    }
}
