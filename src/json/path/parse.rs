//! Path text → [`Root`] and [`Segment`]s, Jayway syntax, including filter
//! expressions. Recursion only follows filter nesting, bounded by
//! [`MAX_NESTING`].
//!
//! As in Jayway (AWS's JSONPath), a dot may precede a bracket: `$.[0]`,
//! `$.a.[0].b`, `$.[?(@.x > 0)]` and `$.[*].['a','b']` parse as the same
//! path without that dot (AWS samples use these forms).

use simd_json::StaticNode;

use super::{Root, Segment, MAX_NESTING};
use crate::json::Value;

/// Why path text does not parse. Positions are byte offsets in the
/// (trimmed) text; the messages are what [`super::PathError::Syntax`] shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Syntax {
    #[error("a path must start with '$'")]
    NoRoot,
    #[error("unexpected character '{found}' at position {at}")]
    Unexpected { found: char, at: usize },
    #[error("unexpected end of path")]
    UnexpectedEnd,
    #[error("expected '{expected}' at position {at}")]
    Expected { expected: char, at: usize },
    #[error("path functions are only supported inside filters")]
    FunctionOutsideFilter,
    #[error("unsupported function '{0}()'")]
    UnsupportedFunction(String),
    #[error("a path must not end with '{0}'")]
    TrailingDot(&'static str),
    #[error(
        "use bracket notation ['my prop'] if a property contains blank characters (position {0})"
    )]
    BlankInName(usize),
    #[error("could not parse token starting at position {0}: expected ?, ', 0-9, * or :")]
    BadBracket(usize),
    #[error("filters nest too deeply")]
    TooDeep,
    #[error("invalid array index '{0}'")]
    BadIndex(String),
    #[error("unterminated string")]
    UnterminatedString,
    #[error("expected a comparison operator at position {0}")]
    NoOperator(usize),
    #[error("'$$' is not supported inside filters")]
    ContextInFilter,
    #[error("expected a value at position {0}")]
    NoValue(usize),
    #[error("invalid number '{0}'")]
    BadNumber(String),
    #[error("a slice step must be positive")]
    NonPositiveStep,
    #[error("invalid \\u escape")]
    BadEscape,
}

/// A filter expression inside `[?( … )]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// `a || b`.
    Or(Box<Expr>, Box<Expr>),
    /// `a && b`.
    And(Box<Expr>, Box<Expr>),
    /// `!a`.
    Not(Box<Expr>),
    /// A lone path: true when it selects something.
    Exists(Operand),
    /// `a <op> b`.
    Compare(Operand, Op, Operand),
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    /// `@…`: a path relative to the node being filtered, maybe ending in a function.
    Current(Vec<Segment>, Option<Func>),
    /// `$…`: a path from the document root, maybe ending in a function.
    Root(Vec<Segment>, Option<Func>),
    /// A JSON literal: number, string, `true`, `false`, `null`, or an array of those.
    Literal(Value),
}

/// A path function (Jayway), allowed at the end of a filter operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    /// `length()` / `size()`: the length of an array, string or object.
    Length,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Nin,
}

/// Parses a whole path.
pub(super) fn parse_path(text: &str) -> Result<(Root, Vec<Segment>), Syntax> {
    let mut p = Parser {
        s: text.trim(),
        pos: 0,
    };
    if !p.eat('$') {
        return Err(Syntax::NoRoot);
    }
    let root = if p.eat('$') {
        Root::Context
    } else if matches!(p.peek(), Some(c) if c != '.' && c != '[') {
        let start = p.pos;
        while matches!(p.peek(), Some(c) if c.is_alphanumeric() || c == '_') {
            p.bump();
        }
        if p.pos == start {
            return Err(p.unexpected());
        }
        Root::Variable(p.s[start..p.pos].to_owned())
    } else {
        Root::Input
    };
    let (segments, func) = p.segments(false, 0)?;
    if func.is_some() {
        return Err(Syntax::FunctionOutsideFilter);
    }
    if p.peek().is_some() {
        return Err(p.unexpected());
    }
    Ok((root, segments))
}

