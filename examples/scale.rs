//! How matching cost grows with the size of the knowledge. Generates N
//! synthetic entries (seeded), builds the index, asks chat-style questions,
//! and prints one JSON line:
//! {"entries", "build_ms", "p50_us", "p99_us", "naive_p50_us", "speedup", "rss_mb", …}
//! where naive is a linear strsim scan over every stored question in the same
//! run and rss_mb is the peak resident set size of the process.
//!
//! cargo run --release --example scale -- --entries 100000 [--queries 2000] [--seed 1] [--reload]
//!     [--hybrid [--data DIR]]
//!
//! With --hybrid every phrasing is embedded with the sentence-embedding model
//! (vectors cached under DIR/vectors, a temporary directory by default, so
//! a second run with the same --data starts warm), adding "embed_ms",
//! "phrasings", "phrasings_per_s" and "dense_mb"; the question timings are
//! then hybrid (one message embedding plus the scan of every vector).
//!
//! With --reload it also writes the knowledge to a temporary directory as 50
//! files, loads it cold ("load_ms": every file parsed), then edits one file
//! and reloads through the bot, three times, while another thread keeps
//! asking, adding "reload_ms" (slowest reload), "asked_during_reload" and
//! "failed_during_reload" to the line.

use policybot::bot::Bot;
use policybot::config::Config;
use policybot::knowledge::{KnowledgeBase, Source, write};
use policybot::matcher::{Outcome, Thresholds, Vocabulary, normalise};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

