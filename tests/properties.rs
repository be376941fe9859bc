//! Property tests: the normaliser and matcher never panic, normalisation is
//! idempotent, and every score stays within [0, 1].

use policybot::knowledge::{KnowledgeBase, load_dir};
use policybot::matcher::{Thresholds, normalise};
use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

fn kb() -> &'static KnowledgeBase {
    static KB: OnceLock<KnowledgeBase> = OnceLock::new();
    KB.get_or_init(|| load_dir(Path::new("knowledge")).unwrap())
}

/// Text that looks like chat: words from the knowledge, abbreviations,
/// punctuation, emoji, mentions, control and zero-width characters.
fn chatty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("ms".to_owned()),
        Just("MS".to_owned()),
        Just("287(g)".to_owned()),
        Just("e-verify".to_owned()),
        Just("Mississippi’s".to_owned()),
        Just("ICE".to_owned()),
        Just("w/".to_owned()),
        Just("u.s.".to_owned()),
        Just("<@42>".to_owned()),
        Just("🤔".to_owned()),
        Just("\u{200b}".to_owned()),
        Just("$$".to_owned()),
        "[a-z]{1,12}",
        "\\PC{0,8}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..30).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn normalisation_is_idempotent(s in chatty()) {
        let once = normalise(&s);
        prop_assert_eq!(normalise(&once), once.clone());
    }

    #[test]
    fn normalisation_is_idempotent_on_any_string(s in any::<String>()) {
        let once = normalise(&s);
        prop_assert_eq!(normalise(&once), once.clone());
    }

    #[test]
    fn matcher_never_panics_and_scores_stay_in_range(s in chatty()) {
        let m = kb().matcher().find(&s, &Thresholds::default());
        prop_assert!((0.0..=1.0).contains(&m.confidence));
        prop_assert!(m.ranked.len() <= 3);
        for r in &m.ranked {
            prop_assert!((0.0..=1.0).contains(&r.score));
        }
        let (scored, evidence) = kb().matcher().score(&s);
        prop_assert!(evidence >= 0.0);
        prop_assert!(scored.iter().all(|x| (0.0..=1.0).contains(&x.score)));
    }

    #[test]
    fn matcher_handles_any_string(s in any::<String>()) {
        let m = kb().matcher().find(&s, &Thresholds::default());
        prop_assert!((0.0..=1.0).contains(&m.confidence));
    }
}

/// A knowledge file shaped at random: one-line or multi-line alias arrays,
/// comments between keys and after values, claims with and without
/// comments. Each entry's `(aliases, claims)` counts come from `shape`.
fn knowledge_file(shape: &[(usize, bool, usize, bool)]) -> String {
    let mut out = String::from("# A file shaped at random.\ntitle = \"T\"\n\n");
    for (i, &(aliases, multi_line, claims, comments)) in shape.iter().enumerate() {
        out.push_str(&format!("[[entry]]\nid = \"e{i}\"\ntopic = \"Topic {}\"\n", i % 2));
        if comments {
            out.push_str("# why this question is asked\n");
        }
        out.push_str(&format!("question = \"What is rule number {i} about?\"\n"));
        let texts: Vec<String> = (0..aliases).map(|a| format!("\"Tell me about rule {i} variant {a}\"")).collect();
        if aliases > 0 {
            if multi_line {
                out.push_str(&format!(
                    "aliases = [\n{}\n]\n",
                    texts.iter().map(|t| format!("    {t},")).collect::<Vec<_>>().join("\n")
                ));
            } else {
                out.push_str(&format!("aliases = [{}]\n", texts.join(", ")));
            }
        }
        out.push_str(&format!("answer = \"\"\"\nRule {i} says what it says.\"\"\"\n"));
        for c in 0..claims {
            let comment = if comments { "   # from the answer" } else { "" };
            out.push_str(&format!(
                "\n[[entry.claims]]\ntext = \"Rule {i} fact {c} holds.\"\nstatus = \"unverified\"{comment}\n"
            ));
        }
        out.push('\n');
    }
    out
}

/// The file without what edits may change: alias arrays and claim status,
/// source and checked lines. Everything left must stay byte for byte.
fn outside_edits(text: &str) -> String {
    let mut out = String::new();
    let mut in_aliases = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if in_aliases {
            in_aliases = !t.starts_with(']');
            continue;
        }
        if t.starts_with("aliases = [") {
            in_aliases = !line.trim_end().ends_with(']');
            continue;
        }
        if ["status = ", "source = ", "checked = "].iter().any(|k| t.starts_with(k)) {
            continue;
        }
        out.push_str(line);
    }
    out
}

/// A claim as the property test expects it: status, source, checked.
type ClaimModel = (policybot::knowledge::ClaimStatus, Option<String>, Option<String>);

