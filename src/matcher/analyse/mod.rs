//! Turning text into the terms the index compares: normalised words, stop
//! words dropped, plurals folded, typos corrected against the knowledge's own
//! vocabulary, moderator-written synonym phrases folded into one concept
//! term, then Porter stems. Stored questions and chat messages go through the
//! same steps.

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use std::hash::{Hash, Hasher};

use super::Vocabulary;
use super::normalise::normalise;

mod terms;

/// Words that carry no meaning for choosing an entry: English function words,
/// the filler of chat messages ("like", "actually", "pls") and discourse
/// markers (in an answer "First, …" orders points; it is not about what
/// comes first).
/// Words that carry no meaning for choosing an entry: English function words,
/// the filler of chat messages ("like", "actually", "pls") and discourse
/// markers. Negation ("not", "no", "never") and direction or time words
/// ("before", "after", "against", "over") are kept: "can police refuse" and
/// "can police not refuse" ask different things. A knowledge base adds its
/// own stop words in its files (`stop_words = [...]`).
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "a", "about", "actually", "again", "all", "also", "am", "an", "and", "any", "anyone", "anything", "are",
    "around", "as", "at", "be", "because", "been", "being", "both", "but", "by", "did", "do",
    "does", "doing", "each", "even", "ever", "for", "get", "gets", "getting", "go", "going", "got", "had", "has",
    "have", "having", "he", "hello", "her", "here", "hers", "hey", "hi", "him", "his", "i", "if", "in",
    "is", "it", "its", "just", "kind", "know", "like", "lol", "me", "might", "my", "myself", "of", "ok", "okay",
    "on", "or", "our", "ours", "please", "pretty", "really", "she", "so", "some", "someone",
    "something", "such", "tell", "thanks", "than", "that", "the", "their", "theirs", "them", "then", "there",
    "these", "they", "thing", "things", "this", "those", "to", "too", "us", "very", "wanna", "want", "was",
    "we", "were", "while", "whom", "with",
    "yeah", "yes", "you", "your", "yours", "stuff", "firstly", "secondly", "thirdly", "lastly",
    "additionally", "furthermore", "moreover", "however", "whether",
];

/// Function words of the other languages a knowledge base may be written
/// in, by ISO 639-1 code, without accents (text is compared after
/// [`normalise`]): stop words only for a knowledge base written in that
/// language too, so an English one keeps "con" and "un". As for English,
/// negation ("no", "sin") and question words stay.
#[rustfmt::skip]
const FUNCTION_WORDS: &[(&str, &[&str])] = &[(
    "es",
    &[
        "de", "del", "la", "las", "los", "el", "en", "y", "e", "o", "un", "una", "unos", "unas", "por", "para",
        "con", "que", "se", "su", "sus", "al", "lo", "le", "les", "mi", "mis", "tu", "tus", "es", "son", "ser",
        "esta", "estan", "este", "esto", "estos", "estas", "ese", "esa", "eso", "esos", "esas", "hay", "muy",
        "pero", "mas", "tambien", "ya", "yo", "te", "nos", "ha", "han", "hola", "gracias", "porfa", "alguien",
        "algo", "pues", "entonces", "usted", "ustedes", "favor", "oye", "bueno", "sobre", "ni", "cada",
    ],
)];

/// One analysed term of a text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Term {
    pub text: String,
    /// The word was not in the vocabulary and was read as a near spelling.
    pub corrected: bool,
    /// The word is in neither the vocabulary nor correctable: something the
    /// knowledge never talks about.
    pub unknown: bool,
    /// An unknown word the knowledge lists as out of scope (another place,
    /// say): strong evidence that no entry answers the message.
    pub out_of_scope: bool,
    /// A common English word (see [`Analyser::is_common`]).
    pub common: bool,
}

/// A synonym phrase as plural-folded words, and the concept term it folds into.
type Phrase = (Vec<Box<str>>, Box<str>);

/// What analysis needs to know about one normalised word; computed once per
/// distinct word of the knowledge, so indexing 100,000 entries stems each
/// word once, not each time it occurs.
#[derive(Debug, Clone)]
struct Word {
    /// Plural-folded form: what synonyms match on.
    light: Box<str>,
    /// Porter stem of the light form: what the index holds.
    stem: Box<str>,
    stop: bool,
}

