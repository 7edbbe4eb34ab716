//! Cutting an object's bytes, as they arrive in chunks, into the items an
//! ItemReader gives: the elements of a JSON array, the lines of a JSON
//! Lines file, the rows of a CSV file. Each splitter holds only the item it
//! is cutting (plus the unread rest of the last chunk), never the object.
//!
//! Sources: AWS guide `input-output-itemreader.html` (JSON, JSONL, CSV);
//! RFC 4180 for CSV (through `csv-core`).

use std::collections::VecDeque;

/// The elements of one top-level JSON array, as JSON texts.
#[derive(Default)]
pub(super) struct JsonArray {
    /// Bytes of the element being cut.
    current: Vec<u8>,
    /// Nesting inside the current element.
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// `[` was seen.
    opened: bool,
    /// `]` of the array was seen.
    closed: bool,
    /// Complete elements not taken yet.
    ready: VecDeque<Vec<u8>>,
}

/// What is wrong with the text fed to a splitter.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct SplitError(pub(super) String);

impl JsonArray {
    /// Cuts `chunk`; complete elements are then in [`JsonArray::pop`].
    ///
    /// # Errors
    /// The text is not one JSON array (`Attempting to map over
    /// non-iterable node.` as AWS says), or goes on after it.
    pub(super) fn feed(&mut self, chunk: &[u8]) -> Result<(), SplitError> {
        for &b in chunk {
            if self.closed {
                if !b.is_ascii_whitespace() {
                    return Err(SplitError("Unexpected content after the JSON array".into()));
                }
                continue;
            }
            if !self.opened {
                match b {
                    b'[' => self.opened = true,
                    b if b.is_ascii_whitespace() => {}
                    // A BOM.
                    0xEF | 0xBB | 0xBF => {}
                    _ => {
                        return Err(SplitError(
                            "Attempting to map over non-iterable node.".into(),
                        ))
                    }
                }
                continue;
            }
            if self.in_string {
                self.current.push(b);
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => {
                    self.in_string = true;
                    self.current.push(b);
                }
                b'[' | b'{' => {
                    self.depth += 1;
                    self.current.push(b);
                }
                b']' | b'}' if self.depth > 0 => {
                    self.depth -= 1;
                    self.current.push(b);
                }
                b']' => {
                    self.end_element(true)?;
                    self.closed = true;
                }
                b',' if self.depth == 0 => self.end_element(false)?,
                b if b.is_ascii_whitespace() && self.depth == 0 => {}
                _ => self.current.push(b),
            }
        }
        Ok(())
    }

    fn end_element(&mut self, last: bool) -> Result<(), SplitError> {
        if self.current.is_empty() {
            // `[]` is an empty array; `[1,]` or `[,` are not JSON.
            if last && self.ready.is_empty() {
                return Ok(());
            }
            return Err(SplitError("The JSON array has an empty element".into()));
        }
        self.ready.push_back(std::mem::take(&mut self.current));
        Ok(())
    }

    /// The next complete element.
    pub(super) fn pop(&mut self) -> Option<Vec<u8>> {
        self.ready.pop_front()
    }

    /// Bytes of the element being cut.
    pub(super) fn pending(&self) -> usize {
        self.current.len()
    }

    /// Checks the text ended with the array.
    ///
    /// # Errors
    /// The array was never closed (or never opened).
    pub(super) fn finish(&self) -> Result<(), SplitError> {
        if self.closed {
            Ok(())
        } else if !self.opened {
            Err(SplitError(
                "Attempting to map over non-iterable node.".into(),
            ))
        } else {
            Err(SplitError("The JSON array is not closed".into()))
        }
    }
}

/// The lines of a text (`\n` or `\r\n`), empty lines skipped.
#[derive(Default)]
pub(super) struct Lines {
    current: Vec<u8>,
    ready: VecDeque<Vec<u8>>,
}

impl Lines {
    /// Cuts `chunk`; complete lines are then in [`Lines::pop`].
    pub(super) fn feed(&mut self, chunk: &[u8]) {
        for part in chunk.split_inclusive(|b| *b == b'\n') {
            match part.split_last() {
                Some((b'\n', line)) => {
                    self.current.extend_from_slice(line);
                    self.end_line();
                }
                _ => self.current.extend_from_slice(part),
            }
        }
    }

    fn end_line(&mut self) {
        if self.current.last() == Some(&b'\r') {
            self.current.pop();
        }
        let line = std::mem::take(&mut self.current);
        if line.iter().any(|b| !b.is_ascii_whitespace()) {
            self.ready.push_back(line);
        }
    }

    /// The next complete line.
    pub(super) fn pop(&mut self) -> Option<Vec<u8>> {
        self.ready.pop_front()
    }

    /// Ends the text: its last line, if it had no newline, is complete.
    pub(super) fn finish(&mut self) {
        if !self.current.is_empty() {
            self.end_line();
        }
    }

    /// Bytes of the line being cut.
    pub(super) fn pending(&self) -> usize {
        self.current.len()
    }
}

