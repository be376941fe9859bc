//! Lexical retrieval: candidates from the inverted index (rarest terms
//! first, within a budget), then each scored by how much of the message it
//! explains and how much of its best phrasing the message covers.

use super::*;
use rustc_hash::FxHashMap;

/// A message term the knowledge uses.
#[derive(Debug, Clone, Copy)]
pub(super) struct Known {
    pub(super) id: u32,
    pub(super) weight: f64,
    /// Below 1 for a corrected typo.
    pub(super) factor: f64,
}

/// What the lexical pass found out about a message.
pub(super) struct Lexical {
    pub(super) known: Vec<Known>,
    /// Summed weight of every word of the message, known or not.
    pub(super) total: f64,
    /// Summed weight of the message's known words.
    pub(super) evidence: f64,
    /// Words the knowledge lists as out of scope (and never uses).
    pub(super) out_of_scope: usize,
    pub(super) candidates: Vec<u32>,
    /// The entry one of whose accepted asked questions the message is,
    /// term for term.
    pub(super) asked: Option<u32>,
}

impl Matcher {
    /// Scores the candidate entries for `message`, best first (ties by entry
    /// index, which is id order), and returns the summed weight of the
    /// message's known words. Entries with no shared term are left out.
    ///
    /// Candidates come from the inverted index: the postings of the message's
    /// rarest terms are read first, up to a budget, so a word in every entry
    /// ("covid", "policy") never costs a pass over all entries. The
    /// best [`CANDIDATES`] then get the full score, common terms included.
    pub fn score(&self, message: &str) -> (Vec<Scored>, f64) {
        self.score_within(message, POSTINGS_BUDGET)
    }

    /// [`Matcher::score`] reading every posting: the exhaustive result the
    /// index must agree with (tests compare the two).
    pub fn score_exhaustive(&self, message: &str) -> (Vec<Scored>, f64) {
        self.score_within(message, usize::MAX)
    }

    pub(super) fn score_within(&self, message: &str, budget: usize) -> (Vec<Scored>, f64) {
        let lexical = self.lexical(message, budget);
        let mut scored: Vec<Scored> = lexical
            .candidates
            .iter()
            .map(|&entry| {
                let score = self.lexical_score(entry, &lexical);
                Scored { entry: entry as usize, score, lexical: score, semantic: None, tokens: None }
            })
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        (scored, lexical.evidence)
    }

    /// The message's known terms and the entries worth a full lexical score.
    pub(super) fn lexical(&self, message: &str, budget: usize) -> Lexical {
        let query = self.analyser.terms(message);
        // Known terms as (term id, weight, evidence factor); the total weight
        // includes unknown words, which pull every entry's coverage down.
        let mut known: Vec<Known> = Vec::new();
        let mut total = 0.0;
        let mut out_of_scope = 0;
        for term in &query {
            match self.terms.get(&term.text) {
                Some(&id) => {
                    let w = self.weights[id as usize];
                    total += w;
                    known.push(Known {
                        id,
                        weight: w,
                        factor: if term.corrected { self.tuning.corrected_factor } else { 1.0 },
                    });
                }
                None if term.out_of_scope => {
                    out_of_scope += 1;
                    total += self.rare_weight * self.tuning.out_of_scope_factor;
                }
                None => {
                    let common = if term.common { self.tuning.common_factor } else { 1.0 };
                    total += self.rare_weight * self.tuning.unknown_factor * common;
                }
            }
        }
        let evidence: f64 = known.iter().map(|k| k.weight).sum();
        let mut lexical = Lexical { known, total, evidence, out_of_scope, candidates: Vec::new(), asked: None };
        if lexical.known.is_empty() || total <= 0.0 {
            return lexical;
        }
        // Every word of the message is a word of the knowledge: it may be an
        // accepted asked question, asked again.
        if !self.asked.is_empty() && evidence >= total - 1e-9 {
            let mut key: Vec<u32> = lexical.known.iter().map(|k| k.id).collect();
            key.sort_unstable();
            key.dedup();
            lexical.asked = self.asked.get(key.as_slice()).copied().filter(|&e| e != SEPARATOR);
        }

        // Rarest terms first; their postings are short and telling.
        lexical.known.sort_by_key(|k| (self.postings[k.id as usize].len(), k.id));
        let postings_total: usize = lexical.known.iter().map(|k| self.postings[k.id as usize].len()).sum();
        let mut coverage: FxHashMap<u32, f64> =
            FxHashMap::with_capacity_and_hasher(postings_total.min(budget), Default::default());
        let mut read = 0usize;
        for k in &lexical.known {
            let postings = &self.postings[k.id as usize];
            // Even when the rarest term is everywhere, read no more than the
            // budget: such a message cannot single out an entry anyway.
            let take = if read.saturating_add(postings.len()) > budget && !coverage.is_empty() {
                0
            } else {
                postings.len().min(budget.saturating_sub(read).max(1))
            };
            for &(entry, strength) in &postings[..take] {
                *coverage.entry(entry).or_insert(0.0) += k.weight * k.factor * f64::from(strength);
            }
            read += take;
        }
        let mut candidates: Vec<(u32, f64)> = coverage.into_iter().collect();
        let by_score = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if candidates.len() > CANDIDATES {
            candidates.select_nth_unstable_by(CANDIDATES - 1, by_score);
            candidates.truncate(CANDIDATES);
        }
        lexical.candidates = candidates.into_iter().map(|(e, _)| e).collect();
        if let Some(e) = lexical.asked.filter(|e| !lexical.candidates.contains(e)) {
            lexical.candidates.push(e);
        }
        lexical
    }

