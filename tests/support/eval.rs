//! Measuring matching against labelled chat messages: the share handled
//! right (answered right, or rightly not answered), the share answered
//! wrong, the share answered right, and how often the right entry ranks
//! first whatever the outcome. Labelled sets are split into a tuning half
//! and a reporting half by a fixed hash of each message, so what is reported
//! is never what was tuned on. Used by the regression test and
//! `examples/eval.rs`.

use policybot::config::ReplyConfig;
use policybot::knowledge::{KnowledgeBase, Lang};
use policybot::matcher::confidence::first_best;
use policybot::matcher::{Match, Outcome, Scored, Thresholds, decide};
use policybot::reply::Reply;

/// One labelled message: the id of the entry that answers it, or `None` when
/// no entry should.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub expected: Option<String>,
    pub message: String,
}

/// How one message fared.
#[derive(Debug, Clone)]
pub struct Case {
    pub labelled: Labelled,
    pub outcome: Outcome,
    /// The entry answered or suggested first.
    pub got: Option<String>,
    /// The entry ranked first, whatever the outcome.
    pub first: Option<String>,
    /// The entry first by one kind of evidence alone: words, whole-text
    /// cosine, tokens (`None` without that kind); see [`KINDS`].
    pub first_by: [Option<String>; 3],
    pub confidence: f64,
    pub right: bool,
    pub wrong: bool,
    /// The right entry is answered or among the suggestions.
    pub shown: bool,
    /// The language the bot's reply is in.
    pub lang: Lang,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub cases: Vec<Case>,
    /// Time spent matching, all messages together.
    pub elapsed: std::time::Duration,
}

impl Report {
    /// Answered right, or rightly not answered.
    pub fn overall(&self) -> f64 {
        self.share(|c| c.right)
    }
    /// Answered with the wrong entry, or answered when nothing should be.
    pub fn wrong(&self) -> f64 {
        self.share(|c| c.wrong)
    }
    /// Answered wrong even allowing for contested labels: the entry given
    /// is not the label of any copy of the same message (compared
    /// trimmed and in lower case). Public FAQ query sets label one text
    /// with several entries; an answer that matches another copy's label
    /// is not evidence of a matching fault.
    pub fn wrong_uncontested(&self) -> f64 {
        let labels = Labels::new(self.cases.iter().map(|c| &c.labelled));
        self.share(|c| c.wrong && !labels.has(&c.labelled.message, c.got.as_deref()))
    }
    /// Answered with the right entry.
    pub fn answered_right(&self) -> f64 {
        self.share(|c| c.outcome == Outcome::Answer && c.right)
    }
    /// Answered right and in `lang`, among all messages.
    pub fn answered_right_in(&self, lang: Lang) -> f64 {
        self.share(|c| c.outcome == Outcome::Answer && c.right && c.lang == lang)
    }
    /// The right entry ranked first, among messages some entry answers.
    pub fn first_choice(&self) -> f64 {
        let answerable: Vec<&Case> = self.cases.iter().filter(|c| c.labelled.expected.is_some()).collect();
        if answerable.is_empty() {
            return 0.0;
        }
        answerable.iter().filter(|c| c.first == c.labelled.expected).count() as f64 / answerable.len() as f64
    }
    /// The right entry answered or offered, among messages some entry answers.
    pub fn right_shown(&self) -> f64 {
        let answerable: Vec<&Case> = self.cases.iter().filter(|c| c.labelled.expected.is_some()).collect();
        if answerable.is_empty() {
            return 0.0;
        }
        answerable.iter().filter(|c| c.shown).count() as f64 / answerable.len() as f64
    }
    /// The right entry first by one kind of evidence alone (`KINDS[kind]`),
    /// among messages some entry answers.
    pub fn first_by(&self, kind: usize) -> f64 {
        let answerable: Vec<&Case> = self.cases.iter().filter(|c| c.labelled.expected.is_some()).collect();
        if answerable.is_empty() {
            return 0.0;
        }
        answerable.iter().filter(|c| c.first_by[kind] == c.labelled.expected).count() as f64 / answerable.len() as f64
    }
    /// Entries ranked first when another was right, most often first: the
    /// "hubs" a generic entry becomes for questions it does not answer.
    pub fn hubs(&self) -> Vec<(String, usize)> {
        let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for c in self.cases.iter().filter(|c| c.labelled.expected.is_some() && c.first != c.labelled.expected) {
            if let Some(first) = &c.first {
                *counts.entry(first.clone()).or_default() += 1;
            }
        }
        let mut hubs: Vec<(String, usize)> = counts.into_iter().collect();
        hubs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        hubs
    }
    /// Microseconds per message.
    pub fn micros_per_message(&self) -> f64 {
        if self.cases.is_empty() { 0.0 } else { self.elapsed.as_secs_f64() * 1e6 / self.cases.len() as f64 }
    }
    fn share(&self, f: impl Fn(&Case) -> bool) -> f64 {
        if self.cases.is_empty() {
            return 0.0;
        }
        self.cases.iter().filter(|c| f(c)).count() as f64 / self.cases.len() as f64
    }
}

