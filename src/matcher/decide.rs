//! Fusion and the decision: both kinds of evidence for a message fused into
//! one ranking, then answer, suggest or none by rules that ask for a lead
//! or for agreement rather than only a high score.

use super::*;

impl Matcher {
    /// Scores a message with both kinds of evidence: the lexical candidates
    /// and the semantic nearest entries, each scored by both, fused.
    pub fn signals(&self, message: &str) -> Signals {
        self.signals_with(message, None)
    }

    /// [`Matcher::signals`] with the message's vectors given (`Some`) or
    /// made here (`None`).
    fn signals_with(&self, message: &str, embedding: Option<&Embedding>) -> Signals {
        let lexical = self.lexical(message, POSTINGS_BUDGET);
        let known_share = if lexical.total > 0.0 { lexical.evidence / lexical.total } else { 0.0 };
        let mut signals = Signals {
            evidence: lexical.evidence,
            known_share,
            out_of_scope: lexical.out_of_scope,
            contrast: contrasts(message),
            words: word_count(message),
            ..Default::default()
        };
        let query = self.dense.as_ref().and_then(|dense| {
            let made;
            let embedding = match embedding {
                Some(e) => e,
                None => match dense.encoder.encode_query(&self.analyser.semantic_text(clip(message))) {
                    Ok(e) => {
                        made = e;
                        &made
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot embed a message; matching it by its words alone");
                        return None;
                    }
                },
            };
            let tokens = dense.tokens.as_ref().and_then(|t| t.query(&embedding.tokens).map(|q| (t, q)));
            dense.index.query(&embedding.vector).map(|q| (dense, q, tokens))
        });
        let mut entries: Vec<u32> = lexical.candidates.clone();
        if let Some((dense, q, _)) = &query {
            signals.semantic = true;
            let nearest = dense.index.nearest(q, SEMANTIC_CANDIDATES);
            if let Some(&(top, _)) = nearest.first() {
                signals.sibling =
                    nearest[1..].iter().map(|&(other, _)| f64::from(dense.index.between(top, other))).reduce(f64::max);
            }
            entries.extend(nearest.into_iter().map(|(d, _)| d as u32));
        }
        entries.sort_unstable();
        entries.dedup();
        signals.ranked = entries
            .into_iter()
            .map(|entry| {
                let lexical = self.lexical_score(entry, &lexical);
                let semantic = query.as_ref().map(|(dense, q, _)| f64::from(dense.index.similarity(q, entry as usize)));
                let score = match semantic {
                    Some(cos) => fuse(lexical, cos, None, &self.tuning),
                    None => lexical,
                };
                Scored { entry: entry as usize, score, lexical, semantic, tokens: None }
            })
            .collect();
        signals.ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        // Token evidence for the best few by the other two: it reorders the
        // head of the ranking, and costs a pass over every token of an
        // entry's phrasings. The rest are fused as holding none of the
        // message's tokens, so all scores stay on one scale.
        if let Some((index, q)) = query.as_ref().and_then(|(_, _, t)| t.as_ref()) {
            for (i, s) in signals.ranked.iter_mut().enumerate() {
                s.tokens = (i < TOKEN_CANDIDATES).then(|| f64::from(index.score(q, s.entry)));
                s.score = fuse(s.lexical, s.semantic.unwrap_or(-1.0), Some(s.tokens.unwrap_or(0.0)), &self.tuning);
            }
            signals.ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        }
        signals
    }

    /// Matches a message and decides: answer, suggest or none.
    pub fn find(&self, message: &str, thresholds: &Thresholds) -> Match {
        decide(self.signals(message), thresholds)
    }

    /// [`Matcher::find`] for questions that are part of the knowledge (the
    /// regression set), not what people asked: their vectors are made in
    /// one batch and cached like stored phrasings, so every reload and edit
    /// after the first checks them without running the model.
    pub fn find_stored(&self, questions: &[&str], thresholds: &Thresholds) -> Vec<Match> {
        let vectors = self.dense.as_ref().and_then(|dense| {
            let texts: Vec<String> = questions.iter().map(|q| self.analyser.semantic_text(clip(q))).collect();
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            match dense.encoder.encode_stored(&texts, dense.tokens.is_some()) {
                Ok(vectors) if vectors.len() == questions.len() => Some(vectors),
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot embed the regression questions; checking them one by one");
                    None
                }
            }
        });
        questions
            .iter()
            .enumerate()
            .map(|(i, q)| decide(self.signals_with(q, vectors.as_ref().map(|v| &v[i])), thresholds))
            .collect()
    }
}

