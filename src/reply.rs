//! The platform-neutral reply the core returns, the caveat footer, and the
//! plain-text rendering used by the CLI and the console. Adapters render the
//! same `Reply` within their own platform's limits.

use serde::Serialize;
use std::fmt::Write as _;

use crate::knowledge::{ClaimStatus, Entry, KnowledgeBase};
use crate::records::Outcome;

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

/// How an answer was found, said in words under it (the number stays in
/// `--json`, the logs and the records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Found {
    /// The message is one of the entry's stored phrasings: nothing to say.
    Stored,
    /// The nearest stored question to a message worded differently.
    Closest,
    /// The asker picked it from "did you mean".
    Picked,
}

/// A claim on one side of a contradiction, with what the other side says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disputed {
    pub claim: String,
    /// What is dated differently (e.g. a bill), when the contradiction was
    /// found by the lint; `None` for a claim a moderator marked disputed.
    pub subject: Option<String>,
    /// The years this answer gives it.
    pub here: Vec<u16>,
    /// The other entries and the years they give.
    pub elsewhere: Vec<(String, u16)>,
}

/// Everything under an answer: how it was found, the claims nobody has
/// verified (disputed ones first, with the other side), or — when every
/// claim is verified — when and against what; the knowledge's disclaimer;
/// and the entry id to ask for the full claim list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Footer {
    pub found: Found,
    pub disputed: Vec<Disputed>,
    /// Unverified claim texts, each whole or cut at a clause or word.
    pub unverified: Vec<String>,
    /// Unchecked claims not named for lack of room.
    pub more: usize,
    /// When every claim is verified: "2026-11-02: source" per check.
    pub checked: Vec<String>,
    /// `None` when every claim is verified: a checked answer is not an
    /// unreviewed one.
    pub disclaimer: Option<String>,
    pub entry_id: String,
}

/// What the footer is made from besides the entry.
pub struct FooterSettings<'a> {
    /// The knowledge's own disclaimer (the entry's file's, else the config's).
    pub disclaimer: &'a str,
    pub max_claims: usize,
    pub max_chars: usize,
}

