//! Matching quality on the shipped knowledge: the dev-set figures as a floor,
//! every stored question answering itself, and hostile messages never getting
//! a confident answer.

use eval::{Half, evaluate, half_of, read_labelled};
use policybot::config::Config;
use policybot::knowledge::{KnowledgeBase, import, load_dir};
use policybot::matcher::{Outcome, Thresholds};
use std::path::Path;

// Dev-only code shared by tests, examples and benchmarks; not in the shipped library.
#[allow(dead_code)]
#[path = "support/eval.rs"]
mod eval;

fn knowledge() -> KnowledgeBase {
    load_dir(Path::new("knowledge")).expect("the shipped knowledge loads")
}

fn thresholds() -> Thresholds {
    Config::load(Path::new("config.toml"), true).expect("config.toml loads").matching
}

/// The reporting half of the dev set (never tuned on), matched by words
/// alone. Floors sit just under what `examples/eval.rs` measures (docs/MATCHING.md,
/// "Matching quality"); `tests/semantic.rs` holds the hybrid floors.
#[test]
fn dev_set_reporting_half_does_not_regress() {
    let kb = knowledge();
    let seed = std::fs::read_to_string("tests/data/mississippi-ice-faq.txt").unwrap();
    let questions: Vec<String> = import::parse(&seed).unwrap().into_iter().map(|e| e.question).collect();
    let labelled = read_labelled(&std::fs::read_to_string("tests/data/dev.tsv").unwrap(), &questions, &kb).unwrap();
    assert_eq!(labelled.len(), 150);
    let reporting: Vec<_> = labelled.into_iter().filter(|l| half_of(&l.message) == Half::Reporting).collect();
    assert_eq!(reporting.len(), 77);
    let report = evaluate(&kb, &thresholds(), &reporting);
    let misses: Vec<String> = report
        .cases
        .iter()
        .filter(|c| !c.right)
        .map(|c| format!("{:?} -> {:?} {:?}: {}", c.labelled.expected, c.got, c.outcome, c.labelled.message))
        .collect();
    assert!(report.overall() >= 0.55, "overall {:.3} < 0.55; misses:\n{}", report.overall(), misses.join("\n"));
    assert!(report.wrong() <= 0.03, "wrong {:.3} > 0.03; misses:\n{}", report.wrong(), misses.join("\n"));
    assert!(report.first_choice() >= 0.75, "first choice {:.3}", report.first_choice());
}

#[test]
fn every_stored_question_answers_itself() {
    let kb = knowledge();
    let t = thresholds();
    for (i, entry) in kb.entries.iter().enumerate() {
        let m = kb.matcher().find(&entry.question, &t);
        assert_eq!(m.outcome, Outcome::Answer, "{}: {:?}", entry.id, m);
        assert_eq!(m.ranked[0].entry, i, "{} answered with another entry", entry.id);
    }
}

#[test]
fn every_alias_answers_its_entry() {
    let kb = knowledge();
    let t = thresholds();
    for (i, entry) in kb.entries.iter().enumerate() {
        for alias in &entry.aliases {
            let m = kb.matcher().find(alias, &t);
            assert_eq!(m.outcome, Outcome::Answer, "{} alias {alias:?}: {m:?}", entry.id);
            assert_eq!(m.ranked[0].entry, i, "{} alias {alias:?} answered with another entry", entry.id);
        }
    }
}

#[test]
fn hostile_and_empty_messages_get_no_confident_answer() {
    let kb = knowledge();
    let t = thresholds();
    let huge = "sanctuary ".repeat(2_000);
    let cases = [
        "",
        "   \t  ",
        "🤔",
        "\u{200b}\u{200d}\u{feff}",
        "\u{0}\u{1b}[31m\u{7}",
        "<@123456789012345678> <@&42> @everyone @here",
        "**bold** __under__ `code` [link](http://x)",
        "'; DROP TABLE entries; --",
        "<script>alert(1)</script>",
        "mississippi mississippi mississippi mississippi",
        huge.as_str(),
        "ice",
        "?",
    ];
    for message in cases {
        let m = kb.matcher().find(message, &t);
        assert_ne!(
            m.outcome,
            Outcome::Answer,
            "{:?} got a confident answer: {m:?}",
            policybot::text::shorten(message, 40)
        );
        assert!((0.0..=1.0).contains(&m.confidence));
    }
}