/// The rows of a CSV text (RFC 4180: quoted fields may hold delimiters and
/// newlines), each as its fields.
pub(super) struct Csv {
    reader: csv_core::Reader,
    /// The fields of the row being read, and where each ends.
    fields: Vec<u8>,
    fields_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    ready: VecDeque<Vec<String>>,
}

impl Csv {
    /// A reader of rows delimited by `delimiter`.
    pub(super) fn new(delimiter: u8) -> Self {
        Csv {
            reader: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            fields: vec![0; 1024],
            fields_len: 0,
            ends: vec![0; 16],
            ends_len: 0,
            ready: VecDeque::new(),
        }
    }

    /// Reads `chunk` (`&[]` ends the text); complete rows are then in
    /// [`Csv::pop`].
    ///
    /// # Errors
    /// A field is not valid UTF-8.
    pub(super) fn feed(&mut self, chunk: &[u8]) -> Result<(), SplitError> {
        let mut input: &[u8] = chunk;
        loop {
            let (result, nin, nout, nend) = self.reader.read_record(
                input,
                &mut self.fields[self.fields_len..],
                &mut self.ends[self.ends_len..],
            );
            input = &input[nin..];
            // `ends` are offsets from the start of the row (csv-core
            // counts them across calls).
            self.fields_len += nout;
            self.ends_len += nend;
            match result {
                csv_core::ReadRecordResult::InputEmpty => return Ok(()),
                csv_core::ReadRecordResult::OutputFull => {
                    let n = self.fields.len() * 2;
                    self.fields.resize(n, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                csv_core::ReadRecordResult::Record => self.end_row()?,
                csv_core::ReadRecordResult::End => return Ok(()),
            }
        }
    }

    fn end_row(&mut self) -> Result<(), SplitError> {
        let mut row = Vec::with_capacity(self.ends_len);
        let mut start = 0;
        for &end in &self.ends[..self.ends_len] {
            let field = std::str::from_utf8(&self.fields[start..end])
                .map_err(|_| SplitError("The CSV file is not valid UTF-8".into()))?;
            row.push(field.to_owned());
            start = end;
        }
        self.fields_len = 0;
        self.ends_len = 0;
        self.ready.push_back(row);
        Ok(())
    }

    /// The next complete row.
    pub(super) fn pop(&mut self) -> Option<Vec<String>> {
        self.ready.pop_front()
    }

    /// Bytes of the row being read.
    pub(super) fn pending(&self) -> usize {
        self.fields_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_all(chunks: &[&str]) -> Result<Vec<String>, SplitError> {
        let mut s = JsonArray::default();
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c.as_bytes())?;
            while let Some(e) = s.pop() {
                out.push(String::from_utf8(e).unwrap());
            }
        }
        s.finish()?;
        Ok(out)
    }

    #[test]
    fn json_array_elements_across_chunks() {
        let got = json_all(&[
            " [1, {\"a\": [2,",
            "3], \"b\":\"x,]\\\"\"}",
            " ,\"s\" , [] ]\n",
        ])
        .unwrap();
        assert_eq!(
            got,
            ["1", "{\"a\": [2,3], \"b\":\"x,]\\\"\"}", "\"s\"", "[]"]
        );
        assert_eq!(json_all(&["[]"]).unwrap(), Vec::<String>::new());
        assert_eq!(
            json_all(&["{\"a\":1}"]).unwrap_err().0,
            "Attempting to map over non-iterable node."
        );
        assert!(json_all(&["[1,]"]).is_err());
        assert!(json_all(&["[1"]).is_err());
        assert!(json_all(&["[1] x"]).is_err());
    }

    #[test]
    fn lines_skip_blank_lines_and_strip_cr() {
        let mut l = Lines::default();
        l.feed(b"{\"a\":1}\r\n\n{\"b\"");
        l.feed(b":2}\n  \n3");
        l.finish();
        let got: Vec<_> = std::iter::from_fn(|| l.pop())
            .map(|v| String::from_utf8(v).unwrap())
            .collect();
        assert_eq!(got, ["{\"a\":1}", "{\"b\":2}", "3"]);
    }

    #[test]
    fn csv_rows_with_quotes_across_chunks() {
        let mut c = Csv::new(b',');
        c.feed(b"a,b,c\n1,\"x, \"\"y\"").unwrap();
        c.feed(b"\"\n z\",3\n4,5").unwrap();
        c.feed(b"").unwrap();
        let rows: Vec<_> = std::iter::from_fn(|| c.pop()).collect();
        assert_eq!(
            rows,
            vec![
                vec!["a", "b", "c"],
                vec!["1", "x, \"y\"\n z", "3"],
                vec!["4", "5"]
            ]
        );
        let mut t = Csv::new(b'\t');
        t.feed(b"a\tb\n").unwrap();
        t.feed(b"").unwrap();
        assert_eq!(t.pop().unwrap(), vec!["a", "b"]);
    }
}
