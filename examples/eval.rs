//! Matching quality on labelled corpora, lexical only and hybrid, on the
//! reporting half of each (or the tuning half while tuning):
//!
//!   cargo run --release --example eval -- [--half tuning|reporting|all]
//!       [--corpus NAME=FAQ.txt:QUERIES.tsv[:KNOWLEDGE_DIR]]... [--only NAME] [--misses] [--hubs] [--kinds] [--dump FILE]
//!       [--fit [--hold-out NAME]...]
//!
//! `in lang` is the share answered right in the corpus's language (the `es`
//! corpus is Spanish chat about the shipped FAQ, tests/data/es.tsv).
//! `shown` is the share of answerable messages whose right entry is answered
//! or offered; `--hubs` lists the entries most often ranked first when
//! another was right; `--kinds` gives first choice by each kind of
//! evidence alone (words, whole-text cosine, tokens).
//!
//! `--dump FILE` writes one JSON line per message and mode: its signals
//! (the ranked candidates with their lexical score, cosine, token score and fused score), the
//! outcome and the answered entry, for trying decision rules offline.
//!
//! `--fit` (with `--half tuning`) fits the answer-probability model
//! (`src/matcher/confidence.rs`) to the hybrid rows and prints its weights
//! and the `answer_probability` to ship: see [`fit`]. `--hold-out NAME`
//! (repeatable) leaves a corpus out of the fit and reports it at the
//! chosen weights: how the model does on a knowledge base it never saw.
//!
//! `wrong*` is the wrong share less answers that another copy of the same
//! message is labelled with (see `Report::wrong_uncontested`).
//!
//! Built in: `dev` (the shipped knowledge, with its synonyms and with none)
//! and `covid` (CovidFAQ imported as-is), read from `../shared/eval/` when
//! it is there. A corpus given without KNOWLEDGE_DIR is imported from its
//! FAQ text the way `policybot import` does. Labels are FAQ numbers (1-based)
//! or `none`.

use eval::{Half, Labelled, Labels, Report, evaluate, half_of, judge, read_labelled};
use policybot::config::{Config, SemanticConfig};
use policybot::knowledge::{KnowledgeBase, Lang, Source, import, load_dir, load_str};
use policybot::matcher::{Encoder, Signals, Thresholds, Tuning, Vocabulary, confidence, decide_with};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

// Dev-only code shared by tests, examples and benchmarks; not in the shipped library.
#[allow(dead_code)]
#[path = "../tests/support/eval.rs"]
mod eval;

struct Corpus {
    name: String,
    faq: PathBuf,
    queries: PathBuf,
    knowledge: Option<PathBuf>,
    /// Drop the knowledge's synonyms (to show what they add).
    bare: bool,
    /// The language its messages are in: `in lang` counts answers right
    /// and in it.
    lang: Lang,
}

fn parse_corpus(spec: &str) -> Result<Corpus, String> {
    let (name, rest) = spec.split_once('=').ok_or("--corpus NAME=FAQ.txt:QUERIES.tsv[:DIR]")?;
    let parts: Vec<&str> = rest.split(':').collect();
    if parts.len() < 2 {
        return Err(format!("--corpus {spec}: need FAQ.txt:QUERIES.tsv"));
    }
    Ok(Corpus {
        name: name.to_owned(),
        faq: parts[0].into(),
        queries: parts[1].into(),
        knowledge: parts.get(2).map(PathBuf::from),
        bare: false,
        lang: Lang::En,
    })
}

fn builtin() -> Vec<Corpus> {
    let shared = Path::new("../shared/eval");
    let dev = if shared.join("dev.tsv").is_file() { shared.join("dev.tsv") } else { "tests/data/dev.tsv".into() };
    let seed = PathBuf::from("tests/data/mississippi-ice-faq.txt");
    let mut out = vec![
        Corpus {
            name: "dev".into(),
            faq: seed.clone(),
            queries: dev.clone(),
            knowledge: Some("knowledge".into()),
            bare: false,
            lang: Lang::En,
        },
        Corpus {
            name: "dev, no synonyms".into(),
            faq: seed.clone(),
            queries: dev,
            knowledge: Some("knowledge".into()),
            bare: true,
            lang: Lang::En,
        },
        Corpus {
            name: "es".into(),
            faq: seed,
            queries: "tests/data/es.tsv".into(),
            knowledge: Some("knowledge".into()),
            bare: false,
            lang: Lang::Es,
        },
    ];
    let covid = shared.join("covidfaq");
    if covid.join("faq.txt").is_file() {
        out.push(Corpus {
            name: "covid".into(),
            faq: covid.join("faq.txt"),
            queries: covid.join("queries.tsv"),
            knowledge: None,
            bare: false,
            lang: Lang::En,
        });
    } else {
        eprintln!("note: {} not found; CovidFAQ skipped", covid.display());
    }
    out
}