struct Parser<'t> {
    s: &'t str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.pos..).and_then(|r| r.chars().next())
    }

    fn peek2(&self) -> Option<char> {
        self.s.get(self.pos..).and_then(|r| r.chars().nth(1))
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, s: &str) -> bool {
        if self.s.get(self.pos..).is_some_and(|r| r.starts_with(s)) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(c) if c.is_whitespace()) {
            self.bump();
        }
    }

    fn expect(&mut self, c: char) -> Result<(), Syntax> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(Syntax::Expected {
                expected: c,
                at: self.pos,
            })
        }
    }

    fn unexpected(&self) -> Syntax {
        match self.peek() {
            Some(found) => Syntax::Unexpected {
                found,
                at: self.pos,
            },
            None => Syntax::UnexpectedEnd,
        }
    }

    /// Segments until something that cannot continue a path. In a filter,
    /// the path may end with a function call.
    fn segments(
        &mut self,
        in_filter: bool,
        depth: usize,
    ) -> Result<(Vec<Segment>, Option<Func>), Syntax> {
        let mut segs = Vec::new();
        loop {
            match self.peek() {
                Some('.') => {
                    self.bump();
                    if self.eat('.') {
                        segs.push(Segment::Descent);
                        match self.peek() {
                            Some('[') => continue,
                            Some('*') => {
                                self.bump();
                                segs.push(Segment::Wildcard);
                            }
                            _ => {
                                let name = self.name(in_filter)?;
                                if name.is_empty() {
                                    return Err(Syntax::TrailingDot(".."));
                                }
                                segs.push(Segment::Child(name));
                            }
                        }
                    } else if self.eat('*') {
                        segs.push(Segment::Wildcard);
                    } else if self.peek() == Some('[') {
                        continue;
                    } else {
                        let name = self.name(in_filter)?;
                        if name.is_empty() {
                            return Err(Syntax::TrailingDot("."));
                        }
                        if self.peek() == Some('(') {
                            return self.function(&name, in_filter).map(|f| (segs, Some(f)));
                        }
                        segs.push(Segment::Child(name));
                    }
                }
                Some('[') => {
                    self.bump();
                    segs.push(self.bracket(depth)?);
                }
                _ => return Ok((segs, None)),
            }
        }
    }

    /// `name()` after the `(` was seen; only `length()` / `size()`.
    fn function(&mut self, name: &str, in_filter: bool) -> Result<Func, Syntax> {
        if !in_filter {
            return Err(Syntax::FunctionOutsideFilter);
        }
        self.expect('(')?;
        self.ws();
        self.expect(')')?;
        match name {
            "length" | "size" => Ok(Func::Length),
            _ => Err(Syntax::UnsupportedFunction(name.to_owned())),
        }
    }

    /// A dot-notation property name.
    fn name(&mut self, in_filter: bool) -> Result<String, Syntax> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == '.' || c == '[' || c == '(' {
                break;
            }
            if c.is_whitespace() {
                if in_filter {
                    break;
                }
                return Err(Syntax::BlankInName(self.pos));
            }
            if in_filter && matches!(c, ')' | '=' | '<' | '>' | '!' | '&' | '|' | ',' | ']') {
                break;
            }
            self.bump();
        }
        Ok(self.s[start..self.pos].to_owned())
    }

    /// Everything after `[` up to and including `]`.
    fn bracket(&mut self, depth: usize) -> Result<Segment, Syntax> {
        self.ws();
        let seg = match self.peek() {
            Some('*') => {
                self.bump();
                Segment::Wildcard
            }
            Some('\'' | '"') => {
                let mut keys = Vec::new();
                loop {
                    keys.push(self.quoted()?);
                    self.ws();
                    if !self.eat(',') {
                        break;
                    }
                    self.ws();
                }
                if keys.len() == 1 {
                    Segment::Child(keys.pop().unwrap_or_default())
                } else {
                    Segment::Children(keys)
                }
            }
            Some('?') => {
                self.bump();
                self.ws();
                self.expect('(')?;
                if depth + 1 > MAX_NESTING {
                    return Err(Syntax::TooDeep);
                }
                let expr = self.or(depth + 1)?;
                self.ws();
                self.expect(')')?;
                Segment::Filter(Box::new(expr))
            }
            Some(c) if c == '-' || c == ':' || c.is_ascii_digit() => self.indexes()?,
            _ => return Err(Syntax::BadBracket(self.pos)),
        };
        self.ws();
        self.expect(']')?;
        Ok(seg)
    }

    /// `n`, `n,m,…` or `a:b:s` inside brackets.
    fn indexes(&mut self) -> Result<Segment, Syntax> {
        let first = self.opt_int()?;
        self.ws();
        if self.eat(':') {
            self.ws();
            let end = self.opt_int()?;
            self.ws();
            let mut step = 1;
            if self.eat(':') {
                self.ws();
                if let Some(s) = self.opt_int()? {
                    step = u64::try_from(s)
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or(Syntax::NonPositiveStep)?;
                }
            }
            return Ok(Segment::Slice {
                start: first,
                end,
                step,
            });
        }
        let first = first.ok_or_else(|| self.unexpected())?;
        if self.peek() != Some(',') {
            return Ok(Segment::Index(first));
        }
        let mut all = vec![first];
        while self.eat(',') {
            self.ws();
            all.push(self.opt_int()?.ok_or_else(|| self.unexpected())?);
            self.ws();
        }
        Ok(Segment::Indexes(all))
    }

    fn opt_int(&mut self) -> Result<Option<i64>, Syntax> {
        let start = self.pos;
        self.eat('-');
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.bump();
        }
        let t = &self.s[start..self.pos];
        if t.is_empty() {
            return Ok(None);
        }
        t.parse()
            .map(Some)
            .map_err(|_| Syntax::BadIndex(t.to_owned()))
    }

    /// A quoted string (`'…'` or `"…"`) with JSON-style escapes (`\n`,
    /// `\t`, `\uXXXX`, the quote, the backslash).
    fn quoted(&mut self) -> Result<String, Syntax> {
        let q = self.bump().unwrap_or('\'');
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(Syntax::UnterminatedString),
                Some(c) if c == q => return Ok(out),
                Some('\\') => match self.bump() {
                    None => return Err(Syntax::UnterminatedString),
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('b') => out.push('\u{8}'),
                    Some('f') => out.push('\u{c}'),
                    Some('u') => {
                        let hex = self.s.get(self.pos..self.pos + 4).unwrap_or("");
                        let ch = u32::from_str_radix(hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .ok_or(Syntax::BadEscape)?;
                        self.pos += 4;
                        out.push(ch);
                    }
                    // The quote and the backslash itself are escaped; any
                    // other character keeps its backslash (AWS finds the key
                    // `Test\""Name"` with `$['Test\""Name"']`).
                    Some(c) if c == q || c == '\\' => out.push(c),
                    Some(c) => {
                        out.push('\\');
                        out.push(c);
                    }
                },
                Some(c) => out.push(c),
            }
        }
    }

    fn or(&mut self, depth: usize) -> Result<Expr, Syntax> {
        let mut lhs = self.and(depth)?;
        loop {
            self.ws();
            if !self.eat_str("||") {
                return Ok(lhs);
            }
            let rhs = self.and(depth)?;
            lhs = Expr::Or(Box::new(lhs), Box::new(rhs));
        }
    }

    fn and(&mut self, depth: usize) -> Result<Expr, Syntax> {
        let mut lhs = self.unary(depth)?;
        loop {
            self.ws();
            if !self.eat_str("&&") {
                return Ok(lhs);
            }
            let rhs = self.unary(depth)?;
            lhs = Expr::And(Box::new(lhs), Box::new(rhs));
        }
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, Syntax> {
        if depth > MAX_NESTING {
            return Err(Syntax::TooDeep);
        }
        self.ws();
        match self.peek() {
            Some('!') if self.peek2() != Some('=') => {
                self.bump();
                Ok(Expr::Not(Box::new(self.unary(depth + 1)?)))
            }
            Some('(') => {
                self.bump();
                let e = self.or(depth + 1)?;
                self.ws();
                self.expect(')')?;
                Ok(e)
            }
            _ => self.comparison(depth),
        }
    }

    fn comparison(&mut self, depth: usize) -> Result<Expr, Syntax> {
        let lhs = self.operand(depth)?;
        self.ws();
        let op = if self.eat_str("==") {
            Op::Eq
        } else if self.eat_str("!=") {
            Op::Ne
        } else if self.eat_str("<=") {
            Op::Le
        } else if self.eat_str(">=") {
            Op::Ge
        } else if self.eat('<') {
            Op::Lt
        } else if self.eat('>') {
            Op::Gt
        } else if self.word("nin") {
            Op::Nin
        } else if self.word("in") {
            Op::In
        } else {
            return match lhs {
                Operand::Literal(_) => Err(Syntax::NoOperator(self.pos)),
                path => Ok(Expr::Exists(path)),
            };
        };
        let rhs = self.operand(depth)?;
        Ok(Expr::Compare(lhs, op, rhs))
    }

    /// An operator word followed by a non-identifier character.
    fn word(&mut self, w: &str) -> bool {
        let rest = self.s.get(self.pos..).unwrap_or("");
        let follows_ok = rest
            .get(w.len()..)
            .and_then(|r| r.chars().next())
            .is_some_and(|c| !c.is_alphanumeric() && c != '_');
        if rest.starts_with(w) && follows_ok {
            self.pos += w.len();
            true
        } else {
            false
        }
    }

    fn operand(&mut self, depth: usize) -> Result<Operand, Syntax> {
        self.ws();
        match self.peek() {
            Some('@') => {
                self.bump();
                let (segs, f) = self.segments(true, depth)?;
                Ok(Operand::Current(segs, f))
            }
            Some('$') => {
                self.bump();
                if self.peek() == Some('$') {
                    return Err(Syntax::ContextInFilter);
                }
                let (segs, f) = self.segments(true, depth)?;
                Ok(Operand::Root(segs, f))
            }
            _ => self.literal(true).map(Operand::Literal),
        }
    }

    /// A JSON scalar, or (when `array_ok`) an array of scalars.
    fn literal(&mut self, array_ok: bool) -> Result<Value, Syntax> {
        self.ws();
        match self.peek() {
            Some('\'' | '"') => self.quoted().map(Value::String),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some('[') if array_ok => {
                self.bump();
                let mut items = Vec::new();
                self.ws();
                if !self.eat(']') {
                    loop {
                        items.push(self.literal(false)?);
                        self.ws();
                        if self.eat(']') {
                            break;
                        }
                        self.expect(',')?;
                    }
                }
                Ok(Value::Array(Box::new(items)))
            }
            _ if self.word("true") => Ok(Value::Static(StaticNode::Bool(true))),
            _ if self.word("false") => Ok(Value::Static(StaticNode::Bool(false))),
            _ if self.word("null") => Ok(Value::Static(StaticNode::Null)),
            _ => Err(Syntax::NoValue(self.pos)),
        }
    }

    fn number(&mut self) -> Result<Value, Syntax> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.bump();
        }
        let t = &self.s[start..self.pos];
        if let Ok(i) = t.parse::<i64>() {
            return Ok(Value::Static(StaticNode::I64(i)));
        }
        match t.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Static(StaticNode::F64(f))),
            _ => Err(Syntax::BadNumber(t.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::json::path::{Path, PathError, Root};

    fn norm(text: &str) -> String {
        Path::parse(text).map_or_else(|e| format!("error: {e}"), |p| p.normalized())
    }

    fn syntax_error(text: &str) -> bool {
        matches!(Path::parse(text), Err(PathError::Syntax { .. }))
    }

    /// `normal!(name, path, normalised)`.
    macro_rules! normal {
        ($name:ident, $path:expr, $norm:expr) => {
            #[test]
            fn $name() {
                assert_eq!(norm($path), $norm);
            }
        };
    }
    /// `bad!(name, path)`: a syntax error.
    macro_rules! bad {
        ($name:ident, $path:expr) => {
            #[test]
            fn $name() {
                assert!(syntax_error($path), "{} should not parse", $path);
            }
        };
    }
    /// `reference!(name, path, is_reference)`.
    macro_rules! reference {
        ($name:ident, $path:expr, $yes:expr) => {
            #[test]
            fn $name() {
                assert_eq!(Path::parse_reference($path).is_ok(), $yes, "{}", $path);
            }
        };
    }

    normal!(n_root, "$", "$");
    normal!(n_dots, "$.a.b", "$['a']['b']");
    normal!(n_mixed, "$.a['b c'][0]", "$['a']['b c'][0]");
    normal!(n_negative, "$.a[-1]", "$['a'][-1]");
    normal!(n_wildcard, "$.a.*", "$['a'][*]");
    normal!(n_descent, "$..name", "$..['name']");
    normal!(n_descent_wild, "$..*", "$..[*]");
    normal!(n_slice, "$.a[1:2]", "$['a'][1:2]");
    normal!(n_slice_open, "$[:2]", "$[:2]");
    normal!(n_slice_step, "$[::2]", "$[::2]");
    normal!(n_union, "$[0, 1]", "$[0,1]");
    normal!(n_union_keys, "$['a', \"b\"]", "$['a','b']");
    normal!(n_filter, "$.a[?(@.x < 1)]", "$['a'][?]");
    normal!(n_context, "$$.Execution.Id", "$['Execution']['Id']");
    normal!(n_trimmed, "  $.a  ", "$['a']");
    normal!(n_escapes, r#"$['a\nb\u0041\\']"#, "$['a\nbA\\']");

    bad!(b_empty, "");
    bad!(b_no_dollar, "a.b");
    bad!(b_trailing_dot, "$.a.");
    bad!(b_trailing_descent, "$..");
    bad!(b_space_in_name, "$.a b");
    bad!(b_unclosed_bracket, "$['a'");
    bad!(b_unterminated_string, "$['a");
    bad!(b_empty_bracket, "$[]");
    bad!(b_bad_index, "$[x]");
    bad!(b_zero_step, "$[1:2:0]");
    bad!(b_huge_index, "$[99999999999999999999]");
    bad!(b_unclosed_filter, "$[?(@.a == 1]");
    bad!(b_filter_no_operator_literal, "$[?(1)]");
    bad!(b_filter_bad_literal, "$[?(@.a == x)]");
    bad!(b_top_level_function, "$.a.length()");
    bad!(b_unknown_function, "$[?(@.a.foo() > 1)]");
    bad!(b_context_in_filter, "$[?(@.a == $$.b)]");
    bad!(
        b_deep_nesting,
        &format!("$[?({}@{})]", "(".repeat(100), ")".repeat(100))
    );
    bad!(b_deep_filters, &format!("${}", "[?(@".repeat(100)));

    reference!(r_root, "$", true);
    reference!(r_dots, "$.a.b", true);
    reference!(r_bracket, "$['a b'][0]", true);
    reference!(r_context, "$$.Execution.Id", true);
    reference!(r_variable, "$var.x", true);
    reference!(r_wildcard, "$.a[*]", false);
    reference!(r_descent, "$..a", false);
    reference!(r_slice, "$.a[0:1]", false);
    reference!(r_union, "$.a[0,1]", false);
    reference!(r_filter, "$.a[?(@.b)]", false);

    #[test]
    fn roots() {
        let root = |t: &str| Path::parse(t).map(|p| p.root().clone());
        assert_eq!(root("$.a"), Ok(Root::Input));
        assert_eq!(root("$$"), Ok(Root::Context));
        assert_eq!(root("$$.Map.Item.Value"), Ok(Root::Context));
        assert_eq!(root("$myVar"), Ok(Root::Variable("myVar".into())));
        assert_eq!(root("$my_var2.x[0]"), Ok(Root::Variable("my_var2".into())));
        assert!(root("$-x").is_err());
    }

    // Jayway accepts a dot before a bracket (AWS samples use it): the dot
    // is dropped, `.[x]` means `[x]`.
    normal!(n_dot_bracket_index, "$.[0]", "$[0]");
    normal!(n_dot_bracket_inner, "$.a.[0].b", "$['a'][0]['b']");
    normal!(n_dot_bracket_filter, "$.[?(@.x > 0)]", "$[?]");
    normal!(n_dot_bracket_union, "$.[*].['a','b']", "$[*]['a','b']");
    normal!(n_dot_bracket_key, "$.a.['b c']", "$['a']['b c']");
    normal!(
        n_dot_bracket_context,
        "$$.Execution.['Name']",
        "$['Execution']['Name']"
    );
    reference!(r_dot_bracket, "$.a.[0].b", true);
    bad!(b_dot_bracket_empty, "$.[]");
    bad!(b_dot_dot_bracket_dot, "$.a.[0].");

    /// The dot-before-bracket forms select what the bracket alone selects.
    #[test]
    fn dot_bracket_selects_as_bracket() {
        let doc = crate::json::parse(
            r#"{"a":[{"b":1,"x":2},{"b":3,"x":-1}],"c":[{"a":"A","b":"B","x":5}]}"#,
        )
        .unwrap();
        let sel = |t: &str| {
            let got = Path::parse(t)
                .unwrap_or_else(|e| panic!("{t}: {e}"))
                .select_in(&doc)
                .map(|s| crate::json::to_string(&s.into_value()));
            let want = Path::parse(&t.replace(".[", "["))
                .unwrap()
                .select_in(&doc)
                .map(|s| crate::json::to_string(&s.into_value()));
            assert_eq!(got, want, "{t}");
            got.unwrap()
        };
        assert_eq!(sel("$.a.[0].b"), "1");
        assert_eq!(sel("$.a.[1]"), r#"{"b":3,"x":-1}"#);
        assert_eq!(sel("$.a.[?(@.x > 0)].b"), "[1]");
        assert_eq!(sel("$.c.[*].['a','b']"), r#"["A","B"]"#);
        let arr = crate::json::parse(r#"[{"x":1},{"x":0},{"x":7}]"#).unwrap();
        let first = Path::parse("$.[0]")
            .unwrap()
            .select_in(&arr)
            .map(|s| s.into_value());
        assert_eq!(
            first.map(|v| crate::json::to_string(&v)).as_deref(),
            Ok(r#"{"x":1}"#)
        );
        let pos = Path::parse("$.[?(@.x > 0)]")
            .unwrap()
            .select_in(&arr)
            .map(|s| s.into_value());
        assert_eq!(
            pos.map(|v| crate::json::to_string(&v)).as_deref(),
            Ok(r#"[{"x":1},{"x":7}]"#)
        );
    }

    #[test]
    fn text_is_kept() {
        let p = Path::parse("$.a[0]").unwrap();
        assert_eq!(p.text(), "$.a[0]");
        assert!(p.is_definite());
    }
}
