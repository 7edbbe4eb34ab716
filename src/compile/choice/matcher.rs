//! `StringMatches` patterns: `*` matches any run of characters (possibly
//! empty), `\*` is a literal star, `\\` a literal backslash. Matching is
//! linear-time greedy segment search: no backtracking blow-up.

use crate::compile::CompileError;

/// A compiled `StringMatches` pattern: literal segments between stars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// Literal text between the stars; `segments.len() == stars + 1`.
    segments: Vec<String>,
}

impl Pattern {
    /// Parses a pattern.
    ///
    /// A `\` before any other character is kept literally with it.
    ///
    /// # Errors
    /// [`CompileError::DanglingEscape`]: a lone `\` at the end.
    pub fn parse(text: &str) -> Result<Pattern, CompileError> {
        let mut segments = vec![String::new()];
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(e @ ('*' | '\\')) => push(&mut segments, e),
                    Some(other) => {
                        push(&mut segments, '\\');
                        push(&mut segments, other);
                    }
                    None => return Err(CompileError::DanglingEscape),
                },
                '*' => segments.push(String::new()),
                c => push(&mut segments, c),
            }
        }
        Ok(Pattern { segments })
    }

    /// Whether the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        let (first, rest) = match self.segments.split_first() {
            Some(split) => split,
            None => return text.is_empty(),
        };
        let Some((last, middle)) = rest.split_last() else {
            return text == first;
        };
        let Some(mut remaining) = text.strip_prefix(first.as_str()) else {
            return false;
        };
        let Some(trimmed) = remaining.strip_suffix(last.as_str()) else {
            return false;
        };
        remaining = trimmed;
        for segment in middle {
            match remaining.find(segment.as_str()) {
                Some(i) => remaining = remaining.get(i + segment.len()..).unwrap_or(""),
                None => return false,
            }
        }
        true
    }
}

fn push(segments: &mut [String], c: char) {
    if let Some(last) = segments.last_mut() {
        last.push(c);
    }
}