/// Every label each message text carries, compared trimmed and in lower
/// case: public query sets label one text with several entries.
pub struct Labels<'a>(std::collections::HashMap<String, Vec<Option<&'a str>>>);

impl<'a> Labels<'a> {
    pub fn new(labelled: impl IntoIterator<Item = &'a Labelled>) -> Self {
        let mut labels: std::collections::HashMap<String, Vec<Option<&'a str>>> = std::collections::HashMap::new();
        for l in labelled {
            labels.entry(l.message.trim().to_lowercase()).or_default().push(l.expected.as_deref());
        }
        Labels(labels)
    }

    /// Whether some copy of `message` is labelled `id`.
    pub fn has(&self, message: &str, id: Option<&str>) -> bool {
        self.0.get(&message.trim().to_lowercase()).is_some_and(|ids| ids.contains(&id))
    }
}

/// Which half of a labelled set a message belongs to: a fixed hash of its
/// text, so the split is the same on every machine and run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    Tuning,
    Reporting,
}

pub fn half_of(message: &str) -> Half {
    // FNV-1a: stable across Rust versions, unlike the std hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ 0x5eed;
    for b in message.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    if h.is_multiple_of(2) { Half::Tuning } else { Half::Reporting }
}

/// Reads a `LABEL<TAB>MESSAGE` file whose labels are FAQ numbers (1-based
/// positions in `numbered_questions`) or `none`; `#` lines are comments.
/// Numbers are mapped to entry ids through the stored question text, so the
/// file stays valid whatever the ids are.
pub fn read_labelled(tsv: &str, numbered_questions: &[String], kb: &KnowledgeBase) -> Result<Vec<Labelled>, String> {
    let mut out = Vec::new();
    for (i, line) in tsv.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (label, message) = line.split_once('\t').ok_or(format!("line {}: no tab", i + 1))?;
        let expected = if label == "none" {
            None
        } else {
            let n: usize = label.parse().map_err(|_| format!("line {}: bad label {label}", i + 1))?;
            let question = n
                .checked_sub(1)
                .and_then(|i| numbered_questions.get(i))
                .ok_or(format!("line {}: no question {n}", i + 1))?;
            let entry = kb
                .entries
                .iter()
                .find(|e| e.question == *question)
                .ok_or(format!("line {}: no entry has question {n}", i + 1))?;
            Some(entry.id.clone())
        };
        out.push(Labelled { expected, message: message.to_owned() });
    }
    Ok(out)
}

/// How the decision `m` fared on `l`, whose first-ranked entry is `first`,
/// in a knowledge base whose entry ids are `ids` (the reply's language left
/// as English).
pub fn judge(ids: &[String], l: &Labelled, first: Option<String>, m: Match) -> Case {
    let got = m.ranked.first().map(|s| ids[s.entry].clone());
    let shown = l
        .expected
        .as_ref()
        .is_some_and(|id| m.outcome != Outcome::None && m.ranked.iter().any(|s| ids[s.entry] == *id));
    let answered = m.outcome == Outcome::Answer;
    let right = match &l.expected {
        Some(id) => answered && got.as_deref() == Some(id.as_str()),
        None => !answered,
    };
    Case {
        labelled: l.clone(),
        outcome: m.outcome,
        got,
        first,
        first_by: Default::default(),
        confidence: m.confidence,
        right,
        wrong: answered && !right,
        shown,
        lang: Lang::En,
    }
}

/// One kind of evidence's score of an entry (`None` when the message has
/// no such evidence for it).
type KindScore = fn(&Scored) -> Option<f64>;

/// The kinds of evidence a ranking fuses, by name.
pub const KINDS: [(&str, KindScore); 3] =
    [("words", |s| Some(s.lexical)), ("whole-text cosine", |s| s.semantic), ("tokens", |s| s.tokens)];

/// Matches every labelled message and scores the outcome.
pub fn evaluate(kb: &KnowledgeBase, thresholds: &Thresholds, labelled: &[Labelled]) -> Report {
    let ids: Vec<String> = kb.entries.iter().map(|e| e.id.clone()).collect();
    let started = std::time::Instant::now();
    let cases = labelled
        .iter()
        .map(|l| {
            let signals = kb.matcher().signals(&l.message);
            let first = signals.ranked.first().map(|s| kb.entries[s.entry].id.clone());
            let first_by = KINDS.map(|(_, score)| first_best(&signals.ranked, score).map(|s| ids[s.entry].clone()));
            Case { first_by, ..judge(&ids, l, first, decide(signals, thresholds)) }
        })
        .collect::<Vec<_>>();
    let elapsed = started.elapsed();
    // The reply's language, outside the timing: it matches again.
    let reply = ReplyConfig::default();
    let cases = cases
        .into_iter()
        .map(|mut c| {
            c.lang = match policybot::answer::ask(kb, &c.labelled.message, thresholds, &reply) {
                Reply::Answer { lang, .. }
                | Reply::Suggest { lang, .. }
                | Reply::NoMatch { lang, .. }
                | Reply::SmallTalk { lang, .. } => lang,
                _ => Lang::En,
            };
            c
        })
        .collect();
    Report { cases, elapsed }
}
