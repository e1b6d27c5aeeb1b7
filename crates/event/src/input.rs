//! Reading event files: NDJSON (one document or search hit per line), a JSON
//! array of documents, or one pretty-printed document / `_search` response;
//! plain, gzip (`.gz`) or zstd (`.zst`) by extension or magic bytes; `-` is stdin.
//!
//! [`RecordReader`] yields the text of each record with its 1-based line number,
//! so that a malformed record can be reported as `file:line` and skipped.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// One record of an input: its first line number and its JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    pub line: u64,
    pub text: &'a str,
}

/// A record that could not be read as text (bad UTF-8), reported and skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    pub line: u64,
    pub reason: String,
}

/// Opens `path` (`-` = stdin), decompressing by extension or magic bytes.
pub fn open(path: &str) -> io::Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = if path == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(Path::new(path))?)
    };
    decompress(raw, path)
}

/// Buffers `raw` and decompresses it by the magic bytes or the extension of
/// `name` (gzip, zstd), as [`open`] does; for callers that wrap the file
/// (e.g. to count the bytes read for a progress bar).
pub fn decompress(raw: Box<dyn Read + Send>, name: &str) -> io::Result<Box<dyn BufRead + Send>> {
    let path = name;
    let mut buffered = BufReader::with_capacity(1 << 16, raw);
    let head = buffered.fill_buf()?;
    let gz = head.starts_with(&[0x1f, 0x8b]) || path.ends_with(".gz");
    let zst = head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) || path.ends_with(".zst");
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(buffered),
        ))
    } else if zst {
        Box::new(BufReader::with_capacity(
            1 << 16,
            zstd::stream::read::Decoder::with_buffer(buffered)?,
        ))
    } else {
        Box::new(buffered)
    })
}

enum Mode {
    Undecided,
    Lines,
    /// Whole input parsed as one JSON value; records are byte ranges into `whole`.
    Whole {
        records: Vec<(u64, usize, usize)>,
        next: usize,
    },
    /// The whole input was one JSON value that did not parse: reported once.
    Broken(BadRecord),
    Done,
}

/// Iterates over the records of one input.
pub struct RecordReader<R> {
    reader: R,
    buf: Vec<u8>,
    whole: String,
    line: u64,
    mode: Mode,
}

/// What [`RecordReader::next_record`] gives.
pub enum Next<'a> {
    Record(Record<'a>),
    Bad(BadRecord),
    /// The whole input was one JSON value that did not parse.
    BadDocument(BadRecord),
    End,
}

impl<R: BufRead> RecordReader<R> {
    pub fn new(reader: R) -> Self {
        RecordReader {
            reader,
            buf: Vec::with_capacity(4096),
            whole: String::new(),
            line: 0,
            mode: Mode::Undecided,
        }
    }

    pub fn next_record(&mut self) -> io::Result<Next<'_>> {
        if let Mode::Undecided = self.mode {
            self.mode = self.decide_mode()?;
        }
        match &mut self.mode {
            Mode::Lines => self.next_line(),
            Mode::Whole { records, next } => {
                let Some(&(line, start, end)) = records.get(*next) else {
                    self.mode = Mode::Done;
                    return Ok(Next::End);
                };
                *next += 1;
                Ok(Next::Record(Record {
                    line,
                    text: &self.whole[start..end],
                }))
            }
            Mode::Broken(bad) => {
                let bad = bad.clone();
                self.mode = Mode::Done;
                Ok(Next::BadDocument(bad))
            }
            Mode::Done | Mode::Undecided => Ok(Next::End),
        }
    }

    /// Looks at the first non-blank byte: `[`, or a `{` alone on its line, means
    /// one JSON value spanning the input; anything else is NDJSON.
    fn decide_mode(&mut self) -> io::Result<Mode> {
        loop {
            let head = self.reader.fill_buf()?;
            if head.is_empty() {
                return Ok(Mode::Lines);
            }
            let skip = head
                .iter()
                .take_while(|b| {
                    b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF
                })
                .count();
            if skip == head.len() {
                // Only whitespace so far: count its newlines and keep looking.
                self.line += head.iter().filter(|b| **b == b'\n').count() as u64;
                let n = head.len();
                self.reader.consume(n);
                continue;
            }
            let first = head[skip];
            let rest_of_line = head[skip + 1..]
                .split(|b| *b == b'\n')
                .next()
                .unwrap_or(&[]);
            let lone_brace = first == b'{' && rest_of_line.iter().all(u8::is_ascii_whitespace);
            if first == b'[' || lone_brace {
                return self.read_whole();
            }
            return Ok(Mode::Lines);
        }
    }

    fn read_whole(&mut self) -> io::Result<Mode> {
        let base_line = self.line;
        let mut bytes = Vec::new();
        self.reader.read_to_end(&mut bytes)?;
        let broken = |reason| {
            Mode::Broken(BadRecord {
                line: base_line + 1,
                reason,
            })
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => return Ok(broken(format!("invalid UTF-8: {e}"))),
        };
        let records = match whole_records(&text) {
            Ok(r) => r,
            Err(reason) => return Ok(broken(reason)),
        };
        let line_of = |offset: usize| {
            base_line + 1 + text[..offset].bytes().filter(|b| *b == b'\n').count() as u64
        };
        let records = records
            .into_iter()
            .map(|(s, e)| (line_of(s), s, e))
            .collect();
        self.whole = text;
        Ok(Mode::Whole { records, next: 0 })
    }

    fn next_line(&mut self) -> io::Result<Next<'_>> {
        loop {
            self.buf.clear();
            let n = read_line(&mut self.reader, &mut self.buf)?;
            if n == 0 {
                return Ok(Next::End);
            }
            self.line += 1;
            let mut bytes: &[u8] = &self.buf;
            if self.line == 1 {
                bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
            }
            let trimmed = trim_ascii(bytes);
            if trimmed.is_empty() {
                continue;
            }
            let line = self.line;
            let start = trimmed.as_ptr() as usize - self.buf.as_ptr() as usize;
            let len = trimmed.len();
            return Ok(match utf8(&self.buf[start..start + len]) {
                Ok(text) => Next::Record(Record { line, text }),
                Err(e) => Next::Bad(BadRecord {
                    line,
                    reason: format!("invalid UTF-8: {e}"),
                }),
            });
        }
    }
}

