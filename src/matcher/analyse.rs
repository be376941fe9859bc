//! Turning text into the terms the index compares: normalised words, stop
//! words dropped, stems (Porter), typos corrected against the knowledge's own
//! vocabulary, and moderator-written synonym phrases folded into one concept
//! term. Stored questions and chat messages go through the same steps.

use rust_stemmers::{Algorithm, Stemmer};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::normalise::{clip, normalise};

/// Words that carry no meaning for choosing an entry: English function words
/// and the filler of chat messages ("like", "actually", "pls").
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "actually",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "anyone",
    "anything",
    "are",
    "around",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "day",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "even",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "get",
    "gets",
    "getting",
    "give",
    "go",
    "going",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "hello",
    "her",
    "here",
    "hers",
    "hey",
    "hi",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "kind",
    "know",
    "like",
    "lol",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "of",
    "off",
    "ok",
    "okay",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "please",
    "pretty",
    "question",
    "quick",
    "really",
    "same",
    "says",
    "she",
    "should",
    "so",
    "some",
    "someone",
    "something",
    "such",
    "tell",
    "thanks",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "things",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "very",
    "wanna",
    "want",
    "was",
    "way",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "wondering",
    "would",
    "yeah",
    "yes",
    "you",
    "your",
    "yours",
    "stuff",
    "ask",
    "asking",
    "curious",
    // Discourse markers: in an answer "First, …" orders points, it is not
    // about what comes first.
    "first",
    "second",
    "third",
    "firstly",
    "secondly",
    "thirdly",
    "finally",
    "lastly",
    "additionally",
    "overall",
    "furthermore",
    "moreover",
    "however",
    "whether",
    "since",
    "already",
    "still",
];

/// One analysed term of a text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Term {
    pub text: String,
    /// The word was not in the vocabulary and was read as a near spelling.
    pub corrected: bool,
    /// The word is in neither the vocabulary nor correctable: something the
    /// knowledge never talks about.
    pub unknown: bool,
    /// An unknown word that names a place (another state, say).
    pub foreign_place: bool,
    /// A common English word (see [`Analyser::is_common`]).
    pub common: bool,
}

/// Analyses text into terms for one knowledge base.
pub struct Analyser {
    stemmer: Stemmer,
    stop: BTreeSet<&'static str>,
    /// Synonym phrases (as plural-folded words), longest first, keyed by first word.
    phrases: HashMap<String, Vec<(Vec<String>, String)>>,
    /// Every word the knowledge uses (plurals folded); typos are corrected
    /// towards these.
    lexicon: BTreeSet<String>,
    /// The lexicon bucketed by length, so a typo is compared only with words
    /// of about its own length.
    by_length: BTreeMap<usize, Vec<String>>,
    /// Stems of place names (see `places`).
    places: BTreeSet<String>,
    /// Stems of common English words (the ISO stop-word list, beyond our own
    /// stop words): "come", "find", "work". In a small FAQ such words are rare
    /// and would look telling; in English they are not.
    common: BTreeSet<String>,
}

impl std::fmt::Debug for Analyser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyser").field("lexicon", &self.lexicon.len()).finish()
    }
}

