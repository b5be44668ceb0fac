//! A fast, allocation-free test that a log line is RFC 8785 canonical JSON, for the common case.
//!
//! Parsing every line into a `serde_json::Value` and re-serializing it costs about 3 s of CPU per
//! million 200-byte lines, most of a 2 s budget on two cores. Typical event lines (sorted ASCII
//! names, escape-free strings, short integers, shortest-form floats) can instead be checked in
//! one pass over the bytes. The check is deliberately incomplete but sound: it answers `true`
//! only for lines it fully understands, and anything else (escapes, names that need UTF-16
//! ordering, integers of 16+ digits, `-0`, whitespace, deep nesting) gets `false`, meaning "parse
//! it and compare", which stays the authority and produces the error message.

use super::canonical_json::write_double;

/// serde_json's recursion limit; deeper lines are left to it to reject.
const MAX_DEPTH: usize = 128;

/// True only if `line` equals `canonical_json` of its own parse. False means "not sure".
/// `scratch` is a reusable buffer for number formatting.
pub(crate) fn is_certainly_canonical(line: &[u8], scratch: &mut String) -> bool {
    if std::str::from_utf8(line).is_err() {
        return false;
    }
    let mut parser = Parser { bytes: line, pos: 0, scratch };
    parser.value(0) && parser.pos == line.len()
}

struct Parser<'a, 's> {
    bytes: &'a [u8],
    pos: usize,
    scratch: &'s mut String,
}

