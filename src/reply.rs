//! The platform-neutral reply the core returns, the caveat footer, and the
//! plain-text rendering used by the CLI and the console. Adapters render the
//! same `Reply` within their own platform's limits.

use serde::Serialize;
use std::fmt::Write as _;

use crate::knowledge::{Claim, ClaimStatus, Entry};

/// Enough of an entry to name it in a reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryRef {
    pub id: String,
    pub topic: String,
    pub question: String,
}

impl From<&Entry> for EntryRef {
    fn from(e: &Entry) -> Self {
        EntryRef { id: e.id.clone(), topic: e.topic.clone(), question: e.question.clone() }
    }
}

/// A "did you mean" candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub id: String,
    pub question: String,
    pub score: f64,
}

/// The caveat under an answer: the claims nobody has verified (disputed
/// first), the disclaimer, and the entry id to ask for the full claim list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Footer {
    /// Shortened claim texts with their status, at most the configured number.
    pub claims: Vec<(String, ClaimStatus)>,
    /// Unchecked claims not named for lack of room.
    pub more: usize,
    pub disclaimer: String,
    pub entry_id: String,
}

impl Footer {
    pub fn new(entry: &Entry, disclaimer: &str, max_claims: usize, max_chars: usize) -> Self {
        let unchecked = entry.unchecked_claims();
        let claims: Vec<(String, ClaimStatus)> =
            unchecked.iter().take(max_claims).map(|c| (shorten(&c.text, max_chars), c.status)).collect();
        Footer {
            more: unchecked.len() - claims.len(),
            claims,
            disclaimer: disclaimer.to_owned(),
            entry_id: entry.id.clone(),
        }
    }

    /// The footer as text. `claims_command` is how this platform asks for the
    /// claim list, e.g. "/claims" or "!claims".
    pub fn render(&self, claims_command: &str) -> String {
        let mut out = String::new();
        for (status, heading) in [
            (ClaimStatus::Disputed, "Disputed (the FAQ contradicts itself):"),
            (ClaimStatus::Unverified, "Not verified by anyone yet:"),
        ] {
            let claims: Vec<&str> = self.claims.iter().filter(|(_, s)| *s == status).map(|(t, _)| t.as_str()).collect();
            if !claims.is_empty() {
                let _ = writeln!(out, "{heading}");
                for claim in claims {
                    let _ = writeln!(out, "• {claim}");
                }
            }
        }
        if self.more > 0 {
            let _ = writeln!(out, "…and {} more unchecked claim{}.", self.more, if self.more == 1 { "" } else { "s" });
        }
        if self.claims.is_empty() {
            let _ = writeln!(out, "Every claim in this answer has been verified.");
        }
        let _ = write!(out, "{} Full claim list: {claims_command} {}", self.disclaimer, self.entry_id);
        out
    }
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

/// A topic and how many entries it holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicSummary {
    pub name: String,
    pub entries: usize,
}

/// What changed in a reload.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReloadReport {
    pub entries: usize,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
    pub unverified: usize,
    pub disputed: usize,
    pub verified: usize,
    pub warnings: Vec<String>,
}

/// Unanswered questions that read the same, with the nearest entry and its
/// score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnansweredGroup {
    pub question: String,
    pub count: usize,
    pub nearest: Option<Nearest>,
}

/// The entry closest to an unanswered question, and how close.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nearest {
    pub entry: EntryRef,
    pub score: f64,
}

/// Everything the core can say back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    Answer {
        entry: EntryRef,
        answer: String,
        confidence: f64,
        claims: Vec<Claim>,
        footer: Footer,
    },
    Suggest {
        suggestions: Vec<Suggestion>,
        confidence: f64,
    },
    NoMatch {
        topics: Vec<String>,
        confidence: f64,
    },
    Topics {
        topics: Vec<TopicSummary>,
    },
    Topic {
        name: String,
        entries: Vec<EntryRef>,
    },
    Claims {
        entry: EntryRef,
        claims: Vec<Claim>,
    },
    Help {
        commands: Vec<(String, String)>,
    },
    Reloaded(ReloadReport),
    /// The most asked unanswered questions; `total` counts every group.
    Unanswered {
        groups: Vec<UnansweredGroup>,
        total: usize,
    },
    /// Something the user can fix: an unknown command, a bad argument, a
    /// refused permission, a reload that failed (the old knowledge stays).
    Error {
        message: String,
    },
}