/// Analyses text into terms for one knowledge base.
pub struct Analyser {
    stemmer: Stemmer,
    stop: FxHashSet<Box<str>>,
    /// Every word of the knowledge and its synonyms, analysed.
    words: FxHashMap<Box<str>, Word>,
    /// Synonym phrases (as plural-folded words), longest first, keyed by first word.
    phrases: FxHashMap<Box<str>, Vec<Phrase>>,
    /// Every light form the knowledge uses; typos are corrected towards these.
    lexicon: FxHashSet<Box<str>>,
    /// Typo index: the hash of each lexicon word with one letter deleted (and
    /// of the word itself) → the words. A typo of one edit shares a key with
    /// its word, so a lookup costs a few hash probes, not a scan of the
    /// vocabulary ("symmetric delete").
    deletions: FxHashMap<u64, Vec<u32>>,
    lexicon_list: Vec<Box<str>>,
    /// Stems of words that mark a message as out of scope (the knowledge
    /// files' `out_of_scope`).
    out_of_scope: FxHashSet<String>,
    /// The knowledge's own abbreviations (`abbreviations`), expanded as whole
    /// normalised words in messages and stored text alike.
    abbreviations: FxHashMap<Box<str>, Box<str>>,
    /// Stems of common English words (the ISO stop-word list, beyond our own
    /// stop words), and of the other languages the knowledge is written in:
    /// "come", "find", "work"; "hacer", "puede". In a small FAQ such words are rare
    /// and would look telling; in English they are not.
    common: FxHashSet<String>,
    /// Each concept's first member, normalised: what a synonym phrase
    /// becomes in the text the sentence model reads.
    heads: FxHashMap<Box<str>, Box<str>>,
}

impl std::fmt::Debug for Analyser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyser").field("lexicon", &self.lexicon.len()).finish()
    }
}

fn hash_of(text: &str) -> u64 {
    let mut h = FxHasher::default();
    text.hash(&mut h);
    h.finish()
}

/// `word` with each letter deleted in turn.
fn deletions(word: &str) -> impl Iterator<Item = String> + '_ {
    word.char_indices().map(move |(i, c)| {
        let mut s = String::with_capacity(word.len());
        s.push_str(&word[..i]);
        s.push_str(&word[i + c.len_utf8()..]);
        s
    })
}

/// Words met while analysing knowledge text, with their analysis, and the
/// terms made from them numbered locally: one per indexing thread, so
/// threads share nothing while they work, and each distinct word is hashed
/// once per occurrence and each plain word's term never again.
#[derive(Debug, Default)]
pub struct WordCache {
    index: FxHashMap<Box<str>, u32>,
    arena: Vec<Word>,
    /// For each word of the arena, the local id of its stem term, once known.
    stem_term: Vec<Option<u32>>,
    term_ids: FxHashMap<Box<str>, u32>,
    /// Local term id → term text.
    pub terms: Vec<Box<str>>,
}

/// One word of a text on its way to becoming a term.
struct Token<'a> {
    light: &'a str,
    stem: &'a str,
    stop: bool,
    corrected: bool,
    unknown: bool,
}

