//! Text helpers every layer may use: cutting text to a length at a word
//! or clause, English plurals, and an error with its causes on one line.
//! A leaf: imports nothing from the crate.

/// The plural ending of a count: "s" unless there is exactly one, as in
/// `format!("{n} claim{}", plural(n))`.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A claim shortened to at most `max` characters for the footer: whole when
/// it fits; else cut after the last clause (a comma, semicolon, colon or
/// dash) that keeps at least half of it, else at the last word; never
/// inside a word. The full text is one command away.
pub fn shorten_claim(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let head: String = text.chars().take(max.saturating_sub(1)).collect();
    let clause = head
        .char_indices()
        .filter(|(i, c)| matches!(c, ',' | ';' | ':' | '—' | '–') && *i > head.len() / 2)
        .map(|(i, _)| i)
        .next_back();
    let cut = match clause {
        Some(i) => &head[..i],
        None => match head.rfind(' ') {
            Some(i) => &head[..i],
            // One enormous word: cut it rather than say nothing.
            None => head.as_str(),
        },
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ', '—', '–']))
}

/// Shortens text to at most `max` characters at a word boundary, with "…".
pub fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ']))
}

/// An error with its causes, "error sending request: connection refused":
/// HTTP clients put the part an operator needs in the source chain.
pub(crate) fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_at_a_word() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("the quick brown fox jumps", 12), "the quick…");
        assert!(shorten(&"x".repeat(50), 10).chars().count() <= 10);
    }

    #[test]
    fn plural_is_empty_for_one() {
        assert_eq!((plural(0), plural(1), plural(2)), ("s", "", "s"));
    }
}