    /// The full lexical score of one entry: how much of the message it
    /// explains and how much of its best phrasing the message covers.
    pub(super) fn lexical_score(&self, entry: u32, lexical: &Lexical) -> f64 {
        if lexical.total <= 0.0 {
            return 0.0;
        }
        if lexical.asked == Some(entry) {
            return 1.0;
        }
        let mut covered = 0.0;
        for k in &lexical.known {
            let postings = &self.postings[k.id as usize];
            if let Ok(i) = postings.binary_search_by_key(&entry, |&(e, _)| e) {
                covered += k.weight * k.factor * f64::from(postings[i].1);
            }
        }
        if covered == 0.0 {
            return 0.0;
        }
        let message_cover = (covered + self.passage_bonus(entry, &lexical.known)) / lexical.total;
        let phrasing_cover = self.phrasings[entry as usize]
            .split(|&t| t == SEPARATOR)
            .map(|p| self.phrasing_cover(p, &lexical.known))
            .fold(0.0, f64::max);
        let share = self.tuning.message_share;
        (share * message_cover + (1.0 - share) * phrasing_cover).clamp(0.0, 1.0)
    }

    /// Extra coverage for message words found together in one passage of the
    /// entry: they count at passage strength instead of their own. Only the
    /// best passage counts, and only when it holds two or more of the words.
    pub(super) fn passage_bonus(&self, entry: u32, known: &[Known]) -> f64 {
        let mut best = 0.0;
        for passage in self.passages[entry as usize].split(|&t| t == SEPARATOR) {
            let mut bonus = 0.0;
            let mut found = 0;
            for k in known {
                if passage.binary_search(&k.id).is_ok() {
                    found += 1;
                    let postings = &self.postings[k.id as usize];
                    let own =
                        postings.binary_search_by_key(&entry, |&(e, _)| e).map_or(0.0, |i| f64::from(postings[i].1));
                    bonus += k.weight * k.factor * (self.tuning.passage_strength - own).max(0.0);
                }
            }
            if found >= 2 && bonus > best {
                best = bonus;
            }
        }
        best
    }

    /// Weighted share of a phrasing's terms that the message has.
    pub(super) fn phrasing_cover(&self, phrasing: &[u32], known: &[Known]) -> f64 {
        let mut have = 0.0;
        let mut all = 0.0;
        for (i, &id) in phrasing.iter().enumerate() {
            if phrasing[..i].contains(&id) {
                continue;
            }
            let w = self.weights[id as usize];
            all += w;
            if let Some(k) = known.iter().find(|k| k.id == id) {
                have += w * k.factor;
            }
        }
        if all > 0.0 { have / all } else { 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(asked_as: Option<FieldKind>) -> Matcher {
        let mut fine = Document { phrasings: vec!["Where do I pay a parking fine?".into()], fields: Vec::new() };
        let question = "is parking free on sundays".to_owned();
        match asked_as {
            Some(kind) => fine.fields.push(Field { kind, text: question }),
            None => fine.phrasings.push(question),
        }
        let docs = [Document { phrasings: vec!["How do I renew a parking permit?".into()], fields: Vec::new() }, fine];
        Matcher::build(docs.len(), |i| docs[i].clone(), &Vocabulary::default())
    }

    #[test]
    fn an_asked_question_asked_again_is_answered_as_a_stored_one() {
        let m = matcher(Some(FieldKind::Asked));
        for message in ["is parking free on sundays", "Is parking FREE on Sundays??"] {
            let found = m.find(message, &Thresholds::default());
            assert_eq!((found.outcome, found.ranked[0].entry, found.stored), (Outcome::Answer, 1, true), "{message}");
        }
        // More words than the question: matched on its words, not as it.
        let (scored, _) = m.score("is parking free on sundays near the station");
        assert!(scored[0].lexical < super::super::decide::EXACT, "{scored:?}");
    }

    #[test]
    fn an_asked_question_is_weaker_evidence_than_an_alias() {
        let score = |m: &Matcher| m.score("free parking").0.iter().find(|s| s.entry == 1).map_or(0.0, |s| s.lexical);
        let (asked, claim, alias) =
            (score(&matcher(Some(FieldKind::Asked))), score(&matcher(Some(FieldKind::Claim))), score(&matcher(None)));
        assert!(asked > 0.0 && asked < alias, "asked {asked}, alias {alias}");
        assert!((asked - claim).abs() < 1e-9, "asked {asked}, claim {claim}");
    }
}