impl Analyser {
    /// Builds an analyser whose vocabulary is `texts` and whose synonym
    /// groups are `synonyms` (each group folds into one concept term).
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>, vocabulary: &Vocabulary) -> Self {
        let mut analyser = Analyser::for_vocabulary(vocabulary);
        let mut cache = WordCache::default();
        for text in texts {
            analyser.knowledge_terms(text, &mut cache);
        }
        analyser.learn(vec![cache]);
        analyser
    }

    /// An analyser that knows the knowledge's own words (synonyms,
    /// abbreviations, stop words, out-of-scope words) but none of its text
    /// yet: analyse the text with [`Analyser::knowledge_terms`], then
    /// [`Analyser::learn`].
    pub fn for_vocabulary(vocabulary: &Vocabulary) -> Self {
        let synonyms = &vocabulary.synonyms;
        let mut stop: FxHashSet<Box<str>> = STOP_WORDS.iter().map(|w| Box::from(*w)).collect();
        stop.extend(vocabulary.stop_words.iter().map(|w| normalise(w).into_boxed_str()).filter(|w| !w.is_empty()));
        for (_, words) in FUNCTION_WORDS.iter().filter(|(code, _)| vocabulary.languages.iter().any(|l| l == code)) {
            stop.extend(words.iter().map(|w| Box::from(*w)));
        }
        let mut analyser = Analyser {
            stemmer: Stemmer::create(Algorithm::English),
            stop,
            words: FxHashMap::default(),
            phrases: FxHashMap::default(),
            lexicon: FxHashSet::default(),
            deletions: FxHashMap::default(),
            lexicon_list: Vec::new(),
            out_of_scope: FxHashSet::default(),
            abbreviations: vocabulary
                .abbreviations
                .iter()
                .map(|(short, long)| (normalise(short).into_boxed_str(), normalise(long).into_boxed_str()))
                .filter(|(short, long)| !short.is_empty() && !long.is_empty() && !short.contains(' '))
                .collect(),
            common: FxHashSet::default(),
            heads: FxHashMap::default(),
        };
        analyser.out_of_scope =
            vocabulary.out_of_scope.iter().map(|p| analyser.stem(&analyser.light(&normalise(p)))).collect();
        // Each language the knowledge is written in has its common words.
        let languages = std::iter::once("en").chain(vocabulary.languages.iter().map(String::as_str));
        analyser.common = languages
            .flat_map(|code| stop_words::lookup(code).unwrap_or_default())
            .map(|w| normalise(w))
            .filter(|w| !w.is_empty() && !w.contains(' ') && !analyser.stop.contains(w.as_str()))
            .map(|w| analyser.stem(&w))
            .collect();
        for group in synonyms {
            let Some(first) = group.first() else { continue };
            let concept: Box<str> = format!("~{}", analyser.remember(first).join("_")).into();
            if concept.len() == 1 {
                continue;
            }
            let head = analyser.normalise(first).into_boxed_str();
            analyser.heads.entry(concept.clone()).or_insert(head);
            for member in group {
                let words = analyser.remember(member);
                if words.is_empty() {
                    continue;
                }
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
        analyser
    }

    /// Adds the words of a synonym to the vocabulary; returns their light
    /// forms, stop words included (phrases may hold them).
    fn remember(&mut self, text: &str) -> Vec<Box<str>> {
        let normalised = self.normalise(text);
        let mut out = Vec::new();
        for word in normalised.split(' ').filter(|w| !w.is_empty()) {
            if !self.words.contains_key(word) {
                let analysed = self.analyse_word(word);
                self.words.insert(word.into(), analysed);
            }
            let light = self.words[word].light.clone();
            self.lexicon.insert(light.clone());
            out.push(light);
        }
        out
    }

    /// Makes every word met in `caches` vocabulary, and builds the typo index.
    pub fn learn(&mut self, caches: Vec<WordCache>) {
        for cache in caches {
            let mut arena: Vec<Option<Word>> = cache.arena.into_iter().map(Some).collect();
            for (word, i) in cache.index {
                if let Some(analysed) = arena[i as usize].take() {
                    self.lexicon.insert(analysed.light.clone());
                    self.words.entry(word).or_insert(analysed);
                }
            }
        }
        let mut list: Vec<Box<str>> = self.lexicon.iter().cloned().collect();
        list.sort();
        self.deletions.clear();
        for (i, word) in list.iter().enumerate() {
            if word.chars().count() < 5 {
                continue;
            }
            for key in std::iter::once(word.to_string()).chain(deletions(word)) {
                let slot = self.deletions.entry(hash_of(&key)).or_default();
                if slot.last() != Some(&(i as u32)) {
                    slot.push(i as u32);
                }
            }
        }
        self.lexicon_list = list;
    }

    /// The terms of a knowledge text (a question, an answer, a claim) as
    /// ids local to `cache`, sorted and distinct: like [`Analyser::terms`],
    /// but every word is vocabulary by definition, so none is corrected.
    pub fn knowledge_terms(&self, text: &str, cache: &mut WordCache) -> Vec<u32> {
        let normalised = self.normalise(text);
        let mut indices: Vec<u32> = Vec::new();
        for word in normalised.split(' ').filter(|w| !w.is_empty()) {
            let i = match cache.index.get(word) {
                Some(&i) => i,
                None => {
                    let analysed = self.words.get(word).cloned().unwrap_or_else(|| self.analyse_word(word));
                    let i = cache.arena.len() as u32;
                    cache.arena.push(analysed);
                    cache.stem_term.push(None);
                    cache.index.insert(word.into(), i);
                    i
                }
            };
            indices.push(i);
        }
        // The words are read while terms are numbered: disjoint parts of the cache.
        let WordCache { arena, stem_term, term_ids, terms, .. } = cache;
        let mut intern = |text: &str| -> u32 {
            if let Some(&id) = term_ids.get(text) {
                return id;
            }
            let id = terms.len() as u32;
            terms.push(text.into());
            term_ids.insert(text.into(), id);
            id
        };
        let tokens: Vec<Token> = indices
            .iter()
            .map(|&i| {
                let w = &arena[i as usize];
                Token { light: &w.light, stem: &w.stem, stop: w.stop, corrected: false, unknown: false }
            })
            .collect();
        let mut ids: Vec<u32> = Vec::with_capacity(tokens.len());
        let mut at = 0;
        while at < tokens.len() {
            if let Some((len, concept)) = self.phrase_at(&tokens, at) {
                ids.push(intern(concept));
                at += len;
                continue;
            }
            if !tokens[at].stop {
                let word = indices[at] as usize;
                let id = match stem_term[word] {
                    Some(id) => id,
                    None => {
                        let id = intern(tokens[at].stem);
                        stem_term[word] = Some(id);
                        id
                    }
                };
                ids.push(id);
            }
            at += 1;
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// [`normalise`], then this knowledge's abbreviations expanded: what
    /// both the index and the embedding model see of a text.
    pub fn normalise(&self, text: &str) -> String {
        let normalised = normalise(text);
        if self.abbreviations.is_empty() || !normalised.split(' ').any(|w| self.abbreviations.contains_key(w)) {
            return normalised;
        }
        normalised.split(' ').map(|w| self.abbreviations.get(w).map_or(w, |long| &**long)).collect::<Vec<_>>().join(" ")
    }

    /// Whether a term is a common word of English or of another language
    /// the knowledge is written in (see `common`). Concept terms from
    /// synonym groups never are: a moderator chose them.
    pub fn is_common(&self, term: &str) -> bool {
        self.common.contains(term)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyser() -> Analyser {
        Analyser::new(
            ["Springfield law enforcement works with the DMV under the 311(b) program."],
            &Vocabulary {
                synonyms: vec![
                    vec!["dmv".into(), "department of motor vehicles".into(), "licensing clerks".into()],
                    vec!["police".into(), "law enforcement".into(), "cops".into()],
                ],
                abbreviations: vec![("sf".into(), "springfield".into())],
                out_of_scope: vec!["shelbyville".into()],
                ..Vocabulary::default()
            },
        )
    }

    fn texts(terms: &[Term]) -> Vec<&str> {
        terms.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn function_and_common_words_of_a_language_count_only_in_a_knowledge_written_in_it() {
        let spanish = Vocabulary { languages: vec!["es".into()], ..Vocabulary::default() };
        for (vocabulary, counted) in [(Vocabulary::default(), true), (spanish, false)] {
            let a = Analyser::new(["La biblioteca puede prestar libros con un carné del barrio."], &vocabulary);
            let terms: Vec<String> =
                a.terms("la biblioteca puede prestar libros con un carne").into_iter().map(|t| t.text).collect();
            // "la", "con", "un" are stop words only in a Spanish knowledge base.
            assert_eq!(terms.iter().any(|t| t == "con"), counted, "{terms:?}");
            let puede = a.terms("puede").into_iter().next().unwrap();
            assert_eq!(puede.common, !counted, "{puede:?}");
        }
    }

    #[test]
    fn synonym_phrases_fold_into_one_concept() {
        let a = analyser();
        assert_eq!(texts(&a.terms("licensing clerks and cops")), ["~dmv", "~police"]);
        assert_eq!(texts(&a.terms("Department of Motor Vehicles")), ["~dmv"]);
        assert_eq!(texts(&a.terms("law enforcement")), ["~police"]);
        assert_eq!(texts(&a.terms("enforcement")), ["enforc"]);
    }

    #[test]
    fn the_sentence_model_reads_each_synonym_phrase_as_its_groups_first_member() {
        let a = analyser();
        assert_eq!(
            a.semantic_text("Do the cops in SF talk to the Licensing Clerk?"),
            "do the police in springfield talk to the dmv"
        );
        // The longest phrase wins; a typo of a knowledge word is read as the
        // word (as its light form), and other words stay as written.
        assert_eq!(a.semantic_text("law enforcement officers"), "police officers");
        assert_eq!(a.semantic_text("enforcement progrems windshield"), "enforcement program windshield");
        assert_eq!(a.semantic_text("licensing clerks at the deparment of motor vehicles"), "dmv at the dmv");
        // Without synonyms, the normalised text with its typos read.
        let plain = Analyser::new(["Cops in Springfield."], &Vocabulary::default());
        assert_eq!(plain.semantic_text("Cops in SPRINGFELD?"), "cops in springfield");
    }

    #[test]
    fn typos_are_corrected_towards_the_vocabulary() {
        let a = analyser();
        let terms = a.terms("springfeld progams");
        assert_eq!(texts(&terms), ["program", "springfield"]);
        assert!(terms.iter().all(|t| t.corrected));
        let unknown = a.terms("windshield");
        assert!(unknown[0].unknown);
        // A changed letter in a short word is another word, not a typo.
        assert!(a.terms("progrem")[0].corrected);
        assert!(a.terms("lawz")[0].unknown);
    }

    #[test]
    fn knowledge_abbreviations_and_out_of_scope_words() {
        let a = analyser();
        assert_eq!(texts(&a.terms("sf cops")), ["springfield", "~police"]);
        assert!(a.terms("shelbyville")[0].out_of_scope);
        // Negation is meaning, not noise.
        assert_eq!(texts(&a.terms("not")), ["not"]);
    }

    #[test]
    fn repeated_words_count_once() {
        let a = analyser();
        assert_eq!(a.terms(&"springfield ".repeat(500)).len(), 1);
    }
}
