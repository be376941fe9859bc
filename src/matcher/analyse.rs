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
    "a", "about", "above", "actually", "after", "again", "against", "all", "also", "am", "an", "and", "any",
    "anyone", "anything", "are", "around", "as", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "but", "by", "can", "could", "day", "did", "do", "does", "doing", "down", "during",
    "each", "even", "ever", "every", "few", "for", "from", "further", "get", "gets", "getting", "give", "go",
    "going", "got", "had", "has", "have", "having", "he", "hello", "her", "here", "hers", "hey", "hi", "him",
    "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "kind", "know", "like", "lol", "me",
    "might", "more", "most", "much", "must", "my", "myself", "no", "nor", "not", "of", "off", "ok", "okay",
    "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own", "please", "pretty", "question",
    "quick", "really", "same", "says", "she", "should", "so", "some", "someone", "something", "such", "tell",
    "thanks", "than", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "thing",
    "things", "this", "those", "through", "to", "too", "under", "until", "up", "us", "very", "wanna", "want",
    "was", "way", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
    "wondering", "would", "yeah", "yes", "you", "your", "yours", "stuff", "ask", "asking", "curious",
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
}

/// Analyses text into terms for one knowledge base.
pub struct Analyser {
    stemmer: Stemmer,
    stop: BTreeSet<&'static str>,
    /// Synonym phrases (as stem sequences), longest first, keyed by first stem.
    phrases: HashMap<String, Vec<(Vec<String>, String)>>,
    /// Every stem the knowledge uses; typos are corrected towards these.
    lexicon: BTreeSet<String>,
    /// The lexicon bucketed by length, so a typo is compared only with words
    /// of about its own length.
    by_length: BTreeMap<usize, Vec<String>>,
}

impl std::fmt::Debug for Analyser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyser").field("lexicon", &self.lexicon.len()).finish()
    }
}

impl Analyser {
    /// Builds an analyser whose vocabulary is `texts` and whose synonym
    /// groups are `synonyms` (each group folds into its first member).
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>, synonyms: &[Vec<String>]) -> Self {
        let mut analyser = Analyser {
            stemmer: Stemmer::create(Algorithm::English),
            stop: STOP_WORDS.iter().copied().collect(),
            phrases: HashMap::new(),
            lexicon: BTreeSet::new(),
            by_length: BTreeMap::new(),
        };
        for group in synonyms {
            let Some(concept) = group.first().map(|g| analyser.stems(g).join("_")) else { continue };
            if concept.is_empty() {
                continue;
            }
            for member in group {
                let stems = analyser.stems(member);
                if stems.is_empty() {
                    continue;
                }
                analyser.lexicon.extend(stems.iter().cloned());
                let slot = analyser.phrases.entry(stems[0].clone()).or_default();
                if !slot.iter().any(|(s, _)| *s == stems) {
                    slot.push((stems, concept.clone()));
                }
            }
        }
        for slot in analyser.phrases.values_mut() {
            // Longest phrase first, then by text, so overlapping groups resolve
            // the same way every time.
            slot.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
        }
        for text in texts {
            let stems = analyser.stems(text);
            analyser.lexicon.extend(stems);
        }
        for word in &analyser.lexicon {
            analyser.by_length.entry(word.chars().count()).or_default().push(word.clone());
        }
        analyser
    }

    /// Stems of every word of `text`, stop words included (phrases may hold them).
    fn stems(&self, text: &str) -> Vec<String> {
        normalise(text).split(' ').filter(|w| !w.is_empty()).map(|w| self.stem(w)).collect()
    }

    fn stem(&self, word: &str) -> String {
        if self.stop.contains(word) {
            // Stop words keep their form, so they never collide with a stem.
            return word.to_owned();
        }
        self.stemmer.stem(word).into_owned()
    }

    /// The distinct terms of `text`, sorted; concept terms for synonym phrases.
    pub fn terms(&self, text: &str) -> Vec<Term> {
        let normalised = normalise(clip(text));
        let mut words: Vec<(String, bool, bool, bool)> = Vec::new(); // (stem, stop, corrected, unknown)
        for word in normalised.split(' ').filter(|w| !w.is_empty()) {
            let stop = self.stop.contains(word);
            let stem = self.stem(word);
            if stop || self.lexicon.contains(&stem) {
                words.push((stem, stop, false, false));
            } else if let Some(fixed) = self.correct(&stem) {
                words.push((fixed, false, true, false));
            } else {
                words.push((stem, false, false, true));
            }
        }

        let mut terms: Vec<Term> = Vec::new();
        let mut i = 0;
        while i < words.len() {
            if let Some((len, concept)) = self.phrase_at(&words, i) {
                let corrected = words[i..i + len].iter().any(|w| w.2);
                terms.push(Term { text: concept.to_owned(), corrected, unknown: false });
                i += len;
                continue;
            }
            let (stem, stop, corrected, unknown) = &words[i];
            if !stop {
                terms.push(Term { text: stem.clone(), corrected: *corrected, unknown: *unknown });
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
            let fits = i + stems.len() <= words.len()
                && stems.iter().zip(&words[i..]).all(|(s, w)| *s == w.0);
            fits.then_some((stems.len(), concept.as_str()))
        })
    }

    /// The nearest vocabulary word to a misspelt stem, if one is close enough:
    /// one edit for words of 4–7 letters, two for longer ones; never for short
    /// words or numbers, where one edit makes a different word.
    fn correct(&self, stem: &str) -> Option<String> {
        let len = stem.chars().count();
        if len < 4 || stem.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        let max_edits = if len >= 8 { 2 } else { 1 };
        let mut best: Option<(usize, &String)> = None;
        for candidate_len in len.saturating_sub(max_edits)..=len + max_edits {
            for word in self.by_length.get(&candidate_len).into_iter().flatten() {
                if word.chars().count() < 4 {
                    continue;
                }
                let d = strsim::damerau_levenshtein(stem, word);
                if d <= max_edits && best.is_none_or(|(bd, bw)| (d, word) < (bd, bw)) {
                    best = Some((d, word));
                }
            }
        }
        best.map(|(_, w)| w.clone())
    }

    /// Whether a stem is part of the knowledge's vocabulary.
    pub fn knows(&self, stem: &str) -> bool {
        self.lexicon.contains(stem)
    }
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
        assert_eq!(texts(&a.terms("deportation agents and cops")), ["ice", "polic"]);
        assert_eq!(texts(&a.terms("Immigration and Customs Enforcement")), ["ice"]);
        assert_eq!(texts(&a.terms("law enforcement")), ["polic"]);
    }

    #[test]
    fn typos_are_corrected_towards_the_vocabulary() {
        let a = analyser();
        let terms = a.terms("missisippi progam");
        assert_eq!(texts(&terms), ["mississippi", "program"]);
        assert!(terms.iter().all(|t| t.corrected));
        let unknown = a.terms("windshield");
        assert!(unknown[0].unknown);
    }

    #[test]
    fn repeated_words_count_once() {
        let a = analyser();
        assert_eq!(a.terms(&"mississippi ".repeat(500)).len(), 1);
    }
}
