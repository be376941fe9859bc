//! The knowledge's semantic half: every phrasing embedded (through the
//! encoder's cache) into whole-text and token vectors, attached to the
//! matcher.

use super::KnowledgeBase;
use crate::matcher::{DenseIndex, EncodeError, Encoder, TokenIndex};
use std::sync::Arc;

/// Knowledge with more phrasings than this matches by whole-text vectors
/// only: a phrasing's token vectors take about fifteen times the memory and
/// cache of its one vector.
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
        let with_tokens = phrasings <= TOKEN_PHRASINGS;
        if !with_tokens {
            tracing::info!(
                phrasings,
                limit = TOKEN_PHRASINGS,
                "knowledge too large for token evidence; matching by whole-phrasing vectors"
            );
        }
        let mut index = DenseIndex::empty(encoder.dim());
        let mut tokens = with_tokens.then(|| TokenIndex::empty(encoder.dim()));
        let mut start = 0;
        while start < self.entries.len() {
            let mut texts: Vec<Vec<String>> = Vec::new();
            let mut count = 0;
            while start + texts.len() < self.entries.len() && count < TEXTS {
                let t = self.matcher.semantic_texts(self.entries[start + texts.len()].phrasings());
                count += t.len();
                texts.push(t);
            }
            let flat: Vec<&str> = texts.iter().flatten().map(String::as_str).collect();
            let mut embedded = encoder.encode_stored(&flat, with_tokens)?.into_iter();
            for t in &texts {
                let entry: Vec<_> = embedded.by_ref().take(t.len()).collect();
                index.push_document(entry.iter().map(|e| e.vector.as_slice()));
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
"#;
        let mut kb = load_str("parking.toml", text).unwrap();
        let stub = Arc::new(Stub::default());
        kb.embed(stub.clone()).unwrap();
        kb.matcher().signals("pkg for a motor vehicles?");
        assert_eq!(*stub.texts.lock().unwrap(), ["where can i leave my car", "parking for a car"]);
    }

    #[test]
    fn token_evidence_up_to_the_phrasing_limit_and_whole_vectors_past_it() {
        for (entries, tokens) in [(3, true), (TOKEN_PHRASINGS / 5, true), (TOKEN_PHRASINGS / 5 + 1, false)] {
            let stub = Arc::new(Stub::default());
            let mut kb = knowledge(entries);
            kb.embed(stub.clone()).unwrap();
            assert_eq!(*stub.asked_tokens.lock().unwrap(), vec![tokens], "{entries} entries");
            let signals = kb.matcher().signals("what about thing 2");
            assert!(signals.semantic && !signals.ranked.is_empty(), "{entries} entries: {signals:?}");
            assert_eq!(signals.ranked[0].tokens.is_some(), tokens, "{entries} entries: {signals:?}");
            assert!(signals.ranked.iter().filter(|s| s.tokens.is_some()).count() <= 8, "{entries} entries");
        }
    }
}