/// Lexical scores closer than this are a tie.
pub(super) const TIE: f64 = 0.01;

/// A lexical score this high means the message is a stored phrasing...
pub(super) const EXACT: f64 = 0.95;
/// ...when no other entry's score is within this.
pub(super) const EXACT_MARGIN: f64 = 0.05;

/// Cosine at or below which the model's sentences are unrelated (about
/// where all-MiniLM-L6-v2 puts sentences on different subjects).
pub(super) const UNRELATED_COSINE: f64 = 0.2;

/// How many entries the semantic half adds as candidates.
pub(super) const SEMANTIC_CANDIDATES: usize = 16;

/// How many of the best entries by words and whole-text meaning get token
/// evidence. 8 ranked first as all of them did on every tuning half, at
/// half a debug build's cost on the shipped knowledge.
const TOKEN_CANDIDATES: usize = 8;

/// One score from the two kinds of evidence; the semantic kind is the
/// whole-text cosine, blended with the token score when there is one.
pub(super) fn fuse(lexical: f64, cosine: f64, tokens: Option<f64>, tuning: &Tuning) -> f64 {
    let above = |x: f64, floor: f64| ((x - floor) / (1.0 - floor)).clamp(0.0, 1.0);
    let mut semantic = above(cosine, tuning.cosine_floor);
    if let Some(t) = tokens {
        semantic = (1.0 - tuning.token_share) * semantic + tuning.token_share * above(t, tuning.token_floor);
    }
    (tuning.lexical_share * lexical + (1.0 - tuning.lexical_share) * semantic).clamp(0.0, 1.0)
}

/// The decision: answer when one entry is clearly the one, suggest when
/// some are plausible, none otherwise.
///
/// An answer needs the message to be a stored phrasing, or, with token
/// evidence, the first entry's probability ([`confidence`]) to reach
/// `answer_probability`. Without token evidence (a knowledge base too
/// large for it) hand rules decide instead: the words and the meaning
/// agreeing on the entry (with a high cosine); the words singling it out (a
/// lexical score with a lead over the runner-up, enough evidence, and a
/// meaning that does not point elsewhere); or the meaning alone singling it
/// out (a lead over the runner-up, and closer to the entry than the
/// knowledge's own phrasings of its nearest rival are). Matching by words
/// alone, only the words' rule applies. A message naming something the
/// knowledge lists as out of scope is never answered.
pub fn decide(signals: Signals, thresholds: &Thresholds) -> Match {
    decide_with(signals, thresholds, &confidence::WEIGHTS)
}

