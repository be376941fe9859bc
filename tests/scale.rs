//! The index at scale: its candidates agree with reading every posting, the
//! dev-set figures do not move with it, and questions asked while large
//! knowledge is reloaded over and over always see one whole knowledge base.

use policybot::answer::Command;
use policybot::bot::{Bot, Sender};
use policybot::config::Config;
use policybot::knowledge::{KnowledgeBase, Source, load_dir, write};
use policybot::matcher::Vocabulary;
use policybot::reply::Reply;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

// Dev-only code shared by tests, examples and benchmarks; not in the shipped library.
#[allow(dead_code)]
#[path = "support/synth.rs"]
mod synth;

fn synthetic(n: usize) -> KnowledgeBase {
    let source = Source { path: "synthetic.toml".into(), title: "Synthetic".into(), ..Source::default() };
    KnowledgeBase::new(
        vec![source],
        synth::entries(n, 1),
        Vocabulary { synonyms: synth::synonyms(), ..Vocabulary::default() },
    )
}

#[test]
fn indexed_answers_match_exhaustive_answers_on_large_knowledge() {
    let kb = synthetic(8_000);
    let thresholds = Config::default().matching;
    let questions = synth::questions(&kb.entries, 300, 2);
    let mut same_best = 0;
    for (message, _) in &questions {
        let (fast, fast_evidence) = kb.matcher().score(message);
        let (full, full_evidence) = kb.matcher().score_exhaustive(message);
        assert!((fast_evidence - full_evidence).abs() < 1e-9);
        if fast.first().map(|s| s.entry) == full.first().map(|s| s.entry) {
            same_best += 1;
        }
        // Whenever reading every posting would answer, the index answers the
        // same; it may only differ on messages made of words every entry
        // has ("does south dakota have rules on laws"), which get no answer.
        let indexed = kb.matcher().find(message, &thresholds);
        let (best, runner_up) = (full.first().map_or(0.0, |s| s.score), full.get(1).map_or(0.0, |s| s.score));
        let exhaustive_answers = fast_evidence >= thresholds.min_evidence
            && best >= thresholds.answer
            && best - runner_up >= thresholds.margin;
        if exhaustive_answers {
            assert_eq!(indexed.outcome, policybot::matcher::Outcome::Answer, "{message}");
            assert_eq!(indexed.ranked[0].entry, full[0].entry, "{message}");
        }
    }
    assert!(same_best * 100 >= questions.len() * 95, "same best entry for {same_best} of {}", questions.len());
}

#[test]
fn the_index_changes_nothing_on_the_seed_knowledge() {
    let kb = load_dir(Path::new("knowledge")).unwrap();
    for line in std::fs::read_to_string("tests/data/dev.tsv").unwrap().lines().filter(|l| !l.starts_with('#')) {
        let message = line.split_once('\t').map_or(line, |(_, m)| m);
        assert_eq!(kb.matcher().score(message), kb.matcher().score_exhaustive(message), "{message}");
    }
}

#[test]
fn synthetic_questions_find_their_entries() {
    let kb = synthetic(5_000);
    let thresholds = Config::default().matching;
    let questions = synth::questions(&kb.entries, 400, 5);
    let (mut right, mut wrong) = (0, 0);
    for (message, want) in &questions {
        let m = kb.matcher().find(message, &thresholds);
        if m.outcome == policybot::matcher::Outcome::Answer {
            if want.as_deref() == Some(kb.entries[m.ranked[0].entry].id.as_str()) {
                right += 1;
            } else {
                wrong += 1;
            }
        }
    }
    // Many synthetic questions differ only in their audience or form, so a
    // share of them rightly ends as "did you mean"; wrong answers stay rare.
    assert!(right >= 200, "right {right} of {}", questions.len());
    assert!(wrong * 50 <= questions.len(), "wrong {wrong}");
}

#[test]
fn questions_during_repeated_reloads_always_see_a_whole_knowledge_base() {
    let dir = tempfile::tempdir().unwrap();
    let entries = synth::entries(3_000, 9);
    let write_version = |n: usize| {
        let text = write::to_toml("Synthetic", "test", &synth::synonyms(), &entries[..n]);
        std::fs::write(dir.path().join("synthetic.toml"), text).unwrap();
    };
    write_version(2_000);
    let bot = Bot::load(Config::default(), dir.path().to_path_buf()).unwrap();
    let questions = synth::questions(&entries[..2_000], 200, 3);
    let done = AtomicBool::new(false);
    let asked = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..2 {
            let (bot, questions, done, asked) = (&bot, &questions, &done, &asked);
            s.spawn(move || {
                let mut i = t;
                while !done.load(Ordering::Relaxed) {
                    let kb = bot.knowledge();
                    // One knowledge base is either version, never a mix.
                    assert!(kb.entries.len() == 2_000 || kb.entries.len() == 3_000, "{}", kb.entries.len());
                    let m = kb.matcher().find(&questions[i % questions.len()].0, &Config::default().matching);
                    assert!(m.ranked.iter().all(|r| r.entry < kb.entries.len()));
                    let reply = bot.handle(
                        &Command::Topics,
                        &Sender {
                            is_moderator: false,
                            name: None,
                            origin: policybot::records::Keys::ephemeral().origin(
                                policybot::platform::Platform::Matrix,
                                "room",
                                "room",
                            ),
                        },
                        "/",
                    );
                    assert!(matches!(reply, Reply::Topics { .. }));
                    asked.fetch_add(1, Ordering::Relaxed);
                    i += 2;
                }
            });
        }
        for round in 0..6 {
            write_version(if round % 2 == 0 { 3_000 } else { 2_000 });
            match bot.reload(policybot::bot::Trigger::Asked) {
                Ok(report) => {
                    assert_eq!(report.entries, if round % 2 == 0 { 3_000 } else { 2_000 });
                    assert_eq!(report.added.len() + report.removed.len(), 1_000);
                }
                Err(refused) => panic!("reload failed: {refused}"),
            }
        }
        done.store(true, Ordering::Relaxed);
    });
    assert!(asked.load(Ordering::Relaxed) > 0);
}

// The generator itself: what the scale figures rest on.
#[test]
fn same_seed_same_knowledge() {
    assert_eq!(synth::entries(300, 7), synth::entries(300, 7));
    assert_ne!(synth::entries(300, 7), synth::entries(300, 8));
    assert_eq!(synth::questions(&synth::entries(50, 1), 20, 3), synth::questions(&synth::entries(50, 1), 20, 3));
}

#[test]
fn entries_vary_and_ids_are_unique() {
    let e = synth::entries(2_000, 1);
    let ids: std::collections::BTreeSet<_> = e.iter().map(|e| &e.id).collect();
    assert_eq!(ids.len(), 2_000);
    let topics: std::collections::BTreeSet<_> = e.iter().map(|e| &e.topic).collect();
    assert_eq!(topics.len(), synth::TOPICS.len());
    let questions: std::collections::BTreeSet<_> = e.iter().map(|e| &e.question).collect();
    assert!(questions.len() > 1_500, "{}", questions.len());
}