impl<'a> Parser<'a, '_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.pos += usize::from(found);
        found
    }

    fn value(&mut self, depth: usize) -> bool {
        match self.peek() {
            Some(b'{') => depth < MAX_DEPTH && self.object(depth + 1),
            Some(b'[') => depth < MAX_DEPTH && self.array(depth + 1),
            Some(b'"') => self.string().is_some(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => false,
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        let found = self.bytes[self.pos..].starts_with(word);
        self.pos += if found { word.len() } else { 0 };
        found
    }

    fn array(&mut self, depth: usize) -> bool {
        self.pos += 1;
        if self.eat(b']') {
            return true;
        }
        loop {
            if !self.value(depth) {
                return false;
            }
            if self.eat(b']') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    /// Members must come in strictly increasing byte order, which also rules out duplicates.
    /// Byte order is UTF-16 order for names without bytes of 0xEE or more (see `cmp_utf16`);
    /// other names are left to the full check.
    fn object(&mut self, depth: usize) -> bool {
        self.pos += 1;
        if self.eat(b'}') {
            return true;
        }
        let mut previous: Option<&[u8]> = None;
        loop {
            let Some(name) = self.string() else {
                return false;
            };
            if name.iter().any(|&byte| byte >= 0xEE) || previous.is_some_and(|previous| previous >= name) {
                return false;
            }
            previous = Some(name);
            if !self.eat(b':') || !self.value(depth) {
                return false;
            }
            if self.eat(b'}') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    /// A string without escapes or control characters (so its bytes are its value); returns
    /// the bytes between the quotes.
    fn string(&mut self) -> Option<&'a [u8]> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.pos;
        let length = self.bytes[start..].iter().position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)?;
        self.pos = start + length;
        if !self.eat(b'"') {
            return None;
        }
        Some(&self.bytes[start..start + length])
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// JSON number grammar, then: integers (which serde_json keeps as integers) are canonical
    /// as written up to 15 digits, safely below 2^53; other numbers are doubles and must read
    /// exactly as `write_double` writes them.
    fn number(&mut self) -> bool {
        let start = self.pos;
        let negative = self.eat(b'-');
        let int_digits = self.digits();
        if int_digits == 0 || (int_digits > 1 && self.bytes[self.pos - int_digits] == b'0') {
            return false;
        }
        let mut double = false;
        if self.eat(b'.') {
            double = true;
            if self.digits() == 0 {
                return false;
            }
        }
        if self.eat(b'e') || self.eat(b'E') {
            double = true;
            let _ = self.eat(b'+') || self.eat(b'-');
            if self.digits() == 0 {
                return false;
            }
        }
        let token = &self.bytes[start..self.pos];
        if !double {
            return int_digits <= 15 && !(negative && token == b"-0");
        }
        let Some(x) = std::str::from_utf8(token).ok().and_then(|text| text.parse::<f64>().ok()) else {
            return false;
        };
        if !x.is_finite() {
            return false;
        }
        self.scratch.clear();
        write_double(x, self.scratch);
        self.scratch.as_bytes() == token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::canonical_json::canonical_json;

    /// The authoritative answer: parse, re-serialize, compare.
    fn canonical_by_parsing(line: &[u8]) -> bool {
        serde_json::from_slice(line)
            .ok()
            .and_then(|value| canonical_json(&value).ok())
            .is_some_and(|c| c.as_bytes() == line)
    }

    fn fast(line: &[u8]) -> bool {
        is_certainly_canonical(line, &mut String::new())
    }

    #[test]
    fn typical_lines_take_the_fast_path() {
        for line in [
            r#"{"event":"stage_metric","metrics":{"accuracy":0.913,"ece":1e-7},"ok":true,"seq":42,"x":null}"#,
            r#"[1,-2,0,4.5,0.30000000000000004,1e+30,-5e-324,123456789012345,"é€😀",[],{}]"#,
            r#""plain""#,
            "0",
        ] {
            assert!(fast(line.as_bytes()), "{line}");
            assert!(canonical_by_parsing(line.as_bytes()), "{line}");
        }
    }

    #[test]
    fn unsure_or_wrong_lines_go_to_the_full_check() {
        for line in [
            r#"{"b":1,"a":2}"#,       // unsorted
            r#"{"a":1,"a":1}"#,       // duplicate
            r#"{"a": 1}"#,            // whitespace
            r#"["tab\there"]"#,       // escape (canonical, but not fast)
            r#"{"😀":1,"\ufb33":2}"#, // needs UTF-16 order
            "1.0",                    // integral double
            "1E30",                   // upper-case exponent
            "-0",                     // parses to -0.0, canonical 0
            "-0.0",
            "01",
            "9007199254740993",      // beyond 2^53
            "1234567890123456",      // 16 digits: left to the full check
            "100000000000000000000", // parsed as a double by serde_json
            "1e400",                 // out of range
            "[1,]",
            "{\"a\":1}x",
            "\"\u{1}\"",
        ] {
            assert!(!fast(line.as_bytes()), "{line}");
        }
        assert!(!fast(&[b'"', 0xff, b'"']));
        assert!(!fast(&[b'['; 200]));
    }

    #[test]
    fn doubles_are_accepted_exactly_in_canonical_form() {
        let mut bits = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            let x = f64::from_bits(bits);
            if !x.is_finite() {
                continue;
            }
            let token = canonical_json(&serde_json::Value::from(x)).unwrap();
            let integer_looking = token.bytes().all(|b| b == b'-' || b.is_ascii_digit());
            assert_eq!(
                fast(token.as_bytes()),
                !integer_looking || token.trim_start_matches('-').len() <= 15,
                "{token}"
            );
            let last = token.len() - 1;
            for variant in
                [format!("{token}0"), format!("{}{}", &token[..last], (token.as_bytes()[last] - b'0' + 1) % 10)]
            {
                if fast(variant.as_bytes()) {
                    assert!(canonical_by_parsing(variant.as_bytes()), "{token} → {variant}");
                }
            }
        }
    }

    #[test]
    fn never_accepts_what_the_full_check_rejects() {
        // Mutate canonical lines byte by byte (xorshift-driven, so the run is reproducible) and
        // check that every line the fast path accepts is canonical by the full check.
        let seeds = [
            r#"{"a":[1,2.5,-3e-7,true,false,null],"b":{"c":"d","e":1e+21},"f":0.000001,"g":123}"#,
            r#"[0,1,-1,4.5,333333333.3333333,9.999999999999997e+22,"x"]"#,
        ];
        let alphabet = b" \"\\,:[]{}0123456789-+.eEtrufalsn\xc3\xa9";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut accepted = 0;
        for round in 0..60_000 {
            let mut line = seeds[round % seeds.len()].as_bytes().to_vec();
            for _ in 0..=(next() % 3) {
                let at = (next() as usize) % (line.len() + 1);
                let byte = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 => line.insert(at, byte),
                    1 if at < line.len() => line[at] = byte,
                    _ if at < line.len() => {
                        line.remove(at);
                    }
                    _ => {}
                }
            }
            if fast(&line) {
                accepted += 1;
                assert!(canonical_by_parsing(&line), "fast path accepted {:?}", String::from_utf8_lossy(&line));
            }
        }
        assert!(accepted > 100, "the mutations should leave some lines canonical ({accepted})");
    }
}
