//! Text normalisation shared by stored questions and chat messages: Unicode
//! NFKC, case, apostrophes and possessives, `12(b)` → `12b`, punctuation and
//! general chat abbreviations. Both sides of a comparison go through the same code, so
//! whatever it does to a message it also does to the knowledge.

use rustc_hash::FxHashMap;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

/// Longest message prefix that is matched (see [`clip`]). Chat messages are short; a
/// 20 KB paste is cut here so matching time stays bounded, and nothing useful
/// for picking an FAQ entry lives past the first few hundred words.
pub const MAX_INPUT_CHARS: usize = 2_000;

/// General chat abbreviations expanded when they stand alone as a word. Only
/// forms that are not themselves English words a question would use (so "us"
/// and "it" stay). Abbreviations of one subject ("sf" for a city, "sb" for
/// a senate bill) belong to a knowledge base and are written in its files.
/// Expansions contain no abbreviation, which keeps normalisation idempotent.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("u", "you"),
    ("ur", "your"),
    ("r", "are"),
    ("w", "with"),
    ("w/", "with"),
    ("w/o", "without"),
    ("n", "and"),
    ("ppl", "people"),
    ("bc", "because"),
    ("b/c", "because"),
    ("cuz", "because"),
    ("rn", "right now"),
    ("atm", "at the moment"),
    ("govt", "government"),
    ("dept", "department"),
    ("info", "information"),
    ("pls", "please"),
    ("plz", "please"),
    ("thx", "thanks"),
    ("bout", "about"),
    ("abt", "about"),
    ("gonna", "going to"),
    ("wanna", "want to"),
    ("gotta", "got to"),
    ("whats", "what is"),
    ("hows", "how is"),
    ("wheres", "where is"),
    ("whos", "who is"),
    ("dont", "do not"),
    ("doesnt", "does not"),
    ("cant", "can not"),
    ("isnt", "is not"),
    ("im", "i am"),
    ("ya", "you"),
    ("yr", "year"),
    ("yrs", "years"),
    ("esp", "especially"),
];

/// Normalise a piece of text into lowercase words separated by single spaces.
///
/// Idempotent: `normalise(&normalise(x)) == normalise(x)` (a property test
/// holds this).
pub fn normalise(text: &str) -> String {
    let mut out = normalise_once(text);
    // Dropping an apostrophe or a hyphen inside a word can bring together
    // characters that compose ("𑎋'\u{113c2}") or a Latin letter and an
    // accent ("e'\u{301}"), which a second reading would fold: read again
    // until nothing changes, so the result is a fixed point. ASCII never
    // composes, and in practice the second reading is the last.
    for _ in 0..4 {
        if out.is_ascii() {
            break;
        }
        let again = normalise_once(&out);
        if again == out {
            break;
        }
        out = again;
    }
    out
}

fn normalise_once(text: &str) -> String {
    // Zero-width and other format characters are dropped, not turned into
    // separators, so "P\u{200b}ERMIT" reads as "permit" the way a person sees it.
    // ASCII text (most chat, all of the shipped knowledge) is already in
    // NFKC and has no invisible characters: lowercasing is all it needs.
    let folded: String = if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        fold_accent_chars(text.nfkc().flat_map(char::to_lowercase).nfkc().filter(|c| !is_invisible(*c)))
    };

    let mut out = String::with_capacity(folded.len() + 16);
    let mut push = |word: &str| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    };
    for raw in folded.split(|c: char| c.is_whitespace()) {
        if raw.is_empty() {
            continue;
        }
        // The common case: a plain word, perhaps with punctuation around it.
        let plain = raw.trim_end_matches([',', '.', ';', ':', '?', '!', ')', '"']).trim_start_matches(['(', '"']);
        if !plain.is_empty() && plain.bytes().all(|b| b.is_ascii_alphanumeric()) {
            push(abbreviation(plain).unwrap_or(plain));
            continue;
        }
        let undotted = undot_initialism(raw.trim_end_matches(['?', '!', ',', ';', ':']));
        let raw = undotted.as_deref().unwrap_or(raw);
        if let Some(expansion) =
            abbreviation(raw.trim_matches(|c: char| matches!(c, '?' | '!' | ',' | ';' | ':' | '.' | '"' | '(' | ')')))
        {
            push(expansion);
            continue;
        }
        for word in split_word(raw) {
            push(abbreviation(&word).unwrap_or(&word));
        }
    }
    out
}

/// The first [`MAX_INPUT_CHARS`] characters, ending at a word boundary so no
/// half word reaches the matcher.
pub fn clip(text: &str) -> &str {
    let Some((end, _)) = text.char_indices().nth(MAX_INPUT_CHARS) else { return text };
    let head = &text[..end];
    match head.rfind(char::is_whitespace) {
        Some(space) if space > 0 => &head[..space],
        _ => head,
    }
}

/// Latin letters without their accents ("médico" → "medico", "año" →
/// "ano"): people typing on phones leave them out as often as not, and the
/// sentence model reads text without them too. Only marks on a Latin letter
/// go; other scripts' marks carry the word.
pub fn fold_accents(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    fold_accent_chars(text.chars())
}

fn fold_accent_chars(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    // Whether the base letter the marks being read sit on is Latin; marks
    // of any kind keep it (decomposition orders a letter's marks by class,
    // so an accent may follow another script's mark on the same letter).
    let mut latin_base = false;
    for c in chars.collect::<String>().nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            if latin_base && ('\u{0300}'..='\u{036f}').contains(&c) {
                continue;
            }
        } else {
            latin_base = c.is_ascii_alphabetic();
        }
        out.push(c);
    }
    out.nfc().collect()
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// "u.s." → "us", "s.b." → "sb": dotted initialisms become one word.
fn undot_initialism(word: &str) -> Option<String> {
    let letters: Vec<&str> = word.split('.').collect();
    let initialism = letters.len() >= 3
        && letters.last() == Some(&"")
        && letters[..letters.len() - 1].iter().all(|l| l.chars().count() == 1 && l.chars().all(char::is_alphabetic));
    initialism.then(|| letters.concat())
}

