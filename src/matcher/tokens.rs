//! Token evidence: how well an entry's stored phrasings hold each token of a
//! message, token against token, each in its sentence's context (the
//! encoder's per-token vectors, before they are pooled into one). One
//! vector per sentence blurs a message into its average; token against
//! token, a message whose one telling word has a near-equivalent in a
//! phrasing ("car" and "vehicle", "fee" and "charge") is
//! told apart from one that only shares the subject. A message token's
//! weight is how rare its token is among the phrasings (inverse document
//! frequency), so "the" and "?" count for little.
//!
//! The score of a phrasing is the weighted mean, over the message's
//! tokens, of each one's best cosine with the phrasing's tokens (the
//! precision side of BERTScore); an entry's is its best phrasing's.

use super::dense::{DenseIndex, Query};
use rustc_hash::FxHashMap;

/// Most tokens of a message that are scored: a chat question has 10 to 30,
/// and the cost of scoring grows with each one, so a pasted page is cut to
/// the tokens that say the most.
const QUERY_TOKENS: usize = 64;

/// Token vectors of every phrasing, grouped by entry.
#[derive(Debug, Default)]
pub struct TokenIndex {
    /// One document per phrasing, a row per token.
    rows: DenseIndex,
    /// For entry `e`, its phrasings are documents `starts[e]..starts[e + 1]`.
    starts: Vec<u32>,
    /// In how many phrasings each token occurs.
    df: FxHashMap<u32, u32>,
}

/// A message's token vectors, quantised, with each token's weight.
#[derive(Debug, Clone)]
pub struct TokenQuery {
    tokens: Vec<Query>,
    weights: Vec<f32>,
}

impl TokenIndex {
    pub fn empty(dim: usize) -> TokenIndex {
        TokenIndex { rows: DenseIndex::empty(dim), starts: vec![0], df: FxHashMap::default() }
    }

    /// Adds the next entry's phrasings, each as its tokens (id and vector).
    pub fn push_entry<'a>(&mut self, phrasings: impl IntoIterator<Item = &'a [(u32, Vec<f32>)]>) {
        for tokens in phrasings {
            self.rows.push_document(tokens.iter().map(|(_, v)| v.as_slice()));
            let mut ids: Vec<u32> = tokens.iter().map(|&(id, _)| id).collect();
            ids.sort_unstable();
            ids.dedup();
            for id in ids {
                *self.df.entry(id).or_default() += 1;
            }
        }
        self.starts.push(self.rows.len() as u32);
    }

    pub fn finish(&mut self) {
        self.rows.finish();
        self.starts.shrink_to_fit();
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held, for memory reports.
    pub fn bytes(&self) -> usize {
        self.rows.bytes() + self.starts.len() * 4 + self.df.len() * 8
    }

    /// How much a token says: rare among the phrasings, much; in all of
    /// them, almost nothing. A token no phrasing has weighs the most.
    fn weight(&self, id: u32) -> f32 {
        let n = self.rows.len() as f32;
        let df = self.df.get(&id).copied().unwrap_or(0) as f32;
        ((n + 1.0) / (df + 1.0)).ln()
    }

    /// The message's tokens made ready to score; `None` when it has none
    /// or their length is not the index's.
    /// Only the [`QUERY_TOKENS`] weightiest tokens of a long message count.
    pub fn query(&self, tokens: &[(u32, Vec<f32>)]) -> Option<TokenQuery> {
        let mut weighted: Vec<(f32, &Vec<f32>)> = tokens.iter().map(|(id, v)| (self.weight(*id), v)).collect();
        if weighted.len() > QUERY_TOKENS {
            weighted.sort_by(|a, b| b.0.total_cmp(&a.0));
            weighted.truncate(QUERY_TOKENS);
        }
        let queries: Option<Vec<Query>> = weighted.iter().map(|(_, v)| self.rows.query(v)).collect();
        let weights: Vec<f32> = weighted.iter().map(|&(w, _)| w).collect();
        queries
            .filter(|q| !q.is_empty() && weights.iter().sum::<f32>() > 0.0)
            .map(|tokens| TokenQuery { tokens, weights })
    }

    /// How well entry `entry`'s best phrasing holds the message's tokens:
    /// the weighted mean of each token's best cosine, in [-1, 1].
    pub fn score(&self, query: &TokenQuery, entry: usize) -> f32 {
        let total: f32 = query.weights.iter().sum();
        (self.starts[entry]..self.starts[entry + 1])
            .map(|p| {
                let best = self.rows.best_each(p as usize, &query.tokens);
                best.iter().zip(&query.weights).map(|(c, w)| c * w).sum::<f32>() / total
            })
            .fold(-1.0, f32::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::dense::tests::unit;

    #[test]
    fn the_entry_holding_the_rare_token_wins_and_common_tokens_weigh_little() {
        // Token 1 is in every phrasing (like "?"), token 2 only in entry 0's
        // and token 3 only in entry 1's.
        let common = unit(&[0.0, 0.0, 1.0]);
        let a = unit(&[1.0, 0.0, 0.0]);
        let b = unit(&[0.0, 1.0, 0.0]);
        let mut index = TokenIndex::empty(3);
        index.push_entry([&[(1, common.clone()), (2, a.clone())][..]]);
        index.push_entry([&[(1, common.clone()), (3, b.clone())][..], &[(1, common.clone())][..]]);
        index.finish();
        assert_eq!(index.len(), 2);
        // A message of the common token and one near token 2's vector.
        let near_a = unit(&[0.9, 0.1, 0.0]);
        let q = index.query(&[(1, common.clone()), (9, near_a)]).expect("a query");
        let (s0, s1) = (index.score(&q, 0), index.score(&q, 1));
        assert!(s0 > 0.95 && s1 < 0.2, "{s0} {s1}");
        // The common token alone weighs nothing: no query.
        assert!(index.query(&[(1, common)]).is_none());
        assert!(index.query(&[]).is_none());
    }
}
