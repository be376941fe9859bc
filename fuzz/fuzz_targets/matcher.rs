//! Any message against the shipped knowledge: matching must not panic,
//! scores stay in 0..=1, and the reply renders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policybot::knowledge::{KnowledgeBase, load_str};
use policybot::matcher::Thresholds;
use std::sync::OnceLock;

fn kb() -> &'static KnowledgeBase {
    static KB: OnceLock<KnowledgeBase> = OnceLock::new();
    KB.get_or_init(|| {
        load_str("mississippi-ice.toml", include_str!("../../knowledge/mississippi-ice.toml")).expect("shipped knowledge")
    })
}

fuzz_target!(|data: &[u8]| {
    let message = String::from_utf8_lossy(data);
    let kb = kb();
    let found = kb.matcher().find(&message, &Thresholds::default());
    assert!((0.0..=1.0).contains(&found.confidence), "{}", found.confidence);
    for s in &found.ranked {
        assert!(s.entry < kb.entries.len() && (0.0..=1.0).contains(&s.score));
    }
    let reply = policybot::answer::ask(kb, &message, &Thresholds::default(), &Default::default());
    let _ = reply.render_plain("!");
});
