//! Input templates: the input file's text with every `{{n}}` replaced by the
//! request counter, so each request carries a different input.

/// A text split at its `{{n}}` placeholders.
#[derive(Debug, Clone)]
pub struct InputTemplate {
    parts: Vec<String>,
}

/// The placeholder replaced by the request counter.
pub const PLACEHOLDER: &str = "{{n}}";

impl InputTemplate {
    /// Splits `text` at each [`PLACEHOLDER`].
    pub fn new(text: &str) -> Self {
        InputTemplate {
            parts: text.split(PLACEHOLDER).map(str::to_owned).collect(),
        }
    }

    /// Whether the text has at least one placeholder.
    pub fn is_varied(&self) -> bool {
        self.parts.len() > 1
    }

    /// The text for request `n`.
    pub fn render(&self, n: u64) -> String {
        let digits = n.to_string();
        let len: usize = self.parts.iter().map(String::len).sum::<usize>()
            + digits.len() * self.parts.len().saturating_sub(1);
        let mut out = String::with_capacity(len);
        for (k, part) in self.parts.iter().enumerate() {
            if k > 0 {
                out.push_str(&digits);
            }
            out.push_str(part);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_placeholder() {
        let t = InputTemplate::new(r#"{"id":"pay-{{n}}","n":{{n}}}"#);
        assert!(t.is_varied());
        assert_eq!(t.render(42), r#"{"id":"pay-42","n":42}"#);
        let fixed = InputTemplate::new("{}");
        assert!(!fixed.is_varied());
        assert_eq!(fixed.render(7), "{}");
    }
}
