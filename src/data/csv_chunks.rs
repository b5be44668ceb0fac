//! A CSV file's bytes cut into chunks at record boundaries, and one chunk's records read
//! exactly as one `csv::Reader` pass over the whole file reads them, so that chunks can be
//! parsed on several threads.
//!
//! A chunk starts right after the byte that ended a record: the first `\r` or `\n` after a
//! record's last byte. That is also where a sequential reader starts reading the next record
//! (the rest of a `\r\n`, and blank lines, are skipped by that next read), so a record's start
//! offset, and the line number `csv` derives from it, is the same whichever chunk reads it.
//!
//! A chunk without a quote is read by a plain scan that slices fields out of the bytes (with no
//! quote, `csv`'s grammar is: fields end at the delimiter, records at `\r` or `\n`, and blank
//! lines are skipped); a chunk with one goes through `csv-core`, the parser `csv` itself uses.
//!
//! A line break inside a quoted field looks like a record boundary and cannot be told apart
//! without reading from the file's start. Chunks are therefore cut speculatively, and a chunk
//! that ends inside an open quoted field says so ([`Next::Unterminated`]): the caller then
//! reads the file as one chunk. A chunk that ends cleanly ends where a record ends, so the next
//! chunk began at a true boundary; by induction from the first chunk, every chunk did.

use std::ops::Range;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

fn is_terminator(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// Up to `parts` ranges covering `bytes[start..]` in order, each after the first beginning
/// where a record would begin if no quoted field spans the cut.
pub(crate) fn split(bytes: &[u8], start: usize, parts: usize) -> Vec<Range<usize>> {
    let len = bytes.len();
    let mut cuts = vec![start];
    for i in 1..parts.max(1) {
        let lo = cuts.last().copied().unwrap_or(start);
        let target = (start + (len - start) * i / parts).max(lo);
        let Some(newline) = bytes[target..].iter().position(|&b| b == b'\n').map(|p| target + p) else { break };
        // Back to the first terminator byte of the run (`\r\n`, blank lines): the byte that
        // ended the record before it.
        let mut first = newline;
        while first > lo && is_terminator(bytes[first - 1]) {
            first -= 1;
        }
        if first > lo {
            cuts.push(first + 1);
        }
    }
    cuts.push(len);
    cuts.windows(2).map(|w| w[0]..w[1]).filter(|r| !r.is_empty()).collect()
}

/// One record: its fields' text and the offset in the file where reading it began (what
/// `csv::Position::byte` reports for it).
#[derive(Debug)]
pub(crate) struct Record<'r> {
    /// The fields back to back (`gap` 0, unescaped by `csv-core`) or the line as written,
    /// delimiters included (`gap` 1).
    text: &'r str,
    ends: &'r [usize],
    gap: usize,
    /// Offset of the first byte this record's read consumed.
    pub start: usize,
    /// Offset of the first byte after it.
    pub end: usize,
}

