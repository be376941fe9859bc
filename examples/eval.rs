//! Prints matching quality on a labelled set: overall and wrong shares, and
//! every message not handled right.
//!
//! cargo run --release --example eval -- [DEV.tsv] [SEED.txt] [KNOWLEDGE_DIR]

use policybot::config::Config;
use policybot::eval::{evaluate, read_labelled};
use policybot::knowledge::{import, load_dir};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dev = args.first().map_or("tests/data/dev.tsv", String::as_str);
    let seed = args.get(1).map_or("tests/data/mississippi-ice-faq.txt", String::as_str);
    let dir = args.get(2).map_or("knowledge", String::as_str);
    let config = Config::load(Path::new("config.toml"), false)?;
    let kb = load_dir(Path::new(dir))?;
    let questions: Vec<String> =
        import::parse(&std::fs::read_to_string(seed)?)?.into_iter().map(|e| e.question).collect();
    let labelled = read_labelled(&std::fs::read_to_string(dev)?, &questions, &kb)?;
    let report = evaluate(&kb, &config.matching, &labelled);
    for c in report.cases.iter().filter(|c| !c.right) {
        println!(
            "{} want={:<28} got={:<28} {:?} {:.3}  {}",
            if c.wrong { "WRONG" } else { "miss " },
            c.labelled.expected.as_deref().unwrap_or("none"),
            c.got.as_deref().unwrap_or("-"),
            c.outcome,
            c.confidence,
            policybot::reply::shorten(&c.labelled.message, 100)
        );
        if std::env::var("TERMS").is_ok() {
            let terms = kb.matcher().analyser().terms(&c.labelled.message);
            let shown: Vec<String> =
                terms.iter().map(|t| format!("{}{}", t.text, if t.unknown { "?" } else { "" })).collect();
            println!("      {}", shown.join(" "));
        }
    }
    println!("overall {:.3}  wrong {:.3}  ({} messages)", report.overall(), report.wrong(), report.cases.len());
    Ok(())
}
