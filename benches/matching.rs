//! Per-question matching latency over the shipped (seed) knowledge.
//!
//! cargo bench --bench matching

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
}

criterion_group!(benches, matching);
criterion_main!(benches);
