//! Mapping byte offsets to 1-based line and column numbers.

/// 1-based line and column (column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// A source text with a display name, possibly embedded in a larger file.
///
/// `origin` is the file position of the text's first byte: a query that starts on
/// line 40, column 1 of a TOML rule has `origin = LineCol { line: 40, column: 1 }`,
/// so diagnostics point into the rule file rather than into the query string.
#[derive(Debug, Clone)]
pub struct SourceFile<'a> {
    pub name: &'a str,
    pub text: &'a str,
    pub origin: LineCol,
    line_starts: Vec<usize>,
}

impl<'a> SourceFile<'a> {
    pub fn new(name: &'a str, text: &'a str) -> Self {
        Self::embedded(name, text, LineCol { line: 1, column: 1 })
    }

    pub fn embedded(name: &'a str, text: &'a str, origin: LineCol) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name,
            text,
            origin,
            line_starts,
        }
    }

    /// The 0-based line index within `text` holding `offset`.
    fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Line and column of `offset` within the file (origin applied).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = self.clamp(offset);
        let idx = self.line_index(offset);
        let col = self.text[self.line_starts[idx]..offset].chars().count() + 1;
        if idx == 0 {
            LineCol {
                line: self.origin.line,
                column: self.origin.column + col - 1,
            }
        } else {
            LineCol {
                line: self.origin.line + idx,
                column: col,
            }
        }
    }

    /// The text of the line holding `offset` (without its newline), and the byte
    /// offset at which that line starts.
    pub fn line_text(&self, offset: usize) -> (&'a str, usize) {
        let offset = self.clamp(offset);
        let idx = self.line_index(offset);
        let start = self.line_starts[idx];
        let end = self
            .line_starts
            .get(idx + 1)
            .map(|e| e - 1)
            .unwrap_or(self.text.len());
        let line = &self.text[start..end.max(start)];
        (line.strip_suffix('\r').unwrap_or(line), start)
    }

    /// Clamp to the text and to a char boundary.
    fn clamp(&self, offset: usize) -> usize {
        let mut o = offset.min(self.text.len());
        while !self.text.is_char_boundary(o) {
            o -= 1;
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_and_counts_chars() {
        let s = SourceFile::new("q", "ab\ncé d\n");
        assert_eq!(s.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(s.line_col(3), LineCol { line: 2, column: 1 });
        // 'd' is after a two-byte char
        assert_eq!(s.line_col(7), LineCol { line: 2, column: 4 });
        assert_eq!(s.line_text(7), ("cé d", 3));
    }

    #[test]
    fn embedded_origin_shifts_first_line_only() {
        let s = SourceFile::embedded(
            "r.toml",
            "x\ny",
            LineCol {
                line: 10,
                column: 9,
            },
        );
        assert_eq!(
            s.line_col(0),
            LineCol {
                line: 10,
                column: 9
            }
        );
        assert_eq!(
            s.line_col(2),
            LineCol {
                line: 11,
                column: 1
            }
        );
    }
}
