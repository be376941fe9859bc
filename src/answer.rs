//! Commands and the pure work of answering them: a parsed command plus the
//! current knowledge in, a [`Reply`] out. No I/O happens here; reloading is
//! the one command that needs the file system and lives in [`crate::bot`].

pub use crate::command::Command;
use crate::config::ReplyConfig;
use crate::knowledge::{Entry, KnowledgeBase, Lang};
use crate::matcher::{Outcome, Thresholds};
use crate::records::Unanswered;
use crate::reply::{
    EntryRef, Footer, FooterSettings, Found, Nearest, Reply, ShownClaim, Suggestion, TopicSummary, UnansweredGroup,
};

/// What a number typed after a "did you mean" list of `offered` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The entry at this index of the list.
    Entry(usize),
    /// 0: none of these (the question goes to the moderators' list).
    Decline,
    /// Not on the list: say which numbers are, record nothing.
    Outside,
}

impl Pick {
    pub fn of(number: usize, offered: usize) -> Pick {
        match number {
            0 => Pick::Decline,
            n if n <= offered => Pick::Entry(n - 1),
            _ => Pick::Outside,
        }
    }

    /// The reply to a number not on a list of `offered`.
    pub fn outside(offered: usize) -> Reply {
        let range = if offered == 1 { "1".to_owned() } else { format!("1 to {offered}") };
        Reply::error(format!("Pick {range} from the list, or 0 for none of these."))
    }

    /// The reply to "none of these".
    pub fn declined(prefix: &str) -> Reply {
        Reply::Notice {
            message: format!("Thanks — I've noted the question for the moderators. {prefix}topics shows what I know."),
        }
    }
}

/// Answers a question: the matched entry with its caveat footer, up to three
/// suggestions, or the topic list when nothing fits.
pub fn ask(kb: &KnowledgeBase, question: &str, thresholds: &Thresholds, reply: &ReplyConfig) -> Reply {
    let said = crate::language::reads_as(question, &kb.languages);
    if let Some(talk) = crate::small_talk::classify(question) {
        let lang = said.unwrap_or_default();
        // The first question of the first topic, as an example of asking.
        let example =
            kb.topics().values().next().and_then(|entries| entries.first()).map(|e| e.question_in(lang).to_owned());
        return Reply::SmallTalk { talk, topics: kb.topic_names(lang), example, lang };
    }
    let found = kb.matcher().find(question, thresholds);
    // A message too short to tell is in the language of the stored
    // phrasing it is nearest.
    let lang = said.unwrap_or_else(|| {
        found.ranked.first().map_or(Lang::En, |s| phrasing_language(kb, &kb.entries[s.entry], question))
    });
    match found.outcome {
        Outcome::Answer => {
            let how = if found.stored { Found::Stored } else { Found::Closest };
            answer_with(kb, &kb.entries[found.ranked[0].entry], found.confidence, how, reply, lang)
        }
        Outcome::Suggest => Reply::Suggest {
            suggestions: found
                .ranked
                .iter()
                .map(|s| {
                    let e = &kb.entries[s.entry];
                    Suggestion { id: e.id.clone(), question: e.question_in(lang).to_owned(), score: round(s.score) }
                })
                .collect(),
            confidence: round(found.confidence),
            lang,
        },
        Outcome::None => Reply::NoMatch {
            topics: kb.topic_names(lang),
            confidence: round(found.confidence),
            lang,
            // A question in a language the knowledge is not translated into
            // is told, in it, why.
            language: crate::language::notice(question)
                .filter(|n| Lang::from_code(n.language).is_none_or(|l| !kb.languages.contains(&l))),
        },
    }
}

/// The language of the phrasing of `entry` that shares the most terms with
/// `question` (English on a tie): what a message of two words that could
/// be either language is taken to be in.
fn phrasing_language(kb: &KnowledgeBase, entry: &Entry, question: &str) -> Lang {
    if entry.translations.is_empty() {
        return Lang::En;
    }
    let analyser = kb.matcher().analyser();
    let asked: std::collections::BTreeSet<String> = analyser.terms(question).into_iter().map(|t| t.text).collect();
    // The question and the first aliases of each language tell enough, and
    // an entry with thousands of aliases costs no more on this path.
    const PER_LANGUAGE: usize = 16;
    let mut read: std::collections::BTreeMap<Lang, usize> = std::collections::BTreeMap::new();
    let mut best = (0, Lang::En);
    for (lang, phrasing) in entry.phrasings_by_language() {
        let n = read.entry(lang).or_default();
        *n += 1;
        if *n > PER_LANGUAGE {
            continue;
        }
        let shared = analyser.terms(phrasing).iter().filter(|t| asked.contains(&t.text)).count();
        if shared > best.0 {
            best = (shared, lang);
        }
    }
    best.1
}

/// The language to answer `question` in with `entry` (a pick from "did
/// you mean"): as the question reads, else its nearest phrasing's.
pub fn language(kb: &KnowledgeBase, question: &str, entry: &str) -> Lang {
    crate::language::reads_as(question, &kb.languages)
        .or_else(|| kb.entry(entry).map(|e| phrasing_language(kb, e, question)))
        .unwrap_or_default()
}