impl<'r> Record<'r> {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i` (unescaped), if there is one.
    pub fn get(&self, i: usize) -> Option<&'r str> {
        let from = if i == 0 { 0 } else { *self.ends.get(i - 1)? + self.gap };
        self.text.get(from..*self.ends.get(i)?)
    }
}

/// What reading the next record of a chunk found.
#[derive(Debug)]
pub(crate) enum Next<'r> {
    /// A record whose fields are all UTF-8.
    Record(Record<'r>),
    /// A record with a field that is not UTF-8 (`csv` refuses it as a `StringRecord`).
    NotUtf8,
    /// The chunk, not the file's last, ends inside a record: it was cut inside a quoted field.
    Unterminated,
    /// No more records.
    End,
}

/// Reads the records of one chunk.
pub(crate) struct RecordReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    end: usize,
    last: bool,
    done: bool,
    /// `None` for a plain scan.
    core: Option<Reader>,
    delimiter: u8,
    fields: Vec<u8>,
    ends: Vec<usize>,
}

impl<'a> RecordReader<'a> {
    /// A reader of `bytes[chunk]`; `last` when the chunk ends the file (only there may a
    /// record end without a terminator). The parser is `csv::ReaderBuilder`'s default but for
    /// the delimiter, as the file's first pass uses.
    pub fn new(bytes: &'a [u8], chunk: Range<usize>, last: bool, delimiter: u8) -> Self {
        let plain = delimiter.is_ascii()
            && !matches!(delimiter, b'"' | b'\r' | b'\n')
            && memchr::memchr(b'"', &bytes[chunk.clone()]).is_none();
        let core = if plain {
            None
        } else {
            let mut core = ReaderBuilder::new().delimiter(delimiter).build();
            // A fresh parser strips a byte-order mark from its first input: right for the
            // file's start, wrong for a value that happens to begin a chunk. Feeding it the
            // terminator before the chunk first (skipped as a blank line) marks it as having
            // read.
            if chunk.start > 0 && chunk.start < chunk.end && is_terminator(bytes[chunk.start - 1]) {
                let _ = core.read_record(&bytes[chunk.start - 1..chunk.start], &mut [0; 1], &mut [0; 1]);
            }
            Some(core)
        };
        Self {
            bytes,
            pos: chunk.start,
            end: chunk.end,
            last,
            done: false,
            core,
            delimiter,
            fields: if plain { Vec::new() } else { vec![0; 1024] },
            ends: if plain { Vec::new() } else { vec![0; 64] },
        }
    }

    /// The next record of a chunk without quotes.
    fn next_plain(&mut self) -> Next<'_> {
        let (bytes, end) = (self.bytes, self.end);
        let start = self.pos;
        let mut i = start;
        // `csv` strips a byte-order mark at the file's start, and only there.
        if start == 0 && bytes.starts_with(b"\xef\xbb\xbf") {
            i = 3.min(end);
        }
        while i < end && is_terminator(bytes[i]) {
            i += 1;
        }
        if i == end {
            self.done = true;
            return Next::End;
        }
        let from = i;
        let Some(to) = memchr::memchr2(b'\n', b'\r', &bytes[from..end]).map(|p| from + p).or(self.last.then_some(end))
        else {
            self.done = true;
            return Next::Unterminated;
        };
        self.ends.clear();
        self.ends.extend(memchr::memchr_iter(self.delimiter, &bytes[from..to]));
        self.ends.push(to - from);
        self.pos = (to + 1).min(end);
        // An ASCII delimiter cannot cut a character, so the line is UTF-8 when its fields are.
        match std::str::from_utf8(&bytes[from..to]) {
            Ok(text) => Next::Record(Record { text, ends: &self.ends, gap: 1, start, end: self.pos }),
            Err(_) => Next::NotUtf8,
        }
    }

    /// The next record, read as one `csv::Reader::read_record` call reads it.
    pub fn next_record(&mut self) -> Next<'_> {
        if self.done {
            return Next::End;
        }
        let Some(core) = self.core.as_mut() else { return self.next_plain() };
        let start = self.pos;
        let (mut nout, mut nend) = (0, 0);
        loop {
            let input = &self.bytes[self.pos..self.end];
            let (result, nin, o, e) = core.read_record(input, &mut self.fields[nout..], &mut self.ends[nend..]);
            self.pos += nin;
            nout += o;
            nend += e;
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.fields.resize(self.fields.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record if input.is_empty() && !self.last => {
                    self.done = true;
                    return Next::Unterminated;
                }
                ReadRecordResult::Record => {
                    let ends = &self.ends[..nend];
                    // Fields are stored back to back, so the whole is UTF-8 when each field
                    // is; the converse also needs every field to end on a character boundary
                    // (a delimiter outside ASCII could cut a character in two).
                    return match std::str::from_utf8(&self.fields[..nout]) {
                        Ok(text) if ends.iter().all(|&e| text.is_char_boundary(e)) => {
                            Next::Record(Record { text, ends, gap: 0, start, end: self.pos })
                        }
                        _ => Next::NotUtf8,
                    };
                }
                ReadRecordResult::End => {
                    self.done = true;
                    return Next::End;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of `bytes[start..]` in `parts` chunks: (start offset, fields), or `None`
    /// when a chunk was cut inside a quoted field.
    fn records(bytes: &[u8], start: usize, parts: usize) -> Option<Vec<(usize, Vec<String>)>> {
        let chunks = split(bytes, start, parts);
        let mut out = Vec::new();
        for (k, chunk) in chunks.iter().enumerate() {
            let mut reader = RecordReader::new(bytes, chunk.clone(), k + 1 == chunks.len(), b',');
            loop {
                match reader.next_record() {
                    Next::Record(r) => {
                        out.push((r.start, (0..r.len()).filter_map(|i| r.get(i)).map(str::to_owned).collect()))
                    }
                    Next::NotUtf8 => out.push((usize::MAX, Vec::new())),
                    Next::Unterminated => return None,
                    Next::End => break,
                }
            }
        }
        Some(out)
    }

    /// What `csv::Reader` reads from the same bytes (no header).
    fn csv_records(bytes: &[u8]) -> Vec<(usize, Vec<String>)> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).expect("in memory") {
            let start = record.position().map_or(0, |p| p.byte() as usize);
            match csv::StringRecord::from_byte_record(record.clone()) {
                Ok(r) => out.push((start, r.iter().map(str::to_owned).collect())),
                Err(_) => out.push((usize::MAX, Vec::new())),
            }
        }
        out
    }

    #[test]
    fn chunks_read_what_one_pass_reads() {
        let inputs: [&[u8]; 8] = [
            b"a,b\n1,2\n3,4\n5,6\n7,8\n",
            b"a,b\r\n1,2\r\n\r\n3,4\r\n5,6\r\n7,8",
            b"\xef\xbb\xbfa,b\n1,2\n\n\n3,4\n\xef\xbb\xbf5,6\n",
            b"a,b\n\"x,\ny\",2\n3,\"4\"\"\"\n5,6\n\n",
            b"a,b\r1,2\r3,4\r",
            b"a,b\n1,\xff\n3,4\n",
            b"x\n\n\ny\n \nz",
            b"a,\"b\n\n\n\nc\",d\n1,2,3\n",
        ];
        for input in inputs {
            let want = csv_records(input);
            for parts in 1..=input.len() {
                if let Some(got) = records(input, 0, parts) {
                    assert_eq!(got, want, "{:?} in {parts} parts", String::from_utf8_lossy(input));
                }
            }
            assert!(records(input, 0, 1).is_some());
        }
    }

    #[test]
    fn a_cut_inside_a_quoted_field_is_reported() {
        let input = b"a,\"b\n\n\n\nc\",d\n1,2,3\n";
        assert!((1..=input.len()).any(|parts| records(input, 0, parts).is_none()));
    }
}
