//! Writing knowledge back out as a TOML file a moderator can read and edit:
//! long text as multi-line strings, fields in the documented order. Used by
//! `import` and by the synthetic knowledge generator.

use std::fmt::Write as _;

use super::Entry;

/// A whole knowledge file.
pub fn to_toml(title: &str, source: &str, synonyms: &[Vec<String>], entries: &[Entry]) -> String {
    let mut out = String::with_capacity(entries.len() * 1024 + 256);
    let _ = writeln!(out, "title = {}", basic(title));
    let _ = writeln!(out, "source = {}", basic(source));
    let _ = writeln!(out, "synonyms = [");
    for group in synonyms {
        let terms: Vec<String> = group.iter().map(|t| basic(t)).collect();
        let _ = writeln!(out, "  [{}],", terms.join(", "));
    }
    let _ = writeln!(out, "]");
    for e in entries {
        let _ = writeln!(out, "\n[[entry]]");
        let _ = writeln!(out, "id = {}", basic(&e.id));
        let _ = writeln!(out, "topic = {}", basic(&e.topic));
        let _ = writeln!(out, "question = {}", basic(&e.question));
        let aliases: Vec<String> = e.aliases.iter().map(|a| basic(a)).collect();
        let _ = writeln!(out, "aliases = [{}]", aliases.join(", "));
        if !e.asked.is_empty() {
            let asked: Vec<String> = e.asked.iter().map(|a| basic(a)).collect();
            let _ = writeln!(out, "asked = [{}]", asked.join(", "));
        }
        let _ = writeln!(out, "answer = {}", multiline(&e.answer));
        if let Some(reviewed) = &e.reviewed {
            let _ = writeln!(out, "reviewed = {reviewed}");
        }
        for claim in &e.claims {
            let _ = writeln!(out, "\n[[entry.claims]]");
            let _ = writeln!(out, "text = {}", basic(&claim.text));
            let _ = writeln!(out, "status = \"{}\"", claim.status.as_str());
            if let Some(source) = &claim.source {
                let _ = writeln!(out, "source = {}", basic(source));
            }
            if let Some(note) = &claim.note {
                let _ = writeln!(out, "note = {}", basic(note));
            }
        }
    }
    out
}

/// A one-line TOML basic string.
fn basic(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A TOML multi-line basic string that reads as the text itself.
fn multiline(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push('\n'),
            c if c.is_control() => {
                let _ = write!(escaped, "\\u{:04X}", c as u32);
            }
            c => escaped.push(c),
        }
    }
    format!("\"\"\"\n{escaped}\"\"\"")
}
