//! Matching a chat message to the nearest stored question: an inverted index
//! over analysed terms weighted by how well they tell entries apart, a score
//! in [0, 1], and the decision to answer, suggest or abstain.

mod analyse;
mod normalise;
mod places;

pub use analyse::{Analyser, Term, WordCache};

pub use normalise::{MAX_INPUT_CHARS, clip, normalise};

use rustc_hash::FxHashMap;
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
/// How many postings a question reads before it stops widening the
/// candidate set; terms past it are only looked up for the candidates.
const POSTINGS_BUDGET: usize = 8_192;

/// Separates the phrasings or passages of one entry in their flat list.
const SEPARATOR: u32 = u32::MAX;

/// Joins lists of term ids into one flat list with separators.
fn flatten(lists: impl Iterator<Item = Vec<u32>>) -> Box<[u32]> {
    let mut flat = Vec::new();
    for (i, list) in lists.enumerate() {
        if i > 0 {
            flat.push(SEPARATOR);
        }
        flat.extend(list);
    }
    flat.into_boxed_slice()
}

/// A message term the knowledge uses.
#[derive(Debug, Clone, Copy)]
struct Known {
    id: u32,
    weight: f64,
    /// Below 1 for a corrected typo.
    factor: f64,
}

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

/// One entry's terms, numbered locally to the thread that analysed it: what
/// the parallel part of indexing produces.
struct AnalysedEntry {
    phrasings: Vec<Vec<u32>>,
    passages: Vec<Vec<u32>>,
    /// Each term of the entry with the strength of the strongest field it is in.
    strength: Vec<(u32, f32)>,
}

fn analyse_entry(analyser: &Analyser, cache: &mut WordCache, entry: &Entry, tuning: &Tuning) -> AnalysedEntry {
    let mut strength: FxHashMap<u32, f64> = FxHashMap::default();
    let mut add = |terms: &[u32], s: f64| {
        for &t in terms {
            let slot = strength.entry(t).or_insert(0.0);
            *slot = slot.max(s);
        }
    };
    let phrasings: Vec<Vec<u32>> =
        std::iter::once(&entry.question).chain(&entry.aliases).map(|p| analyser.knowledge_terms(p, cache)).collect();
    for p in &phrasings {
        add(p, PHRASING_STRENGTH);
    }
    // Claims are the moderator's one-line statements of what the answer
    // says, the names in an answer (programmes, agencies, acts) are what
    // people ask about by name, and the headings of its list items ("Loss of
    // federal funding: …") sum up its points; the rest of a long answer is
    // prose whose ordinary words say little.
    let mut names = facts::named_things(&entry.answer).into_iter().collect::<Vec<_>>();
    names.extend(facts::headings(&entry.answer));
    add(&analyser.knowledge_terms(&names.join(" "), cache), tuning.claim_strength);
    add(&analyser.knowledge_terms(&entry.topic, cache), tuning.topic_strength);
    let texts = facts::sentences(&entry.answer);
    let sentences: Vec<Vec<u32>> = texts.iter().map(|s| analyser.knowledge_terms(s, cache)).collect();
    for sentence in &sentences {
        add(sentence, tuning.answer_strength);
    }
    // Imported claims are sentences of the answer word for word; those are
    // analysed once.
    let claims: Vec<Vec<u32>> = entry
        .claims
        .iter()
        .map(|c| match texts.iter().position(|t| *t == c.text) {
            Some(i) => sentences[i].clone(),
            None => analyser.knowledge_terms(&c.text, cache),
        })
        .collect();
    for claim in &claims {
        add(claim, tuning.claim_strength);
    }
    let passages = sentences.into_iter().chain(claims).filter(|p| p.len() >= 2).collect();
    let mut strength: Vec<(u32, f32)> = strength.into_iter().map(|(t, s)| (t, s as f32)).collect();
    strength.sort_by_key(|(t, _)| *t);
    AnalysedEntry { phrasings, passages, strength }
}

