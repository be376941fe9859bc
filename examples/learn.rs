//! What accepting community phrasings teaches: a labelled corpus replayed
//! through the review queue's road. One half's in-scope messages are
//! accepted as phrasings of their labelled entries through the one write
//! path (`knowledge::edit::apply`, checked as a reload would be, in a
//! temporary copy of the knowledge), and the other half is scored before
//! and after; then the halves swap.
//!
//!   cargo run --release --example learn -- [--lexical] [--changes] [--as-aliases] [--only NAME]
//!
//! Accepted messages become asked questions (`asked = [...]`), as the
//! review queue's accept makes them; `--as-aliases` makes them aliases
//! instead, as accepting did before asked questions were kept apart.
//!
//! Built in: `dev` (the shipped knowledge) and `covid` (CovidFAQ imported
//! as-is), read from `../shared/eval/` when it is there. The changes are
//! checked without the model (lexical build and regression set) to keep a
//! run short; the scores are hybrid when the model is installed (and
//! `--lexical` is not given). `--changes` lists, on stderr, the reported
//! messages whose first choice was won or lost by the learning.

use eval::{Half, Labelled, evaluate, half_of, read_labelled};
use policybot::config::{Config, SemanticConfig};
use policybot::knowledge::edit::{Edit, EditRefused, apply};
use policybot::knowledge::{KnowledgeBase, import, load_dir};
use policybot::matcher::Encoder;
use std::path::{Path, PathBuf};
use std::sync::Arc;

// Dev-only code shared by tests, examples and benchmarks; not in the shipped library.
#[allow(dead_code)]
#[path = "../tests/support/eval.rs"]
mod eval;

struct Corpus {
    name: &'static str,
    faq: PathBuf,
    queries: PathBuf,
    /// A knowledge directory; `None` imports the FAQ text as-is.
    knowledge: Option<PathBuf>,
}

fn corpora() -> Vec<Corpus> {
    let shared = Path::new("../shared/eval");
    let dev = if shared.join("dev.tsv").is_file() { shared.join("dev.tsv") } else { "tests/data/dev.tsv".into() };
    let mut out = vec![Corpus {
        name: "dev",
        faq: "tests/data/mississippi-ice-faq.txt".into(),
        queries: dev,
        knowledge: Some("knowledge".into()),
    }];
    let covid = shared.join("covidfaq");
    if covid.join("faq.txt").is_file() {
        out.push(Corpus {
            name: "covid",
            faq: covid.join("faq.txt"),
            queries: covid.join("queries.tsv"),
            knowledge: None,
        });
    } else {
        eprintln!("note: {} not found; CovidFAQ skipped", covid.display());
    }
    out
}

/// A temporary copy of the corpus's knowledge, and its numbered questions.
fn copy(corpus: &Corpus) -> Result<(tempfile::TempDir, Vec<String>), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let imported = import::parse(&std::fs::read_to_string(&corpus.faq)?)?;
    match &corpus.knowledge {
        Some(from) => {
            for file in std::fs::read_dir(from)? {
                let path = file?.path();
                std::fs::copy(&path, dir.path().join(path.file_name().ok_or("a file")?))?;
            }
        }
        None => std::fs::write(dir.path().join("imported.toml"), import::to_toml(corpus.name, "imported", &imported))?,
    }
    Ok((dir, imported.into_iter().map(|e| e.question).collect()))
}

