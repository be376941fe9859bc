//! From text to terms, for a message or a stored phrasing alike: each word
//! dropped, folded or stemmed, synonym phrases folded into their concept,
//! and unknown words corrected towards the vocabulary.

use super::*;
use crate::matcher::normalise::clip;
use std::borrow::Cow;

/// One word of a text as the analyser reads it (see [`Analyser::read`]).
struct Read<'a> {
    word: Cow<'a, Word>,
    corrected: bool,
    unknown: bool,
}

impl Read<'_> {
    fn token(&self) -> Token<'_> {
        let w = &self.word;
        Token { light: &w.light, stem: &w.stem, stop: w.stop, corrected: self.corrected, unknown: self.unknown }
    }
}

impl Analyser {
    pub(super) fn analyse_word(&self, word: &str) -> Word {
        let stop = self.stop.contains(word);
        let light = self.light(word);
        let stem = self.stem(&light);
        Word { light: light.into(), stem: stem.into(), stop }
    }

    /// Plural folding only (an "S stemmer"): "rules" → "rule", "policies" →
    /// "policy", but "ruled" stays. Synonyms match on these forms, so a
    /// moderator's "rules" does not also catch "ruled"; the full stemmer runs
    /// afterwards on words no synonym claimed.
    pub(super) fn light(&self, word: &str) -> String {
        if self.stop.contains(word) || word.len() <= 3 || !word.bytes().all(|b| b.is_ascii_alphabetic()) {
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

    pub(super) fn stem(&self, word: &str) -> String {
        if self.stop.contains(word) {
            // Stop words keep their form, so they never collide with a stem.
            return word.to_owned();
        }
        self.stemmer.stem(word).into_owned()
    }

    /// The distinct terms of `text`, sorted; concept terms ("~car") for
    /// synonym phrases, full stems for every other word but stop words.
    pub fn terms(&self, text: &str) -> Vec<Term> {
        let normalised = self.normalise(clip(text));
        let read: Vec<Read> = normalised.split(' ').filter(|w| !w.is_empty()).map(|w| self.read(w)).collect();
        let tokens: Vec<Token> = read.iter().map(Read::token).collect();
        self.assemble(&tokens)
    }

    /// How one normalised word reads: as it is (a stop word or a word of
    /// the knowledge), as the knowledge's word it is a typo of, or as a
    /// word the knowledge never uses. A known word's analysis is borrowed;
    /// words new to the analyser, and corrections, own theirs.
    fn read(&self, word: &str) -> Read<'_> {
        let (word, corrected, unknown) = match self.words.get(word) {
            Some(w) if w.stop || self.lexicon.contains(&w.light) => (Cow::Borrowed(w), false, false),
            found => {
                let analysed = found.cloned().unwrap_or_else(|| self.analyse_word(word));
                if analysed.stop || self.lexicon.contains(&analysed.light) {
                    (Cow::Owned(analysed), false, false)
                } else if let Some(fixed) = self.correct(&analysed.light) {
                    let stem = self.stem(&fixed);
                    (Cow::Owned(Word { light: fixed.into(), stem: stem.into(), stop: false }), true, false)
                } else {
                    (Cow::Owned(analysed), false, true)
                }
            }
        };
        Read { word, corrected, unknown }
    }

    /// Folds synonym phrases into concepts and turns the rest into stem
    /// terms, then sorts and de-duplicates.
    pub(super) fn assemble(&self, words: &[Token]) -> Vec<Term> {
        let mut terms: Vec<Term> = Vec::new();
        self.fold(words, |text, w| {
            let (corrected, unknown, stem) = match w {
                Some(w) => (w.corrected, w.unknown, Some(w.stem)),
                None => (false, false, None),
            };
            let out_of_scope = unknown && stem.is_some_and(|s| self.out_of_scope.contains(s));
            let common = stem.is_some_and(|s| self.common.contains(s));
            terms.push(Term { text: text.to_owned(), corrected, unknown, out_of_scope, common });
        });
        terms.sort();
        // A repeated word counts once: "permit permit …" is no stronger a
        // question than "permit".
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

    /// Walks the words, calling `emit` with each term: a concept for a
    /// synonym phrase (with no single word; its `corrected` is folded into a
    /// synthetic token), the stem for any other word but stop words.
    pub(super) fn fold<'w>(&self, words: &'w [Token<'w>], mut emit: impl FnMut(&str, Option<&Token<'w>>)) {
        let mut i = 0;
        while i < words.len() {
            if let Some((len, concept)) = self.phrase_at(words, i) {
                let corrected = words[i..i + len].iter().any(|w| w.corrected);
                let token = Token { light: "", stem: "", stop: false, corrected, unknown: false };
                emit(concept, Some(&token));
                i += len;
                continue;
            }
            let w = &words[i];
            if !w.stop {
                emit(w.stem, Some(w));
            }
            i += 1;
        }
    }

    /// The text the sentence model reads for `text`, a message or a stored
    /// phrasing alike: normalised (abbreviations expanded), a misspelt word
    /// written as the knowledge's word it is a typo of (as the words' side
    /// reads it: the model splits "polcy" into pieces that mean nothing),
    /// and each synonym phrase written as its group's first member. The
    /// knowledge's synonyms say "these mean the same here"; the model,
    /// which has never seen this knowledge, cannot know that one agency's
    /// nickname is its name there, or that a word of another language is
    /// the knowledge's word, so both sides reach it in the knowledge's own
    /// terms.
    pub fn semantic_text(&self, text: &str) -> String {
        let normalised = self.normalise(text);
        let words: Vec<&str> = normalised.split(' ').filter(|w| !w.is_empty()).collect();
        let read: Vec<Read> = words.iter().map(|w| self.read(w)).collect();
        let tokens: Vec<Token> = read.iter().map(Read::token).collect();
        let mut out: Vec<&str> = Vec::with_capacity(words.len());
        let mut i = 0;
        while i < tokens.len() {
            match self.phrase_at(&tokens, i).and_then(|(len, concept)| Some((len, self.heads.get(concept)?))) {
                Some((len, head)) => {
                    out.push(head);
                    i += len;
                }
                None => {
                    out.push(if tokens[i].corrected { tokens[i].light } else { words[i] });
                    i += 1;
                }
            }
        }
        out.join(" ")
    }

    pub(super) fn phrase_at(&self, words: &[Token], i: usize) -> Option<(usize, &str)> {
        let candidates = self.phrases.get(words[i].light)?;
        candidates.iter().find_map(|(phrase, concept)| {
            let fits = i + phrase.len() <= words.len() && phrase.iter().zip(&words[i..]).all(|(s, w)| **s == *w.light);
            fits.then_some((phrase.len(), &**concept))
        })
    }

    /// The nearest vocabulary word to a misspelt word, if one is close enough:
    /// one edit (a missing, extra, changed or swapped letter) for words of 5
    /// letters or more; never for short words, common English words or
    /// numbers, where one edit makes a different word ("held" is not a typo of
    /// "help"). Words under 7 letters are only corrected for a missing, extra
    /// or swapped letter, the usual slips of typing on a phone; a changed
    /// letter in a short word too often makes another real word ("tight",
    /// "might"). Ties go to the alphabetically first word.
    pub(super) fn correct(&self, word: &str) -> Option<String> {
        let len = word.chars().count();
        if len < 5 || word.chars().any(|c| c.is_ascii_digit()) || self.common.contains(&self.stem(word)) {
            return None;
        }
        // Among words one edit away, a dropped, doubled or swapped letter
        // ("aliance" → "alliance") before a wrong one ("alcance"): the
        // commoner slip on a phone keyboard; then the first in order, so
        // the choice never depends on hashing.
        let mut best: Option<(bool, &str)> = None;
        for key in std::iter::once(word.to_owned()).chain(deletions(word)) {
            for &i in self.deletions.get(&hash_of(&key)).into_iter().flatten() {
                let known = &*self.lexicon_list[i as usize];
                let known_len = known.chars().count();
                let d = strsim::damerau_levenshtein(word, known);
                let substitution = d == 1 && known_len == len && !is_transposition(word, known);
                if d == 1 && !(substitution && len < 7) && best.is_none_or(|b| (substitution, known) < b) {
                    best = Some((substitution, known));
                }
            }
        }
        best.map(|(_, known)| known.to_owned())
    }
}

/// Whether `b` is `a` with two neighbouring letters swapped.
pub(super) fn is_transposition(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let differ: Vec<usize> = (0..a.len().min(b.len())).filter(|&i| a[i] != b[i]).collect();
    a.len() == b.len()
        && differ.len() == 2
        && differ[1] == differ[0] + 1
        && a[differ[0]] == b[differ[1]]
        && a[differ[1]] == b[differ[0]]
}
