//! The knowledge's semantic half: every phrasing embedded (through the
//! encoder's cache) into whole-text and token vectors, and each entry's
//! question with its answer into one more whole-text vector per language,
//! attached to the matcher.

use super::KnowledgeBase;
use crate::matcher::{DenseIndex, EncodeError, Encoder, TokenIndex};
use std::sync::Arc;

/// Knowledge with more phrasings than this matches by its phrasings'
/// whole-text vectors only: a phrasing's token vectors take about fifteen
/// times the memory and cache of its one vector, and an entry's question
/// with its answer takes several times a phrasing's time to embed (at
/// 10,000 entries, the first start's embedding went from 74 s to 351 s).
const TOKEN_PHRASINGS: usize = 5_000;

impl KnowledgeBase {
    /// Adds the semantic half to matching: every phrasing is embedded by
    /// `encoder` (which may serve them from its cache). On failure the
    /// knowledge base stays lexical and the error says why.
    pub fn embed(&mut self, encoder: Arc<dyn Encoder>) -> Result<(), EncodeError> {
        // A slice of entries at a time, so the full-precision vectors of a
        // large knowledge base are never all in memory: only their 8-bit
        // form is kept.
        const TEXTS: usize = 32_768;
        let phrasings: usize = self.entries.iter().map(|e| e.phrasings().count()).sum();
        // Token vectors, and a vector of each entry whole, up to the limit.
        let detailed = phrasings <= TOKEN_PHRASINGS;
        if !detailed {
            tracing::info!(
                phrasings,
                limit = TOKEN_PHRASINGS,
                "knowledge too large for token evidence and whole-entry vectors; matching by whole-phrasing vectors"
            );
        }
        let mut index = DenseIndex::empty(encoder.dim());
        let mut tokens = detailed.then(|| TokenIndex::empty(encoder.dim()));
        let mut start = 0;
        while start < self.entries.len() {
            // Each entry's phrasings, and its question with its answer in
            // each language, as the model reads them.
            let mut texts: Vec<(Vec<String>, Vec<String>)> = Vec::new();
            let mut count = 0;
            while start + texts.len() < self.entries.len() && count < TEXTS {
                let entry = &self.entries[start + texts.len()];
                let own = self.matcher.semantic_texts(entry.phrasings());
                let whole = if detailed { self.matcher.semantic_texts(whole_texts(entry).iter()) } else { Vec::new() };
                count += own.len() + whole.len();
                texts.push((own, whole));
            }
            let flat_phrasings: Vec<&str> = texts.iter().flat_map(|(p, _)| p).map(String::as_str).collect();
            let flat_whole: Vec<&str> = texts.iter().flat_map(|(_, w)| w).map(String::as_str).collect();
            let mut embedded = encoder.encode_stored(&flat_phrasings, detailed)?.into_iter();
            // Token evidence compares a message with phrasings only: with
            // answers' tokens every entry holds a bit of everything (measured:
            // lower first choice on an unseen FAQ, and three times the work).
            let mut embedded_whole =
                if flat_whole.is_empty() { Vec::new() } else { encoder.encode_stored(&flat_whole, false)? }.into_iter();
            for (p, w) in &texts {
                let entry: Vec<_> = embedded.by_ref().take(p.len()).collect();
                let entry_whole: Vec<_> = embedded_whole.by_ref().take(w.len()).collect();
                index.push_document_with(
                    entry.iter().map(|e| e.vector.as_slice()),
                    entry_whole.iter().map(|e| e.vector.as_slice()),
                );
                if let Some(tokens) = tokens.as_mut() {
                    tokens.push_entry(entry.iter().map(|e| e.tokens.as_slice()));
                }
            }
            start += texts.len();
        }
        index.finish();
        if let Some(tokens) = tokens.as_mut() {
            tokens.finish();
        }
        self.matcher.attach(index, tokens, encoder);
        Ok(())
    }
}

/// How much of an answer stands for its entry: the start, where an answer
/// says what it is about. Measured on the tuning halves at 40, 60, 80 and
/// 120 words and whole (the model's 256 tokens): 80 was best or even on
/// every corpus, and embeds in about half the time of the whole.
const WHOLE_ANSWER_WORDS: usize = 80;