fn load(corpus: &Corpus) -> Result<(KnowledgeBase, Vec<String>), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(&corpus.faq).map_err(|e| format!("{}: {e}", corpus.faq.display()))?;
    let imported = import::parse(&text)?;
    let questions: Vec<String> = imported.iter().map(|e| e.question.clone()).collect();
    let kb = match &corpus.knowledge {
        Some(dir) => load_dir(dir)?,
        None => load_str("imported.toml", &import::to_toml(&corpus.name, "imported", &imported))?,
    };
    let kb = if corpus.bare {
        let sources: Vec<Source> = kb
            .sources
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s.vocabulary.synonyms.clear();
                s
            })
            .collect();
        KnowledgeBase::new(sources, kb.entries.clone(), Vocabulary::default())
    } else {
        kb
    };
    Ok((kb, questions))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut half = Some(Half::Reporting);
    let mut corpora = Vec::new();
    let mut misses = false;
    let mut hubs = false;
    let mut kinds = false;
    let mut tuning = Tuning::default();
    let mut only: Option<String> = None;
    let mut dump: Option<std::fs::File> = None;
    let mut fitting: Option<Vec<Fitted>> = None;
    let mut held_out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--half" => {
                i += 1;
                half = match args.get(i).map(String::as_str) {
                    Some("tuning") => Some(Half::Tuning),
                    Some("reporting") => Some(Half::Reporting),
                    Some("all") => None,
                    other => return Err(format!("--half tuning|reporting|all, not {other:?}").into()),
                };
            }
            "--corpus" => {
                i += 1;
                corpora.push(parse_corpus(args.get(i).ok_or("--corpus needs a value")?)?);
            }
            "--misses" => misses = true,
            "--hubs" => hubs = true,
            "--kinds" => kinds = true,
            "--fit" => fitting = Some(Vec::new()),
            "--hold-out" => {
                i += 1;
                held_out.push(args.get(i).ok_or("--hold-out needs a corpus name")?.clone());
            }
            "--tuning" => {
                i += 1;
                for pair in args.get(i).ok_or("--tuning needs key=value,...")?.split(',') {
                    let (k, v) = pair.split_once('=').ok_or("--tuning key=value,...")?;
                    let v: f64 = v.parse()?;
                    match k {
                        "answer" => tuning.answer_strength = v,
                        "claim" => tuning.claim_strength = v,
                        "passage" => tuning.passage_strength = v,
                        "topic" => tuning.topic_strength = v,
                        "message_share" => tuning.message_share = v,
                        "unknown" => tuning.unknown_factor = v,
                        "common" => tuning.common_factor = v,
                        "lexical_share" => tuning.lexical_share = v,
                        "cosine_floor" => tuning.cosine_floor = v,
                        "token_share" => tuning.token_share = v,
                        "token_floor" => tuning.token_floor = v,
                        other => return Err(format!("unknown tuning key {other}").into()),
                    }
                }
            }
            "--only" => {
                i += 1;
                only = Some(args.get(i).ok_or("--only needs a corpus name")?.clone());
            }
            "--dump" => {
                i += 1;
                dump = Some(std::fs::File::create(args.get(i).ok_or("--dump needs a file")?)?);
            }
            other => return Err(format!("unknown argument {other}; see the header of examples/eval.rs").into()),
        }
        i += 1;
    }
    if corpora.is_empty() {
        corpora = builtin();
    }
    if let Some(only) = &only {
        corpora.retain(|c| c.name == *only);
    }
    let config = Config::load(Path::new("config.toml"), false)?;
    let encoder: Option<Arc<dyn Encoder>> =
        policybot::embed::setup(&SemanticConfig { enabled: true, ..config.semantic.clone() }, &config.data.dir);
    if encoder.is_none() {
        eprintln!("note: no sentence-embedding model; hybrid rows are missing (run `policybot model install`)");
    }

    println!(
        "{:<18} {:<9} {:<8} {:>5} {:>8} {:>6} {:>7} {:>8} {:>7} {:>6} {:>6} {:>8}",
        "corpus", "half", "mode", "n", "overall", "wrong", "wrong*", "ans.right", "in lang", "first", "shown", "µs/q"
    );
    for corpus in &corpora {
        let (kb, questions) = load(corpus)?;
        let mut kb = if tuning == Tuning::default() { kb } else { kb.with_tuning(tuning) };
        let tsv = std::fs::read_to_string(&corpus.queries).map_err(|e| format!("{}: {e}", corpus.queries.display()))?;
        let labelled: Vec<Labelled> = read_labelled(&tsv, &questions, &kb)?
            .into_iter()
            .filter(|l| half.is_none_or(|h| half_of(&l.message) == h))
            .collect();
        let mut modes = vec![("lexical", None)];
        if let Some(e) = &encoder {
            modes.push(("hybrid", Some(e.clone())));
        }
        for (mode, enc) in modes {
            if let Some(enc) = enc {
                kb.embed(enc)?;
            }
            let report = evaluate(&kb, &config.matching, &labelled);
            println!(
                "{:<18} {:<9} {:<8} {:>5} {:>8.3} {:>6.3} {:>7.3} {:>8.3} {:>7.3} {:>6.3} {:>6.3} {:>8.0}",
                corpus.name,
                match half {
                    Some(Half::Tuning) => "tuning",
                    Some(Half::Reporting) => "reporting",
                    None => "all",
                },
                mode,
                report.cases.len(),
                report.overall(),
                report.wrong(),
                report.wrong_uncontested(),
                report.answered_right(),
                report.answered_right_in(corpus.lang),
                report.first_choice(),
                report.right_shown(),
                report.micros_per_message()
            );
            if kinds {
                // Only the kinds this mode has.
                let line: Vec<String> = (0..eval::KINDS.len())
                    .filter(|&k| report.cases.iter().any(|c| c.first_by[k].is_some()))
                    .map(|k| format!("{} {:.3}", eval::KINDS[k].0, report.first_by(k)))
                    .collect();
                println!("    first by one kind alone: {}", line.join(", "));
            }
            if hubs {
                let wrong_firsts: usize = report.hubs().iter().map(|(_, n)| n).sum();
                for (entry, n) in report.hubs().iter().take(5) {
                    println!(
                        "    hub {entry:<40} first but wrong {n:>4} ({:.0}% of wrong firsts)",
                        100.0 * *n as f64 / wrong_firsts.max(1) as f64
                    );
                }
            }
            if misses {
                for c in report.cases.iter().filter(|c| !c.right) {
                    println!(
                        "    {} want={:<24} got={:<24} {:?} {:.3}  {}",
                        if c.wrong { "WRONG" } else { "miss " },
                        c.labelled.expected.as_deref().unwrap_or("none"),
                        c.got.as_deref().unwrap_or("-"),
                        c.outcome,
                        c.confidence,
                        policybot::text::shorten(&c.labelled.message, 90)
                    );
                }
            }
            if let Some(rows) = fitting.as_mut().filter(|_| mode == "hybrid") {
                rows.push(Fitted {
                    name: corpus.name.clone(),
                    chat: corpus.knowledge.is_some(),
                    signals: labelled.iter().map(|l| kb.matcher().signals(&l.message)).collect(),
                    labelled: labelled.clone(),
                    ids: kb.entries.iter().map(|e| e.id.clone()).collect(),
                });
            }
            if let Some(out) = dump.as_mut() {
                for l in &labelled {
                    let s = kb.matcher().signals(&l.message);
                    let decided = policybot::matcher::decide(s.clone(), &config.matching);
                    let ranked: Vec<serde_json::Value> = s
                        .ranked
                        .iter()
                        .take(80)
                        .map(|r| serde_json::json!([kb.entries[r.entry].id, r.lexical, r.semantic, r.tokens, r.score]))
                        .collect();
                    let line = serde_json::json!({
                        "corpus": corpus.name, "mode": mode, "half": format!("{:?}", half_of(&l.message)),
                        "expected": l.expected, "message": l.message, "evidence": s.evidence, "known_share": s.known_share,
                        "out_of_scope": s.out_of_scope, "ranked": ranked, "sibling": s.sibling,
                        "outcome": decided.outcome, "answered": (decided.outcome == policybot::matcher::Outcome::Answer).then(|| kb.entries[decided.ranked[0].entry].id.clone()),
                    });
                    writeln!(out, "{line}")?;
                }
            }
        }
    }
    if let Some(fitted) = fitting {
        let (held, fitted): (Vec<Fitted>, Vec<Fitted>) = fitted.into_iter().partition(|f| held_out.contains(&f.name));
        fit(&fitted, &held, &config.matching);
    }
    Ok(())
}

