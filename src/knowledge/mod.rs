//! The knowledge the bot serves: FAQ entries, their claims and the synonym
//! groups moderators write, loaded from `knowledge/*.toml` and validated as a
//! whole. A [`KnowledgeBase`] is immutable once built; a reload builds a new
//! one and swaps it in.

pub mod disputes;
pub mod edit;
mod embed;
pub(crate) mod facts;
pub mod import;
pub(crate) mod lint;
pub(crate) mod load;
pub(crate) mod regression;
pub mod write;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub use crate::language::Lang;
use crate::matcher::{Document, Field, FieldKind, Matcher, Vocabulary};

pub use load::{LoadError, LoadErrors, load_dir, load_dir_reusing, load_str};

/// How far a claim has been checked. Ordered from least to most trusted only
/// for display; a disputed claim is never "more verified" than an unverified one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimStatus {
    #[default]
    Unverified,
    Disputed,
    Verified,
}

impl ClaimStatus {
    /// A status as written in the files and typed in commands.
    pub fn parse(text: &str) -> Result<ClaimStatus, String> {
        match text {
            "unverified" => Ok(ClaimStatus::Unverified),
            "disputed" => Ok(ClaimStatus::Disputed),
            "verified" => Ok(ClaimStatus::Verified),
            _ => Err("a status is unverified, disputed or verified".to_owned()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Unverified => "unverified",
            ClaimStatus::Disputed => "disputed",
            ClaimStatus::Verified => "verified",
        }
    }
}

/// One checkable statement made by an answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The id of the shared claim record (`[[claim]]`) this claim comes
    /// from; `None` for a claim written inside its entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub text: String,
    /// The status written in the knowledge file. A claim found on one side
    /// of a contradiction is shown disputed ([`disputes::Disputes::status`])
    /// but stays as written here.
    pub status: ClaimStatus,
    pub source: Option<String>,
    pub note: Option<String>,
    /// When someone last checked it against its source (a date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<String>,
    /// The same statement in other languages, shown to askers in them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<Lang, String>,
}

/// An entry in another language: what an asker in it is answered with.
/// Its claims are the entry's own, each with its text in that language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Translation {
    pub question: String,
    pub aliases: Vec<String>,
    /// Questions asked in this language and accepted from the review queue.
    pub asked: Vec<String>,
    pub answer: String,
    /// The topic's name in this language; `None`: the entry's topic as written.
    pub topic: Option<String>,
    /// When someone checked the translation against the entry (a date);
    /// `None`: nobody has, and every answer in it says so.
    pub reviewed: Option<String>,
}

/// One stored question with its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: String,
    pub topic: String,
    pub question: String,
    pub aliases: Vec<String>,
    /// Questions people asked that a moderator accepted from the review
    /// queue (`asked = [...]`): answered with this entry when asked again,
    /// and weaker evidence than a moderator's aliases for other questions.
    pub asked: Vec<String>,
    pub answer: String,
    pub claims: Vec<Claim>,
    pub reviewed: Option<String>,
    /// Said under its answers when not every claim is verified: the
    /// `disclaimer` of its file, else the config's.
    pub disclaimer: Option<String>,
    /// The entry in other languages (`[entry.translations.es]`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<Lang, Translation>,
    /// Where the entry is defined, for messages to moderators.
    pub location: Location,
}

