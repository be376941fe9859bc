//! Commands and the pure work of answering them: a parsed command plus the
//! current knowledge in, a [`Reply`] out. No I/O happens here; reloading is
//! the one command that needs the file system and lives in [`crate::bot`].

use crate::config::ReplyConfig;
use crate::knowledge::{Entry, KnowledgeBase};
use crate::matcher::{Outcome, Thresholds};
use crate::records::Unanswered;
use crate::reply::{EntryRef, Footer, Reply, Suggestion, TopicSummary, UnansweredGroup};

/// What a user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ask(String),
    Topics,
    Topic(String),
    Claims(String),
    Help,
    Reload,
    Unanswered,
}

/// The commands every adapter offers, with a one-line description each, in
/// the order `help` lists them.
pub const COMMANDS: &[(&str, &str)] = &[
    ("ask QUESTION", "ask a question (or just type it)"),
    ("topics", "list the topics I know"),
    ("topic NAME", "list the questions of one topic"),
    ("claims ID", "show every claim in an answer, with its status and source"),
    ("help", "show this help"),
    ("reload", "reload the knowledge files (moderators only)"),
    ("unanswered", "the questions I could not answer, most asked first (moderators only)"),
];

impl Command {
    /// Parses text that starts with the command prefix (e.g. "/topics").
    /// Returns `None` when the text is not a command at all (a question),
    /// and an error message for an unknown command or a missing argument.
    pub fn parse(text: &str, prefix: &str) -> Option<Result<Command, String>> {
        let rest = text.trim().strip_prefix(prefix)?;
        let (name, arg) = match rest.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (rest, ""),
        };
        let need = |what: &str, make: fn(String) -> Command| {
            if arg.is_empty() {
                Err(format!("{prefix}{name} needs {what}, e.g. {prefix}{name} {}", example(name)))
            } else {
                Ok(make(arg.to_owned()))
            }
        };
        Some(match name.to_lowercase().as_str() {
            "ask" => need("a question", Command::Ask),
            "topics" => Ok(Command::Topics),
            "topic" => need("a topic name", Command::Topic),
            "claims" => need("an entry id", Command::Claims),
            "help" => Ok(Command::Help),
            "reload" => Ok(Command::Reload),
            "unanswered" => Ok(Command::Unanswered),
            "" => return None,
            other => Err(format!(
                "unknown command {prefix}{}; type {prefix}help for the list",
                crate::reply::shorten(other, 32)
            )),
        })
    }
}

fn example(name: &str) -> &'static str {
    match name {
        "ask" => "does Mississippi have sanctuary cities?",
        "topic" => "state law",
        _ => "ENTRY-ID",
    }
}

/// Answers a question: the matched entry with its caveat footer, up to three
/// suggestions, or the topic list when nothing fits.
pub fn ask(kb: &KnowledgeBase, question: &str, thresholds: &Thresholds, reply: &ReplyConfig) -> Reply {
    let found = kb.matcher().find(question, thresholds);
    match found.outcome {
        Outcome::Answer => answer_with(&kb.entries[found.ranked[0].entry], found.confidence, reply),
        Outcome::Suggest => Reply::Suggest {
            suggestions: found
                .ranked
                .iter()
                .map(|s| {
                    let e = &kb.entries[s.entry];
                    Suggestion { id: e.id.clone(), question: e.question.clone(), score: round(s.score) }
                })
                .collect(),
            confidence: round(found.confidence),
        },
        Outcome::None => Reply::NoMatch {
            topics: kb.topics().keys().map(|t| (*t).to_owned()).collect(),
            confidence: round(found.confidence),
        },
    }
}

/// Answers with one entry by id: a chosen suggestion or a button click.
pub fn answer_entry(kb: &KnowledgeBase, id: &str, reply: &ReplyConfig) -> Reply {
    match kb.entry(id) {
        Some(entry) => answer_with(entry, 1.0, reply),
        None => Reply::error(format!(
            "there is no entry \"{}\" any more; the knowledge may have been reloaded, ask again",
            crate::reply::shorten(id, 64)
        )),
    }
}

