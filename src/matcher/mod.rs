//! Matching a chat message to the nearest stored document: a leaf engine
//! that knows nothing of knowledge files. Documents come in (phrasings, and
//! fields such as answer sentences with a kind each); ranked candidates and
//! the decision to answer, suggest or abstain come out. Two kinds of
//! evidence are fused: lexical (an inverted index over analysed terms
//! weighted by how well they tell documents apart) and semantic (sentence
//! vectors from an [`Encoder`], see [`dense`]).

mod analyse;
pub mod dense;
mod normalise;

pub use analyse::{Analyser, Term, WordCache};
pub use dense::{DenseIndex, EncodeError, Encoder};

pub use normalise::{MAX_INPUT_CHARS, clip, normalise};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// The words of one knowledge base that analysis needs, written by its
/// moderators: nothing about any subject is built into the engine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Vocabulary {
    /// Groups of words or phrases that mean the same; each group folds into
    /// one concept.
    pub synonyms: Vec<Vec<String>>,
    /// Short forms expanded wherever they stand alone as a word ("nyc" →
    /// "new york city").
    pub abbreviations: Vec<(String, String)>,
    /// Words that, when a message uses them and no document does, say the
    /// message asks about something else (other places, other programmes).
    pub out_of_scope: Vec<String>,
    /// Words that carry no meaning in this knowledge beyond English stop words.
    pub stop_words: Vec<String>,
}

/// What a piece of a document's text is, which decides how much a word in
/// it says about the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// The document's topic or section name.
    Topic,
    /// Names and headings in the answer (programmes, agencies, list heads).
    Name,
    /// One sentence of the answer.
    Sentence,
    /// A one-line statement of what the answer says.
    Claim,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub kind: FieldKind,
    pub text: String,
}

/// One thing that can be matched: its phrasings (the questions it answers)
/// and its other text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub phrasings: Vec<String>,
    pub fields: Vec<Field>,
}

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
    /// Weight of a word the knowledge lists as out of scope and never uses,
    /// relative to the rarest known word: a question about elsewhere is not
    /// about here.
    pub out_of_scope_factor: f64,
    /// Weight of a common English word ("come", "find") relative to what its
    /// rarity in the knowledge alone would give it.
    pub common_factor: f64,
    /// Share of the fused score from lexical evidence; the rest is semantic.
    pub lexical_share: f64,
    /// Cosine at or below which two texts count as unrelated (semantic
    /// score 0); the model's typical similarity of unrelated sentences.
    pub cosine_floor: f64,
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
            out_of_scope_factor: 3.0,
            common_factor: 0.7,
            lexical_share: 0.3,
            cosine_floor: UNRELATED_COSINE,
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
/// One set serves every knowledge base: each rule asks for a lead over the
/// runner-up or agreement between the two kinds of evidence, not only a
/// high score, so a knowledge base whose entries all sound alike (and so
/// all score high) does not get confident answers for free.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Least lexical score for an answer on words alone.
    pub answer: f64,
    /// Least lead of the best lexical score over the runner-up's for an
    /// answer on words alone.
    pub margin: f64,
    /// With semantic matching, an answer on words alone also needs the
    /// entry's cosine within this much of the best cosine: the meaning must
    /// not point elsewhere.
    pub semantic_slack: f64,
    /// Least cosine for an answer when the words and the meaning pick the
    /// same entry.
    pub agree_cosine: f64,
    /// Least cosine for an answer on meaning alone...
    pub answer_cosine: f64,
    /// ...with at least this lead over the runner-up's cosine...
    pub cosine_margin: f64,
    /// ...and at least this much above the cosine between the entry and its
    /// nearest rival: the message must be closer to the entry than the
    /// knowledge's own phrasings of another entry are. In a knowledge base
    /// whose entries all sound alike this asks a lot; where they are
    /// distinct, little.
    pub sibling_margin: f64,
    /// Least fused score for an entry to be offered as "did you mean".
    pub suggest: f64,
    /// Least summed weight of the message's words found in the knowledge for
    /// an answer on words alone; below it the message says too little.
    pub min_evidence: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            answer: 0.3,
            margin: 0.15,
            semantic_slack: 0.1,
            agree_cosine: 0.8,
            answer_cosine: 0.5,
            cosine_margin: 0.03,
            sibling_margin: 0.05,
            suggest: 0.2,
            min_evidence: 0.5,
        }
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
    /// The fused score the decision runs on, in [0, 1].
    pub score: f64,
    /// The lexical score alone.
    pub lexical: f64,
    /// Cosine of the message with the entry's nearest phrasing; `None`
    /// without an encoder.
    pub semantic: Option<f64>,
}