// Dev-only code shared by tests, examples and benchmarks; not in the shipped library.
#[allow(dead_code)]
#[path = "../tests/support/synth.rs"]
mod synth;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let n = arg("--entries", 100_000) as usize;
    let queries = arg("--queries", 2_000) as usize;
    let seed = arg("--seed", 1);
    let reload = std::env::args().any(|a| a == "--reload");

    let entries = synth::entries(n, seed);
    let synonyms = synth::synonyms();
    let source = Source { path: "synthetic.toml".into(), title: "Synthetic".into(), ..Source::default() };
    let start = Instant::now();
    let mut kb =
        KnowledgeBase::new(vec![source], entries, Vocabulary { synonyms: synonyms.clone(), ..Vocabulary::default() });
    let build_ms = start.elapsed().as_secs_f64() * 1e3;
    let mut hybrid_fields = String::new();
    let _data_guard;
    if std::env::args().any(|a| a == "--hybrid") {
        let args: Vec<String> = std::env::args().collect();
        let data = match args.iter().position(|a| a == "--data").and_then(|i| args.get(i + 1)) {
            Some(d) => std::path::PathBuf::from(d),
            None => {
                let t = tempfile::tempdir().expect("temporary directory");
                let p = t.path().to_path_buf();
                _data_guard = t;
                p
            }
        };
        let encoder = policybot::embed::setup(&policybot::config::SemanticConfig::default(), &data)
            .expect("the sentence-embedding model loads (policybot model install)");
        let phrasings: usize = kb.entries.iter().map(|e| 1 + e.aliases.len()).sum();
        let t = Instant::now();
        kb.embed(encoder).expect("embedding");
        let embed_s = t.elapsed().as_secs_f64();
        hybrid_fields = format!(
            ", \"embed_ms\": {:.0}, \"phrasings\": {phrasings}, \"phrasings_per_s\": {:.0}, \"dense_mb\": {:.1}",
            embed_s * 1e3,
            phrasings as f64 / embed_s,
            kb.matcher().dense_bytes() as f64 / 1e6
        );
    }

    let thresholds = Thresholds::default();
    let asked = synth::questions(&kb.entries, queries, seed);
    let mut times = Vec::with_capacity(asked.len());
    let (mut right, mut wrong) = (0usize, 0usize);
    for (message, want) in &asked {
        let t = Instant::now();
        let m = kb.matcher().find(message, &thresholds);
        times.push(t.elapsed().as_secs_f64() * 1e6);
        if m.outcome == Outcome::Answer {
            let got = &kb.entries[m.ranked[0].entry].id;
            if want.as_ref() == Some(got) { right += 1 } else { wrong += 1 }
        }
    }
    times.sort_by(f64::total_cmp);

    // The naive baseline: whole-string similarity against every stored
    // question. It is slow, so it runs on a sample of the questions.
    let stored: Vec<String> = kb.entries.iter().map(|e| normalise(&e.question)).collect();
    let sample = asked.len().min((20_000_000 / n.max(1)).clamp(5, 200));
    let mut naive = Vec::with_capacity(sample);
    for (message, _) in asked.iter().take(sample) {
        let t = Instant::now();
        let message = normalise(message);
        let best = stored
            .iter()
            .enumerate()
            .map(|(i, q)| (strsim::normalized_levenshtein(&message, q), i))
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        std::hint::black_box(best);
        naive.push(t.elapsed().as_secs_f64() * 1e6);
    }
    naive.sort_by(f64::total_cmp);

    let p50 = percentile(&times, 0.5);
    let naive_p50 = percentile(&naive, 0.5);
    let mut line = format!(
        "{{\"entries\": {n}, \"build_ms\": {build_ms:.0}, \"p50_us\": {p50:.1}, \"p99_us\": {:.1}, \"naive_p50_us\": {naive_p50:.0}, \"speedup\": {:.0}, \"rss_mb\": {:.0}, \"questions\": {}, \"answered_right\": {right}, \"answered_wrong\": {wrong}",
        percentile(&times, 0.99),
        naive_p50 / p50,
        peak_rss_mb(),
        asked.len(),
    );
    line.push_str(&hybrid_fields);

    if reload {
        // A deployment this size keeps its knowledge in many files (one per
        // jurisdiction or topic); write files of 2,000 entries.
        let dir = tempfile::tempdir().expect("temporary directory");
        for (i, part) in kb.entries.chunks(2_000).enumerate() {
            let text = write::to_toml("Synthetic", "generated by tests/support/synth.rs", &synonyms, part);
            std::fs::write(dir.path().join(format!("part-{i:03}.toml")), text).expect("write knowledge");
        }
        drop(kb);
        let t = Instant::now();
        let loaded = policybot::knowledge::load_dir(dir.path()).expect("load");
        let cold_load_ms = t.elapsed().as_secs_f64() * 1e3;
        drop(loaded);
        let bot = Bot::load(Config::default(), dir.path().to_path_buf()).expect("load");
        let done = AtomicBool::new(false);
        let asked_count = AtomicUsize::new(0);
        let failed = AtomicUsize::new(0);
        let mut slowest: f64 = 0.0;
        std::thread::scope(|s| {
            // Questions keep coming during the reloads, one a millisecond:
            // busier than any chat, without taking a core from the reload.
            s.spawn(|| {
                let mut i = 0;
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    let kb = bot.knowledge();
                    let (message, _) = &asked[i % asked.len()];
                    let m = kb.matcher().find(message, &thresholds);
                    if kb.entries.len() != n || m.ranked.iter().any(|r| r.entry >= kb.entries.len()) {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    asked_count.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            });
            for round in 0..3 {
                // A moderator edited one file; the other 49 are unchanged.
                let first = dir.path().join("part-000.toml");
                let mut text = std::fs::read_to_string(&first).expect("read knowledge");
                text.push_str(&format!("# edited in round {round}\n"));
                std::fs::write(&first, text).expect("write knowledge");
                let t = Instant::now();
                let reloaded = bot.reload(policybot::bot::Trigger::Asked);
                slowest = slowest.max(t.elapsed().as_secs_f64() * 1e3);
                if let Err(refused) = reloaded {
                    panic!("reload failed: {refused}");
                }
            }
            done.store(true, Ordering::Relaxed);
        });
        line.push_str(&format!(
            ", \"load_ms\": {cold_load_ms:.0}, \"reload_ms\": {slowest:.0}, \"asked_during_reload\": {}, \"failed_during_reload\": {}, \"rss_mb_after_reload\": {:.0}",
            asked_count.load(Ordering::Relaxed),
            failed.load(Ordering::Relaxed),
            peak_rss_mb()
        ));
    }
    line.push('}');
    println!("{line}");
}