/// A place in a knowledge file: shown as `file:line`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Entry {
    /// Equal in everything but where it is written: an entry moved within
    /// its file is not a changed entry.
    pub fn same_content(&self, other: &Entry) -> bool {
        self.id == other.id
            && self.topic == other.topic
            && self.question == other.question
            && self.aliases == other.aliases
            && self.asked == other.asked
            && self.answer == other.answer
            && self.claims == other.claims
            && self.reviewed == other.reviewed
            && self.translations == other.translations
    }

    /// The questions it answers: its stored question, then its aliases,
    /// then each translation's question and aliases.
    pub fn phrasings(&self) -> impl Iterator<Item = &String> {
        self.phrasings_by_language().map(|(_, p)| p)
    }

    /// [`Entry::phrasings`], each with the language it is written in.
    pub fn phrasings_by_language(&self) -> impl Iterator<Item = (Lang, &String)> {
        let own = std::iter::once(&self.question).chain(&self.aliases).map(|p| (Lang::En, p));
        let translated = self
            .translations
            .iter()
            .flat_map(|(lang, t)| std::iter::once(&t.question).chain(&t.aliases).map(move |p| (*lang, p)));
        own.chain(translated)
    }

    /// The accepted asked questions, the entry's then each translation's.
    pub fn asked(&self) -> impl Iterator<Item = &String> {
        self.asked.iter().chain(self.translations.values().flat_map(|t| &t.asked))
    }

    /// The question in `lang`, or as written when it has no translation.
    pub fn question_in(&self, lang: Lang) -> &str {
        self.translations.get(&lang).map_or(&self.question, |t| &t.question)
    }

    /// The topic in `lang`, or as written.
    pub fn topic_in(&self, lang: Lang) -> &str {
        self.translations.get(&lang).and_then(|t| t.topic.as_deref()).unwrap_or(&self.topic)
    }
}

impl Claim {
    /// The claim in `lang`, or as written when it has no translation.
    pub fn text_in(&self, lang: Lang) -> &str {
        self.translations.get(&lang).map_or(&self.text, String::as_str)
    }
}

/// An entry as the matcher sees it: its question and aliases are what it
/// answers; its topic, answer sentences, claims and the names and headings
/// in its answer are the rest of its text.
pub fn document(entry: &Entry) -> Document {
    let mut doc = Document { phrasings: entry.phrasings().cloned().collect(), fields: Vec::new() };
    let mut names: Vec<String> = facts::named_things(&entry.answer).into_iter().collect();
    names.extend(facts::headings(&entry.answer));
    doc.fields.push(Field { kind: FieldKind::Name, text: names.join(" ") });
    doc.fields.push(Field { kind: FieldKind::Topic, text: entry.topic.clone() });
    let sentences = facts::sentences(&entry.answer);
    for claim in &entry.claims {
        // Imported claims are sentences of the answer word for word; those
        // are indexed once, as claims.
        if !sentences.contains(&claim.text) {
            doc.fields.push(Field { kind: FieldKind::Claim, text: claim.text.clone() });
        }
    }
    for sentence in sentences {
        let kind = if entry.claims.iter().any(|c| c.text == sentence) { FieldKind::Claim } else { FieldKind::Sentence };
        doc.fields.push(Field { kind, text: sentence });
    }
    // Questions accepted from the review queue, in any language: evidence
    // of their own kind (see `FieldKind::Asked`), not phrasings.
    for asked in entry.asked() {
        doc.fields.push(Field { kind: FieldKind::Asked, text: asked.clone() });
    }
    // A translation's answer and claims are evidence like the entry's own,
    // so a question about a fact its answer states finds it in any language.
    for (lang, translation) in &entry.translations {
        if let Some(topic) = &translation.topic {
            doc.fields.push(Field { kind: FieldKind::Topic, text: topic.clone() });
        }
        for claim in entry.claims.iter().filter_map(|c| c.translations.get(lang)) {
            doc.fields.push(Field { kind: FieldKind::Claim, text: claim.clone() });
        }
        for sentence in facts::sentences(&translation.answer) {
            doc.fields.push(Field { kind: FieldKind::Sentence, text: sentence });
        }
    }
    doc
}

/// File-level metadata of one knowledge file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Source {
    pub path: PathBuf,
    pub title: String,
    pub description: String,
    /// This file's own words: synonym groups, abbreviations, out-of-scope
    /// words and stop words.
    pub vocabulary: Vocabulary,
    /// The shared claim records (`[[claim]]`) defined in this file, with
    /// the line of each.
    pub claims: Vec<(Claim, usize)>,
    /// The file's title and disclaimer in other languages (`[translations.es]`).
    pub translations: BTreeMap<Lang, SourceTranslation>,
    /// A hash of the file's bytes: a reload reuses the entries of files whose
    /// hash has not changed instead of parsing them again.
    pub fingerprint: u64,
}

