//! Any bytes as a knowledge file: loading must return the knowledge or
//! located errors, never panic; loaded knowledge must answer its own
//! questions without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policybot::knowledge::load_str;
use policybot::matcher::Thresholds;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match load_str("fuzz.toml", text) {
        Ok(kb) => {
            for entry in kb.entries.iter().take(8) {
                let reply = policybot::answer::ask(&kb, &entry.question, &Thresholds::default(), &Default::default());
                let _ = reply.render_plain("/");
            }
        }
        Err(errors) => {
            assert!(!errors.0.is_empty());
            for e in &errors.0 {
                assert!(e.line >= 1 && e.column >= 1, "{e}");
            }
        }
    }
});
