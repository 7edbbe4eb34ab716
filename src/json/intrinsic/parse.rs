//! Parsing intrinsic call text (`States.Format('x {}', $.a)`) into an
//! [`Intrinsic`] tree, once, at compile time.
//!
//! Grammar (ASL spec Appendix B; AWS guide `intrinsic-functions.html`):
//!
//! ```text
//! call   := ws 'States.' name ws '(' ws [arg (ws ',' ws arg)*] ws ')' ws
//! arg    := string | number | 'null' | 'true' | 'false' | path | call
//! string := "'" ( '\' any | not("'" | '\') )* "'"
//! path   := '$' …   (ends at a top-level ',' ')' or whitespace)
//! ```

use super::{Arg, Function, Intrinsic, IntrinsicError, Piece, MAX_NESTING};
use crate::errors::names;
use crate::json::path::Path;
use crate::json::Value;

/// Parses a whole intrinsic call; nothing but whitespace may follow it.
pub(super) fn parse(text: &str) -> Result<Intrinsic, IntrinsicError> {
    let mut parser = Parser { text, pos: 0 };
    parser.skip_ws();
    let call = parser.call(1)?;
    parser.skip_ws();
    if parser.pos < text.len() {
        return Err(parser.error("unexpected text after the closing ')'"));
    }
    Ok(call)
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> IntrinsicError {
        IntrinsicError::Syntax {
            text: self.text.to_owned(),
            message: format!("{message} at offset {}", self.pos),
        }
    }

    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn call(&mut self, depth: usize) -> Result<Intrinsic, IntrinsicError> {
        if depth > MAX_NESTING {
            return Err(self.error(&format!(
                "more than {MAX_NESTING} nested intrinsic function calls"
            )));
        }
        if !self.rest().starts_with(names::PREFIX) {
            return Err(self.error("expected an intrinsic function call 'States.<name>('"));
        }
        self.pos += names::PREFIX.len();
        let name_len = self
            .rest()
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(self.rest().len());
        let name = self.rest().get(..name_len).unwrap_or("");
        let Some(function) = Function::from_name(name) else {
            return Err(self.error(&format!("unknown intrinsic function 'States.{name}'")));
        };
        self.pos += name_len;
        self.skip_ws();
        if !self.eat('(') {
            return Err(self.error("expected '('"));
        }
        let mut args = Vec::new();
        let mut format = None;
        self.skip_ws();
        if !self.eat(')') {
            loop {
                self.skip_ws();
                let (arg, pieces) = self.arg(depth)?;
                if args.is_empty() && function == Function::Format {
                    format = pieces;
                }
                args.push(arg);
                self.skip_ws();
                if self.eat(')') {
                    break;
                }
                if !self.eat(',') {
                    return Err(self.error("expected ',' or ')'"));
                }
            }
        }
        Ok(Intrinsic {
            function,
            args,
            format,
        })
    }

    /// One argument; for a string literal also its Format template pieces.
    fn arg(&mut self, depth: usize) -> Result<(Arg, Option<Vec<Piece>>), IntrinsicError> {
        match self.peek() {
            Some('\'') => {
                let (value, pieces) = self.string()?;
                Ok((Arg::Literal(Value::String(value)), Some(pieces)))
            }
            Some('$') => Ok((self.path()?, None)),
            Some(c) if c == '-' || c.is_ascii_digit() => Ok((self.number()?, None)),
            Some(_) if self.rest().starts_with(names::PREFIX) => {
                Ok((Arg::Call(Box::new(self.call(depth + 1)?)), None))
            }
            Some(_) => {
                for (word, value) in [
                    ("null", Value::from(())),
                    ("true", Value::from(true)),
                    ("false", Value::from(false)),
                ] {
                    if self.rest().starts_with(word) {
                        let after = self.rest().get(word.len()..).unwrap_or("");
                        if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                            break;
                        }
                        self.pos += word.len();
                        return Ok((Arg::Literal(value), None));
                    }
                }
                Err(self
                    .error("expected an argument: a 'string', a number, null, a path or a call"))
            }
            None => Err(self.error("unexpected end of text")),
        }
    }
}

impl Parser<'_> {
    /// A quoted string: its unescaped value, and the same text split into
    /// Format pieces (an unescaped `{}` is a placeholder; `\{` `\}` are literal).
    fn string(&mut self) -> Result<(String, Vec<Piece>), IntrinsicError> {
        self.pos += 1; // the opening quote
        let mut value = String::new();
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = self.rest().char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    let Some((_, escaped)) = chars.next() else {
                        self.pos += i;
                        return Err(self.error("dangling '\\' in a string"));
                    };
                    value.push(escaped);
                    text.push(escaped);
                }
                '\'' => {
                    self.pos += i + 1;
                    if !text.is_empty() {
                        pieces.push(Piece::Text(text));
                    }
                    return Ok((value, pieces));
                }
                '{' if matches!(chars.peek(), Some((_, '}'))) => {
                    chars.next();
                    value.push_str("{}");
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Placeholder);
                }
                c => {
                    value.push(c);
                    text.push(c);
                }
            }
        }
        self.pos = self.text.len();
        Err(self.error("unterminated string"))
    }

    /// A path argument: runs to the first `,` `)` or whitespace outside
    /// brackets, parentheses and quotes.
    fn path(&mut self) -> Result<Arg, IntrinsicError> {
        let rest = self.rest();
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        let mut end = rest.len();
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            if let Some(q) = quote {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
                continue;
            }
            match c {
                '\'' | '"' => quote = Some(c),
                '[' | '(' => depth += 1,
                ']' | ')' if depth > 0 => depth -= 1,
                ',' | ')' if depth == 0 => {
                    end = i;
                    break;
                }
                c if c.is_whitespace() && depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let text = rest.get(..end).unwrap_or("");
        let path = Path::parse(text).map_err(|e| self.error(&e.to_string()))?;
        self.pos += end;
        Ok(Arg::Path(path))
    }

    /// A JSON-style number: an integer literal stays an integer.
    fn number(&mut self) -> Result<Arg, IntrinsicError> {
        let rest = self.rest();
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
            .unwrap_or(rest.len());
        let text = rest.get(..end).unwrap_or("");
        let value = if let Ok(i) = text.parse::<i64>() {
            Value::from(i)
        } else {
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() && !text.starts_with('+') => Value::from(f),
                _ => return Err(self.error(&format!("invalid number '{text}'"))),
            }
        };
        self.pos += end;
        Ok(Arg::Literal(value))
    }
}