#[derive(Debug, Clone)]
enum Op {
    Add(usize),
    Remove(usize, usize),
    Claim(usize, usize, u8),
}

fn shape() -> impl Strategy<Value = Vec<(usize, bool, usize, bool)>> {
    prop::collection::vec((0..4usize, any::<bool>(), 1..3usize, any::<bool>()), 2..5)
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        (0..5usize).prop_map(Op::Add),
        (0..5usize, 0..6usize).prop_map(|(e, a)| Op::Remove(e, a)),
        (0..5usize, 0..3usize, 0..3u8).prop_map(|(e, c, s)| Op::Claim(e, c, s)),
    ];
    prop::collection::vec(op, 1..12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any sequence of alias adds and removes and claim status changes
    /// through the editor changes only the edited values, and the file
    /// re-parses to exactly the intended knowledge.
    #[test]
    fn edits_change_only_their_own_values_and_reparse_to_the_intended_knowledge(shape in shape(), ops in ops()) {
        use policybot::knowledge::ClaimStatus;
        use policybot::knowledge::edit::{Edit, apply};
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.toml");
        let original = knowledge_file(&shape);
        std::fs::write(&file, &original).unwrap();
        let validate = |d: &Path| load_dir(d).map(|_| ());
        let first = load_dir(dir.path()).unwrap();
        // The model: each entry's aliases, each claim's (status, source, checked).
        let mut aliases: Vec<Vec<String>> = first.entries.iter().map(|e| e.aliases.clone()).collect();
        let mut claims: Vec<Vec<ClaimModel>> =
            first.entries.iter().map(|e| e.claims.iter().map(|c| (c.status, None, None)).collect()).collect();
        for (n, op) in ops.iter().enumerate() {
            let kb = load_dir(dir.path()).unwrap();
            let edit = match *op {
                Op::Add(e) => {
                    let e = e % aliases.len();
                    let text = format!("Another way {n} to ask about rule {e}");
                    aliases[e].push(text.clone());
                    Edit::AddAlias { entry: format!("e{e}"), text }
                }
                Op::Remove(e, a) => {
                    let e = e % aliases.len();
                    if aliases[e].is_empty() {
                        continue;
                    }
                    let a = a % aliases[e].len();
                    let text = aliases[e].remove(a);
                    Edit::RemoveAlias { entry: format!("e{e}"), text }
                }
                Op::Claim(e, c, s) => {
                    let e = e % claims.len();
                    let c = c % claims[e].len();
                    let status = [ClaimStatus::Unverified, ClaimStatus::Disputed, ClaimStatus::Verified][s as usize];
                    let (source, checked) = match status {
                        ClaimStatus::Verified => (Some(format!("https://example.org/source-{n}")), Some("2026-11-30".to_owned())),
                        _ => (None, None),
                    };
                    let model = &mut claims[e][c];
                    model.0 = status;
                    if source.is_some() {
                        model.1.clone_from(&source);
                        model.2.clone_from(&checked);
                    }
                    Edit::SetClaim { claim: format!("e{e}#{}", c + 1), status, source, checked }
                }
            };
            apply(dir.path(), &kb, &edit, validate).map_err(|e| TestCaseError::fail(format!("{edit:?}: {e}")))?;
            let text = std::fs::read_to_string(&file).unwrap();
            prop_assert_eq!(outside_edits(&text), outside_edits(&original), "after {:?}", edit);
            let now = load_dir(dir.path()).unwrap();
            for (i, entry) in now.entries.iter().enumerate() {
                prop_assert_eq!(&entry.aliases, &aliases[i]);
                let got: Vec<_> = entry.claims.iter().map(|c| (c.status, c.source.clone(), c.checked.clone())).collect();
                prop_assert_eq!(&got, &claims[i]);
            }
        }
    }

    /// Adding a phrasing and removing it again gives back the file byte
    /// for byte, whatever its shape.
    #[test]
    fn adding_then_removing_a_phrasing_restores_every_byte(shape in shape(), entry in 0..5usize) {
        use policybot::knowledge::edit::{Edit, apply};
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.toml");
        let original = knowledge_file(&shape);
        std::fs::write(&file, &original).unwrap();
        let validate = |d: &Path| load_dir(d).map(|_| ());
        let (entry, text) = (format!("e{}", entry % shape.len()), "A brand new way to ask".to_owned());
        let kb = load_dir(dir.path()).unwrap();
        apply(dir.path(), &kb, &Edit::AddAlias { entry: entry.clone(), text: text.clone() }, validate).unwrap();
        prop_assert_ne!(std::fs::read_to_string(&file).unwrap(), original.clone());
        let kb = load_dir(dir.path()).unwrap();
        apply(dir.path(), &kb, &Edit::RemoveAlias { entry, text }, validate).unwrap();
        let after = std::fs::read_to_string(&file).unwrap();
        prop_assert_eq!(after, original);
    }
}