/// Answers with one entry by id, in `lang`: a chosen suggestion or a
/// button click.
pub fn answer_entry(kb: &KnowledgeBase, id: &str, reply: &ReplyConfig, lang: Lang) -> Reply {
    match kb.entry(id) {
        Some(entry) => answer_with(kb, entry, 1.0, Found::Picked, reply, lang),
        None => Reply::error(format!(
            "there is no entry \"{}\" any more; the knowledge may have been reloaded, ask again",
            crate::text::shorten(id, 64)
        )),
    }
}

/// The answer in `lang` when the entry is translated into it; otherwise as
/// written, led by a line in `lang` saying so.
fn answer_with(
    kb: &KnowledgeBase,
    entry: &Entry,
    confidence: f64,
    how: Found,
    reply: &ReplyConfig,
    lang: Lang,
) -> Reply {
    let settings = FooterSettings {
        disclaimer: entry.disclaimer.as_deref().unwrap_or(&reply.disclaimer),
        max_claims: reply.footer_claims,
        max_chars: reply.footer_claim_chars,
    };
    let (answer, lead) = match entry.translations.get(&lang) {
        Some(t) => (t.answer.clone(), None),
        None if lang != Lang::En => (entry.answer.clone(), Some(crate::reply::words(lang).untranslated.to_owned())),
        None => (entry.answer.clone(), None),
    };
    Reply::Answer {
        entry: EntryRef::in_lang(entry, lang),
        answer,
        confidence: round(confidence),
        claims: ShownClaim::of(kb, entry),
        footer: Footer::new(kb, entry, how, &settings, lang),
        lang,
        lead,
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
        // Named in Spanish, listed in Spanish.
        Command::Topic(name) => match kb.find_topic_in(name) {
            Some((topic, lang)) => {
                let entries = kb.topics().get(topic).cloned().unwrap_or_default();
                Reply::Topic {
                    name: crate::knowledge::topic_name(topic, &entries, lang).to_owned(),
                    entries: entries.iter().map(|e| EntryRef::in_lang(e, lang)).collect(),
                }
            }
            None => Reply::error(format!(
                "there is no topic \"{}\"; the topics are: {}",
                crate::text::shorten(name, 64),
                kb.topics().keys().copied().collect::<Vec<_>>().join(", ")
            )),
        },
        Command::Claims(id) => match kb.entry(id.trim()) {
            Some(entry) => Reply::Claims {
                entry: EntryRef::from(entry),
                claims: ShownClaim::of(kb, entry),
                version: kb.version.clone(),
            },
            None => Reply::error(format!(
                "there is no entry \"{}\"; the id is the last word of an answer's footer",
                crate::text::shorten(id, 64)
            )),
        },
        Command::Help => Reply::Help { commands: crate::command::help() },
        Command::Reload
        | Command::Unanswered
        | Command::Privacy
        | Command::Edit(_)
        | Command::Review(_)
        | Command::Accept(..)
        | Command::Dismiss(_)
        | Command::History(_)
        | Command::Undo(_) => Reply::error(format!(
            "{prefix}reload, {prefix}unanswered, {prefix}privacy and changes are handled by the bot, not the core"
        )),
    }
}

/// Groups unanswered questions that say the same thing, most asked first
/// (then most recent), each with the entry nearest to it so a moderator can
/// see whether an alias or a new entry is needed.
///
/// Two questions are similar when their meaningful terms (stems, synonym
/// concepts; stop words dropped, typos corrected) overlap by at least half
/// (Jaccard); questions with no such terms group by their normalised text.
pub fn unanswered(kb: &KnowledgeBase, records: &[Unanswered], limit: usize) -> Reply {
    let groups = crate::review::group(kb, records.iter());
    let total = groups.len();
    let groups = groups
        .into_iter()
        .take(limit)
        .map(|g| {
            let (ranked, _) = kb.matcher().score(g.text());
            let nearest =
                ranked.first().map(|s| Nearest { entry: EntryRef::from(&kb.entries[s.entry]), score: round(s.score) });
            UnansweredGroup { question: g.text().to_owned(), count: g.members.len(), nearest }
        })
        .collect();
    Reply::Unanswered { groups, total }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unanswered_questions_group_by_meaning() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.toml"),
            "title = \"T\"\n[[entry]]\nid = \"law\"\ntopic = \"Law\"\nquestion = \"What does the state law require?\"\nanswer = \"Police must cooperate.\"\n",
        )
        .unwrap();
        let kb = crate::knowledge::load_dir(dir.path()).unwrap();
        let at = |secs: u64, text: &str| Unanswered {
            time: std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
            platform: "test".into(),
            room: 1,
            text: text.into(),
            kind: crate::records::Taught::Unanswered,
            entry: None,
        };
        let records = [
            at(1, "Where can I get a driver's license?"),
            at(2, "how do i get a drivers license"),
            at(3, "pizza"),
            at(4, "where do I get drivers licenses??"),
            at(5, "🤔"),
            at(6, "🤔"),
        ];
        let Reply::Unanswered { groups, total } = unanswered(&kb, &records, 10) else { panic!() };
        assert_eq!(total, 3, "{groups:#?}");
        assert_eq!((groups[0].count, groups[0].question.as_str()), (3, "where do I get drivers licenses??"));
        assert_eq!((groups[1].count, groups[1].question.as_str()), (2, "🤔"));
        assert_eq!(groups[2].count, 1);
    }
}
