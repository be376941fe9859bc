//! The cost curve of matching as knowledge grows: per-question latency over
//! synthetic knowledge of 20, 1,000, 10,000 and 100,000 entries.
//!
//! cargo bench --bench scale

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use policybot::knowledge::{KnowledgeBase, Source};
use policybot::matcher::Thresholds;
use policybot::matcher::Vocabulary;
use std::hint::black_box;

// Dev-only code shared by tests, examples and benchmarks; not in the shipped library.
#[allow(dead_code)]
#[path = "../tests/support/synth.rs"]
mod synth;

fn scale(c: &mut Criterion) {
    let thresholds = Thresholds::default();
    let mut group = c.benchmark_group("question");
    group.sample_size(20);
    for n in [20, 1_000, 10_000, 100_000] {
        let source = Source { path: "synthetic.toml".into(), title: "Synthetic".into(), ..Source::default() };
        let kb = KnowledgeBase::new(
            vec![source],
            synth::entries(n, 1),
            Vocabulary { synonyms: synth::synonyms(), ..Vocabulary::default() },
        );
        let questions = synth::questions(&kb.entries, 100, 7);
        // One iteration asks 100 questions; divide by 100 for one question.
        group.bench_with_input(BenchmarkId::from_parameter(n), &questions, |b, questions| {
            b.iter(|| {
                for (q, _) in questions {
                    black_box(kb.matcher().find(black_box(q), &thresholds));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