impl Analyser {
    /// Builds an analyser whose vocabulary is `texts` and whose synonym
    /// groups are `synonyms` (each group folds into one concept term).
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>, synonyms: &[Vec<String>]) -> Self {
        let mut analyser = Analyser {
            stemmer: Stemmer::create(Algorithm::English),
            stop: STOP_WORDS.iter().copied().collect(),
            phrases: HashMap::new(),
            lexicon: BTreeSet::new(),
            by_length: BTreeMap::new(),
            places: BTreeSet::new(),
            common: BTreeSet::new(),
        };
        analyser.places = super::places::PLACES.iter().map(|p| analyser.stem(p)).collect();
        analyser.common = stop_words::get("en")
            .iter()
            .map(|w| normalise(w))
            .filter(|w| !w.is_empty() && !w.contains(' ') && !analyser.stop.contains(w.as_str()))
            .map(|w| analyser.stem(&w))
            .collect();
        for group in synonyms {
            let Some(first) = group.first() else { continue };
            let concept = format!("~{}", analyser.light_words(first).join("_"));
            if concept.len() == 1 {
                continue;
            }
            for member in group {
                let words = analyser.light_words(member);
                if words.is_empty() {
                    continue;
                }
                analyser.lexicon.extend(words.iter().cloned());
                let slot = analyser.phrases.entry(words[0].clone()).or_default();
                if !slot.iter().any(|(s, _)| *s == words) {
                    slot.push((words, concept.clone()));
                }
            }
        }
        for slot in analyser.phrases.values_mut() {
            // Longest phrase first, then by text, so overlapping groups resolve
            // the same way every time.
            slot.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
        }
        for text in texts {
            let words = analyser.light_words(text);
            analyser.lexicon.extend(words);
        }
        for word in &analyser.lexicon {
            analyser.by_length.entry(word.chars().count()).or_default().push(word.clone());
        }
        analyser
    }

    /// The words of `text` with plurals folded, stop words included (synonym
    /// phrases may hold them).
    fn light_words(&self, text: &str) -> Vec<String> {
        normalise(text).split(' ').filter(|w| !w.is_empty()).map(|w| self.light(w)).collect()
    }

    /// Plural folding only (an "S stemmer"): "rules" → "rule", "policies" →
    /// "policy", but "ruled" stays. Synonyms match on these forms, so a
    /// moderator's "rules" does not also catch "ruled"; the full stemmer runs
    /// afterwards on words no synonym claimed.
    fn light(&self, word: &str) -> String {
        if self.stop.contains(word) || word.chars().count() <= 3 || !word.chars().all(char::is_alphabetic) {
            return word.to_owned();
        }
        if let Some(stem) = word.strip_suffix("ies")
            && !stem.ends_with(['e', 'a'])
        {
            return format!("{stem}y");
        }
        if word.ends_with("es") && !word.ends_with("aes") && !word.ends_with("ees") && !word.ends_with("oes") {
            return word[..word.len() - 1].to_owned();
        }
        if word.ends_with('s') && !word.ends_with("us") && !word.ends_with("ss") && !word.ends_with("is") {
            return word[..word.len() - 1].to_owned();
        }
        word.to_owned()
    }

    fn stem(&self, word: &str) -> String {
        if self.stop.contains(word) {
            // Stop words keep their form, so they never collide with a stem.
            return word.to_owned();
        }
        self.stemmer.stem(word).into_owned()
    }

    /// The distinct terms of `text`, sorted; concept terms ("~ice") for
    /// synonym phrases, full stems for every other word but stop words.
    pub fn terms(&self, text: &str) -> Vec<Term> {
        let normalised = normalise(clip(text));
        let mut words: Vec<(String, bool, bool, bool)> = Vec::new(); // (light form, stop, corrected, unknown)
        for word in normalised.split(' ').filter(|w| !w.is_empty()) {
            let stop = self.stop.contains(word);
            let light = self.light(word);
            if stop || self.lexicon.contains(&light) {
                words.push((light, stop, false, false));
            } else if let Some(fixed) = self.correct(&light) {
                words.push((fixed, false, true, false));
            } else {
                words.push((light, false, false, true));
            }
        }

        let mut terms: Vec<Term> = Vec::new();
        let mut i = 0;
        while i < words.len() {
            if let Some((len, concept)) = self.phrase_at(&words, i) {
                let corrected = words[i..i + len].iter().any(|w| w.2);
                terms.push(Term {
                    text: concept.to_owned(),
                    corrected,
                    unknown: false,
                    foreign_place: false,
                    common: false,
                });
                i += len;
                continue;
            }
            let (light, stop, corrected, unknown) = &words[i];
            if !stop {
                let stem = self.stem(light);
                let foreign_place = *unknown && self.places.contains(&stem);
                let common = self.common.contains(&stem);
                terms.push(Term { text: stem, corrected: *corrected, unknown: *unknown, foreign_place, common });
            }
            i += 1;
        }
        terms.sort();
        // A repeated word counts once: "mississippi mississippi …" is no
        // stronger a question than "mississippi".
        terms.dedup_by(|b, a| {
            if a.text == b.text {
                a.corrected &= b.corrected;
                true
            } else {
                false
            }
        });
        terms
    }

    fn phrase_at(&self, words: &[(String, bool, bool, bool)], i: usize) -> Option<(usize, &str)> {
        let candidates = self.phrases.get(&words[i].0)?;
        candidates.iter().find_map(|(stems, concept)| {
            let fits = i + stems.len() <= words.len() && stems.iter().zip(&words[i..]).all(|(s, w)| *s == w.0);
            fits.then_some((stems.len(), concept.as_str()))
        })
    }

    /// The nearest vocabulary word to a misspelt word, if one is close enough:
    /// one edit for words of 5–8 letters, two for longer ones; never for short
    /// words, common English words or numbers, where one edit makes a
    /// different word ("held" is not a typo of "help").
    ///
    /// Words under 7 letters are only corrected for a missing, extra or
    /// swapped letter, the usual slips of typing on a phone; a changed letter
    /// in a short word too often makes another real word ("tight", "might").
    fn correct(&self, word: &str) -> Option<String> {
        let len = word.chars().count();
        if len < 5 || word.chars().any(|c| c.is_ascii_digit()) || self.common.contains(&self.stem(word)) {
            return None;
        }
        let max_edits = if len >= 9 { 2 } else { 1 };
        let mut best: Option<(usize, &String)> = None;
        for candidate_len in len.saturating_sub(max_edits)..=len + max_edits {
            for known in self.by_length.get(&candidate_len).into_iter().flatten() {
                if candidate_len < 5 {
                    continue;
                }
                let d = strsim::damerau_levenshtein(word, known);
                let substitution = d == 1 && candidate_len == len && !is_transposition(word, known);
                if d <= max_edits && !(substitution && len < 7) && best.is_none_or(|(bd, bw)| (d, known) < (bd, bw)) {
                    best = Some((d, known));
                }
            }
        }
        best.map(|(_, w)| w.clone())
    }

    /// Whether a term is a common English word (see `common`). Concept terms
    /// from synonym groups never are: a moderator chose them.
    pub fn is_common(&self, term: &str) -> bool {
        self.common.contains(term)
    }
}

