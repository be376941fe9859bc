//! Property tests: the normaliser and matcher never panic, normalisation is
//! idempotent, and every score stays within [0, 1].

use policybot::knowledge::{KnowledgeBase, load_dir};
use policybot::matcher::{Thresholds, normalise};
use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

fn kb() -> &'static KnowledgeBase {
    static KB: OnceLock<KnowledgeBase> = OnceLock::new();
    KB.get_or_init(|| load_dir(Path::new("knowledge")).unwrap())
}

/// Text that looks like chat: words from the knowledge, abbreviations,
/// punctuation, emoji, mentions, control and zero-width characters.
fn chatty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("ms".to_owned()),
        Just("MS".to_owned()),
        Just("287(g)".to_owned()),
        Just("e-verify".to_owned()),
        Just("Mississippi’s".to_owned()),
        Just("ICE".to_owned()),
        Just("w/".to_owned()),
        Just("u.s.".to_owned()),
        Just("<@42>".to_owned()),
        Just("🤔".to_owned()),
        Just("\u{200b}".to_owned()),
        Just("$$".to_owned()),
        "[a-z]{1,12}",
        "\\PC{0,8}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..30).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn normalisation_is_idempotent(s in chatty()) {
        let once = normalise(&s);
        prop_assert_eq!(normalise(&once), once.clone());
    }

    #[test]
    fn normalisation_is_idempotent_on_any_string(s in any::<String>()) {
        let once = normalise(&s);
        prop_assert_eq!(normalise(&once), once.clone());
    }

    #[test]
    fn matcher_never_panics_and_scores_stay_in_range(s in chatty()) {
        let m = kb().matcher().find(&s, &Thresholds::default());
        prop_assert!((0.0..=1.0).contains(&m.confidence));
        prop_assert!(m.ranked.len() <= 3);
        for r in &m.ranked {
            prop_assert!((0.0..=1.0).contains(&r.score));
        }
        let (scored, evidence) = kb().matcher().score(&s);
        prop_assert!(evidence >= 0.0);
        prop_assert!(scored.iter().all(|x| (0.0..=1.0).contains(&x.score)));
    }

    #[test]
    fn matcher_handles_any_string(s in any::<String>()) {
        let m = kb().matcher().find(&s, &Thresholds::default());
        prop_assert!((0.0..=1.0).contains(&m.confidence));
    }
}
