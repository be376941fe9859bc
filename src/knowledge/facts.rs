//! Reading checkable facts out of prose: sentences, bill and statute names,
//! years, named organisations and programmes. The importer uses it to pick
//! claims; the lint uses it to find the same bill given different years.

use regex::Regex;
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// Splits prose into sentences. Numbered list markers ("2. ") are dropped and
/// common abbreviations ("Gov.", "U.S.", "v.") do not end a sentence.
pub(crate) fn sentences(text: &str) -> Vec<String> {
    const NOT_AN_END: &[&str] = &[
        "gov.", "sen.", "rep.", "st.", "no.", "v.", "vs.", "u.s.", "dr.", "mr.", "ms.", "mrs.", "inc.", "e.g.", "i.e.",
        "jan.", "feb.", "aug.", "sept.", "oct.", "nov.", "dec.", "s.b.", "h.b.",
    ];
    let mut out = Vec::new();
    for line in text.lines() {
        let line = strip_list_marker(line.trim());
        // Byte offsets of word starts and ends; a sentence ends after a word
        // ending in . ? or ! when the next word starts a sentence.
        let words: Vec<(usize, usize)> = line
            .split_whitespace()
            .map(|w| {
                let start = w.as_ptr() as usize - line.as_ptr() as usize;
                (start, start + w.len())
            })
            .collect();
        let mut start: Option<usize> = None;
        for (i, &(ws, we)) in words.iter().enumerate() {
            let first = *start.get_or_insert(ws);
            let word = &line[ws..we];
            let ends = word.ends_with(['.', '?', '!'])
                || word.ends_with(".)")
                || word.ends_with(".\"")
                || word.ends_with(".”");
            if !ends {
                continue;
            }
            let next_starts = words
                .get(i + 1)
                .and_then(|&(ns, ne)| line[ns..ne].trim_start_matches(['"', '“', '(']).chars().next())
                .is_none_or(|c| c.is_uppercase() || c.is_ascii_digit());
            if next_starts && !NOT_AN_END.iter().any(|a| a.eq_ignore_ascii_case(word)) {
                out.push(line[first..we].to_owned());
                start = None;
            }
        }
        if let Some(first) = start {
            out.push(line[first..].trim_end().to_owned());
        }
    }
    out
}

/// "2. Text" → "Text"; "(3) Text" and "4) Text" too.
fn strip_list_marker(line: &str) -> &str {
    let rest = line.strip_prefix('(').unwrap_or(line);
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 2 {
        return line;
    }
    let after = &rest[digits..];
    match after.strip_prefix(['.', ')']) {
        Some(tail) if tail.starts_with(char::is_whitespace) => tail.trim_start(),
        _ => line,
    }
}

/// Canonical names of the bills, acts and statute sections a sentence
/// mentions: "Senate Bill 12", "SB 12" and "S.B. 12" are all "SB 12".
pub(crate) fn bills(sentence: &str) -> BTreeSet<String> {
    static NUMBERED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(senate|house)\s+bill\s+(?:no\.?\s*)?(\d+)\b|\b([sh])\.?\s?b\.?\s?(\d+)\b").unwrap()
    });
    static ACT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b((?:[A-Z][\w’'-]*\s+)(?:(?:of|and|for|the|[A-Z][\w’'-]*)\s+)*)Act\b").unwrap());
    let mut found = BTreeSet::new();
    for c in NUMBERED.captures_iter(sentence) {
        let (chamber, number) = match (c.get(1), c.get(2), c.get(3), c.get(4)) {
            (Some(ch), Some(n), _, _) => (ch.as_str().chars().next().unwrap_or('s'), n.as_str()),
            (_, _, Some(ch), Some(n)) => (ch.as_str().chars().next().unwrap_or('s'), n.as_str()),
            _ => continue,
        };
        found.insert(format!("{}B {number}", chamber.to_ascii_uppercase()));
    }
    for c in ACT.captures_iter(sentence) {
        let name = c[1].trim();
        // "The Act" alone names nothing.
        if name.split_whitespace().any(|w| !matches!(w, "The" | "the" | "This" | "A")) {
            found.insert(format!("{} Act", name.trim_start_matches("the ").trim_start_matches("The ")));
        }
    }
    found
}

/// Four-digit years (1900–2099) a sentence mentions.
pub(crate) fn years(sentence: &str) -> BTreeSet<u16> {
    // A hand-written scan: this runs on every sentence of every answer at
    // load time, and a regex costs several times as much.
    let bytes = sentence.as_bytes();
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let word_before = start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let word_after = i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_');
        if i - start == 4
            && !word_before
            && !word_after
            && matches!(&bytes[start..start + 2], b"19" | b"20")
            && let Ok(year) = sentence[start..i].parse()
        {
            found.insert(year);
        }
    }
    found
}