fn scored(dir: &Path, encoder: Option<&Arc<dyn Encoder>>) -> Result<KnowledgeBase, Box<dyn std::error::Error>> {
    let mut kb = load_dir(dir)?;
    if let Some(encoder) = encoder {
        kb.embed(encoder.clone())?;
    }
    Ok(kb)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lexical = std::env::args().any(|a| a == "--lexical");
    let changes = std::env::args().any(|a| a == "--changes");
    let as_aliases = std::env::args().any(|a| a == "--as-aliases");
    let only = std::env::args().skip_while(|a| a != "--only").nth(1);
    let config = Config::load(Path::new("config.toml"), false)?;
    let encoder = if lexical {
        None
    } else {
        policybot::embed::setup(&SemanticConfig { enabled: true, ..config.semantic.clone() }, &config.data.dir)
    };
    let mode = if encoder.is_some() { "hybrid" } else { "lexical" };
    println!(
        "{:<7} {:<10} {:<8} {:>8} {:>7} {:>5} {:>16} {:>14} {:>14} {:>16} {:>14}",
        "corpus", "learned", "mode", "accepted", "refused", "n", "overall", "wrong", "wrong*", "ans.right", "first"
    );
    for corpus in corpora().into_iter().filter(|c| only.as_deref().is_none_or(|o| o == c.name)) {
        for (learn, report) in [(Half::Tuning, Half::Reporting), (Half::Reporting, Half::Tuning)] {
            let (dir, questions) = copy(&corpus)?;
            let before = scored(dir.path(), encoder.as_ref())?;
            let tsv = std::fs::read_to_string(&corpus.queries)?;
            let labelled = read_labelled(&tsv, &questions, &before)?;
            let half = |h: Half| labelled.iter().filter(|l| half_of(&l.message) == h).cloned().collect::<Vec<_>>();
            let (taught, reported): (Vec<Labelled>, Vec<Labelled>) = (half(learn), half(report));
            let was = evaluate(&before, &config.matching, &reported);
            drop(before);
            // Every in-scope message of the learning half accepted as a
            // phrasing of its entry, one change at a time.
            let (mut accepted, mut refused) = (0, 0);
            let mut why: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
            let mut kb = load_dir(dir.path())?;
            for l in taught.iter().filter(|l| l.expected.is_some()) {
                let entry = l.expected.clone().unwrap_or_default();
                let edit = if as_aliases {
                    Edit::AddAlias { entry: entry.clone(), text: l.message.clone() }
                } else {
                    Edit::AddAsked { entry: entry.clone(), text: l.message.clone() }
                };
                let validate = |d: &Path| policybot::bot::validate(d, None, &config).map(|_| ());
                match apply(dir.path(), &kb, &edit, validate) {
                    Ok(_) => {
                        accepted += 1;
                        kb = load_dir(dir.path())?;
                    }
                    Err(EditRefused::Unwritable { file, why }) => {
                        return Err(format!("{}: {why}", file.display()).into());
                    }
                    Err(e) => {
                        refused += 1;
                        let kind = match &e {
                            EditRefused::Taken { other, .. } if *other == entry => "already its phrasing",
                            EditRefused::Taken { .. } => "another entry's phrasing",
                            EditRefused::Invalid(_) => "breaks the regression set",
                            EditRefused::TooLong { .. } => "too long",
                            EditRefused::Mentions { .. } => "mentions",
                            EditRefused::Empty(_) => "empty",
                            _ => "other",
                        };
                        *why.entry(kind).or_default() += 1;
                    }
                }
            }
            if !why.is_empty() {
                eprintln!("{} refused: {why:?}", corpus.name);
            }
            let after = scored(dir.path(), encoder.as_ref())?;
            let now = evaluate(&after, &config.matching, &reported);
            if changes {
                for (a, b) in was.cases.iter().zip(&now.cases) {
                    if a.first == a.labelled.expected && b.first != b.labelled.expected {
                        eprintln!(
                            "  first choice lost: {:?} (label {:?}, now {:?})",
                            a.labelled.message, a.labelled.expected, b.first
                        );
                    }
                    if a.first != a.labelled.expected && b.first == b.labelled.expected {
                        eprintln!("  first choice won: {:?} (label {:?})", a.labelled.message, a.labelled.expected);
                    }
                }
            }
            let pair = |a: f64, b: f64| format!("{a:.3} → {b:.3}");
            println!(
                "{:<7} {:<10} {:<8} {:>8} {:>7} {:>5} {:>16} {:>14} {:>14} {:>16} {:>14}",
                corpus.name,
                if learn == Half::Tuning { "tuning" } else { "reporting" },
                mode,
                accepted,
                refused,
                reported.len(),
                pair(was.overall(), now.overall()),
                pair(was.wrong(), now.wrong()),
                pair(was.wrong_uncontested(), now.wrong_uncontested()),
                pair(was.answered_right(), now.answered_right()),
                pair(was.first_choice(), now.first_choice()),
            );
        }
    }
    Ok(())
}
