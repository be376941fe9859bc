//! Matching a chat message to the nearest stored document: a leaf engine
//! that knows nothing of knowledge files. Documents come in (phrasings, and
//! fields such as answer sentences with a kind each); ranked candidates and
//! the decision to answer, suggest or abstain come out. Two kinds of
//! evidence are fused: lexical (an inverted index over analysed terms
//! weighted by how well they tell documents apart) and semantic (sentence
//! vectors from an [`Encoder`], see [`dense`]).

mod analyse;
pub mod confidence;
mod decide;
pub mod dense;
mod index;
mod lexical;
mod normalise;
mod tokens;

pub use analyse::{Analyser, Term, WordCache};
use decide::UNRELATED_COSINE;
pub use decide::{decide, decide_with};
pub use dense::{DenseIndex, Embedding, EncodeError, Encoder};
pub use tokens::TokenIndex;

pub use normalise::{MAX_INPUT_CHARS, clip, fold_accents, normalise};

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
    /// Languages besides English the knowledge is written in (ISO 639-1):
    /// their function words are stop words too.
    pub languages: Vec<String>,
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
    /// A question people asked that a moderator accepted as this document's
    /// (from the review queue). It counts as a claim does, not as a
    /// phrasing: chat wordings are short and general, and as phrasings they
    /// drew other documents' questions (measured in docs/MATCHING.md). The
    /// same question asked again, word for word up to typos and synonyms,
    /// is still answered with this document.
    Asked,
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
    /// Share of the semantic score from token evidence (each message token
    /// against the phrasing's tokens); the rest is the whole-text cosine.
    pub token_share: f64,
    /// Token score at or below which a phrasing holds nothing of the
    /// message (score 0): the model's tokens in context are all somewhat
    /// alike, so the useful range starts well above 0.
    pub token_floor: f64,
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
            token_share: 0.75,
            token_floor: 0.5,
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
    /// With token evidence, least probability ([`confidence`]) that the
    /// first entry is right for it to be answered; the rules above then
    /// serve only knowledge too large for token evidence and matching by
    /// words alone.
    pub answer_probability: f64,
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
            suggest: 0.15,
            min_evidence: 0.5,
            answer_probability: 0.76,
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
    /// The entry's token score ([`TokenIndex::score`]); `None` without
    /// token evidence, and for entries past the first few (fused as 0).
    pub tokens: Option<f64>,
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
    /// The message sets one thing against another ("compare", "than",
    /// "unlike"): an out-of-scope word in it may be the other side of a
    /// contrast an entry is about, so it lowers scores but vetoes nothing.
    pub contrast: bool,
    /// Whether the semantic half took part.
    pub semantic: bool,
    /// How alike the knowledge itself says the semantic best entry and its
    /// nearest rival among the candidates are (cosine of their closest
    /// phrasings).
    pub sibling: Option<f64>,
    /// How many words the message has: a short message says less, so the
    /// same scores are less sure on it.
    pub words: usize,
}

/// The result of matching one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub outcome: Outcome,
    /// Confidence of the best entry, in [0, 1]; 0 when nothing matched.
    /// Where the answer-probability model decides, its probability that
    /// the first entry is right; otherwise the first entry's fused score.
    pub confidence: f64,
    /// Best entries first, at most 3, each at least the suggest threshold;
    /// for `Answer` the first is the answer.
    pub ranked: Vec<Scored>,
    /// The answer was chosen because the message is one of its stored
    /// phrasings (word for word, up to typos and synonyms).
    pub stored: bool,
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
    /// The terms of each accepted asked question ([`FieldKind::Asked`]),
    /// sorted, and the entry it belongs to ([`SEPARATOR`] when two entries
    /// have it): a message with exactly those terms is that question.
    asked: FxHashMap<Box<[u32]>, u32>,
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
    /// `None` for knowledge too large to keep its tokens' vectors.
    tokens: Option<TokenIndex>,
    encoder: Arc<dyn Encoder>,
}

impl Matcher {
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

    /// Attaches the semantic half: `index` holds a vector for each phrasing
    /// of each entry (in entry order), `tokens` their tokens' vectors, made
    /// by `encoder`.
    pub fn attach(&mut self, index: DenseIndex, tokens: Option<TokenIndex>, encoder: Arc<dyn Encoder>) {
        self.dense = Some(Dense { index, tokens, encoder });
    }

    /// Whether an encoder is attached.
    pub fn is_hybrid(&self) -> bool {
        self.dense.is_some()
    }

    /// Bytes held by the phrasing vectors.
    pub fn dense_bytes(&self) -> usize {
        self.dense.as_ref().map_or(0, |d| d.index.bytes() + d.tokens.as_ref().map_or(0, TokenIndex::bytes))
    }

    /// The texts the encoder embeds for a document's phrasings, as
    /// the analyser's `semantic_text` writes them, so messages and
    /// stored questions reach the model in the same form.
    pub fn semantic_texts<'a>(&self, phrasings: impl Iterator<Item = &'a String>) -> Vec<String> {
        phrasings.map(|p| self.analyser.semantic_text(p)).collect()
    }
}
