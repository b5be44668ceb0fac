//! Reading a CSV cell as a number: Clinger's fast path for plain decimals (eight digits at a
//! time), `str::parse` for the rest. Apart from the reader because it is pure arithmetic on
//! bytes, checked bit for bit against `parse` in the reader's tests.

/// `str::trim`, skipping its Unicode tables when both ends are visible ASCII (as in every
/// number).
pub(super) fn trim(v: &str) -> &str {
    let visible = |c: &u8| (b'!'..=b'~').contains(c);
    let b = v.as_bytes();
    if b.first().is_some_and(visible) && b.last().is_some_and(visible) { v } else { v.trim() }
}

/// Powers of ten that are exact in an `f64`.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Whether the eight bytes of `v` (little-endian) are all ASCII digits.
fn eight_digits(v: u64) -> bool {
    (v & 0xF0F0_F0F0_F0F0_F0F0) | (((v.wrapping_add(0x0606_0606_0606_0606)) & 0xF0F0_F0F0_F0F0_F0F0) >> 4)
        == 0x3333_3333_3333_3333
}

/// The value of eight ASCII digits (little-endian in `v`), combined pairwise in one word.
fn eight_digits_value(v: u64) -> u64 {
    let v = v.wrapping_sub(0x3030_3030_3030_3030);
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let low = (v & 0x0000_00FF_0000_00FF).wrapping_mul(0x000F_4240_0000_0064);
    let high = ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(0x0000_2710_0000_0001);
    u64::from(low.wrapping_add(high).wrapping_shr(32) as u32)
}

/// Appends the leading digits of `s` to `m` (holding `n` digits), eight at a time where it
/// can, stopping before a 20th digit; returns how many bytes it read.
fn take_digits(s: &[u8], m: &mut u64, n: &mut usize) -> usize {
    let mut i = 0;
    while *n + 8 < 20 {
        let Some(word) = s.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()).map(u64::from_le_bytes) else {
            break;
        };
        if !eight_digits(word) {
            break;
        }
        *m = *m * 100_000_000 + eight_digits_value(word);
        *n += 8;
        i += 8;
    }
    while let Some(&c) = s.get(i).filter(|c| c.is_ascii_digit() && *n < 19) {
        *m = *m * 10 + u64::from(c - b'0');
        *n += 1;
        i += 1;
    }
    i
}

/// `v.parse::<f64>().ok()`, faster for a plain decimal (`-12.345`) whose digits, read as an
/// integer, are at most 2^53: that integer and the power of ten are both exact in an `f64`,
/// so their quotient is correctly rounded, which is the value `parse` gives (Clinger's fast
/// path). Anything else (more digits, exponents, `inf`, text) is left to `parse`.
pub(super) fn parse_number(v: &str) -> Option<f64> {
    let b = v.as_bytes();
    let (negative, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let (mut m, mut n) = (0u64, 0);
    let mut read = take_digits(digits, &mut m, &mut n);
    let mut scale = 0;
    if digits.get(read) == Some(&b'.') {
        scale = take_digits(&digits[read + 1..], &mut m, &mut n);
        read += 1 + scale;
    }
    match EXACT_POWERS_OF_TEN.get(scale) {
        Some(power) if read == digits.len() && n > 0 && m <= 1 << 53 => {
            let x = m as f64 / power;
            Some(if negative { -x } else { x })
        }
        _ => v.parse().ok(),
    }
}