/// The index over one knowledge base's entries.
#[derive(Debug)]
pub struct Matcher {
    analyser: Analyser,
    /// term → index into `weights` and `postings`.
    terms: HashMap<String, u32>,
    weights: Vec<f64>,
    /// For each term, the entries holding it and how strongly, by entry.
    postings: Vec<Vec<(u32, f32)>>,
    /// For each entry, its phrasings (question, aliases) as term ids, one
    /// flat list with [`SEPARATOR`] between phrasings: one allocation per
    /// entry instead of one per phrasing keeps 100,000 entries small.
    phrasings: Vec<Box<[u32]>>,
    /// For each entry, its passages (answer sentences, claims) as sorted
    /// term ids: words of a message found together in one sentence of an
    /// answer are better evidence than the same words scattered through it.
    /// Flat like `phrasings`, each passage sorted.
    passages: Vec<Box<[u32]>>,
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
    ///
    /// Entries are analysed on all cores (the slow part: every word of every
    /// answer), then their terms are numbered and posted in entry order, so
    /// the index is the same whatever the number of threads.
    pub fn build_with(entries: &[Entry], synonyms: &[Vec<String>], tuning: Tuning) -> Self {
        let mut analyser = Analyser::for_synonyms(synonyms);
        let threads = crate::parallel::threads();
        let mut caches: Vec<WordCache> = (0..threads).map(|_| WordCache::default()).collect();
        // Per thread: local term id → global term id, grown as terms appear.
        let mut local_to_global: Vec<Vec<u32>> = vec![Vec::new(); threads];
        let mut terms: HashMap<String, u32> = HashMap::new();
        let mut postings: Vec<Vec<(u32, f32)>> = Vec::new();
        let mut phrasings = Vec::with_capacity(entries.len());
        let mut passages = Vec::with_capacity(entries.len());

        // Entries are analysed a block at a time on all cores, and each block
        // is folded into the index before the next, so the analysed form of
        // all entries is never in memory at once. Terms are numbered thread by
        // thread in entry order, so the index does not depend on the split.
        const BLOCK: usize = 8_192;
        let mut next_entry = 0u32;
        for block in entries.chunks(BLOCK * threads) {
            let part_len = block.len().div_ceil(threads).max(1);
            let analysed: Vec<Vec<AnalysedEntry>> = std::thread::scope(|s| {
                let handles: Vec<_> = block
                    .chunks(part_len)
                    .zip(caches.iter_mut())
                    .map(|(part, cache)| {
                        let analyser = &analyser;
                        s.spawn(move || part.iter().map(|e| analyse_entry(analyser, cache, e, &tuning)).collect())
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().expect("entry analysis does not panic")).collect()
            });
            for (part, (cache, map)) in analysed.into_iter().zip(caches.iter().zip(local_to_global.iter_mut())) {
                for text in &cache.terms[map.len()..] {
                    let next = terms.len() as u32;
                    let id = *terms.entry(text.to_string()).or_insert(next);
                    if id as usize == postings.len() {
                        postings.push(Vec::new());
                    }
                    map.push(id);
                }
                let global = |list: Vec<u32>| -> Vec<u32> { list.into_iter().map(|t| map[t as usize]).collect() };
                for entry in part {
                    phrasings.push(flatten(entry.phrasings.into_iter().map(global)));
                    passages.push(flatten(entry.passages.into_iter().map(|p| {
                        let mut p = global(p);
                        p.sort_unstable();
                        p
                    })));
                    for (t, s) in entry.strength {
                        postings[map[t as usize] as usize].push((next_entry, s));
                    }
                    next_entry += 1;
                }
            }
        }
        for cache in &mut caches {
            cache.terms = Vec::new();
        }
        analyser.learn(caches);
        for p in &mut postings {
            p.shrink_to_fit();
        }

        let n = entries.len() as f64;
        let idf = |df: f64| (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        let mut by_id: Vec<&str> = vec![""; terms.len()];
        for (text, &id) in &terms {
            by_id[id as usize] = text;
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
        self.terms.get(term).map_or(0.0, |&id| self.weights[id as usize])
    }

    /// Entries holding an analysed term, with how strongly.
    pub fn holders(&self, term: &str) -> Vec<(usize, f32)> {
        self.terms
            .get(term)
            .map(|&id| self.postings[id as usize].iter().map(|&(e, s)| (e as usize, s)).collect())
            .unwrap_or_default()
    }

    pub fn analyser(&self) -> &Analyser {
        &self.analyser
    }

    /// Scores the candidate entries for `message`, best first (ties by entry
    /// index, which is id order), and returns the summed weight of the
    /// message's known words. Entries with no shared term are left out.
    ///
    /// Candidates come from the inverted index: the postings of the message's
    /// rarest terms are read first, up to a budget, so a word in every entry
    /// ("mississippi", "policy") never costs a pass over all entries. The
    /// best [`CANDIDATES`] then get the full score, common terms included.
    pub fn score(&self, message: &str) -> (Vec<Scored>, f64) {
        self.score_within(message, POSTINGS_BUDGET)
    }

    /// [`Matcher::score`] reading every posting: the exhaustive result the
    /// index must agree with (tests compare the two).
    pub fn score_exhaustive(&self, message: &str) -> (Vec<Scored>, f64) {
        self.score_within(message, usize::MAX)
    }

    fn score_within(&self, message: &str, budget: usize) -> (Vec<Scored>, f64) {
        let query = self.analyser.terms(message);
        // Known terms as (term id, weight, evidence factor); the total weight
        // includes unknown words, which pull every entry's coverage down.
        let mut known: Vec<Known> = Vec::new();
        let mut total = 0.0;
        for term in &query {
            match self.terms.get(&term.text) {
                Some(&id) => {
                    let w = self.weights[id as usize];
                    total += w;
                    known.push(Known {
                        id,
                        weight: w,
                        factor: if term.corrected { self.tuning.corrected_factor } else { 1.0 },
                    });
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
        let evidence: f64 = known.iter().map(|k| k.weight).sum();

        // Rarest terms first; their postings are short and telling.
        known.sort_by_key(|k| (self.postings[k.id as usize].len(), k.id));
        let postings_total: usize = known.iter().map(|k| self.postings[k.id as usize].len()).sum();
        let mut coverage: FxHashMap<u32, f64> =
            FxHashMap::with_capacity_and_hasher(postings_total.min(budget), Default::default());
        let mut read = 0usize;
        // How many postings of each term (in `known` order) were read; the
        // rest are looked up for the candidates alone.
        let mut taken: Vec<usize> = Vec::with_capacity(known.len());
        for k in &known {
            let postings = &self.postings[k.id as usize];
            // Even when the rarest term is everywhere, read no more than the
            // budget: such a message cannot single out an entry anyway.
            let take = if read.saturating_add(postings.len()) > budget && !coverage.is_empty() {
                0
            } else {
                postings.len().min(budget.saturating_sub(read).max(1))
            };
            for &(entry, strength) in &postings[..take] {
                *coverage.entry(entry).or_insert(0.0) += k.weight * k.factor * f64::from(strength);
            }
            read += take;
            taken.push(take);
        }
        let mut candidates: Vec<(u32, f64)> = coverage.into_iter().collect();
        let by_score = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if candidates.len() > CANDIDATES {
            candidates.select_nth_unstable_by(CANDIDATES - 1, by_score);
            candidates.truncate(CANDIDATES);
        }

        let mut scored: Vec<Scored> = candidates
            .into_iter()
            .map(|(entry, mut covered)| {
                for (k, &take) in known.iter().zip(&taken) {
                    let postings = &self.postings[k.id as usize];
                    if take < postings.len()
                        && let Ok(i) = postings.binary_search_by_key(&entry, |&(e, _)| e)
                        && i >= take
                    {
                        covered += k.weight * k.factor * f64::from(postings[i].1);
                    }
                }
                let message_cover = (covered + self.passage_bonus(entry, &known)) / total;
                let phrasing_cover = self.phrasings[entry as usize]
                    .split(|&t| t == SEPARATOR)
                    .map(|p| self.phrasing_cover(p, &known))
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
    fn passage_bonus(&self, entry: u32, known: &[Known]) -> f64 {
        let mut best = 0.0;
        for passage in self.passages[entry as usize].split(|&t| t == SEPARATOR) {
            let mut bonus = 0.0;
            let mut found = 0;
            for k in known {
                if passage.binary_search(&k.id).is_ok() {
                    found += 1;
                    let postings = &self.postings[k.id as usize];
                    let own =
                        postings.binary_search_by_key(&entry, |&(e, _)| e).map_or(0.0, |i| f64::from(postings[i].1));
                    bonus += k.weight * k.factor * (self.tuning.passage_strength - own).max(0.0);
                }
            }
            if found >= 2 && bonus > best {
                best = bonus;
            }
        }
        best
    }

    /// Weighted share of a phrasing's terms that the message has.
    fn phrasing_cover(&self, phrasing: &[u32], known: &[Known]) -> f64 {
        let mut have = 0.0;
        let mut all = 0.0;
        for (i, &id) in phrasing.iter().enumerate() {
            if phrasing[..i].contains(&id) {
                continue;
            }
            let w = self.weights[id as usize];
            all += w;
            if let Some(k) = known.iter().find(|k| k.id == id) {
                have += w * k.factor;
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
