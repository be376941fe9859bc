//! Importing numbered question-and-answer text (such as the seed FAQ) into a
//! knowledge file: questions verbatim, answers whole, and the checkable
//! sentences of each answer extracted as unverified claims.

use super::facts::{bills, has_number, named_things, sentences, years};
use super::{Claim, ClaimStatus, Entry};
use crate::matcher::normalise;
use std::collections::{BTreeMap, BTreeSet};

/// Why a text could not be imported.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    #[error("no numbered questions found: expected lines like \"1. What is …?\" each followed by its answer")]
    NoQuestions,
    #[error("line {line}: question {number} has no answer text; write the answer on the lines after the question")]
    EmptyAnswer { line: usize, number: usize },
}

/// One imported question and answer, with the claims found in the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedEntry {
    pub id: String,
    pub question: String,
    pub answer: String,
    pub claims: Vec<String>,
}

/// Splits numbered Q&A text into questions and answers. A question is a line
/// "N. …?" whose N is the next question number; answers may hold their own
/// numbered lists (which restart at 1), and those lines stay in the answer.
pub fn parse(text: &str) -> Result<Vec<ImportedEntry>, ImportError> {
    let mut pairs: Vec<(usize, String, Vec<String>)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        let next = pairs.len() + 1;
        if let Some(question) = question_line(trimmed, next) {
            pairs.push((i + 1, question.to_owned(), Vec::new()));
        } else if let Some((_, _, answer)) = pairs.last_mut() {
            answer.push(trimmed.to_owned());
        }
    }
    if pairs.is_empty() {
        return Err(ImportError::NoQuestions);
    }
    let answers: Vec<String> = pairs.iter().map(|(_, _, a)| a.join("\n").trim().to_owned()).collect();
    for (number, ((line, _, _), answer)) in pairs.iter().zip(&answers).enumerate() {
        if answer.is_empty() {
            return Err(ImportError::EmptyAnswer { line: *line, number: number + 1 });
        }
    }
    let context = context_names(&answers);
    let ids = slugs(pairs.iter().map(|(_, q, _)| q.as_str()));
    Ok(pairs
        .into_iter()
        .zip(answers)
        .zip(ids)
        .map(|(((_, question, _), answer), id)| {
            let claims = claims(&answer, &context);
            ImportedEntry { id, question, answer, claims }
        })
        .collect())
}

fn question_line(line: &str, number: usize) -> Option<&str> {
    let rest = line.strip_prefix(&format!("{number}."))?;
    let question = rest.trim();
    (rest.starts_with(char::is_whitespace) && question.ends_with('?') && !question.is_empty()).then_some(question)
}

/// Capitalised words that more than half the answers use are the FAQ's
/// subject (a place, an agency), not something a claim is checked by.
fn context_names(answers: &[String]) -> BTreeSet<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for answer in answers {
        let words: BTreeSet<String> = named_things(answer).iter().flat_map(|n| name_words(n)).collect();
        for word in words {
            *counts.entry(word).or_insert(0) += 1;
        }
    }
    counts.into_iter().filter(|(_, n)| *n * 2 > answers.len()).map(|(word, _)| word).collect()
}

/// The capitalised words of a name, possessives dropped.
fn name_words(name: &str) -> Vec<String> {
    name.split_whitespace()
        .filter(|w| w.starts_with(char::is_uppercase))
        .map(|w| w.trim_end_matches("’s").trim_end_matches("'s").to_owned())
        .collect()
}

/// The checkable sentences of an answer: those carrying a year, a bill or
/// statute, a number, or a named programme, agency, organisation or case.
/// Summaries ("Overall, …") restate other sentences and are left out.
pub fn claims(answer: &str, context: &BTreeSet<String>) -> Vec<String> {
    const SUMMARY: &[&str] = &["Overall", "In summary", "These ", "This ", "Yes,", "No,"];
    sentences(answer)
        .into_iter()
        .filter(|s| s.split_whitespace().count() >= 4 && !s.ends_with('?'))
        .filter(|s| !SUMMARY.iter().any(|p| s.starts_with(p)))
        .filter(|s| {
            let body = without_heading(s);
            !years(body).is_empty()
                || !bills(body).is_empty()
                || has_number(
                    &body
                        .replace(['(', ')'], " ")
                        .split_whitespace()
                        .filter(|w| w.len() > 1)
                        .collect::<Vec<_>>()
                        .join(" "),
                )
                || named_things(body).iter().any(|n| {
                    let words = name_words(n);
                    let telling = words.iter().any(|w| !context.contains(w));
                    telling
                        && !(body.starts_with(n.as_str())
                            && words.len() == 1
                            && !n.chars().all(|c| c.is_ascii_uppercase()))
                })
        })
        .collect()
}

