//! Matching a chat message to the nearest stored question: an inverted index
//! over analysed terms weighted by how well they tell entries apart, a score
//! in [0, 1], and the decision to answer, suggest or abstain.

mod analyse;
mod normalise;
mod places;

pub use analyse::{Analyser, Term};

pub use normalise::{MAX_INPUT_CHARS, clip, normalise};

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::knowledge::{Entry, facts};

/// The scorer's fixed weights. They are properties of the method, not of a
/// deployment, so they are not in the config; `Default` holds the values
/// measured best on labelled chat questions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// How strongly a word in an entry's answer (rather than its question or
    /// an alias) counts. A word of the stored question says more about what
    /// the entry answers than a word somewhere in a long answer.
    pub answer_strength: f64,
    /// How strongly a word of one of the entry's claims, or of a name in its
    /// answer, counts.
    pub claim_strength: f64,
    /// How strongly words of a message found together in one sentence of an
    /// answer, or one claim, count.
    pub passage_strength: f64,
    /// How strongly a word of the entry's topic name counts.
    pub topic_strength: f64,
    /// A corrected typo is good evidence, but not as good as the word itself.
    pub corrected_factor: f64,
    /// Share of the score from how much of the message the entry explains;
    /// the rest is how much of the entry's best phrasing the message covers.
    pub message_share: f64,
    /// Weight of a word the knowledge never uses, relative to the rarest word
    /// it does use. Chat is full of words no FAQ holds, so an unknown word is
    /// weaker evidence against an entry than a known rare word is for one.
    pub unknown_factor: f64,
    /// Weight of a place the knowledge never mentions (another state), relative
    /// to the rarest known word: a question about Texas is not about here.
    pub foreign_place_factor: f64,
    /// Weight of a common English word ("come", "find") relative to what its
    /// rarity in the knowledge alone would give it.
    pub common_factor: f64,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            answer_strength: 0.2,
            claim_strength: 0.5,
            passage_strength: 0.7,
            topic_strength: 0.7,
            corrected_factor: 0.85,
            message_share: 0.8,
            unknown_factor: 1.0,
            foreign_place_factor: 3.0,
            common_factor: 0.5,
        }
    }
}

const PHRASING_STRENGTH: f64 = 1.0;
/// How many entries, best first by the cheap message-coverage score, get the
/// full score. Keeps the cost of a question flat as knowledge grows.
const CANDIDATES: usize = 64;

/// Thresholds for the three outcomes; they live in `config.toml [matching]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Least confidence for a direct answer.
    pub answer: f64,
    /// Least lead of the best entry over the runner-up for a direct answer.
    pub margin: f64,
    /// Least confidence for an entry to be offered as "did you mean".
    pub suggest: f64,
    /// Least summed weight of the message's words found in the knowledge;
    /// below it the message says too little to match anything.
    pub min_evidence: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { answer: 0.32, margin: 0.06, suggest: 0.2, min_evidence: 0.5 }
    }
}

/// What the matcher decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Answer,
    Suggest,
    None,
}

/// An entry (by index into the knowledge base's sorted entries) and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub entry: usize,
    pub score: f64,
}

/// The result of matching one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub outcome: Outcome,
    /// Confidence of the best entry, in [0, 1]; 0 when nothing matched.
    pub confidence: f64,
    /// Best entries first, at most 3, each at least the suggest threshold;
    /// for `Answer` the first is the answer.
    pub ranked: Vec<Scored>,
}

/// The index over one knowledge base's entries.
#[derive(Debug)]
pub struct Matcher {
    analyser: Analyser,
    /// term → index into `weights` and `postings`.
    terms: HashMap<String, usize>,
    weights: Vec<f64>,
    /// For each term, the entries holding it and how strongly, by entry.
    postings: Vec<Vec<(u32, f32)>>,
    /// For each entry, its phrasings (question, aliases) as term ids.
    phrasings: Vec<Vec<Vec<usize>>>,
    /// For each entry, its passages (answer sentences, claims) as sorted
    /// term ids: words of a message found together in one sentence of an
    /// answer are better evidence than the same words scattered through it.
    passages: Vec<Vec<Vec<usize>>>,
    /// Weight of the rarest possible known word.
    rare_weight: f64,
    tuning: Tuning,
}

impl Matcher {
    /// Indexes entries (already sorted by id) with the knowledge's synonyms.
    pub fn build(entries: &[Entry], synonyms: &[Vec<String>]) -> Self {
        Self::build_with(entries, synonyms, Tuning::default())
    }