/// [`decide`] with the probability model's weights given: for fitting them.
pub fn decide_with(signals: Signals, thresholds: &Thresholds, weights: &[f64; confidence::FEATURES + 1]) -> Match {
    let t = thresholds;
    let probability = confidence::features(&signals).map(|x| confidence::probability(weights, &x));
    let ranked = signals.ranked;
    let Some(top) = ranked.first() else {
        return Match { outcome: Outcome::None, confidence: 0.0, ranked: Vec::new(), stored: false };
    };
    let by = |f: fn(&Scored) -> f64| -> (Option<&Scored>, f64) {
        let mut best: Option<&Scored> = None;
        let mut second = 0.0f64;
        for s in &ranked {
            match best {
                Some(b) if f(s) <= f(b) => second = second.max(f(s)),
                _ => {
                    if let Some(b) = best {
                        second = second.max(f(b));
                    }
                    best = Some(s);
                }
            }
        }
        (best, second)
    };
    let (lex_top, lex_second) = by(|s| s.lexical);
    let lex_top = lex_top.expect("ranked is not empty");
    let enough = signals.evidence >= t.min_evidence;
    // The message says what one stored phrasing says, word for word (up to
    // typos and synonyms), and no other entry comes as close.
    let exact = lex_top.lexical >= EXACT && lex_top.lexical - lex_second >= EXACT_MARGIN;
    // The words single the entry out.
    let words_lead = enough && lex_top.lexical >= t.answer && lex_top.lexical - lex_second >= t.margin;
    // Words the knowledge says are about something else veto an answer,
    // unless the message contrasts them with what it is about: then they
    // only lower the scores (they count against coverage above).
    let vetoed = signals.out_of_scope > 0 && !signals.contrast;
    let by_rules: Option<usize> = if vetoed {
        None
    } else if exact {
        Some(lex_top.entry)
    } else if signals.semantic {
        let (cos_top, cos_second) = by(|s| s.semantic.unwrap_or(-1.0));
        let cos_top = cos_top.expect("ranked is not empty");
        let best_cos = cos_top.semantic.unwrap_or(-1.0);
        // Agreement counts only when the words prefer the entry: among
        // entries that differ by a word the message left out (the same
        // question for two places), the words tie and the meaning's choice
        // between them is a coin toss.
        let agree = lex_top.entry == cos_top.entry && lex_top.lexical - lex_second > TIE;
        if agree && best_cos >= t.agree_cosine {
            Some(cos_top.entry)
        } else if words_lead && lex_top.semantic.unwrap_or(-1.0) >= best_cos - t.semantic_slack {
            Some(lex_top.entry)
        } else if best_cos >= t.answer_cosine
            && best_cos - cos_second >= t.cosine_margin
            && best_cos >= signals.sibling.unwrap_or(1.0) + t.sibling_margin
        {
            Some(cos_top.entry)
        } else {
            None
        }
    } else if words_lead {
        Some(lex_top.entry)
    } else {
        None
    };
    // With the model, the rules' choice that it declines is still offered:
    // one of them singling an entry out makes it plausible.
    let answer = match probability {
        Some(p) if !vetoed && !exact => (p >= t.answer_probability).then_some(top.entry),
        _ => by_rules,
    };
    match answer {
        Some(entry) => {
            let chosen = *ranked.iter().find(|s| s.entry == entry).expect("the answer is ranked");
            let mut out = vec![chosen];
            out.extend(ranked.iter().filter(|s| s.entry != entry && s.score >= t.suggest).take(2).copied());
            let stored = exact && !vetoed && entry == lex_top.entry;
            // A stored phrasing is answered whatever the model says, so it
            // keeps its score.
            let confidence = if exact { chosen.score } else { probability.unwrap_or(chosen.score) };
            Match { outcome: Outcome::Answer, confidence, ranked: out, stored }
        }
        None => {
            let confidence = probability.unwrap_or(top.score);
            // Either kind of evidence alone can make an entry worth offering:
            // the fused score, or the words when there are enough of them
            // and the meaning is not unrelated.
            let plausible: Vec<Scored> = ranked
                .iter()
                .filter(|s| {
                    Some(s.entry) == by_rules
                        || s.score >= t.suggest
                        || (enough && s.lexical >= t.suggest && s.semantic.is_none_or(|c| c > UNRELATED_COSINE))
                })
                .take(3)
                .copied()
                .collect();
            // Too little to go on: a message of unknown words, or one the
            // knowledge says is about something else.
            let nothing = plausible.is_empty() || (!enough && !signals.semantic) || vetoed;
            if nothing {
                Match { outcome: Outcome::None, confidence, ranked: Vec::new(), stored: false }
            } else {
                Match { outcome: Outcome::Suggest, confidence, ranked: plausible, stored: false }
            }
        }
    }
}

/// Words that set one thing against another, in any knowledge's language
/// of questions: "compared to", "more than", "unlike", "vs".
const CONTRAST: &[&str] = &[
    "compare",
    "compared",
    "compares",
    "comparing",
    "comparison",
    "versus",
    "vs",
    "than",
    "differ",
    "differs",
    "different",
    "difference",
    "differences",
    "unlike",
    "similar",
    "elsewhere",
];

/// How many words `message` has, as the answer-probability model counts
/// them: runs of letters, digits and `_`.
fn word_count(message: &str) -> usize {
    message.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).count()
}

