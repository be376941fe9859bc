//! The answer's probability: how likely the fused ranking's first entry is
//! the right one, from what the three kinds of evidence say about it and
//! about its runner-up. A logistic model whose weights were fitted on the
//! tuning halves of the labelled corpora (`examples/eval --fit`); the
//! decision answers when the probability reaches `answer_probability`.
//!
//! Why one learned model rather than more hand rules: each rule looked at
//! one kind of evidence and its own lead, so a message on which all three
//! kinds lean the same way, each short of its rule's bar, was never
//! answered, while one kind far past its bar answered alone. The model
//! weighs them together, and it is fitted across knowledge bases of
//! different shapes (a small FAQ whose entries are distinct, its
//! translation, a large one whose entries sound alike), so it carries no
//! one knowledge base's numbers.

use super::{Scored, Signals};

/// How many numbers describe a message's first entry; see [`features`].
pub const FEATURES: usize = 15;

/// Intercept, then one weight per feature, in [`features`]'s order. Fitted
/// by `examples/eval --half tuning --fit`, which prints this line.
pub const WEIGHTS: [f64; FEATURES + 1] = [
    -3.186, 0.711, 2.326, 0.184, 3.189, 1.031, -0.792, 1.626, 1.968, 1.420, -0.636, 0.792, 0.404, -0.034, 0.802, 0.695,
];

/// The numbers the model looks at, or `None` when the message was not
/// matched with token evidence (matching by words alone, or a knowledge
/// base too large for tokens): the model was fitted with all three kinds.
///
/// For the first entry by fused score: its fused, lexical, whole-text and
/// token scores, each with its lead over the best other entry's; how much
/// of the message the knowledge's words cover; how far the cosine stands
/// above the one between the semantic best entry and its nearest rival;
/// whether it is also first by words, by meaning and by tokens; and how
/// long the message is (words, up to 20).
pub fn features(signals: &Signals) -> Option<[f64; FEATURES]> {
    let ranked = &signals.ranked;
    let top = ranked.first()?;
    if !signals.semantic || top.tokens.is_none() {
        return None;
    }
    let fused = |s: &Scored| s.score;
    let lexical = |s: &Scored| s.lexical;
    let cosine = |s: &Scored| s.semantic.unwrap_or(-1.0);
    let tokens = |s: &Scored| s.tokens.unwrap_or(-1.0);
    let lead = |f: &dyn Fn(&Scored) -> f64| f(top) - ranked[1..].iter().map(f).reduce(f64::max).unwrap_or(0.0);
    let first_by = |f: &dyn Fn(&Scored) -> f64| {
        if first_best(ranked, |s| Some(f(s))).is_some_and(|best| best.entry == top.entry) { 1.0 } else { 0.0 }
    };
    Some([
        fused(top),
        lead(&fused),
        lexical(top),
        lead(&lexical),
        cosine(top),
        lead(&cosine),
        tokens(top),
        lead(&tokens),
        signals.evidence.min(5.0) / 5.0,
        signals.known_share,
        cosine(top) - signals.sibling.unwrap_or(1.0),
        first_by(&lexical),
        first_by(&cosine),
        first_by(&tokens),
        signals.words.min(20) as f64 / 20.0,
    ])
}

/// The entry with the best `score` in `ranked` (entries without one are
/// passed over): the first in ranked order on a tie, as ties go to the
/// fused ranking. What "first by words, by meaning, by tokens" means.
pub fn first_best(ranked: &[Scored], score: impl Fn(&Scored) -> Option<f64>) -> Option<&Scored> {
    let mut best: Option<(&Scored, f64)> = None;
    for s in ranked {
        if let Some(x) = score(s)
            && best.is_none_or(|(_, b)| x > b)
        {
            best = Some((s, x));
        }
    }
    best.map(|(s, _)| s)
}

