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
                index.push_document(&entry.iter().map(|e| e.vector.clone()).collect::<Vec<_>>());
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
