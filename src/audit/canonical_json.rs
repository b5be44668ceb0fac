//! RFC 8785 (JSON Canonicalization Scheme) serialization of `serde_json` values: the exact bytes
//! of every audit-log line, so anyone can re-serialize an event and recompute its leaf hash.
//!
//! The original log hashed Python's `json.dumps(sort_keys=True)` output, whose spacing, ASCII
//! escaping and float repr are Python-specific (spec §5.3). RFC 8785 pins all three down in a way
//! every language can reproduce: members sorted by UTF-16 code units, no whitespace, minimal
//! string escaping, and numbers written as ECMAScript writes doubles.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

use super::error::CanonicalJsonError;

/// Integers up to this magnitude are exactly representable as doubles, so RFC 8785's
/// double-based number form writes them digit for digit.
const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// The RFC 8785 canonical form of `value`, with no trailing newline.
///
/// Fails only on integers beyond ±2^53: RFC 8785 would round them to the nearest double, and an
/// audit log must not record a seed or a byte count different from the one it was given.
pub fn canonical_json(value: &Value) -> Result<String, CanonicalJsonError> {
    let mut out = String::new();
    write_canonical_json(value, &mut out)?;
    Ok(out)
}

/// Appends the RFC 8785 canonical form of `value` to `out`, so a log writer can reuse one
/// buffer per line. On error `out` holds a partial value and must be discarded.
pub fn write_canonical_json(value: &Value, out: &mut String) -> Result<(), CanonicalJsonError> {
    let mut path = Vec::new();
    write_value(value, out, &mut path)
}

/// One step of the JSON Pointer to the value being written, kept only to name a failing value.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn write_value<'a>(value: &'a Value, out: &mut String, path: &mut Vec<Step<'a>>) -> Result<(), CanonicalJsonError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(number, out, path)?,
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                path.push(Step::Index(index));
                write_value(item, out, path)?;
                path.pop();
            }
            out.push(']');
        }
        Value::Object(members) => write_object(members, out, path)?,
    }
    Ok(())
}

/// RFC 8785 §3.2.3: members sorted by their names as arrays of UTF-16 code units. This differs
/// from byte (code point) order only when a name has characters above U+FFFF, which sort before
/// U+E000–U+FFFF in UTF-16; `serde_json`'s own map order is byte order, so sort explicitly.
fn write_object<'a>(
    members: &'a Map<String, Value>,
    out: &mut String,
    path: &mut Vec<Step<'a>>,
) -> Result<(), CanonicalJsonError> {
    let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
    sorted.sort_unstable_by(|(a, _), (b, _)| cmp_utf16(a, b));
    out.push('{');
    for (index, (name, member)) in sorted.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(name, out);
        out.push(':');
        path.push(Step::Key(name));
        write_value(member, out, path)?;
        path.pop();
    }
    out.push('}');
    Ok(())
}

/// Compares as arrays of UTF-16 code units. UTF-8 byte order is code point order, which only
/// differs when a character in U+E000..=U+FFFF meets one above U+FFFF; both start with a byte of
/// 0xEE or more, so names without such bytes (nearly all) are compared as bytes.
fn cmp_utf16(a: &str, b: &str) -> std::cmp::Ordering {
    if a.bytes().chain(b.bytes()).all(|byte| byte < 0xEE) { a.cmp(b) } else { a.encode_utf16().cmp(b.encode_utf16()) }
}

/// RFC 8785 §3.2.2.2: escape only `"`, `\` and the C0 controls; the five with short forms use
/// them, the rest `\u00xx` in lowercase hex. Everything else, non-ASCII included, is written as is.
fn write_string(text: &str, out: &mut String) {
    out.push('"');
    let mut clean_from = 0;
    for (index, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0c => "\\f",
            b'\r' => "\\r",
            0x00..=0x1f => "",
            _ => continue,
        };
        // ASCII bytes are always character boundaries, so the slices below are valid UTF-8.
        out.push_str(&text[clean_from..index]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        clean_from = index + 1;
    }
    out.push_str(&text[clean_from..]);
    out.push('"');
}