/// Whether `message` contrasts one thing with another.
fn contrasts(message: &str) -> bool {
    message.split(|c: char| !c.is_alphanumeric()).any(|w| CONTRAST.iter().any(|c| w.eq_ignore_ascii_case(c)))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(super) fn scored(entry: usize, lexical: f64, cosine: f64) -> Scored {
        let score = fuse(lexical, cosine, None, &Tuning::default());
        Scored { entry, score, lexical, semantic: Some(cosine), tokens: None }
    }

    pub(super) fn signals(ranked: Vec<Scored>, sibling: f64) -> Signals {
        Signals {
            ranked,
            evidence: 2.0,
            known_share: 1.0,
            out_of_scope: 0,
            contrast: false,
            semantic: true,
            sibling: Some(sibling),
            words: 8,
        }
    }

    #[test]
    pub(super) fn meaning_alone_is_judged_against_the_knowledge_own_rivals() {
        let t = Thresholds::default();
        // The message is 0.70 from entry 0 and 0.60 from entry 1; no words shared.
        let ranked = vec![scored(0, 0.0, 0.70), scored(1, 0.0, 0.60)];
        // Where entries 0 and 1 are distinct (their questions 0.40 apart),
        // that singles out entry 0...
        let m = decide(signals(ranked.clone(), 0.40), &t);
        assert_eq!((m.outcome, m.ranked[0].entry), (Outcome::Answer, 0));
        // ...where they sound alike (0.85), it does not.
        let m = decide(signals(ranked, 0.85), &t);
        assert_eq!(m.outcome, Outcome::Suggest);
        assert_eq!(m.ranked.iter().map(|s| s.entry).collect::<Vec<_>>(), [0, 1]);
    }

    #[test]
    fn with_token_evidence_the_probability_decides_and_a_declined_rule_choice_is_offered() {
        let t = Thresholds::default();
        let with_tokens = |ranked: Vec<Scored>, tokens: [f64; 2], sibling: f64| {
            let ranked = ranked
                .into_iter()
                .zip(tokens)
                .map(|(s, k)| Scored {
                    score: fuse(s.lexical, s.semantic.unwrap(), Some(k), &Tuning::default()),
                    tokens: Some(k),
                    ..s
                })
                .collect();
            signals(ranked, sibling)
        };
        // Meaning alone singles entry 0 out by the hand rules, but no word
        // and few tokens back it: the model declines, and entry 0 is still
        // offered first although its fused score is under `suggest`.
        let weak = with_tokens(vec![scored(0, 0.0, 0.62), scored(1, 0.0, 0.55)], [0.55, 0.5], 0.40);
        assert!(weak.ranked[0].score < t.suggest);
        let p = confidence::probability(&confidence::WEIGHTS, &confidence::features(&weak).unwrap());
        assert!(p < t.answer_probability, "{p}");
        let m = decide(weak, &t);
        assert_eq!((m.outcome, m.ranked[0].entry), (Outcome::Suggest, 0), "{m:?}");
        assert_eq!(m.confidence, p, "the confidence shown is the model's");
        // Without token evidence the rules decide, and answer it.
        assert_eq!(
            decide(signals(vec![scored(0, 0.0, 0.62), scored(1, 0.0, 0.55)], 0.40), &t).outcome,
            Outcome::Answer
        );
        // Words, meaning and tokens all on entry 1, none far ahead, between
        // entries that sound alike: no rule answers it, the model does.
        let agreed = with_tokens(vec![scored(1, 0.45, 0.75), scored(0, 0.32, 0.66)], [0.85, 0.7], 0.80);
        assert_ne!(
            decide(signals(vec![scored(1, 0.45, 0.75), scored(0, 0.32, 0.66)], 0.80), &t).outcome,
            Outcome::Answer
        );
        let m = decide(agreed, &t);
        assert_eq!((m.outcome, m.ranked[0].entry), (Outcome::Answer, 1), "{m:?}");
    }

    #[test]
    pub(super) fn agreement_on_a_lexical_tie_is_not_an_answer() {
        let t = Thresholds::default();
        // Two entries that differ by a word the message left out: the words
        // tie, the meaning leans one way by a hair.
        let ranked = vec![scored(0, 0.6, 0.91), scored(1, 0.6, 0.90)];
        let m = decide(signals(ranked.clone(), 0.97), &t);
        assert_eq!(m.outcome, Outcome::Suggest, "{m:?}");
        // With the words preferring entry 0 as well, it is.
        let ranked = vec![scored(0, 0.62, 0.91), scored(1, 0.55, 0.90)];
        assert_eq!(decide(signals(ranked, 0.97), &t).outcome, Outcome::Answer);
    }

    #[test]
    pub(super) fn an_out_of_scope_word_is_answered_only_in_a_contrast() {
        let t = Thresholds::default();
        let mut s = signals(vec![scored(0, 1.0, 0.99), scored(1, 0.1, 0.2)], 0.3);
        assert_eq!(decide(s.clone(), &t).outcome, Outcome::Answer);
        s.out_of_scope = 1;
        assert_ne!(decide(s.clone(), &t).outcome, Outcome::Answer);
        // Set against what the knowledge is about, it only lowers scores.
        s.contrast = true;
        assert_eq!(decide(s, &t).outcome, Outcome::Answer);
    }

    #[test]
    fn contrasts_are_told_by_their_words() {
        for m in
            ["how do the rules compare to alabama", "is it stricter than texas?", "Alabama vs here", "unlike Georgia"]
        {
            assert!(contrasts(m), "{m}");
        }
        for m in ["does alabama have a permit office", "what about thanksgiving", "comparable"] {
            assert!(!contrasts(m), "{m}");
        }
    }
}