/// A knowledge file's own words in another language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SourceTranslation {
    pub title: Option<String>,
    pub disclaimer: Option<String>,
}

/// Everything the bot knows, validated, with its matcher built.
#[derive(Debug)]
pub struct KnowledgeBase {
    pub sources: Vec<Source>,
    /// Sorted by id, so every listing and tie-break is deterministic.
    pub entries: Vec<Entry>,
    /// Every file's vocabulary together.
    pub vocabulary: Vocabulary,
    /// Contradictions between answers and the claims caught in them.
    pub disputes: disputes::Disputes,
    /// Which text this is: the short id of the change in the knowledge's
    /// history it was loaded from ("-dirty" when the files were not one),
    /// `None` when the directory has no history.
    pub version: Option<String>,
    /// The languages besides English some entry is translated into.
    pub languages: Vec<Lang>,
    matcher: Matcher,
}

impl KnowledgeBase {
    /// Builds the knowledge base from validated entries: finds contradictions
    /// and the claims caught in them, and indexes everything.
    pub fn new(sources: Vec<Source>, mut entries: Vec<Entry>, extra: Vocabulary) -> Self {
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        let disputes = disputes::Disputes::find(&entries);
        let mut vocabulary = extra;
        for source in &sources {
            let v = &source.vocabulary;
            vocabulary.synonyms.extend(v.synonyms.iter().cloned());
            vocabulary.abbreviations.extend(v.abbreviations.iter().cloned());
            vocabulary.out_of_scope.extend(v.out_of_scope.iter().cloned());
            vocabulary.stop_words.extend(v.stop_words.iter().cloned());
        }
        let mut languages: Vec<Lang> = entries.iter().flat_map(|e| e.translations.keys().copied()).collect();
        languages.sort();
        languages.dedup();
        vocabulary.languages = languages.iter().map(|l| l.code().to_owned()).collect();
        let matcher = Matcher::build(entries.len(), |i| document(&entries[i]), &vocabulary);
        KnowledgeBase { sources, entries, vocabulary, disputes, version: None, languages, matcher }
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// This knowledge base indexed with other scorer weights, for measuring
    /// them (the semantic half is not carried over: embed again).
    pub fn with_tuning(mut self, tuning: crate::matcher::Tuning) -> Self {
        let entries = &self.entries;
        self.matcher = Matcher::build_with(entries.len(), |i| document(&entries[i]), &self.vocabulary, tuning);
        self
    }

    /// Says the files are in `to` rather than `from` (knowledge checked in a
    /// copy of its directory, then put into use for the real one).
    pub fn moved(&mut self, from: &std::path::Path, to: &std::path::Path) {
        let rebase = |path: &mut PathBuf| {
            if let Ok(rest) = path.strip_prefix(from) {
                *path = to.join(rest);
            }
        };
        self.sources.iter_mut().for_each(|s| rebase(&mut s.path));
        self.entries.iter_mut().for_each(|e| rebase(&mut e.location.file));
    }

    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.binary_search_by(|e| e.id.as_str().cmp(id)).ok().map(|i| &self.entries[i])
    }

    /// The topic names in `lang` (as written where an entry has no
    /// translated topic), in the order of [`KnowledgeBase::topics`].
    pub fn topic_names(&self, lang: Lang) -> Vec<String> {
        self.topics().iter().map(|(topic, entries)| topic_name(topic, entries, lang).to_owned()).collect()
    }

    /// Topics with their entries, topics in name order, entries in id order.
    pub fn topics(&self) -> BTreeMap<&str, Vec<&Entry>> {
        let mut topics: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
        for entry in &self.entries {
            topics.entry(entry.topic.as_str()).or_default().push(entry);
        }
        topics
    }