/// Whether `b` is `a` with two neighbouring letters swapped.
fn is_transposition(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let differ: Vec<usize> = (0..a.len().min(b.len())).filter(|&i| a[i] != b[i]).collect();
    a.len() == b.len()
        && differ.len() == 2
        && differ[1] == differ[0] + 1
        && a[differ[0]] == b[differ[1]]
        && a[differ[1]] == b[differ[0]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyser() -> Analyser {
        Analyser::new(
            ["Mississippi law enforcement cooperates with ICE under the 287(g) program."],
            &[
                vec!["ice".into(), "immigration and customs enforcement".into(), "deportation agents".into()],
                vec!["police".into(), "law enforcement".into(), "cops".into()],
            ],
        )
    }

    fn texts(terms: &[Term]) -> Vec<&str> {
        terms.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn synonym_phrases_fold_into_one_concept() {
        let a = analyser();
        assert_eq!(texts(&a.terms("deportation agents and cops")), ["~ice", "~police"]);
        assert_eq!(texts(&a.terms("Immigration and Customs Enforcement")), ["~ice"]);
        assert_eq!(texts(&a.terms("law enforcement")), ["~police"]);
        assert_eq!(texts(&a.terms("enforcement")), ["enforc"]);
    }

    #[test]
    fn typos_are_corrected_towards_the_vocabulary() {
        let a = analyser();
        let terms = a.terms("missisippi progams");
        assert_eq!(texts(&terms), ["mississippi", "program"]);
        assert!(terms.iter().all(|t| t.corrected));
        let unknown = a.terms("windshield");
        assert!(unknown[0].unknown);
        // A changed letter in a short word is another word, not a typo.
        assert!(a.terms("progrem")[0].corrected);
        assert!(a.terms("lawz")[0].unknown);
    }

    #[test]
    fn repeated_words_count_once() {
        let a = analyser();
        assert_eq!(a.terms(&"mississippi ".repeat(500)).len(), 1);
    }
}