/// A list item's heading ("Fear and Mistrust: …") names the point, not a
/// thing in the world; only the text after it is read for names. A heading
/// that names a programme ("Priority Enforcement Program (PEP): …") stays.
fn without_heading(sentence: &str) -> &str {
    const PROGRAMME: &[&str] = &["Program", "Programme", "Act", "Initiative", "Agreement"];
    match sentence.split_once(": ") {
        Some((head, rest))
            if head.split_whitespace().count() <= 6
                && !head.contains('(')
                && !head.split_whitespace().any(|w| PROGRAMME.iter().any(|p| w.starts_with(p))) =>
        {
            rest
        }
        _ => sentence,
    }
}

/// Stable ids from the questions: their telling words, with the words most
/// questions share (the FAQ's subject, "policies") left out.
fn slugs<'a>(questions: impl Iterator<Item = &'a str> + Clone) -> Vec<String> {
    const FILLER: &[&str] = &[
        "what", "how", "are", "is", "there", "any", "the", "do", "does", "a", "an", "of", "in", "to", "for", "and",
        "or", "with", "on", "by", "that", "which", "who", "with", "those", "from", "within", "related",
    ];
    // Ids are ASCII slugs: letters outside a-z (accents, other scripts)
    // are dropped from the words they appear in.
    let normalised: Vec<String> = questions
        .map(|q| {
            normalise(q)
                .split(' ')
                .map(|w| w.chars().filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit()).collect::<String>())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let mut df: BTreeMap<&str, usize> = BTreeMap::new();
    for q in &normalised {
        for w in q.split(' ').collect::<BTreeSet<_>>() {
            *df.entry(w).or_insert(0) += 1;
        }
    }
    let common = |w: &str| df.get(w).copied().unwrap_or(0) * 3 > normalised.len();
    let mut seen = BTreeSet::new();
    normalised
        .iter()
        .map(|q| {
            let words: Vec<&str> =
                q.split(' ').filter(|w| !FILLER.contains(w) && !common(w) && !w.is_empty()).take(4).collect();
            let base = if words.is_empty() { "entry".to_owned() } else { words.join("-") };
            let mut id = base.clone();
            let mut n = 2;
            while !seen.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            id
        })
        .collect()
}

/// Writes imported entries as a knowledge file moderators can edit: one
/// topic to start from, no aliases, every claim unverified.
pub fn to_toml(title: &str, source: &str, entries: &[ImportedEntry]) -> String {
    let entries: Vec<Entry> = entries
        .iter()
        .map(|e| Entry {
            id: e.id.clone(),
            topic: "General".to_owned(),
            question: e.question.clone(),
            aliases: Vec::new(),
            asked: Vec::new(),
            answer: e.answer.clone(),
            claims: e
                .claims
                .iter()
                .map(|text| Claim { text: text.clone(), status: ClaimStatus::Unverified, ..Claim::default() })
                .collect(),
            reviewed: None,
            disclaimer: None,
            translations: Default::default(),
            location: Default::default(),
        })
        .collect();
    super::write::to_toml(title, source, &[], &entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "1. What is the law?\nThe law says things.\n1. In 2017, Senate Bill 1 was signed.\n2. Mr Smith agrees.\n2. Who enforces it?\nThe Department of Public Safety enforces it \"strictly\".\n";

    #[test]
    fn answer_lists_stay_inside_their_answer() {
        let entries = parse(TEXT).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].question, "What is the law?");
        assert!(entries[0].answer.contains("2. Mr Smith agrees."));
        assert_eq!(entries[0].claims, ["In 2017, Senate Bill 1 was signed."]);
        assert_eq!(entries[1].claims.len(), 1);
    }

    #[test]
    fn output_loads_back() {
        let entries = parse(TEXT).unwrap();
        let toml = to_toml("T", "S", &entries);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k.toml"), toml).unwrap();
        let kb = crate::knowledge::load_dir(dir.path()).unwrap();
        assert_eq!(kb.entries.len(), 2);
        assert!(kb.entries.iter().any(|e| e.answer.contains("\"strictly\"")));
    }

    #[test]
    fn ids_are_ascii_slugs_whatever_the_script() {
        // Found by the importer fuzz target: an NKo letter reached an id.
        let text =
            "1. How do policies di\u{7cc}ffer from Café rules?\nThey differ.\n2. ¿Qué pasa?\nNada.\n3. 日本?\nYes.\n";
        let entries = parse(text).unwrap();
        let kb = crate::knowledge::load_str("k.toml", &to_toml("T", "S", &entries)).unwrap();
        let ids: Vec<&str> = kb.entries.iter().map(|e| e.id.as_str()).collect();
        assert!(ids.iter().all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')));
        assert_eq!(ids.len(), 3, "{ids:?}");
    }

    #[test]
    fn text_without_questions_is_an_error() {
        assert_eq!(parse("just prose\n"), Err(ImportError::NoQuestions));
        assert!(matches!(parse("1. Why?\n2. How?\nanswer"), Err(ImportError::EmptyAnswer { number: 1, .. })));
    }
}