/// `BufRead::read_until(b'\n')` with the `memchr` crate's vectorised search
/// (std's searches a word at a time): appends the bytes up to and including
/// the next newline to `buf`; the number of bytes read, 0 at the end.
pub fn read_line<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut read = 0;
    loop {
        let (found, used) = {
            let available = match reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            match memchr::memchr(b'\n', available) {
                Some(i) => {
                    buf.extend_from_slice(&available[..=i]);
                    (true, i + 1)
                }
                None => {
                    buf.extend_from_slice(available);
                    (false, available.len())
                }
            }
        };
        reader.consume(used);
        read += used;
        if found || used == 0 {
            return Ok(read);
        }
    }
}

/// `std::str::from_utf8` with a SIMD check first (std's error, with its
/// position, only for text that is not UTF-8).
pub fn utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(bytes),
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map(|e| e + 1)
        .unwrap_or(start);
    &b[start..end.max(start)]
}

/// Byte ranges of the documents in a whole-input JSON value: the elements of an
/// array, the hits of a `_search` response, or the value itself.
fn whole_records(text: &str) -> Result<Vec<(usize, usize)>, String> {
    use serde_json::value::RawValue;
    let base = text.as_ptr() as usize;
    let range = |r: &RawValue| {
        let s = r.get();
        let start = s.as_ptr() as usize - base;
        (start, start + s.len())
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| e.to_string())?;
        return Ok(items.into_iter().map(range).collect());
    }
    #[derive(serde::Deserialize)]
    struct Hits<'a> {
        #[serde(borrow)]
        hits: Vec<&'a RawValue>,
    }
    #[derive(serde::Deserialize)]
    struct Response<'a> {
        #[serde(borrow)]
        hits: Option<Hits<'a>>,
    }
    let whole: &RawValue = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if let Ok(Response { hits: Some(h) }) = serde_json::from_str::<Response>(whole.get()) {
        return Ok(h.hits.into_iter().map(range).collect());
    }
    Ok(vec![range(whole)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &str) -> Vec<Result<(u64, String), (u64, String)>> {
        let mut r = RecordReader::new(input.as_bytes());
        let mut out = Vec::new();
        loop {
            match r.next_record().unwrap() {
                Next::Record(rec) => out.push(Ok((rec.line, rec.text.to_string()))),
                Next::Bad(b) | Next::BadDocument(b) => out.push(Err((b.line, b.reason))),
                Next::End => return out,
            }
        }
    }

    #[test]
    fn ndjson_lines_with_numbers_and_blank_lines() {
        let got = collect("{\"a\":1}\n\n  {\"a\":2}  \r\n");
        assert_eq!(
            got,
            vec![Ok((1, "{\"a\":1}".into())), Ok((3, "{\"a\":2}".into()))]
        );
    }

    #[test]
    fn json_array_and_search_response() {
        let got = collect("[\n {\"a\":1},\n {\"a\":2}\n]\n");
        assert_eq!(
            got,
            vec![Ok((2, "{\"a\":1}".into())), Ok((3, "{\"a\":2}".into()))]
        );
        let resp = "{\n \"took\": 1,\n \"hits\": {\"hits\": [\n  {\"_index\":\"i\",\"_source\":{}}\n ]}\n}\n";
        let got = collect(resp);
        assert_eq!(
            got,
            vec![Ok((4, "{\"_index\":\"i\",\"_source\":{}}".into()))]
        );
    }

    #[test]
    fn broken_whole_document_is_reported() {
        let got = collect("[\n {\"a\":1},\n");
        assert!(matches!(&got[..], [Err((1, _))]), "{got:?}");
    }

    #[test]
    fn gzip_is_detected_by_magic() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"{\"a\":1}\n").unwrap();
        let gz = enc.finish().unwrap();
        let dir = std::env::temp_dir().join(format!("vigil-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("x.json"); // no .gz extension: magic bytes decide
        std::fs::write(&p, gz).unwrap();
        let mut r = RecordReader::new(open(p.to_str().unwrap()).unwrap());
        assert!(matches!(
            r.next_record().unwrap(),
            Next::Record(Record {
                line: 1,
                text: "{\"a\":1}"
            })
        ));
        std::fs::remove_dir_all(dir).ok();
    }
}