    /// Like [`Matcher::build`] with other weights, for measuring them.
    pub fn build_with(entries: &[Entry], synonyms: &[Vec<String>], tuning: Tuning) -> Self {
        let texts = entries.iter().flat_map(|e| {
            std::iter::once(e.question.as_str())
                .chain(e.aliases.iter().map(String::as_str))
                .chain([e.answer.as_str(), e.topic.as_str()])
        });
        let analyser = Analyser::new(texts, synonyms);
        let mut terms: HashMap<String, usize> = HashMap::new();
        let mut postings: Vec<Vec<(u32, f32)>> = Vec::new();
        let mut phrasings = Vec::with_capacity(entries.len());
        let mut passages = Vec::with_capacity(entries.len());

        for (i, entry) in entries.iter().enumerate() {
            let mut strength: HashMap<usize, f64> = HashMap::new();
            let mut id_of = |text: String, terms: &mut HashMap<String, usize>| {
                let next = terms.len();
                let id = *terms.entry(text).or_insert(next);
                if id == postings.len() {
                    postings.push(Vec::new());
                }
                id
            };
            let mut entry_phrasings = Vec::new();
            for phrasing in std::iter::once(&entry.question).chain(&entry.aliases) {
                let ids: Vec<usize> = analyser.terms(phrasing).into_iter().map(|t| id_of(t.text, &mut terms)).collect();
                for &id in &ids {
                    strength.insert(id, PHRASING_STRENGTH);
                }
                entry_phrasings.push(ids);
            }
            // Claims are the moderator's one-line statements of what the
            // answer says, the names in an answer (programmes, agencies, acts)
            // are what people ask about by name, and the headings of its list
            // items ("Loss of federal funding: …") sum up its points; the rest
            // of a long answer is prose whose ordinary words say little.
            let mut names = facts::named_things(&entry.answer).into_iter().collect::<Vec<_>>();
            names.extend(facts::headings(&entry.answer));
            let names = names.join(" ");
            let fields = [
                (entry.topic.as_str(), tuning.topic_strength),
                (entry.answer.as_str(), tuning.answer_strength),
                (names.as_str(), tuning.claim_strength),
            ]
            .into_iter()
            .chain(entry.claims.iter().map(|c| (c.text.as_str(), tuning.claim_strength)));
            for (text, s) in fields {
                for t in analyser.terms(text) {
                    let id = id_of(t.text, &mut terms);
                    let slot = strength.entry(id).or_insert(0.0);
                    *slot = slot.max(s);
                }
            }
            let texts = facts::sentences(&entry.answer).into_iter().chain(entry.claims.iter().map(|c| c.text.clone()));
            let entry_passages: Vec<Vec<usize>> = texts
                .map(|text| {
                    let mut ids: Vec<usize> =
                        analyser.terms(&text).into_iter().map(|t| id_of(t.text, &mut terms)).collect();
                    ids.sort_unstable();
                    ids.dedup();
                    ids
                })
                .filter(|ids| ids.len() >= 2)
                .collect();
            passages.push(entry_passages);
            let mut strength: Vec<(usize, f64)> = strength.into_iter().collect();
            strength.sort_by_key(|(id, _)| *id);
            for (id, s) in strength {
                postings[id].push((i as u32, s as f32));
            }
            phrasings.push(entry_phrasings);
        }

        let n = entries.len() as f64;
        let idf = |df: f64| (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        let mut by_id: Vec<&str> = vec![""; terms.len()];
        for (text, &id) in &terms {
            by_id[id] = text;
        }
        let weights: Vec<f64> = postings
            .iter()
            .zip(&by_id)
            .map(|(p, text)| {
                let common = if analyser.is_common(text) { tuning.common_factor } else { 1.0 };
                idf(p.len() as f64) * common
            })
            .collect();
        Matcher { analyser, terms, weights, postings, phrasings, passages, rare_weight: idf(1.0), tuning }
    }

    /// Weight of an analysed term (0 when the knowledge never uses it).
    pub fn weight(&self, term: &str) -> f64 {
        self.terms.get(term).map_or(0.0, |&id| self.weights[id])
    }

    /// Entries holding an analysed term, with how strongly.
    pub fn holders(&self, term: &str) -> Vec<(usize, f32)> {
        self.terms
            .get(term)
            .map(|&id| self.postings[id].iter().map(|&(e, s)| (e as usize, s)).collect())
            .unwrap_or_default()
    }

    pub fn analyser(&self) -> &Analyser {
        &self.analyser
    }

    /// Scores every candidate entry for `message`, best first (ties by entry
    /// index, which is id order). Entries with no shared term are left out.
    pub fn score(&self, message: &str) -> (Vec<Scored>, f64) {
        let query = self.analyser.terms(message);
        // (term id, weight, evidence factor) for known terms; the total weight
        // includes unknown words, which pull every entry's coverage down.
        let mut known: Vec<(usize, f64, f64)> = Vec::new();
        let mut total = 0.0;
        for term in &query {
            match self.terms.get(&term.text) {
                Some(&id) => {
                    let w = self.weights[id];
                    total += w;
                    known.push((id, w, if term.corrected { self.tuning.corrected_factor } else { 1.0 }));
                }
                None if term.foreign_place => {
                    total += self.rare_weight * self.tuning.foreign_place_factor;
                }
                None => {
                    let common = if term.common { self.tuning.common_factor } else { 1.0 };
                    total += self.rare_weight * self.tuning.unknown_factor * common;
                }
            }
        }
        if known.is_empty() || total <= 0.0 {
            return (Vec::new(), 0.0);
        }
        let evidence: f64 = known.iter().map(|(_, w, _)| w).sum();

        let mut coverage: HashMap<u32, f64> = HashMap::new();
        for &(id, w, factor) in &known {
            for &(entry, strength) in &self.postings[id] {
                *coverage.entry(entry).or_insert(0.0) += w * factor * f64::from(strength);
            }
        }
        let mut candidates: Vec<(u32, f64)> = coverage.into_iter().collect();
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        candidates.truncate(CANDIDATES);

        let query_ids: HashMap<usize, f64> = known.iter().map(|&(id, _, f)| (id, f)).collect();
        let mut scored: Vec<Scored> = candidates
            .into_iter()
            .map(|(entry, covered)| {
                let message_cover = (covered + self.passage_bonus(entry, &known)) / total;
                let phrasing_cover = self.phrasings[entry as usize]
                    .iter()
                    .map(|p| self.phrasing_cover(p, &query_ids))
                    .fold(0.0, f64::max);
                let share = self.tuning.message_share;
                let score = share * message_cover + (1.0 - share) * phrasing_cover;
                Scored { entry: entry as usize, score: score.clamp(0.0, 1.0) }
            })
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        (scored, evidence)
    }

    /// Extra coverage for message words found together in one passage of the
    /// entry: they count at passage strength instead of their own. Only the
    /// best passage counts, and only when it holds two or more of the words.
    fn passage_bonus(&self, entry: u32, known: &[(usize, f64, f64)]) -> f64 {
        let mut best = 0.0;
        for passage in &self.passages[entry as usize] {
            let mut bonus = 0.0;
            let mut found = 0;
            for &(id, w, factor) in known {
                if passage.binary_search(&id).is_ok() {
                    found += 1;
                    let own = self.postings[id]
                        .binary_search_by_key(&entry, |&(e, _)| e)
                        .map_or(0.0, |i| f64::from(self.postings[id][i].1));
                    bonus += w * factor * (self.tuning.passage_strength - own).max(0.0);
                }
            }
            if found >= 2 && bonus > best {
                best = bonus;
            }
        }
        best
    }

    /// Weighted share of a phrasing's terms that the message has.
    fn phrasing_cover(&self, phrasing: &[usize], query: &HashMap<usize, f64>) -> f64 {
        let mut have = 0.0;
        let mut all = 0.0;
        let mut seen: Vec<usize> = Vec::with_capacity(phrasing.len());
        for &id in phrasing {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            let w = self.weights[id];
            all += w;
            if let Some(f) = query.get(&id) {
                have += w * f;
            }
        }
        if all > 0.0 { have / all } else { 0.0 }
    }

    /// Matches a message and decides: answer, suggest or none.
    ///
    /// The confidence is the best score scaled down when the message holds
    /// less evidence than `min_evidence`: "ice?" alone fits every entry
    /// perfectly and tells nothing.
    pub fn find(&self, message: &str, thresholds: &Thresholds) -> Match {
        let (scored, evidence) = self.score(message);
        let enough = if thresholds.min_evidence > 0.0 { (evidence / thresholds.min_evidence).min(1.0) } else { 1.0 };
        let confidence = scored.first().map_or(0.0, |s| s.score) * enough;
        if enough < 1.0 || confidence < thresholds.suggest {
            return Match { outcome: Outcome::None, confidence, ranked: Vec::new() };
        }
        let runner_up = scored.get(1).map_or(0.0, |s| s.score);
        let outcome = if confidence >= thresholds.answer && confidence - runner_up >= thresholds.margin {
            Outcome::Answer
        } else {
            Outcome::Suggest
        };
        let ranked: Vec<Scored> = scored.into_iter().take(3).filter(|s| s.score >= thresholds.suggest).collect();
        Match { outcome, confidence, ranked }
    }
}
