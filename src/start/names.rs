//! State machine and execution names (reference §1, "Names and ARNs").
//!
//! Length (1–80) is a model constraint, checked with the other constraints as
//! a `ValidationException`; the characters are checked by the service and give
//! `InvalidName`.

use super::error::StartError;

/// The longest name, in characters.
pub const MAX_NAME_LEN: usize = 80;

/// Whether `c` may appear in a name: no whitespace, none of
/// `<>{}[]?*"#%\^|~`$&,;:/`, no control characters (U+0000–1F, U+007F–9F), no
/// U+FFFE/U+FFFF (Rust `char`s are never surrogates).
fn allowed(c: char) -> bool {
    !(c.is_whitespace()
        || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c)
        || ('\u{0}'..='\u{1f}').contains(&c)
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || c == '\u{fffe}'
        || c == '\u{ffff}')
}

/// Checks a name's characters.
///
/// # Errors
/// [`StartError::InvalidName`] (`Invalid Name: '<name>'`) when a character is forbidden.
pub fn check(name: &str) -> Result<(), StartError> {
    if name.is_empty() || !name.chars().all(allowed) {
        return Err(StartError::InvalidName(name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_give_invalid_name() {
        for ok in ["pay", "a-b_c.d", "注文", "x".repeat(80).as_str()] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "a b", "a\tb", "a:b", "a/b", "a#b", "a\u{7f}", "a\u{85}", "{x}", "a$", "a`",
        ] {
            assert_eq!(
                check(bad),
                Err(StartError::InvalidName(bad.to_owned())),
                "{bad}"
            );
        }
    }
}