fn abbreviation(word: &str) -> Option<&'static str> {
    static TABLE: LazyLock<FxHashMap<&str, &str>> = LazyLock::new(|| ABBREVIATIONS.iter().copied().collect());
    TABLE.get(word).copied()
}

/// Splits one whitespace-separated chunk into normalised words: apostrophes
/// and possessives folded, `12(b)` kept as `12b`, `e-mail` as `email`,
/// every other non-alphanumeric character a separator.
fn split_word(raw: &str) -> Vec<String> {
    // Statute sections such as 12(b) or 1373(a): digits followed by a
    // parenthesised letter are one token, so "12(b)" and "12b" match.
    let mut cleaned = String::with_capacity(raw.len());
    let chars: Vec<char> = raw.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '('
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && i + 2 < chars.len()
            && chars[i + 1].is_alphabetic()
            && chars[i + 2] == ')'
        {
            cleaned.push(chars[i + 1]);
            i += 3;
            continue;
        }
        cleaned.push(match c {
            // Curly and modifier apostrophes all become the ASCII one.
            '\u{2019}' | '\u{2018}' | '\u{02bc}' | '\u{0060}' | '\u{00b4}' => '\'',
            other => other,
        });
        i += 1;
    }

    let mut out = Vec::new();
    for part in cleaned.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-')) {
        let part = part.trim_matches(|c| c == '\'' || c == '-');
        if part.is_empty() {
            continue;
        }
        // Hyphenated words are joined ("e-mail" → "email"; "anti-eviction"
        // → "antieviction" would lose "eviction", so only short prefixes join).
        let pieces: Vec<&str> = part.split('-').filter(|p| !p.is_empty()).collect();
        let joined_pieces: Vec<String> = if pieces.len() == 2 && pieces[0].chars().count() <= 1 {
            vec![format!("{}{}", pieces[0], pieces[1])]
        } else {
            pieces.iter().map(|p| (*p).to_owned()).collect()
        };
        for piece in joined_pieces {
            let word = strip_possessive(&piece);
            let word: String = word.chars().filter(|c| *c != '\'').collect();
            if !word.is_empty() && word.chars().any(char::is_alphanumeric) {
                out.push(word);
            }
        }
    }
    out
}

/// "city's" → "city", "states'" → "states"; contractions such
/// as "don't" keep their letters ("dont") and are expanded as abbreviations.
fn strip_possessive(word: &str) -> &str {
    word.strip_suffix("'s").unwrap_or(word)
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn folds_case_apostrophes_and_possessives() {
        assert_eq!(normalise("Springfield’s DMV policies?"), "springfield dmv policies");
        assert_eq!(normalise("SPRINGFIELD'S"), "springfield");
    }

    #[test]
    fn characters_brought_together_by_a_dropped_apostrophe_are_read_as_they_compose() {
        // Found by the property test: the apostrophe dropped, the two
        // characters compose, and a second reading must not change them.
        for text in ["\u{1138b}'\u{113c2}", "cafe'\u{301}", "x-\u{301}y"] {
            let once = normalise(text);
            assert_eq!(normalise(&once), once, "{text:?}");
        }
        assert_eq!(normalise("\u{1138b}'\u{113c2}"), "\u{1138e}");
    }

    #[test]
    fn statute_sections_match_with_or_without_parentheses() {
        assert_eq!(normalise("the 311(b) program"), normalise("the 311b program"));
        assert_eq!(normalise("311(B)"), "311b");
    }

    #[test]
    fn expands_chat_abbreviations_only_as_whole_words() {
        assert_eq!(normalise("does u have it"), "does you have it");
        assert_eq!(normalise("thx."), "thanks");
        assert_eq!(normalise("terms"), "terms");
        assert_eq!(normalise("cops w/ DMV rn"), "cops with dmv right now");
    }

    #[test]
    fn e_file_is_one_word() {
        assert_eq!(normalise("E-File"), "efile");
        assert_eq!(normalise("e file").split(' ').count(), 2);
    }

    #[test]
    fn full_width_and_zero_width_text_is_folded() {
        assert_eq!(normalise("ＤＭＶ"), "dmv");
        assert_eq!(normalise("D\u{200b}MV"), "dmv");
        assert_eq!(normalise("the U.S. govt"), "the us government");
        assert_eq!(normalise("S.B. 1234"), "sb 1234");
        assert_eq!(normalise("   "), "");
    }

    #[test]
    fn latin_accents_are_folded_and_other_scripts_kept() {
        assert_eq!(
            normalise("¿La BIBLIOTECA abrirá mañana por la tarde?"),
            normalise("la biblioteca abrira manana por la tarde")
        );
        assert_eq!(normalise("año"), "ano");
        assert_eq!(normalise("Καλημέρα"), "καλημέρα");
    }

    #[test]
    fn idempotent_on_samples() {
        let marks = ["À\u{16af0}", "Ç\u{ec8}"];
        for s in ["What's the DMV's role w/ SF?", "311(b)", "e-file law?", "<@42> hi", "SB 1234", "¿Qué pasa, señor?"]
            .into_iter()
            .chain(marks)
        {
            let once = normalise(s);
            assert_eq!(normalise(&once), once, "{s}");
        }
    }
}