fn write_number(number: &Number, out: &mut String, path: &[Step<'_>]) -> Result<(), CanonicalJsonError> {
    let out_of_range = || CanonicalJsonError::IntegerOutOfRange { pointer: pointer(path), value: number.to_string() };
    if let Some(n) = number.as_u64() {
        if n > MAX_EXACT_INTEGER {
            return Err(out_of_range());
        }
        let _ = write!(out, "{n}");
    } else if let Some(n) = number.as_i64() {
        if n.unsigned_abs() > MAX_EXACT_INTEGER {
            return Err(out_of_range());
        }
        let _ = write!(out, "{n}");
    } else if let Some(x) = number.as_f64() {
        write_double(x, out);
    }
    Ok(())
}

/// ECMAScript Number::toString (ECMA-262 §6.1.6.1.20), the number form RFC 8785 §3.2.2.3
/// prescribes: the shortest digits that round-trip, plain notation for exponents in [-7, 21),
/// otherwise `d.ddde±x`.
pub(crate) fn write_double(x: f64, out: &mut String) {
    if x == 0.0 {
        out.push('0'); // Both zeros, RFC 8785 Appendix B.
        return;
    }
    if x < 0.0 {
        out.push('-');
    }
    let (significand, exponent) = shortest_digits(x.abs());
    let mut text = StackText::default();
    let _ = write!(text, "{significand}");
    let digits = text.as_str();
    // ECMA-262 names: the value is 0.digits × 10^n, with k digits.
    let k = digits.len() as i32;
    let n = exponent + 1;
    if k <= n && n <= 21 {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        let _ = write!(out, "{int}.{frac}");
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(digits);
    } else {
        let (first, rest) = digits.split_at(1);
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let dot = if rest.is_empty() { "" } else { "." };
        let _ = write!(out, "{first}{dot}{rest}e{sign}{}", (n - 1).abs());
    }
}

/// The shortest round-trip significand of `x` (> 0) as an integer, and the decimal exponent of
/// its first digit, chosen as ECMAScript chooses.
///
/// Rust's `{:e}` gives the shortest digits, closest to `x` when several are shortest. When two
/// are exactly equally close (x ends in a decimal 5 one digit further), ECMA-262 takes the even
/// one while Rust may take the other: RFC 8785 Appendix B's 1424953923781206.25 must print as
/// `…206.2`, where `{:e}` gives `…206.3`. Such ties are detected exactly and flipped.
fn shortest_digits(x: f64) -> (u64, i32) {
    let mut text = StackText::default();
    let _ = write!(text, "{x:e}");
    let (mantissa, exponent) = text.as_str().split_once('e').expect("`{:e}` always writes an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` writes a decimal exponent");
    let (mut significand, mut count) = (0u64, 0);
    for digit in mantissa.bytes().filter(u8::is_ascii_digit) {
        significand = significand * 10 + u64::from(digit - b'0');
        count += 1;
    }
    if significand % 2 == 0 {
        return (significand, exponent);
    }
    // Exponent of the digit after the last one; a tie means x == (t·10 + 5)·10^last.
    let last = exponent - count;
    let neighbour = if equals_decimal(x, significand * 10 + 5, last) {
        significand + 1
    } else if equals_decimal(x, (significand - 1) * 10 + 5, last) {
        significand - 1
    } else {
        return (significand, exponent);
    };
    let same_length = neighbour.to_string().len() == count as usize;
    let round_trips = format!("{neighbour}e{}", last + 1).parse::<f64>() == Ok(x);
    if same_length && round_trips { (neighbour, exponent) } else { (significand, exponent) }
}

/// A few bytes of formatted text on the stack: every double is formatted once per number in
/// every log line, so it should not cost an allocation.
#[derive(Default)]
struct StackText {
    bytes: [u8; 32],
    len: usize,
}

impl StackText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).expect("only `str`s are written")
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let end = self.len + text.len();
        self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Whether `x` (finite, > 0) is exactly `d × 10^p`, compared on the odd parts and powers of two
/// so no big-number arithmetic is needed: x = m·2^q and d·10^p = d·5^p·2^p.
fn equals_decimal(x: f64, d: u64, p: i32) -> bool {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (m, q) = if biased == 0 { (fraction, -1074) } else { (fraction | (1 << 52), biased - 1075) };
    if m == 0 || d == 0 {
        return false;
    }
    let (m_odd, m_twos) = (m >> m.trailing_zeros(), m.trailing_zeros() as i32 + q);
    let (d_odd, d_twos) = (d >> d.trailing_zeros(), d.trailing_zeros() as i32);
    let scaled = |odd: u64, fives: i32| 5u128.checked_pow(fives as u32).and_then(|f| u128::from(odd).checked_mul(f));
    if p >= 0 {
        scaled(d_odd, p) == Some(u128::from(m_odd)) && d_twos + p == m_twos
    } else {
        scaled(m_odd, -p) == Some(u128::from(d_odd)) && m_twos - p == d_twos
    }
}