#[test]
fn typos_abbreviations_and_chat_forms_still_match() {
    let kb = knowledge();
    let t = thresholds();
    let id = |m: &policybot::matcher::Match| m.ranked.first().map(|s| kb.entries[s.entry].id.clone());
    for (message, want) in [
        ("does ms have sanctuary cities?", "current-policies"),
        ("Does Mississippi have sanctuary citys", "current-policies"),
        ("MISSISSIPPI IMMIGRANTS RIGHTS ALIANCE", "advocacy-groups"),
        ("whos the southeastern public safety institute", "training"),
        ("what is the e-verify act", "limits-on-ice"),
    ] {
        let m = kb.matcher().find(message, &t);
        assert_eq!(id(&m).as_deref(), Some(want), "{message}: {m:?}");
    }
}

#[test]
fn ties_and_ranking_are_deterministic() {
    let kb = knowledge();
    let t = thresholds();
    for message in ["ICE cooperation", "policies", "Mississippi law", "sanctuary"] {
        let first = kb.matcher().find(message, &t);
        for _ in 0..5 {
            assert_eq!(kb.matcher().find(message, &t), first);
        }
    }
}

// The measure itself: a wrong answer is contested when another copy of the
// same message is labelled with it.
fn case(expected: Option<&str>, message: &str, got: Option<&str>) -> eval::Case {
    let answered = got.is_some();
    let right = answered && got == expected;
    eval::Case {
        labelled: eval::Labelled { expected: expected.map(str::to_owned), message: message.to_owned() },
        outcome: if answered { Outcome::Answer } else { Outcome::None },
        got: got.map(str::to_owned),
        first: got.map(str::to_owned),
        first_by: Default::default(),
        confidence: 0.5,
        right,
        wrong: answered && !right,
        shown: answered && got == expected,
        lang: Default::default(),
    }
}

#[test]
fn a_wrong_answer_another_copy_of_the_message_is_labelled_with_is_contested() {
    let report = eval::Report {
        cases: vec![
            // One text, two labels: answering "b" is wrong for the first
            // copy, right for the second.
            case(Some("a"), "Should I wear a mask?", Some("b")),
            case(Some("b"), "should i wear a mask? ", Some("b")),
            // No copy says "c": wrong either way.
            case(Some("a"), "what is it", Some("c")),
            case(None, "hello", None),
        ],
        elapsed: std::time::Duration::ZERO,
    };
    assert_eq!(report.wrong(), 0.5);
    assert_eq!(report.wrong_uncontested(), 0.25);
}

#[test]
fn greetings_thanks_and_questions_about_the_bot_get_a_welcome_never_no_answer() {
    use policybot::reply::Reply;
    let (kb, config) = (knowledge(), Config::load(Path::new("config.toml"), true).unwrap());
    let topics: Vec<String> = kb.topics().keys().map(|t| (*t).to_owned()).collect();
    for message in
        ["hi", "Hello there!", "good morning everyone", "what is this bot for?", "what can you do", "thanks!"]
    {
        let reply = policybot::answer::ask(&kb, message, &config.matching, &config.reply);
        assert!(matches!(reply, Reply::SmallTalk { .. }), "{message}: {}", reply.render_plain("/"));
        let text = reply.render_plain("/");
        assert!(topics.iter().all(|t| text.contains(t.as_str())), "{message}: {text}");
        assert!(!text.contains("I don't have an answer"), "{message}: {text}");
        // Not a question anyone left unanswered.
        assert_eq!(reply.outcome(), None, "{message}");
    }
    // A greeting that opens a question is the question.
    let reply = policybot::answer::ask(&kb, "hi, does ms have sanctuary cities?", &config.matching, &config.reply);
    assert!(matches!(reply, Reply::Answer { .. }), "{}", reply.render_plain("/"));
}

#[test]
fn a_place_out_of_scope_vetoes_an_answer_unless_the_message_contrasts_it_with_the_knowledge() {
    let (kb, t) = (knowledge(), thresholds());
    // About the other place itself: nothing.
    assert_eq!(kb.matcher().find("does alabama have sanctuary cities", &t).outcome, Outcome::None);
    // Set against the knowledge's own subject: the entry about that very
    // contrast is offered or answered, not "no answer".
    for message in ["how do mississippi's rules compare to alabama", "is ms stricter than alabama on immigration"] {
        let m = kb.matcher().find(message, &t);
        assert_ne!(m.outcome, Outcome::None, "{message}");
        assert_eq!(kb.entries[m.ranked[0].entry].id, "compared-to-other-states", "{message}");
    }
}