impl Footer {
    pub fn new(kb: &KnowledgeBase, entry: &Entry, found: Found, settings: &FooterSettings) -> Self {
        let unchecked = kb.unchecked_claims(entry);
        let shown = unchecked.len().min(settings.max_claims);
        let mut disputed = Vec::new();
        let mut unverified = Vec::new();
        for (status, claim) in &unchecked[..shown] {
            let text = crate::text::shorten_claim(&claim.text, settings.max_chars);
            match status {
                ClaimStatus::Disputed => {
                    let side = kb.disputes.other_side(entry, claim);
                    disputed.push(match side {
                        Some(side) => Disputed {
                            claim: text,
                            subject: Some(side.subject),
                            here: side.here,
                            elsewhere: side.elsewhere,
                        },
                        None => Disputed { claim: text, subject: None, here: Vec::new(), elsewhere: Vec::new() },
                    });
                }
                _ => unverified.push(text),
            }
        }
        let all_verified = !entry.claims.is_empty() && unchecked.is_empty();
        let mut checked: Vec<String> = if all_verified {
            entry
                .claims
                .iter()
                .filter_map(|c| {
                    let source = c.source.as_deref()?;
                    Some(match &c.checked {
                        Some(date) => format!("{date}: {source}"),
                        None => source.to_owned(),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        checked.sort();
        checked.dedup();
        Footer {
            found,
            disputed,
            unverified,
            more: unchecked.len() - shown,
            checked,
            disclaimer: (!all_verified).then(|| settings.disclaimer.to_owned()),
            entry_id: entry.id.clone(),
        }
    }

    /// How the answer was found, in words; `None` when there is nothing to
    /// say (the message was a stored question). `prefix` is the platform's
    /// command prefix.
    pub fn found_line(&self, prefix: &str) -> Option<String> {
        match self.found {
            Found::Stored => None,
            Found::Closest => Some(format!(
                "Closest stored question to what you asked — not it? Ask in other words, or {prefix}topics."
            )),
            Found::Picked => Some("You picked this from the suggestions.".to_owned()),
        }
    }

    /// One disputed claim with the other side, e.g. "SB 12 was passed in
    /// 2019 — this answer says 2019; the answer "history" says 2017
    /// (/claims history)".
    pub fn dispute_line(d: &Disputed, claims_command: &str) -> String {
        let Some(subject) = &d.subject else { return d.claim.clone() };
        let years = |ys: &[u16]| ys.iter().map(u16::to_string).collect::<Vec<_>>().join(" and ");
        let claim = d.claim.trim_end_matches('.');
        // Name what is dated only when the claim does not.
        let about = if claim.contains(subject.as_str()) { String::new() } else { format!("{subject}: ") };
        let mut line = format!("{claim} — {about}this answer says {}", years(&d.here));
        for (entry, year) in &d.elsewhere {
            let _ = write!(line, "; the answer \"{entry}\" says {year} ({claims_command} {entry})");
        }
        line
    }

    /// The footer as text: how the answer was found, the disputed and
    /// unverified claims (or the checks), the disclaimer and where the full
    /// claim list is. `claims_command` is how this platform asks for it
    /// ("/claims", "!claims"); `prefix` its command prefix.
    pub fn render(&self, claims_command: &str, prefix: &str) -> String {
        let mut out = String::new();
        if let Some(found) = self.found_line(prefix) {
            let _ = writeln!(out, "{found}");
        }
        if !self.disputed.is_empty() {
            let _ = writeln!(out, "Disputed — the FAQ contradicts itself:");
            for d in &self.disputed {
                let _ = writeln!(out, "• {}", Footer::dispute_line(d, claims_command));
            }
        }
        if !self.unverified.is_empty() {
            let _ = writeln!(out, "Not verified by anyone yet:");
            for claim in &self.unverified {
                let _ = writeln!(out, "• {claim}");
            }
        }
        if self.more > 0 {
            let _ = writeln!(out, "…and {} more unchecked claim{}.", self.more, crate::text::plural(self.more));
        }
        for check in &self.checked {
            let _ = writeln!(out, "✓ Checked {check}");
        }
        if let Some(disclaimer) = &self.disclaimer {
            let _ = write!(out, "{disclaimer} ");
        }
        let _ = write!(out, "Full claim list: {claims_command} {}", self.entry_id);
        out
    }
}

/// A claim as an answer shows it: its text and notes with the status it is
/// shown with (disputed when the knowledge contradicts itself on it, though
/// written unverified).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownClaim {
    pub status: ClaimStatus,
    pub text: String,
    pub source: Option<String>,
    pub note: Option<String>,
}

impl ShownClaim {
    /// The claims of `entry`, in order, as shown.
    pub fn of(kb: &KnowledgeBase, entry: &Entry) -> Vec<ShownClaim> {
        kb.claims(entry)
            .map(|(status, c)| ShownClaim {
                status,
                text: c.text.clone(),
                source: c.source.clone(),
                note: c.note.clone(),
            })
            .collect()
    }
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
        claims: Vec<ShownClaim>,
        footer: Footer,
    },
    Suggest {
        suggestions: Vec<Suggestion>,
        confidence: f64,
    },
    NoMatch {
        topics: Vec<String>,
        confidence: f64,
        /// Set when the message reads as another language: said first, in it.
        #[serde(skip_serializing_if = "Option::is_none")]
        language: Option<crate::language::Notice>,
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
        claims: Vec<ShownClaim>,
    },
    Help {
        commands: Vec<(String, String)>,
    },
    /// What is kept of what people ask: for `kept_days` days, or nothing
    /// (`None`) when the bot keeps no records.
    Privacy {
        kept_days: Option<u64>,
    },
    Reloaded(ReloadReport),
    /// The most asked unanswered questions; `total` counts every group.
    Unanswered {
        groups: Vec<UnansweredGroup>,
        total: usize,
    },
    /// A short word back that is not an error (a declined pick noted).
    Notice {
        message: String,
    },
    /// Something the user can fix: an unknown command, a bad argument, a
    /// refused permission, a reload that failed (the old knowledge stays).
    Error {
        message: String,
    },
}

/// What the bot keeps of what people ask, as a heading and points, the
/// same on every platform. It says what `records` stores: the text of a
/// question only when nothing answered it (or its suggestions were turned
/// down), never who asked; votes under a keyed hash; every record tagged
/// with its community, which only that community's moderators and the
/// operator see.
pub fn privacy(kept_days: Option<u64>) -> (&'static str, Vec<String>) {
    let Some(days) = kept_days else {
        return ("I keep no record of what you ask: record keeping is off on this bot.", Vec::new());
    };
    (
        "What I keep of what you ask:",
        vec![
            format!(
                "A question I could not answer (or whose suggestions you turned down) is kept as text for {days} days, without who asked, so that an answer can be added."
            ),
            "Those questions are read by the moderators of the server or room they were asked in (never by moderators elsewhere) and by the person who runs this bot.".to_owned(),
            "For a question I answer, only which answer I gave is counted; the question is not kept.".to_owned(),
            "A 👍 or 👎 on an answer counts once per person, kept as a keyed hash, not your account.".to_owned(),
            "Where I listen without being asked, a message I do not answer is neither answered nor kept.".to_owned(),
        ],
    )
}

impl Reply {
    pub fn error(message: impl Into<String>) -> Reply {
        Reply::Error { message: message.into() }
    }

    /// `answer`, `suggest` or `none` for matching replies.
    pub fn outcome(&self) -> Option<Outcome> {
        match self {
            Reply::Answer { .. } => Some(Outcome::Answer),
            Reply::Suggest { .. } => Some(Outcome::Suggest),
            Reply::NoMatch { .. } => Some(Outcome::None),
            _ => None,
        }
    }

    /// Plain text for a terminal. `prefix` is the command prefix ("/" or "!").
    pub fn render_plain(&self, prefix: &str) -> String {
        let mut out = String::new();
        match self {
            Reply::Answer { entry, answer, footer, .. } => {
                let _ = writeln!(out, "Q: {}", entry.question);
                let _ = writeln!(out, "{answer}");
                let _ = writeln!(out, "--");
                let _ = write!(out, "{}", footer.render(&format!("{prefix}claims"), prefix));
            }
            Reply::Suggest { suggestions, .. } => {
                let _ = writeln!(out, "I'm not sure which question you mean. Did you mean:");
                for (i, s) in suggestions.iter().enumerate() {
                    let _ = writeln!(out, "  {}. {}", i + 1, s.question);
                }
                let _ = write!(out, "Reply with a number (0 for none of these), or ask again in other words.");
            }
            Reply::NoMatch { topics, language: Some(notice), .. } => {
                let _ = write!(
                    out,
                    "{} {}.\n{} Topics: {prefix}topics.",
                    notice.text,
                    topics.join(", "),
                    crate::language::IN_ENGLISH
                );
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
                    let _ = writeln!(out, "  {} ({} question{})", t.name, t.entries, crate::text::plural(t.entries));
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
            Reply::Privacy { kept_days } => {
                let (head, points) = privacy(*kept_days);
                out.push_str(head);
                for point in points {
                    let _ = write!(out, "\n• {point}");
                }
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
            Reply::Notice { message } | Reply::Error { message } => {
                let _ = write!(out, "{message}");
            }
        }
        out
    }
}