/// Texts that stand for an entry as a whole: its question followed by the
/// start of its answer, once per language. A message about a fact that
/// only the answer states ("did they sign a bill") is near the entry that
/// says it, although no phrasing asks about it.
fn whole_texts(entry: &super::Entry) -> Vec<String> {
    std::iter::once((&entry.question, &entry.answer))
        .chain(entry.translations.values().map(|t| (&t.question, &t.answer)))
        .map(|(q, a)| {
            let start: Vec<&str> = a.split_whitespace().take(WHOLE_ANSWER_WORDS).collect();
            format!("{q} {}", start.join(" "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::load_str;
    use crate::matcher::Embedding;
    use std::fmt::Write;
    use std::sync::Mutex;

    /// Made-up vectors from the words' lengths; remembers whether tokens
    /// were asked for, and every text it was given.
    #[derive(Debug, Default)]
    struct Stub {
        asked_tokens: Mutex<Vec<bool>>,
        texts: Mutex<Vec<String>>,
    }

    fn vector(word: &str) -> Vec<f32> {
        let n = word.len() as f32;
        let v = [1.0, n, (n * 0.7).sin(), 0.3];
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / norm).collect()
    }

    fn embedding(text: &str, tokens: bool) -> Embedding {
        let tokens =
            if tokens { text.split_whitespace().map(|w| (w.len() as u32, vector(w))).collect() } else { Vec::new() };
        Embedding { vector: vector(text), tokens }
    }

    impl Encoder for Stub {
        fn encode_stored(&self, texts: &[&str], tokens: bool) -> Result<Vec<Embedding>, EncodeError> {
            self.asked_tokens.lock().unwrap().push(tokens);
            self.texts.lock().unwrap().extend(texts.iter().map(|t| t.to_string()));
            Ok(texts.iter().map(|t| embedding(t, tokens)).collect())
        }
        fn encode_query(&self, text: &str) -> Result<Embedding, EncodeError> {
            self.texts.lock().unwrap().push(text.to_owned());
            Ok(embedding(text, true))
        }
        fn dim(&self) -> usize {
            4
        }
    }

    /// Knowledge of `entries` entries, each with a question and four aliases.
    fn knowledge(entries: usize) -> KnowledgeBase {
        let mut text = String::from("title = \"Generated\"\n");
        for i in 0..entries {
            let aliases: Vec<String> = (0..4).map(|a| format!("\"alias {a} of thing {i}\"")).collect();
            write!(
                text,
                "[[entry]]\nid = \"e{i}\"\ntopic = \"T\"\nquestion = \"What about thing {i}?\"\naliases = [{}]\nanswer = \"Thing {i} is fine.\"\n",
                aliases.join(", ")
            )
            .unwrap();
        }
        load_str("generated.toml", &text).unwrap()
    }

    #[test]
    fn the_model_reads_phrasings_and_messages_in_the_knowledges_own_terms() {
        let text = r#"
title = "Parking"
synonyms = [["car", "automobile", "motor vehicle"]]
abbreviations = { pkg = "parking" }
[[entry]]
id = "park"
topic = "Parking"
question = "Where can I leave my Automobile?"
answer = "In the lot."
[entry.translations.es]
question = "¿Dónde dejo el coche?"
answer = "En el estacionamiento."
"#;
        let mut kb = load_str("parking.toml", text).unwrap();
        let stub = Arc::new(Stub::default());
        kb.embed(stub.clone()).unwrap();
        kb.matcher().signals("pkg for a motor vehicles?");
        // The phrasings (with their tokens), then the question with its
        // answer once per language (without), then the message.
        assert_eq!(
            *stub.texts.lock().unwrap(),
            [
                "where can i leave my car",
                "donde dejo el coche",
                "where can i leave my car in the lot",
                "donde dejo el coche en el estacionamiento",
                "parking for a car"
            ]
        );
        assert_eq!(*stub.asked_tokens.lock().unwrap(), [true, false]);
    }

    #[test]
    fn an_entry_whole_is_its_question_and_the_start_of_its_answer_in_each_language() {
        let long: Vec<String> = (1..=100).map(|i| format!("w{i}")).collect();
        let text = format!(
            "title = \"T\"\n[[entry]]\nid = \"a\"\ntopic = \"T\"\nquestion = \"Why?\"\nanswer = \"{}\"\n\
             [entry.translations.es]\nquestion = \"¿Por qué?\"\nanswer = \"Porque sí.\"\n",
            long.join(" ")
        );
        let kb = load_str("t.toml", &text).unwrap();
        let whole = whole_texts(&kb.entries[0]);
        assert_eq!(
            whole,
            [format!("Why? {}", long[..WHOLE_ANSWER_WORDS].join(" ")), "¿Por qué? Porque sí.".to_owned()]
        );
    }

    #[test]
    fn token_evidence_and_whole_entries_up_to_the_phrasing_limit_and_phrasing_vectors_past_it() {
        for (entries, tokens) in [(3, true), (TOKEN_PHRASINGS / 5, true), (TOKEN_PHRASINGS / 5 + 1, false)] {
            let stub = Arc::new(Stub::default());
            let mut kb = knowledge(entries);
            kb.embed(stub.clone()).unwrap();
            // Phrasings with their tokens, then questions with answers
            // (without); past the limit, phrasings alone.
            let asked = if tokens { vec![true, false] } else { vec![false] };
            assert_eq!(*stub.asked_tokens.lock().unwrap(), asked, "{entries} entries");
            let signals = kb.matcher().signals("what about thing 2");
            assert!(signals.semantic && !signals.ranked.is_empty(), "{entries} entries: {signals:?}");
            assert_eq!(signals.ranked[0].tokens.is_some(), tokens, "{entries} entries: {signals:?}");
            assert!(signals.ranked.iter().filter(|s| s.tokens.is_some()).count() <= 8, "{entries} entries");
        }
    }
}