    /// The disclaimer of `entry`'s file in `lang` (`[translations.es]`),
    /// when it has one.
    pub fn disclaimer_in(&self, entry: &Entry, lang: Lang) -> Option<&str> {
        let source = self.sources.iter().find(|s| s.path == entry.location.file)?;
        source.translations.get(&lang)?.disclaimer.as_deref()
    }

    /// Finds a topic by name, forgiving case, spacing and small typos.
    pub fn find_topic(&self, name: &str) -> Option<&str> {
        self.find_topic_in(name).map(|(topic, _)| topic)
    }

    /// [`KnowledgeBase::find_topic`], by its name as written or in a
    /// language its entries are translated into; with the language it was
    /// named in.
    pub fn find_topic_in(&self, name: &str) -> Option<(&str, Lang)> {
        let wanted = crate::matcher::normalise(name);
        if wanted.is_empty() {
            return None;
        }
        let topics = self.topics();
        let mut best: Option<(&str, Lang, f64)> = None;
        for (topic, entries) in &topics {
            let translated = entries.iter().flat_map(|e| e.translations.iter());
            let names = std::iter::once((*topic, Lang::En))
                .chain(translated.filter_map(|(lang, t)| Some((t.topic.as_deref()?, *lang))));
            for (written, lang) in names {
                let have = crate::matcher::normalise(written);
                let score = if have == wanted {
                    1.0
                } else if have.starts_with(&wanted) && wanted.len() >= 3 {
                    0.95
                } else {
                    strsim::normalized_damerau_levenshtein(&have, &wanted)
                };
                if score >= 0.8 && best.is_none_or(|(_, _, s)| score > s) {
                    best = Some((topic, lang, score));
                }
            }
        }
        best.map(|(t, lang, _)| (t, lang))
    }

    /// The claims of `entry` with the status each is shown with: written,
    /// or disputed when caught in a contradiction.
    pub fn claims<'a>(&'a self, entry: &'a Entry) -> impl Iterator<Item = (ClaimStatus, &'a Claim)> + 'a {
        entry.claims.iter().enumerate().map(move |(i, c)| (self.disputes.status(entry, i), c))
    }

    /// Claims of `entry` nobody has verified, disputed first: what the
    /// caveat footer names.
    pub fn unchecked_claims<'a>(&'a self, entry: &'a Entry) -> Vec<(ClaimStatus, &'a Claim)> {
        let mut claims: Vec<_> = self.claims(entry).filter(|(s, _)| *s != ClaimStatus::Verified).collect();
        claims.sort_by_key(|(s, _)| *s != ClaimStatus::Disputed);
        claims
    }

    /// Claim counts by the status they are shown with, for reload reports
    /// and `check`.
    pub fn claim_counts(&self) -> BTreeMap<ClaimStatus, usize> {
        let mut counts = BTreeMap::new();
        for (status, _) in self.entries.iter().flat_map(|e| self.claims(e)) {
            *counts.entry(status).or_insert(0) += 1;
        }
        counts
    }
}

/// The name of `topic` (whose entries are `entries`) in `lang`: the first
/// translated name its entries give, else as written.
pub fn topic_name<'a>(topic: &'a str, entries: &[&'a Entry], lang: Lang) -> &'a str {
    entries.iter().find_map(|e| e.translations.get(&lang)?.topic.as_deref()).unwrap_or(topic)
}

/// An entry with only an id and an answer, for the tests of the modules
/// that read answers (lint, disputes).
#[cfg(test)]
pub(crate) fn test_entry(id: &str, answer: &str) -> Entry {
    Entry {
        id: id.into(),
        topic: "t".into(),
        question: format!("question {id}?"),
        aliases: vec![],
        asked: vec![],
        answer: answer.into(),
        claims: vec![],
        reviewed: None,
        disclaimer: None,
        translations: BTreeMap::new(),
        location: Location::default(),
    }
}
