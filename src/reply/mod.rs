//! The platform-neutral reply [`crate::answer`] returns (its caveat footer
//! in [`footer`]) and the plain-text rendering used by the CLI and the
//! console. Adapters render the
//! same `Reply` within their own platform's limits.

use serde::Serialize;
use std::fmt::Write as _;

use crate::knowledge::Entry;
use crate::records::Outcome;

pub mod footer;
pub mod words;
pub use footer::*;
pub use words::{fill, words};

use crate::language::Lang;

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

impl EntryRef {
    /// The entry as named to an asker in `lang`: its translated question
    /// and topic where it has them.
    pub fn in_lang(e: &Entry, lang: Lang) -> Self {
        EntryRef { id: e.id.clone(), topic: e.topic_in(lang).to_owned(), question: e.question_in(lang).to_owned() }
    }
}

/// A "did you mean" candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub id: String,
    pub question: String,
    pub score: f64,
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
    /// The knowledge version now in use (see `KnowledgeBase::version`).
    pub version: Option<String>,
}

impl ReloadReport {
    /// One line: what changed and how many entries are served.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (what, ids) in [("added", &self.added), ("changed", &self.changed), ("removed", &self.removed)] {
            if !ids.is_empty() {
                let shown: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
                let more = if ids.len() > 5 { format!(" and {} more", ids.len() - 5) } else { String::new() };
                parts.push(format!("{what} {}{more}", shown.join(", ")));
            }
        }
        if parts.is_empty() {
            parts.push("nothing changed".to_owned());
        }
        match &self.version {
            Some(version) => format!("{}; {} entries; version {version}", parts.join("; "), self.entries),
            None => format!("{}; {} entries", parts.join("; "), self.entries),
        }
    }
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
        /// The language the answer is given in.
        lang: Lang,
        /// Said before the answer, in the asker's language, when the entry
        /// has no translation into it and the answer is as written.
        #[serde(skip_serializing_if = "Option::is_none")]
        lead: Option<String>,
    },
    Suggest {
        suggestions: Vec<Suggestion>,
        confidence: f64,
        lang: Lang,
    },
    /// A greeting, thanks or a question about the bot itself: a welcome
    /// with the topics and one example question.
    SmallTalk {
        talk: crate::small_talk::SmallTalk,
        topics: Vec<String>,
        example: Option<String>,
        lang: Lang,
    },
    NoMatch {
        topics: Vec<String>,
        confidence: f64,
        lang: Lang,
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
        /// The knowledge version the claims are read from.
        version: Option<String>,
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
    /// One page of the review queue: `first` is the number of the first
    /// group shown (numbers run over the whole queue), `total` counts every
    /// group.
    Review {
        groups: Vec<crate::review::ReviewGroup>,
        first: usize,
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

/// Topic names joined by commas, each between `bold` marks.
fn bolded(topics: &[String], bold: &str) -> String {
    format!("{bold}{}{bold}", topics.join(&format!("{bold}, {bold}")))
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
                "A question I could not answer, one I offered \"did you mean\" choices for (with the choice picked, or that you turned them down), and one whose answer got a 👎 (with that answer) is kept as text for {days} days, without who asked, so that the moderators can teach me to answer it."
            ),
            "Those questions are read by the moderators of the server or room they were asked in (never by moderators elsewhere) and by the person who runs this bot.".to_owned(),
            "For a question I answer outright, only which answer I gave is counted; the question is not kept.".to_owned(),
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

    /// The welcome a [`Reply::SmallTalk`] says, topics between `bold` marks
    /// (Discord's "**") and commands between `code` marks.
    pub fn small_talk_text(&self, prefix: &str, bold: &str, code: &str) -> String {
        use crate::small_talk::SmallTalk;
        let Reply::SmallTalk { talk, topics, example, lang } = self else { return String::new() };
        let words = words(*lang);
        let topics = bolded(topics, bold);
        let example = example.as_deref().map(|e| fill(words.for_example, &[("example", e)])).unwrap_or_default();
        let commands = fill(words.commands, &[("code", code), ("prefix", prefix)]);
        let template = match talk {
            SmallTalk::Greeting => words.greeting,
            SmallTalk::Thanks => words.thanks,
            SmallTalk::About => words.about,
        };
        fill(template, &[("topics", &topics), ("example", &example), ("commands", &commands)])
    }

    /// "I don't have an answer", with the topics between `bold` marks, for
    /// a [`Reply::NoMatch`] in its language.
    pub fn no_answer_text(topics: &[String], lang: Lang, prefix: &str, bold: &str) -> String {
        fill(words(lang).no_answer, &[("topics", &bolded(topics, bold)), ("prefix", prefix)])
    }

    /// An answer or a "did you mean" as said in `lang`, with the line an
    /// untranslated answer is led by: for the renderers' limit tests.
    #[cfg(all(test, any(feature = "discord", feature = "matrix")))]
    pub(crate) fn for_test_in(mut self, to: Lang) -> Reply {
        match &mut self {
            Reply::Answer { lang, lead, footer, .. } => {
                (*lang, footer.lang, footer.unreviewed_translation) = (to, to, to != Lang::En);
                *lead = (to != Lang::En).then(|| words(to).untranslated.to_owned());
            }
            Reply::Suggest { lang, .. } => *lang = to,
            _ => {}
        }
        self
    }

    /// The answer with the line said before it, if any.
    pub fn led(lead: &Option<String>, answer: &str) -> String {
        match lead {
            Some(lead) => format!("{lead}\n\n{answer}"),
            None => answer.to_owned(),
        }
    }

    /// Plain text for a terminal. `prefix` is the command prefix ("/" or "!").
    pub fn render_plain(&self, prefix: &str) -> String {
        let mut out = String::new();
        match self {
            Reply::Answer { entry, answer, footer, lead, .. } => {
                let _ = writeln!(out, "Q: {}", entry.question);
                let _ = writeln!(out, "{}", Reply::led(lead, answer));
                let _ = writeln!(out, "--");
                let _ = write!(out, "{}", footer.render(&format!("{prefix}claims"), prefix));
            }
            Reply::Suggest { suggestions, lang, .. } => {
                let words = words(*lang);
                let _ = writeln!(out, "{}", words.not_sure_list);
                for (i, s) in suggestions.iter().enumerate() {
                    let _ = writeln!(out, "  {}. {}", i + 1, s.question);
                }
                let _ = write!(out, "{}", words.pick_a_number);
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
            Reply::NoMatch { topics, lang, .. } => out.push_str(&Reply::no_answer_text(topics, *lang, prefix, "")),
            Reply::SmallTalk { .. } => out.push_str(&self.small_talk_text(prefix, "", "")),
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
            Reply::Claims { entry, claims, version } => {
                let _ = writeln!(out, "Claims in the answer to \"{}\":", entry.question);
                for c in claims {
                    let _ = write!(out, "  [{}] {}", c.status.as_str(), c.text);
                    if let Some(source) = &c.source {
                        let _ = write!(out, " (source: {source})");
                    }
                    if let Some(note) = &c.note {
                        let _ = write!(out, " (note: {note})");
                    }
                    for (lang, text) in &c.translations {
                        let _ = write!(out, "\n      {}: {text}", lang.code());
                    }
                    out.push('\n');
                }
                if claims.is_empty() {
                    let _ = writeln!(out, "  (no claims recorded)");
                }
                if let Some(version) = version {
                    let _ = writeln!(out, "(knowledge version {version})");
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
                if let Some(version) = &r.version {
                    let _ = write!(out, " Version {version}.");
                }
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
            Reply::Review { groups, first, total } => {
                if groups.is_empty() {
                    let _ = write!(out, "The review queue is empty: nothing people asked is waiting for an answer.");
                } else {
                    let last = first + groups.len() - 1;
                    let _ = write!(out, "Review queue, most asked first ({first}–{last} of {total}):");
                }
                for (i, g) in groups.iter().enumerate() {
                    let texts: Vec<String> = g.texts.iter().map(|t| format!("\"{t}\"")).collect();
                    let _ = write!(out, "\n{}. {} asked: {}", first + i, g.asked, texts.join(" / "));
                    let mut facts = Vec::new();
                    let list = |v: &[(String, usize)]| {
                        v.iter().map(|(id, n)| format!("{id} ×{n}")).collect::<Vec<_>>().join(", ")
                    };
                    if !g.picked.is_empty() {
                        facts.push(format!("picked {}", list(&g.picked)));
                    }
                    if !g.downvoted.is_empty() {
                        facts.push(format!("voted down {}", list(&g.downvoted)));
                    }
                    let nearest: Vec<String> =
                        g.nearest.iter().map(|n| format!("{} {:.2}", n.entry.id, n.score)).collect();
                    if !nearest.is_empty() {
                        facts.push(format!("nearest {}", nearest.join(", ")));
                    }
                    if !facts.is_empty() {
                        let _ = write!(out, "\n   {}", facts.join(" · "));
                    }
                }
                if !groups.is_empty() {
                    let _ = write!(
                        out,
                        "\n{prefix}accept N [ENTRY] adds a group's questions as phrasings (of the entry picked most when none is named); {prefix}dismiss N hides it until more people ask; {prefix}new ID (then topic, question and answer on their own lines) drafts an entry; {prefix}review PAGE shows another page."
                    );
                }
            }
            Reply::Notice { message } | Reply::Error { message } => {
                let _ = write!(out, "{message}");
            }
        }
        out
    }
}