/// One corpus's hybrid signals, kept for fitting.
struct Fitted {
    name: String,
    /// Chat questions about a curated knowledge base (dev, es), rather
    /// than an FAQ imported as-is with its own users' queries (CovidFAQ).
    chat: bool,
    ids: Vec<String>,
    labelled: Vec<Labelled>,
    signals: Vec<Signals>,
}

/// Fits the answer-probability model and chooses `answer_probability`.
///
/// Rows: each message's first entry by fused score, labelled right when it
/// is the message's entry and wrong when it is no copy's label (an entry
/// another copy of the message is labelled with says nothing either way,
/// so it is left out). Messages the knowledge vetoes are left out too.
///
/// Chat corpora weigh 1 per message. An imported FAQ's messages weigh
/// less: it has ten times as many, and its knowledge is of one shape. Its
/// weight is chosen with the threshold: for each weight, the threshold is
/// the one that answers the most chat messages right while no chat corpus
/// is answered wrong more than 3% of the time and no imported FAQ more than
/// 5% `wrong*` (the targets); then the weight whose best does most. With
/// only imported FAQs, their answers right count instead.
/// `held` corpora take no part, and are reported at the choice.
fn fit(fitted: &[Fitted], held: &[Fitted], base: &Thresholds) {
    let mut best: Option<(f64, f64, f64, [f64; confidence::FEATURES + 1])> = None;
    println!("\nfitting the answer-probability model on {} corpora", fitted.len());
    // With no chat corpus (all held out), the imported FAQs' answers count.
    let any_chat = fitted.iter().any(|f| f.chat);
    // Each message's first choice: its features, whether it is right, and
    // whether it comes from a chat corpus.
    let mut examples = Vec::new();
    for f in fitted {
        let labels = Labels::new(&f.labelled);
        for (l, s) in f.labelled.iter().zip(&f.signals) {
            let (Some(x), Some(top)) = (confidence::features(s), s.ranked.first()) else { continue };
            if s.out_of_scope > 0 && !s.contrast {
                continue;
            }
            let id = f.ids[top.entry].as_str();
            let right = l.expected.as_deref() == Some(id);
            if !right && labels.has(&l.message, Some(id)) {
                continue;
            }
            examples.push((x, right, f.chat));
        }
    }
    for faq_weight in [0.1, 0.15, 0.25, 0.4, 0.6, 1.0] {
        let rows: Vec<_> =
            examples.iter().map(|&(x, right, chat)| (x, right, if chat { 1.0 } else { faq_weight })).collect();
        let weights = confidence::fit(&rows);
        let mut chosen: Option<(f64, f64, String)> = None;
        for p in (50..=95).map(|p| f64::from(p) / 100.0) {
            let t = Thresholds { answer_probability: p, ..*base };
            let mut gain = 0.0;
            let mut ok = true;
            let mut line = String::new();
            for f in fitted {
                let report = replay(f, &t, &weights);
                if f.chat {
                    gain += report.answered_right();
                    ok &= report.wrong() <= 0.03;
                } else {
                    ok &= report.wrong_uncontested() <= 0.05;
                    if !any_chat {
                        gain += report.answered_right();
                    }
                }
                line.push_str(&format!(
                    "  {:.3}/{:.3}/{:.3}",
                    report.answered_right(),
                    report.wrong(),
                    report.wrong_uncontested()
                ));
            }
            // Ties go to the higher threshold: as much, answered more surely.
            if ok && chosen.as_ref().is_none_or(|c| gain >= c.1 - 1e-9) {
                chosen = Some((p, gain, line));
            }
        }
        match chosen {
            Some((p, gain, line)) => {
                println!(
                    "imported FAQ weight {faq_weight}: answer_probability {p:.2}, right/wrong/wrong* per corpus{line}"
                );
                if best.is_none_or(|b| gain > b.2 + 1e-9) {
                    best = Some((faq_weight, p, gain, weights));
                }
            }
            None => println!("imported FAQ weight {faq_weight}: no threshold meets the targets"),
        }
    }
    match best {
        Some((faq_weight, p, _, weights)) => {
            let w: Vec<String> = weights.iter().map(|w| format!("{w:.3}")).collect();
            println!("chosen: imported FAQ weight {faq_weight}, answer_probability = {p:.2}");
            println!("pub const WEIGHTS: [f64; FEATURES + 1] = [{}];", w.join(", "));
            for f in held {
                let report = replay(f, &Thresholds { answer_probability: p, ..*base }, &weights);
                println!(
                    "held out {}: answered right {:.3}, wrong {:.3}, wrong* {:.3}",
                    f.name,
                    report.answered_right(),
                    report.wrong(),
                    report.wrong_uncontested()
                );
            }
        }
        None => println!("no weight meets the targets"),
    }
}

/// A corpus's kept signals decided again under `t` and `weights`.
fn replay(f: &Fitted, t: &Thresholds, weights: &[f64; confidence::FEATURES + 1]) -> Report {
    let cases = f
        .labelled
        .iter()
        .zip(&f.signals)
        .map(|(l, s)| {
            let first = s.ranked.first().map(|s| f.ids[s.entry].clone());
            judge(&f.ids, l, first, decide_with(s.clone(), t, weights))
        })
        .collect();
    Report { cases, elapsed: Default::default() }
}