/// What the lexical pass found out about a message.
struct Lexical {
    known: Vec<Known>,
    /// Summed weight of every word of the message, known or not.
    total: f64,
    /// Summed weight of the message's known words.
    evidence: f64,
    /// Words the knowledge lists as out of scope (and never uses).
    out_of_scope: usize,
    candidates: Vec<u32>,
}

/// Everything the decision looks at for one message: for tools that
/// measure matching, and the decision itself.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    /// Candidates from either kind of retrieval, best fused score first.
    pub ranked: Vec<Scored>,
    /// Summed weight of the message's words the knowledge uses.
    pub evidence: f64,
    /// Share of the message's weight in words the knowledge uses.
    pub known_share: f64,
    pub out_of_scope: usize,
    /// Whether the semantic half took part.
    pub semantic: bool,
    /// How alike the knowledge itself says the semantic best entry and its
    /// nearest rival among the candidates are (cosine of their closest
    /// phrasings).
    pub sibling: Option<f64>,
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
    /// The answer was chosen because the message is one of its stored
    /// phrasings (word for word, up to typos and synonyms).
    pub stored: bool,
}

/// One entry's terms, numbered locally to the thread that analysed it: what
/// the parallel part of indexing produces.
struct AnalysedEntry {
    phrasings: Vec<Vec<u32>>,
    passages: Vec<Vec<u32>>,
    /// Each term of the entry with the strength of the strongest field it is in.
    strength: Vec<(u32, f32)>,
}

fn analyse_document(analyser: &Analyser, cache: &mut WordCache, doc: &Document, tuning: &Tuning) -> AnalysedEntry {
    let mut strength: FxHashMap<u32, f64> = FxHashMap::default();
    let mut add = |terms: &[u32], s: f64| {
        for &t in terms {
            let slot = strength.entry(t).or_insert(0.0);
            *slot = slot.max(s);
        }
    };
    let phrasings: Vec<Vec<u32>> = doc.phrasings.iter().map(|p| analyser.knowledge_terms(p, cache)).collect();
    for p in &phrasings {
        add(p, PHRASING_STRENGTH);
    }
    // A word of a stored question says more about what the document answers
    // than the same word somewhere in a long answer; words found together in
    // one sentence or claim (a passage) say more than the same words spread
    // over the answer.
    let mut passages = Vec::new();
    for field in &doc.fields {
        let terms = analyser.knowledge_terms(&field.text, cache);
        let s = match field.kind {
            FieldKind::Topic => tuning.topic_strength,
            FieldKind::Name | FieldKind::Claim => tuning.claim_strength,
            FieldKind::Sentence => tuning.answer_strength,
        };
        add(&terms, s);
        if matches!(field.kind, FieldKind::Sentence | FieldKind::Claim) && terms.len() >= 2 {
            passages.push(terms);
        }
    }
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
    /// The semantic half, when an encoder is attached.
    dense: Option<Dense>,
}

/// Phrasing vectors and the encoder that made them (and embeds messages).
#[derive(Debug)]
struct Dense {
    index: DenseIndex,
    encoder: Arc<dyn Encoder>,
}

impl Matcher {
    /// Indexes `count` documents, the `i`th made by `document(i)` when it is
    /// analysed (so the documents of a large knowledge base are never all in
    /// memory at once), with the knowledge's own vocabulary.
    pub fn build(count: usize, document: impl Fn(usize) -> Document + Sync, vocabulary: &Vocabulary) -> Self {
        Self::build_with(count, document, vocabulary, Tuning::default())
    }

