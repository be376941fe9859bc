//! Any text through `policybot import`: parsing must not panic, and what it
//! imports must write out as a knowledge file that loads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policybot::knowledge::{import, load_str};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(entries) = import::parse(&text) {
        let toml = import::to_toml("Fuzz", "fuzz", &entries);
        if let Err(errors) = load_str("imported.toml", &toml) {
            panic!("imported knowledge does not load:\n{errors}\n---\n{toml}");
        }
    }
});
