//! Per-question matching latency over the shipped (seed) knowledge: words
//! alone, and (with the `semantic` feature and the model installed) hybrid,
//! plus a start over a warm vector cache.
//!
//! cargo bench --no-default-features --features semantic --bench matching

use criterion::{Criterion, criterion_group, criterion_main};
use policybot::knowledge::load_dir;
use policybot::matcher::Thresholds;
use std::hint::black_box;
use std::path::Path;

fn matching(c: &mut Criterion) {
    let kb = load_dir(Path::new("knowledge")).expect("knowledge loads");
    let thresholds = Thresholds::default();
    let messages: Vec<String> = std::fs::read_to_string("tests/data/dev.tsv")
        .expect("dev set")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t').map(|(_, m)| m.to_owned()))
        .collect();

    let mut group = c.benchmark_group("matching");
    group.bench_function("short question", |b| {
        b.iter(|| kb.matcher().find(black_box("does ms have sanctuary cities?"), &thresholds))
    });
    group.bench_function("typos and slang", |b| {
        b.iter(|| {
            kb.matcher().find(black_box("whats the curent MS polcy on ICE?? like whats the rule rn"), &thresholds)
        })
    });
    let long = "what happens with ICE and local police in Mississippi ".repeat(200);
    group.bench_function("20 KB message", |b| b.iter(|| kb.matcher().find(black_box(&long), &thresholds)));
    // One iteration asks all 150 dev-set messages; divide by 150 for the mean.
    group.bench_function("150 chat messages", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(kb.matcher().find(black_box(m), &thresholds));
            }
        })
    });
    group.finish();

    c.bench_function("load and index knowledge", |b| b.iter(|| load_dir(black_box(Path::new("knowledge"))).unwrap()));

    #[cfg(feature = "semantic")]
    hybrid(c, &messages, &thresholds);
}

/// The same questions with the model: one message embedding dominates.
#[cfg(feature = "semantic")]
fn hybrid(c: &mut Criterion, messages: &[String], thresholds: &Thresholds) {
    use policybot::config::SemanticConfig;
    use std::sync::Arc;
    let data = tempfile::tempdir().unwrap();
    let config = SemanticConfig::default();
    let encoder =
        policybot::embed::setup(&config, data.path()).expect("the model is installed (policybot model install)");
    let mut kb = load_dir(Path::new("knowledge")).unwrap();
    kb.embed(encoder).unwrap();
    let mut group = c.benchmark_group("hybrid");
    group.sample_size(30);
    group.bench_function("short question", |b| {
        b.iter(|| kb.matcher().find(black_box("does ms have sanctuary cities?"), thresholds))
    });
    group.bench_function("typos and slang", |b| {
        b.iter(|| kb.matcher().find(black_box("whats the curent MS polcy on ICE?? like whats the rule rn"), thresholds))
    });
    // One iteration asks 20 dev-set messages; divide by 20 for the mean.
    group.bench_function("20 chat messages", |b| {
        b.iter(|| {
            for m in messages.iter().take(20) {
                black_box(kb.matcher().find(black_box(m), thresholds));
            }
        })
    });
    // A start: load the model, load the knowledge, read every phrasing's
    // vector back from the (now warm) cache.
    group.sample_size(10);
    group.bench_function("start with a warm vector cache", |b| {
        b.iter(|| {
            let encoder = policybot::embed::setup(&config, data.path()).unwrap();
            let mut kb = load_dir(Path::new("knowledge")).unwrap();
            kb.embed(Arc::clone(&encoder)).unwrap();
            black_box(kb)
        })
    });
    group.finish();
}

criterion_group!(benches, matching);
criterion_main!(benches);