fn answer_with(entry: &Entry, confidence: f64, reply: &ReplyConfig) -> Reply {
    Reply::Answer {
        entry: EntryRef::from(entry),
        answer: entry.answer.clone(),
        confidence: round(confidence),
        claims: entry.claims.clone(),
        footer: Footer::new(entry, &reply.disclaimer, reply.footer_claims, reply.footer_claim_chars),
    }
}

/// Scores are shown to two decimals; rounding here keeps JSON output stable.
fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Handles every command but reload (which needs I/O and a moderator).
pub fn handle(
    kb: &KnowledgeBase,
    command: &Command,
    thresholds: &Thresholds,
    reply: &ReplyConfig,
    prefix: &str,
) -> Reply {
    match command {
        Command::Ask(q) => ask(kb, q, thresholds, reply),
        Command::Topics => Reply::Topics {
            topics: kb
                .topics()
                .into_iter()
                .map(|(name, entries)| TopicSummary { name: name.to_owned(), entries: entries.len() })
                .collect(),
        },
        Command::Topic(name) => match kb.find_topic(name) {
            Some(topic) => Reply::Topic {
                name: topic.to_owned(),
                entries: kb.topics().get(topic).into_iter().flatten().map(|e| EntryRef::from(*e)).collect(),
            },
            None => Reply::error(format!(
                "there is no topic \"{}\"; the topics are: {}",
                crate::reply::shorten(name, 64),
                kb.topics().keys().copied().collect::<Vec<_>>().join(", ")
            )),
        },
        Command::Claims(id) => match kb.entry(id.trim()) {
            Some(entry) => Reply::Claims { entry: EntryRef::from(entry), claims: entry.claims.clone() },
            None => Reply::error(format!(
                "there is no entry \"{}\"; the id is the last word of an answer's footer",
                crate::reply::shorten(id, 64)
            )),
        },
        Command::Help => {
            Reply::Help { commands: COMMANDS.iter().map(|(c, w)| ((*c).to_owned(), (*w).to_owned())).collect() }
        }
        Command::Reload | Command::Unanswered => {
            Reply::error(format!("{prefix}reload and {prefix}unanswered are handled by the bot, not the core"))
        }
    }
}

/// Groups unanswered questions that read the same once normalised, most
/// asked first (then most recent), each with the entry nearest to it so a
/// moderator can see whether an alias or a new entry is needed.
pub fn unanswered(kb: &KnowledgeBase, records: &[Unanswered], limit: usize) -> Reply {
    struct Group<'a> {
        text: &'a str,
        count: usize,
        last: std::time::SystemTime,
    }
    let mut groups: std::collections::HashMap<String, Group> = std::collections::HashMap::new();
    for r in records {
        let key = crate::matcher::normalise(&r.text);
        let g = groups.entry(key).or_insert(Group { text: &r.text, count: 0, last: r.time });
        g.count += 1;
        if r.time >= g.last {
            g.last = r.time;
            g.text = &r.text;
        }
    }
    let mut groups: Vec<Group> = groups.into_values().collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then(b.last.cmp(&a.last)).then(a.text.cmp(b.text)));
    let total = groups.len();
    let groups = groups
        .into_iter()
        .take(limit)
        .map(|g| {
            let (ranked, _) = kb.matcher().score(g.text);
            let nearest = ranked.first().map(|s| (EntryRef::from(&kb.entries[s.entry]), round(s.score)));
            UnansweredGroup { question: g.text.to_owned(), count: g.count, nearest }
        })
        .collect();
    Reply::Unanswered { groups, total }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_rejects_unknown_ones() {
        assert_eq!(Command::parse("hello", "/"), None);
        assert_eq!(Command::parse("/topics", "/"), Some(Ok(Command::Topics)));
        assert_eq!(Command::parse(" /TOPIC  state law ", "/"), Some(Ok(Command::Topic("state law".into()))));
        assert!(Command::parse("/topic", "/").unwrap().unwrap_err().contains("needs a topic name"));
        assert!(Command::parse("/frobnicate x", "/").unwrap().unwrap_err().contains("unknown command /frobnicate"));
        assert_eq!(Command::parse("!ask why?", "!"), Some(Ok(Command::Ask("why?".into()))));
    }
}
