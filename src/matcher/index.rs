//! Building the index: every document analysed (on all cores, a block at
//! a time), its terms weighted by rarity and by the field they are in, and
//! the postings and flat phrasing lists the lexical pass reads.

use super::*;
use rustc_hash::FxHashMap;
use std::collections::HashMap;

/// Joins lists of term ids into one flat list with separators.
pub(super) fn flatten(lists: impl Iterator<Item = Vec<u32>>) -> Box<[u32]> {
    let mut flat = Vec::new();
    for (i, list) in lists.enumerate() {
        if i > 0 {
            flat.push(SEPARATOR);
        }
        flat.extend(list);
    }
    flat.into_boxed_slice()
}

/// One entry's terms, numbered locally to the thread that analysed it: what
/// the parallel part of indexing produces.
pub(super) struct AnalysedEntry {
    pub(super) phrasings: Vec<Vec<u32>>,
    pub(super) passages: Vec<Vec<u32>>,
    /// The terms of each asked question (sorted and deduplicated once
    /// they have their global ids).
    pub(super) asked: Vec<Vec<u32>>,
    /// Each term of the entry with the strength of the strongest field it is in.
    pub(super) strength: Vec<(u32, f32)>,
}

pub(super) fn analyse_document(
    analyser: &Analyser,
    cache: &mut WordCache,
    doc: &Document,
    tuning: &Tuning,
) -> AnalysedEntry {
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
    let mut asked = Vec::new();
    for field in &doc.fields {
        let terms = analyser.knowledge_terms(&field.text, cache);
        let s = match field.kind {
            FieldKind::Topic => tuning.topic_strength,
            FieldKind::Name | FieldKind::Claim | FieldKind::Asked => tuning.claim_strength,
            FieldKind::Sentence => tuning.answer_strength,
        };
        add(&terms, s);
        if field.kind == FieldKind::Asked && !terms.is_empty() {
            asked.push(terms.clone());
        }
        if matches!(field.kind, FieldKind::Sentence | FieldKind::Claim | FieldKind::Asked) && terms.len() >= 2 {
            passages.push(terms);
        }
    }
    let mut strength: Vec<(u32, f32)> = strength.into_iter().map(|(t, s)| (t, s as f32)).collect();
    strength.sort_by_key(|(t, _)| *t);
    AnalysedEntry { phrasings, passages, asked, strength }
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
        let mut asked: FxHashMap<Box<[u32]>, u32> = FxHashMap::default();
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
                    for key in entry.asked {
                        let mut key = global(key);
                        key.sort_unstable();
                        key.dedup();
                        let owner = asked.entry(key.into_boxed_slice()).or_insert(next_entry);
                        if *owner != next_entry {
                            // Two entries' asked questions say the same: neither is it.
                            *owner = SEPARATOR;
                        }
                    }
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
        asked.shrink_to_fit();
        Matcher {
            analyser,
            terms,
            weights,
            postings,
            phrasings,
            passages,
            asked,
            rare_weight: idf(1.0),
            tuning,
            dense: None,
        }
    }
}