/// The model's probability for `x` under `weights`.
pub fn probability(weights: &[f64; FEATURES + 1], x: &[f64; FEATURES]) -> f64 {
    let z = weights[0] + weights[1..].iter().zip(x).map(|(w, x)| w * x).sum::<f64>();
    1.0 / (1.0 + (-z.clamp(-30.0, 30.0)).exp())
}

/// Fits the weights to `(features, right, weight)` rows: weighted logistic
/// regression by full-batch gradient descent with a light L2 penalty (not
/// on the intercept). Deterministic: the same rows give the same weights.
pub fn fit(rows: &[([f64; FEATURES], bool, f64)]) -> [f64; FEATURES + 1] {
    const STEPS: usize = 2000;
    const RATE: f64 = 0.5;
    const L2: f64 = 1e-3;
    let mut w = [0.0; FEATURES + 1];
    let total: f64 = rows.iter().map(|r| r.2).sum();
    if total <= 0.0 {
        return w;
    }
    for _ in 0..STEPS {
        let mut grad = [0.0; FEATURES + 1];
        for (x, right, weight) in rows {
            let d = (probability(&w, x) - if *right { 1.0 } else { 0.0 }) * weight;
            grad[0] += d;
            for (g, x) in grad[1..].iter_mut().zip(x) {
                *g += d * x;
            }
        }
        for (i, (w, g)) in w.iter_mut().zip(grad).enumerate() {
            *w -= RATE * (g / total + if i > 0 { L2 * *w } else { 0.0 });
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(entry: usize, lexical: f64, cosine: f64, tokens: f64) -> Scored {
        Scored {
            entry,
            score: (lexical + cosine + tokens) / 3.0,
            lexical,
            semantic: Some(cosine),
            tokens: Some(tokens),
        }
    }

    fn signals(ranked: Vec<Scored>) -> Signals {
        Signals {
            ranked,
            evidence: 2.0,
            known_share: 1.0,
            semantic: true,
            sibling: Some(0.4),
            words: 8,
            ..Default::default()
        }
    }

    #[test]
    fn features_need_token_evidence() {
        let mut s = signals(vec![scored(3, 0.5, 0.7, 0.8), scored(1, 0.6, 0.5, 0.6)]);
        let x = features(&s).unwrap();
        assert!((x[3] - (0.5 - 0.6)).abs() < 1e-12, "the lexical lead is against the best other");
        assert_eq!(x[11..14], [0.0, 1.0, 1.0], "first by meaning and tokens, not by words");
        s.ranked[0].tokens = None;
        assert!(features(&s).is_none());
        s.ranked[0].tokens = Some(0.8);
        s.semantic = false;
        assert!(features(&s).is_none());
    }

    #[test]
    fn the_shipped_model_prefers_evidence_that_agrees_and_leads() {
        let clear = signals(vec![scored(0, 0.8, 0.85, 0.9), scored(1, 0.2, 0.4, 0.6)]);
        let close = signals(vec![scored(0, 0.3, 0.6, 0.7), scored(1, 0.28, 0.58, 0.69)]);
        let p = |s: &Signals| probability(&WEIGHTS, &features(s).unwrap());
        let threshold = super::super::Thresholds::default().answer_probability;
        assert!(p(&clear) > 0.95, "{}", p(&clear));
        assert!(p(&close) < threshold, "{}", p(&close));
    }

    #[test]
    fn fitting_separates_what_it_is_shown() {
        // Right when the lead in fused score is large; the fit must find
        // that and give it a positive weight.
        let rows: Vec<_> = (0..40)
            .map(|i| {
                let lead = f64::from(i) / 40.0;
                let mut x = [0.5; FEATURES];
                x[1] = lead;
                (x, lead > 0.5, 1.0)
            })
            .collect();
        let w = fit(&rows);
        assert!(w[2] > 1.0, "{w:?}");
        assert!(probability(&w, &rows[39].0) > 0.8 && probability(&w, &rows[0].0) < 0.2);
        assert_eq!(fit(&rows), w, "deterministic");
        assert_eq!(fit(&[]), [0.0; FEATURES + 1]);
    }
}
