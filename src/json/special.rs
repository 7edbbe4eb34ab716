//! The bytes a JSON string cannot hold as themselves (RFC 8259 §7): `"`,
//! `\` and the control characters U+0000 to U+001F. Found a byte at a time
//! ([`SPECIAL`]) or eight at a time ([`first_special`], [`has_special`]:
//! SWAR over a little-endian word). Shared by the writer
//! ([`super::write`], which escapes them) and the API's start body reader
//! (`api::ops::wire::raw`, which stops at them to unescape).

/// Whether a byte is special: `"`, `\` or below U+0020.
pub(crate) static SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Eight bytes with one set in each.
const ONES: u64 = u64::from_le_bytes([1; 8]);
/// Eight bytes with the high bit set in each.
const HIGHS: u64 = ONES << 7;

/// The high bit of each byte of `word` set where the byte may be special:
/// the "has a zero byte" test of SWAR (a byte minus one borrows into its
/// high bit only if it was zero) on the word xored with `"` and with `\`,
/// and the "has a byte less than" test for 0x20. Borrows can flag bytes
/// above the first real one, never below: the lowest flag is exact, and
/// the flags are zero exactly when no byte is special.
#[inline(always)]
fn flags(word: u64) -> u64 {
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    zero(word ^ (ONES * u64::from(b'"')))
        | zero(word ^ (ONES * u64::from(b'\\')))
        | (word.wrapping_sub(ONES * 0x20) & !word & HIGHS)
}

/// Whether one of the eight bytes of `word` is special.
#[inline(always)]
pub(crate) fn has_special(word: u64) -> bool {
    flags(word) != 0
}

/// The index in `word` (eight bytes, little-endian) of its first special
/// byte, if any.
#[inline(always)]
pub(crate) fn first_special(word: u64) -> Option<usize> {
    let flags = flags(word);
    // At most 7: the cast cannot truncate.
    (flags != 0).then(|| (flags.trailing_zeros() / 8) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word test finds the first special byte at every position,
    /// whatever follows it.
    #[test]
    fn the_first_special_byte_of_a_word_is_exact() {
        let fillers = [
            b'a', b'~', 0x7f, 0x80, 0xe9, 0xff, b' ', b'!', b'#', b'[', b']',
        ];
        let specials = [b'"', b'\\', 0x00, 0x01, 0x1f];
        for &filler in &fillers {
            assert_eq!(first_special(u64::from_le_bytes([filler; 8])), None);
            for at in 0..8 {
                for &special in &specials {
                    for &after in specials.iter().chain(&fillers) {
                        let mut bytes = [filler; 8];
                        bytes[at] = special;
                        bytes[at + 1..].fill(after);
                        let w = u64::from_le_bytes(bytes);
                        assert_eq!(first_special(w), Some(at), "{bytes:?}");
                    }
                }
            }
        }
    }

    /// A word has a special byte exactly when the table says one of its
    /// bytes is, for every byte value at every position.
    #[test]
    fn the_word_test_agrees_with_the_table() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut bytes = [b'a'; 8];
                bytes[at] = b;
                assert_eq!(
                    has_special(u64::from_le_bytes(bytes)),
                    SPECIAL[usize::from(b)],
                    "{b} at {at}"
                );
            }
        }
    }
}