/// RFC 6901 JSON Pointer of `path`, for error messages.
fn pointer(path: &[Step<'_>]) -> String {
    let mut text = String::new();
    for step in path {
        text.push('/');
        match step {
            Step::Key(name) => text.push_str(&name.replace('~', "~0").replace('/', "~1")),
            Step::Index(index) => {
                let _ = write!(text, "{index}");
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(text: &str) -> String {
        canonical_json(&serde_json::from_str(text).unwrap()).unwrap()
    }

    #[test]
    fn rfc_8785_section_3_2_2_example() {
        // RFC 8785 §3.2.2, the input and its canonical form; §3.2.4 gives the same output's UTF-8.
        let input = r#"{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        let expected = r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#;
        assert_eq!(canon(input), expected);
        // RFC 8785 §3.2.4, the UTF-8 bytes of that output.
        let utf8 = "7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61 6c 73 65 5d 2c \
                    22 6e 75 6d 62 65 72 73 22 3a 5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31 \
                    65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37 5d 2c 22 73 74 72 69 6e 67 22 \
                    3a 22 e2 82 ac 24 5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d";
        assert_eq!(hex::encode(canon(input)), utf8.replace(' ', ""));
    }

    #[test]
    fn rfc_8785_section_3_2_3_sorting() {
        // RFC 8785 §3.2.3: sorted by UTF-16 code units, so the emoji (D83D DE00) precedes U+FB33.
        let input = r#"{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
                        \"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\
                        \"😀\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(canon(input), expected);
    }

    #[test]
    fn rfc_8785_appendix_b_numbers() {
        // RFC 8785 Appendix B (the number samples §3.2.2.3 refers to): IEEE 754 bits → output.
        // NaN and Infinity are left out: a serde_json Value cannot hold them.
        let samples = [
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, expected) in samples {
            let value = Value::from(f64::from_bits(bits));
            assert_eq!(canonical_json(&value).unwrap(), expected, "bits {bits:016x}");
            // The canonical text parses back to the same double (-0 compares equal to 0).
            let back: f64 = serde_json::from_str(expected).unwrap();
            assert_eq!(back, f64::from_bits(bits), "bits {bits:016x}");
        }
    }

    #[test]
    fn exact_decimal_ties_take_the_even_digit() {
        // 2^-1 = 5·10^-1 and 2.5 = 25·10^-1 are exact; 0.1 is not 1·10^-1 as a double.
        assert!(equals_decimal(0.5, 5, -1));
        assert!(equals_decimal(2.5, 25, -1));
        assert!(equals_decimal(1024.0, 1024, 0));
        assert!(equals_decimal(1e22, 1, 22));
        assert!(!equals_decimal(1e23, 1, 23));
        assert!(!equals_decimal(0.1, 1, -1));
        assert!(!equals_decimal(f64::from_bits(0x43143ff3c1cb0959), 14249539237812062, -1));
        assert!(equals_decimal(f64::from_bits(0x43143ff3c1cb0959), 142495392378120625, -2));
        assert_eq!(shortest_digits(f64::from_bits(0x43143ff3c1cb0959)), (14249539237812062, 15));
    }

    #[test]
    fn typical_event_values() {
        let event = json!({
            "z": 1, "a": [1.0, 0.1, 0.30000000000000004, 1e-7, 123456789012.5, -42, 100.0],
            "nested": {"b": null, "a": "tab\there"}
        });
        assert_eq!(
            canonical_json(&event).unwrap(),
            r#"{"a":[1,0.1,0.30000000000000004,1e-7,123456789012.5,-42,100],"nested":{"a":"tab\there","b":null},"z":1}"#
        );
        assert_eq!(canonical_json(&json!("\u{7f}\u{1f}\u{2028}")).unwrap(), "\"\u{7f}\\u001f\u{2028}\"");
    }

    #[test]
    fn integers_up_to_2_pow_53_are_exact_and_beyond_are_refused() {
        assert_eq!(canonical_json(&json!(9007199254740992u64)).unwrap(), "9007199254740992");
        assert_eq!(canonical_json(&json!(-9007199254740992i64)).unwrap(), "-9007199254740992");
        let err = canonical_json(&json!({"run": {"seeds": [1, 9007199254740993u64]}})).unwrap_err();
        assert_eq!(
            err,
            CanonicalJsonError::IntegerOutOfRange {
                pointer: "/run/seeds/1".to_owned(),
                value: "9007199254740993".to_owned()
            }
        );
        assert_eq!(
            err.to_string(),
            "integer 9007199254740993 at \"/run/seeds/1\" is beyond ±2^53 and cannot be written exactly (store it as a string)"
        );
        assert!(canonical_json(&json!({"a/b~": i64::MIN})).is_err_and(|e| e.to_string().contains("\"/a~1b~0\"")));
    }
}