/// Whether a sentence reports a law being made (signed, passed, enacted…):
/// the event that has one true year. Other events (a ruling, an amendment,
/// a lawsuit) legitimately carry other years.
pub(crate) fn is_enactment(sentence: &str) -> bool {
    const MADE: &[&str] = &["signed", "passed", "enacted", "adopted", "approved", "became law"];
    let lower = sentence.to_ascii_lowercase();
    MADE.iter().any(|word| {
        lower.match_indices(word).any(|(i, _)| {
            let before = lower[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
            let after = lower[i + word.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric());
            before && after
        })
    })
}

/// Whether a sentence opens by referring back to a law named just before
/// ("The law was passed in 2019"), so its facts belong to that law.
pub(crate) fn refers_back(sentence: &str) -> bool {
    static BACK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?i)(the|this|that)\s+(law|bill|act|statute|measure)\b|^(?i)it\s").unwrap());
    BACK.is_match(sentence.trim())
}

/// Named things a sentence mentions: runs of two or more capitalised words
/// ("Secure Communities", "Department of Homeland Security") and acronyms.
pub(crate) fn named_things(sentence: &str) -> BTreeSet<String> {
    static RUN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b[A-Z][\w’'-]*(?:\s+(?:(?:of|and|for|the|on)\s+)?[A-Z][\w’'-]*)+|\b[A-Z]{2,6}\b").unwrap()
    });
    RUN.find_iter(sentence)
        .map(|m| m.as_str().trim_end_matches(['’', '\'']).trim_end_matches("’s").to_owned())
        .filter(|m| !m.is_empty())
        .collect()
}

/// Headings of an answer's list items: "2. Loss of federal funding: …"
/// gives "Loss of federal funding".
pub(crate) fn headings(text: &str) -> Vec<String> {
    if !text.contains(':') {
        return Vec::new();
    }
    static HEADING: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?m)^\s*\(?\d{1,2}[.)]\s+([^:.?!\n]{3,80}):").unwrap());
    HEADING.captures_iter(text).map(|c| c[1].trim().to_owned()).filter(|h| h.split_whitespace().count() <= 8).collect()
}

/// Whether a sentence holds a number other than a list marker: an amount,
/// a count, a percentage, a section number.
pub(crate) fn has_number(sentence: &str) -> bool {
    static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d").unwrap());
    NUMBER.is_match(sentence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_markers_and_abbreviations() {
        assert_eq!(sentences("(2) Two. Three"), ["Two.", "Three"]);
        assert_eq!(sentences("The U.S. Senate met. Then"), ["The U.S. Senate met.", "Then"]);
        assert_eq!(sentences("2019. The year"), ["2019.", "The year"]);
        assert_eq!(sentences("  "), Vec::<String>::new());
    }

    #[test]
    fn splits_sentences_and_drops_list_markers() {
        let s = sentences("1. Gov. Smith signed it. It took effect in 2017.\n2. Second point here.");
        assert_eq!(s, ["Gov. Smith signed it.", "It took effect in 2017.", "Second point here."]);
    }

    #[test]
    fn bill_names_normalise() {
        for text in ["Senate Bill 1234", "SB 1234", "S.B. 1234", "SB1234", "senate bill no. 1234"] {
            assert_eq!(bills(text).into_iter().collect::<Vec<_>>(), ["SB 1234"], "{text}");
        }
        assert!(bills("the Springfield Tenant Protection Act requires").contains("Springfield Tenant Protection Act"));
        assert!(bills("The Act says").is_empty());
    }

    #[test]
    fn years_and_events() {
        assert_eq!(years("in 2017 and 2019, not 1234 or 20190").into_iter().collect::<Vec<_>>(), [2017, 2019]);
        assert!(is_enactment("The law was passed in 2019"));
        assert!(!is_enactment("a federal judge ruled in 2017"));
        assert!(refers_back("The law was passed in 2019 and required"));
        assert!(!refers_back("Laws were passed"));
    }

    #[test]
    fn headings_of_list_items() {
        let h = headings(
            "Intro.\n1. Loss of federal funding: money goes.\n2. No heading here.\n3. Legal repercussions: suits.",
        );
        assert_eq!(h, ["Loss of federal funding", "Legal repercussions"]);
    }

    #[test]
    fn named_things_are_capitalised_runs_and_acronyms() {
        let n = named_things("the Southern Poverty Law Center (SPLC) and the Department of Homeland Security");
        assert!(n.contains("Southern Poverty Law Center"));
        assert!(n.contains("SPLC"));
        assert!(n.contains("Department of Homeland Security"));
    }
}