    /// Like [`Matcher::build`] with other weights, for measuring them.
    ///
    /// Entries are analysed on all cores (the slow part: every word of every
    /// answer), then their terms are numbered and posted in entry order, so
    /// the index is the same whatever the number of threads.
    pub fn build_with(
        count: usize,
        document: impl Fn(usize) -> Document + Sync,
        vocabulary: &Vocabulary,
        tuning: Tuning,
    ) -> Self {
        let mut analyser = Analyser::for_vocabulary(vocabulary);
        let document = &document;
        let threads = crate::parallel::threads();
        let mut caches: Vec<WordCache> = (0..threads).map(|_| WordCache::default()).collect();
        // Per thread: local term id → global term id, grown as terms appear.
        let mut local_to_global: Vec<Vec<u32>> = vec![Vec::new(); threads];
        let mut terms: HashMap<String, u32> = HashMap::new();
        let mut postings: Vec<Vec<(u32, f32)>> = Vec::new();
        let mut phrasings = Vec::with_capacity(count);
        let mut passages = Vec::with_capacity(count);

        // Entries are analysed a block at a time on all cores, and each block
        // is folded into the index before the next, so the analysed form of
        // all entries is never in memory at once. Terms are numbered thread by
        // thread in entry order, so the index does not depend on the split.
        const BLOCK: usize = 8_192;
        let mut next_entry = 0u32;
        let indices: Vec<usize> = (0..count).collect();
        for block in indices.chunks(BLOCK * threads) {
            let part_len = block.len().div_ceil(threads).max(1);
            let analysed: Vec<Vec<AnalysedEntry>> = std::thread::scope(|s| {
                let handles: Vec<_> = block
                    .chunks(part_len)
                    .zip(caches.iter_mut())
                    .map(|(part, cache)| {
                        let analyser = &analyser;
                        s.spawn(move || {
                            part.iter().map(|&i| analyse_document(analyser, cache, &document(i), &tuning)).collect()
                        })
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

        let n = count as f64;
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
        Matcher { analyser, terms, weights, postings, phrasings, passages, rare_weight: idf(1.0), tuning, dense: None }
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
    /// ("covid", "policy") never costs a pass over all entries. The
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
        let lexical = self.lexical(message, budget);
        let mut scored: Vec<Scored> = lexical
            .candidates
            .iter()
            .map(|&entry| {
                let score = self.lexical_score(entry, &lexical);
                Scored { entry: entry as usize, score, lexical: score, semantic: None }
            })
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        (scored, lexical.evidence)
    }

    /// The message's known terms and the entries worth a full lexical score.
    fn lexical(&self, message: &str, budget: usize) -> Lexical {
        let query = self.analyser.terms(message);
        // Known terms as (term id, weight, evidence factor); the total weight
        // includes unknown words, which pull every entry's coverage down.
        let mut known: Vec<Known> = Vec::new();
        let mut total = 0.0;
        let mut out_of_scope = 0;
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
                None if term.out_of_scope => {
                    out_of_scope += 1;
                    total += self.rare_weight * self.tuning.out_of_scope_factor;
                }
                None => {
                    let common = if term.common { self.tuning.common_factor } else { 1.0 };
                    total += self.rare_weight * self.tuning.unknown_factor * common;
                }
            }
        }
        let evidence: f64 = known.iter().map(|k| k.weight).sum();
        let mut lexical = Lexical { known, total, evidence, out_of_scope, candidates: Vec::new() };
        if lexical.known.is_empty() || total <= 0.0 {
            return lexical;
        }

        // Rarest terms first; their postings are short and telling.
        lexical.known.sort_by_key(|k| (self.postings[k.id as usize].len(), k.id));
        let postings_total: usize = lexical.known.iter().map(|k| self.postings[k.id as usize].len()).sum();
        let mut coverage: FxHashMap<u32, f64> =
            FxHashMap::with_capacity_and_hasher(postings_total.min(budget), Default::default());
        let mut read = 0usize;
        for k in &lexical.known {
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
        }
        let mut candidates: Vec<(u32, f64)> = coverage.into_iter().collect();
        let by_score = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if candidates.len() > CANDIDATES {
            candidates.select_nth_unstable_by(CANDIDATES - 1, by_score);
            candidates.truncate(CANDIDATES);
        }
        lexical.candidates = candidates.into_iter().map(|(e, _)| e).collect();
        lexical
    }

    /// The full lexical score of one entry: how much of the message it
    /// explains and how much of its best phrasing the message covers.
    fn lexical_score(&self, entry: u32, lexical: &Lexical) -> f64 {
        if lexical.total <= 0.0 {
            return 0.0;
        }
        let mut covered = 0.0;
        for k in &lexical.known {
            let postings = &self.postings[k.id as usize];
            if let Ok(i) = postings.binary_search_by_key(&entry, |&(e, _)| e) {
                covered += k.weight * k.factor * f64::from(postings[i].1);
            }
        }
        if covered == 0.0 {
            return 0.0;
        }
        let message_cover = (covered + self.passage_bonus(entry, &lexical.known)) / lexical.total;
        let phrasing_cover = self.phrasings[entry as usize]
            .split(|&t| t == SEPARATOR)
            .map(|p| self.phrasing_cover(p, &lexical.known))
            .fold(0.0, f64::max);
        let share = self.tuning.message_share;
        (share * message_cover + (1.0 - share) * phrasing_cover).clamp(0.0, 1.0)
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

    /// Attaches the semantic half: `index` holds a vector for each phrasing
    /// of each entry (in entry order), made by `encoder`.
    pub fn attach(&mut self, index: DenseIndex, encoder: Arc<dyn Encoder>) {
        self.dense = Some(Dense { index, encoder });
    }

    /// Whether an encoder is attached.
    pub fn is_hybrid(&self) -> bool {
        self.dense.is_some()
    }

    /// Bytes held by the phrasing vectors.
    pub fn dense_bytes(&self) -> usize {
        self.dense.as_ref().map_or(0, |d| d.index.bytes())
    }

    /// The texts the encoder embeds for a document's phrasings: as the
    /// analyser normalises them (abbreviations expanded), so messages
    /// and stored questions reach the model in the same form.
    pub fn semantic_texts<'a>(&self, phrasings: impl Iterator<Item = &'a String>) -> Vec<String> {
        phrasings.map(|p| self.analyser.normalise(p)).collect()
    }

    /// Scores a message with both kinds of evidence: the lexical candidates
    /// and the semantic nearest entries, each scored by both, fused.
    pub fn signals(&self, message: &str) -> Signals {
        let lexical = self.lexical(message, POSTINGS_BUDGET);
        let known_share = if lexical.total > 0.0 { lexical.evidence / lexical.total } else { 0.0 };
        let mut signals = Signals {
            evidence: lexical.evidence,
            known_share,
            out_of_scope: lexical.out_of_scope,
            ..Default::default()
        };
        let query = self.dense.as_ref().and_then(|dense| {
            let text = self.analyser.normalise(clip(message));
            match dense.encoder.encode_query(&text) {
                Ok(v) => dense.index.query(&v).map(|q| (dense, q)),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot embed a message; matching it by its words alone");
                    None
                }
            }
        });
        let mut entries: Vec<u32> = lexical.candidates.clone();
        if let Some((dense, q)) = &query {
            signals.semantic = true;
            let nearest = dense.index.nearest(q, SEMANTIC_CANDIDATES);
            if let Some(&(top, _)) = nearest.first() {
                signals.sibling =
                    nearest[1..].iter().map(|&(other, _)| f64::from(dense.index.between(top, other))).reduce(f64::max);
            }
            entries.extend(nearest.into_iter().map(|(d, _)| d as u32));
        }
        entries.sort_unstable();
        entries.dedup();
        signals.ranked = entries
            .into_iter()
            .map(|entry| {
                let lexical = self.lexical_score(entry, &lexical);
                let semantic = query.as_ref().map(|(dense, q)| f64::from(dense.index.similarity(q, entry as usize)));
                let score = match semantic {
                    Some(cos) => fuse(lexical, cos, &self.tuning),
                    None => lexical,
                };
                Scored { entry: entry as usize, score, lexical, semantic }
            })
            .collect();
        signals.ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        signals
    }

    /// Matches a message and decides: answer, suggest or none.
    pub fn find(&self, message: &str, thresholds: &Thresholds) -> Match {
        decide(self.signals(message), thresholds)
    }
}

/// Lexical scores closer than this are a tie.
const TIE: f64 = 0.01;

/// A lexical score this high means the message is a stored phrasing...
const EXACT: f64 = 0.95;
/// ...when no other entry's score is within this.
const EXACT_MARGIN: f64 = 0.05;

/// Cosine at or below which the model's sentences are unrelated (about
/// where all-MiniLM-L6-v2 puts sentences on different subjects).
const UNRELATED_COSINE: f64 = 0.2;

/// How many entries the semantic half adds as candidates.
const SEMANTIC_CANDIDATES: usize = 16;

/// One score from the two kinds of evidence.
fn fuse(lexical: f64, cosine: f64, tuning: &Tuning) -> f64 {
    let semantic = ((cosine - tuning.cosine_floor) / (1.0 - tuning.cosine_floor)).clamp(0.0, 1.0);
    (tuning.lexical_share * lexical + (1.0 - tuning.lexical_share) * semantic).clamp(0.0, 1.0)
}

/// The decision: answer when one entry is clearly the one, suggest when
/// some are plausible, none otherwise.
///
/// An answer needs one of: the message being a stored phrasing; the words
/// and the meaning agreeing on the entry (with a high cosine); the words
/// singling it out (a lexical score with a lead over the runner-up, enough
/// evidence, and a meaning that does not point elsewhere); or the meaning
/// alone singling it out (a lead over the runner-up, and closer to the
/// entry than the knowledge's own phrasings of its nearest rival are). A message naming something the knowledge lists as
/// out of scope is never answered. Without semantic matching only the
/// second rule applies, with the lexical thresholds.
pub fn decide(signals: Signals, thresholds: &Thresholds) -> Match {
    let t = thresholds;
    let ranked = signals.ranked;
    let Some(top) = ranked.first() else {
        return Match { outcome: Outcome::None, confidence: 0.0, ranked: Vec::new(), stored: false };
    };
    let by = |f: fn(&Scored) -> f64| -> (Option<&Scored>, f64) {
        let mut best: Option<&Scored> = None;
        let mut second = 0.0f64;
        for s in &ranked {
            match best {
                Some(b) if f(s) <= f(b) => second = second.max(f(s)),
                _ => {
                    if let Some(b) = best {
                        second = second.max(f(b));
                    }
                    best = Some(s);
                }
            }
        }
        (best, second)
    };
    let (lex_top, lex_second) = by(|s| s.lexical);
    let lex_top = lex_top.expect("ranked is not empty");
    let enough = signals.evidence >= t.min_evidence;
    // The message says what one stored phrasing says, word for word (up to
    // typos and synonyms), and no other entry comes as close.
    let exact = lex_top.lexical >= EXACT && lex_top.lexical - lex_second >= EXACT_MARGIN;
    // The words single the entry out.
    let words_lead = enough && lex_top.lexical >= t.answer && lex_top.lexical - lex_second >= t.margin;
    let answer: Option<usize> = if signals.out_of_scope > 0 {
        None
    } else if exact {
        Some(lex_top.entry)
    } else if signals.semantic {
        let (cos_top, cos_second) = by(|s| s.semantic.unwrap_or(-1.0));
        let cos_top = cos_top.expect("ranked is not empty");
        let best_cos = cos_top.semantic.unwrap_or(-1.0);
        // Agreement counts only when the words prefer the entry: among
        // entries that differ by a word the message left out (the same
        // question for two places), the words tie and the meaning's choice
        // between them is a coin toss.
        let agree = lex_top.entry == cos_top.entry && lex_top.lexical - lex_second > TIE;
        if agree && best_cos >= t.agree_cosine {
            Some(cos_top.entry)
        } else if words_lead && lex_top.semantic.unwrap_or(-1.0) >= best_cos - t.semantic_slack {
            Some(lex_top.entry)
        } else if best_cos >= t.answer_cosine
            && best_cos - cos_second >= t.cosine_margin
            && best_cos >= signals.sibling.unwrap_or(1.0) + t.sibling_margin
        {
            Some(cos_top.entry)
        } else {
            None
        }
    } else if words_lead {
        Some(lex_top.entry)
    } else {
        None
    };
    match answer {
        Some(entry) => {
            let chosen = *ranked.iter().find(|s| s.entry == entry).expect("the answer is ranked");
            let mut out = vec![chosen];
            out.extend(ranked.iter().filter(|s| s.entry != entry && s.score >= t.suggest).take(2).copied());
            let stored = exact && signals.out_of_scope == 0 && entry == lex_top.entry;
            Match { outcome: Outcome::Answer, confidence: chosen.score, ranked: out, stored }
        }
        None => {
            let confidence = top.score;
            // Either kind of evidence alone can make an entry worth offering:
            // the fused score, or the words when there are enough of them
            // and the meaning is not unrelated.
            let plausible: Vec<Scored> = ranked
                .iter()
                .filter(|s| {
                    s.score >= t.suggest
                        || (enough && s.lexical >= t.suggest && s.semantic.is_none_or(|c| c > UNRELATED_COSINE))
                })
                .take(3)
                .copied()
                .collect();
            // Too little to go on: a message of unknown words, or one the
            // knowledge says is about something else.
            let nothing = plausible.is_empty() || (!enough && !signals.semantic) || signals.out_of_scope > 0;
            if nothing {
                Match { outcome: Outcome::None, confidence, ranked: Vec::new(), stored: false }
            } else {
                Match { outcome: Outcome::Suggest, confidence, ranked: plausible, stored: false }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(entry: usize, lexical: f64, cosine: f64) -> Scored {
        let score = fuse(lexical, cosine, &Tuning::default());
        Scored { entry, score, lexical, semantic: Some(cosine) }
    }

    fn signals(ranked: Vec<Scored>, sibling: f64) -> Signals {
        Signals { ranked, evidence: 2.0, known_share: 1.0, out_of_scope: 0, semantic: true, sibling: Some(sibling) }
    }

    #[test]
    fn meaning_alone_is_judged_against_the_knowledge_own_rivals() {
        let t = Thresholds::default();
        // The message is 0.70 from entry 0 and 0.60 from entry 1; no words shared.
        let ranked = vec![scored(0, 0.0, 0.70), scored(1, 0.0, 0.60)];
        // Where entries 0 and 1 are distinct (their questions 0.40 apart),
        // that singles out entry 0...
        let m = decide(signals(ranked.clone(), 0.40), &t);
        assert_eq!((m.outcome, m.ranked[0].entry), (Outcome::Answer, 0));
        // ...where they sound alike (0.85), it does not.
        let m = decide(signals(ranked, 0.85), &t);
        assert_eq!(m.outcome, Outcome::Suggest);
        assert_eq!(m.ranked.iter().map(|s| s.entry).collect::<Vec<_>>(), [0, 1]);
    }

    #[test]
    fn agreement_on_a_lexical_tie_is_not_an_answer() {
        let t = Thresholds::default();
        // Two entries that differ by a word the message left out: the words
        // tie, the meaning leans one way by a hair.
        let ranked = vec![scored(0, 0.6, 0.91), scored(1, 0.6, 0.90)];
        let m = decide(signals(ranked.clone(), 0.97), &t);
        assert_eq!(m.outcome, Outcome::Suggest, "{m:?}");
        // With the words preferring entry 0 as well, it is.
        let ranked = vec![scored(0, 0.62, 0.91), scored(1, 0.55, 0.90)];
        assert_eq!(decide(signals(ranked, 0.97), &t).outcome, Outcome::Answer);
    }

    #[test]
    fn an_out_of_scope_word_is_never_answered() {
        let t = Thresholds::default();
        let mut s = signals(vec![scored(0, 1.0, 0.99), scored(1, 0.1, 0.2)], 0.3);
        assert_eq!(decide(s.clone(), &t).outcome, Outcome::Answer);
        s.out_of_scope = 1;
        assert_ne!(decide(s, &t).outcome, Outcome::Answer);
    }
}
