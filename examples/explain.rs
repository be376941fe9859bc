//! Development aid: shows how a message is analysed and scored.
use policybot::knowledge::load_dir;
use std::path::Path;
fn main() {
    let kb = load_dir(Path::new("knowledge")).unwrap();
    for msg in std::env::args().skip(1) {
        let terms = kb.matcher().analyser().terms(&msg);
        println!("{msg}");
        for t in &terms {
            println!(
                "   {:<16} w={:.2} {}{}  in: {}",
                t.text,
                kb.matcher().weight(&t.text),
                if t.corrected { "corrected " } else { "" },
                if t.unknown { "UNKNOWN" } else { "" },
                kb.matcher()
                    .holders(&t.text)
                    .iter()
                    .map(|(e, s)| format!("{}:{:.1}", kb.entries[*e].id, s))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        let (s, ev) = kb.matcher().score(&msg);
        for x in s.iter().take(4) {
            println!("   -> {:<28} {:.3}", kb.entries[x.entry].id, x.score);
        }
        println!("   evidence {ev:.2}");
    }
}