impl Reply {
    pub fn error(message: impl Into<String>) -> Reply {
        Reply::Error { message: message.into() }
    }

    /// `answer`, `suggest` or `none` for matching replies.
    pub fn outcome(&self) -> Option<&'static str> {
        match self {
            Reply::Answer { .. } => Some("answer"),
            Reply::Suggest { .. } => Some("suggest"),
            Reply::NoMatch { .. } => Some("none"),
            _ => None,
        }
    }

    /// Plain text for a terminal. `prefix` is the command prefix ("/" or "!").
    pub fn render_plain(&self, prefix: &str) -> String {
        let mut out = String::new();
        match self {
            Reply::Answer { entry, answer, confidence, footer, .. } => {
                let _ = writeln!(out, "Q: {}", entry.question);
                let _ = writeln!(out, "{answer}");
                let _ = writeln!(out, "(match confidence {confidence:.2})");
                let _ = writeln!(out, "--");
                let _ = write!(out, "{}", footer.render(&format!("{prefix}claims")));
            }
            Reply::Suggest { suggestions, .. } => {
                let _ = writeln!(out, "I'm not sure which question you mean. Did you mean:");
                for (i, s) in suggestions.iter().enumerate() {
                    let _ = writeln!(out, "  {}. {}", i + 1, s.question);
                }
                let _ = write!(out, "Reply with a number (0 for none of these), or ask again in other words.");
            }
            Reply::NoMatch { topics, .. } => {
                let _ = write!(
                    out,
                    "I don't have an answer to that. I know about: {}. Try {prefix}topics, or ask in other words.",
                    topics.join(", ")
                );
            }
            Reply::Topics { topics } => {
                let _ = writeln!(out, "Topics:");
                for t in topics {
                    let _ =
                        writeln!(out, "  {} ({} question{})", t.name, t.entries, if t.entries == 1 { "" } else { "s" });
                }
                let _ = write!(out, "Type {prefix}topic NAME to see its questions.");
            }
            Reply::Topic { name, entries } => {
                let _ = writeln!(out, "{name}:");
                for e in entries {
                    let _ = writeln!(out, "  - {}", e.question);
                }
                out.pop();
            }
            Reply::Claims { entry, claims } => {
                let _ = writeln!(out, "Claims in the answer to \"{}\":", entry.question);
                for c in claims {
                    let _ = write!(out, "  [{}] {}", c.status.as_str(), c.text);
                    if let Some(source) = &c.source {
                        let _ = write!(out, " (source: {source})");
                    }
                    if let Some(note) = &c.note {
                        let _ = write!(out, " (note: {note})");
                    }
                    out.push('\n');
                }
                if claims.is_empty() {
                    let _ = writeln!(out, "  (no claims recorded)");
                }
                out.pop();
            }
            Reply::Help { commands } => {
                let _ = writeln!(out, "Ask a question in your own words, or use a command:");
                for (command, what) in commands {
                    let _ = writeln!(out, "  {prefix}{command:<14} {what}");
                }
                out.pop();
            }
            Reply::Reloaded(r) => {
                let _ = write!(
                    out,
                    "Reloaded: {} entries ({} added, {} removed, {} changed); claims: {} unverified, {} disputed, {} verified.",
                    r.entries,
                    r.added.len(),
                    r.removed.len(),
                    r.changed.len(),
                    r.unverified,
                    r.disputed,
                    r.verified
                );
                for (label, ids) in [("added", &r.added), ("removed", &r.removed), ("changed", &r.changed)] {
                    if !ids.is_empty() {
                        let _ = write!(out, "\n  {label}: {}", ids.join(", "));
                    }
                }
                for w in &r.warnings {
                    let _ = write!(out, "\n  warning: {w}");
                }
            }
            Reply::Unanswered { groups, total } => {
                if groups.is_empty() {
                    let _ = write!(out, "No unanswered questions recorded.");
                } else {
                    let _ = write!(out, "Unanswered questions, most asked first ({} of {total}):", groups.len());
                }
                for g in groups {
                    let _ = write!(out, "\n  {}× \"{}\"", g.count, g.question);
                    if let Some(Nearest { entry, score }) = &g.nearest {
                        let _ = write!(out, " (nearest: {} at {score:.2})", entry.id);
                    }
                }
            }
            Reply::Error { message } => {
                let _ = write!(out, "{message}");
            }
        }
        out
    }
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
}
