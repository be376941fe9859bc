//! The regression set: `tests.toml` beside the knowledge files, questions a
//! moderator expects to keep working, each with the entry that must answer
//! it or `none` (must not be answered directly). Loading, every reload and
//! `policybot check` run it; a knowledge change that breaks a case is
//! refused, so the bot keeps serving what passed.

use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

use super::KnowledgeBase;
use super::load::{Lines, LoadError, LoadErrors, REGRESSION_FILE};
use crate::matcher::{Outcome, Thresholds};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    #[serde(default, rename = "case")]
    cases: Vec<Spanned<RawCase>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    question: String,
    expect: String,
    /// The entry may be offered as a "did you mean" instead of answered.
    #[serde(default)]
    offered: bool,
}

/// What a case expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expect {
    Entry(String),
    /// `none`: a suggestion or "no answer" are both fine, a direct answer is not.
    NoAnswer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Case {
    pub question: String,
    pub expect: Expect,
    /// A suggestion list holding the expected entry passes too.
    pub offered: bool,
    pub line: usize,
}

/// Runs the regression set in `dir` against `kb`. `Ok(n)` with the number
/// of cases (0 when there is no set); otherwise every failing case and
/// every problem in the file, located.
pub(crate) fn check(dir: &Path, kb: &KnowledgeBase, thresholds: &Thresholds) -> Result<usize, LoadErrors> {
    let path = dir.join(REGRESSION_FILE);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(0);
    }
    if let Some(e) = super::load::not_regular(&path) {
        return Err(LoadErrors(vec![e]));
    }
    let text = super::load::read_text(&path).map_err(|e| LoadErrors(vec![e]))?;
    let cases = parse(&path, &text)?;
    let questions: Vec<&str> = cases.iter().map(|c| c.question.as_str()).collect();
    let found = kb.matcher().find_stored(&questions, thresholds);
    let failures: Vec<LoadError> = cases
        .iter()
        .zip(found)
        .filter_map(|(case, found)| judge(kb, case, &found).map(|message| single(&path, case.line, 1, message)))
        .collect();
    if failures.is_empty() { Ok(cases.len()) } else { Err(LoadErrors(failures)) }
}

/// Parses the set; every case needs a question and `expect`.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Vec<Case>, LoadErrors> {
    let lines = Lines::new(text);
    let raw: RawSet = toml::from_str(text).map_err(|e| {
        let (line, column) = lines.locate(e.span().map_or(0, |s| s.start));
        error(
            path,
            line,
            column,
            format!(
                "{}; each case is [[case]] with question = \"…\" and expect = \"entry-id\" or \"none\"",
                e.message().trim()
            ),
        )
    })?;
    let mut errors = Vec::new();
    let mut cases = Vec::new();
    for case in raw.cases {
        let line = lines.locate(case.span().start).0;
        let c = case.into_inner();
        if c.question.trim().is_empty() || c.expect.trim().is_empty() {
            errors.push(single(path, line, 1, "a case needs a question and expect = \"entry-id\" or \"none\"".into()));
            continue;
        }
        let expect = match c.expect.trim() {
            "none" => Expect::NoAnswer,
            id => Expect::Entry(id.to_owned()),
        };
        cases.push(Case { question: c.question, expect, offered: c.offered, line });
    }
    if errors.is_empty() { Ok(cases) } else { Err(LoadErrors(errors)) }
}

/// Why `case` fails against `kb`, or `None` when it passes.
/// Why `found`, the match for a case's question, fails the case.
fn judge(kb: &KnowledgeBase, case: &Case, found: &crate::matcher::Match) -> Option<String> {
    let got = match found.outcome {
        Outcome::Answer => format!("answer \"{}\"", kb.entries[found.ranked[0].entry].id),
        Outcome::Suggest => format!(
            "suggestions ({})",
            found.ranked.iter().map(|s| kb.entries[s.entry].id.as_str()).collect::<Vec<_>>().join(", ")
        ),
        Outcome::None => "no answer".to_owned(),
    };
    let question = crate::text::shorten(&case.question, 80);
    match &case.expect {
        Expect::Entry(id) if kb.entry(id).is_none() => Some(format!(
            "regression case \"{question}\" expects entry \"{id}\", which does not exist; fix the case or restore the entry"
        )),
        Expect::Entry(id) if found.outcome == Outcome::Answer && kb.entries[found.ranked[0].entry].id == *id => None,
        Expect::Entry(id)
            if case.offered
                && found.outcome == Outcome::Suggest
                && found.ranked.iter().any(|s| kb.entries[s.entry].id == *id) =>
        {
            None
        }
        Expect::Entry(id) => Some(format!(
            "regression case \"{question}\" should be {} \"{id}\" but gets {got} (confidence {:.2})",
            if case.offered { "answered by or offered" } else { "answered by" },
            found.confidence
        )),
        Expect::NoAnswer if found.outcome == Outcome::Answer => {
            Some(format!("regression case \"{question}\" should not be answered directly but gets {got}"))
        }
        Expect::NoAnswer => None,
    }
}

fn single(path: &Path, line: usize, column: usize, message: String) -> LoadError {
    LoadError { path: path.to_path_buf(), line, column, message }
}

fn error(path: &Path, line: usize, column: usize, message: String) -> LoadErrors {
    LoadErrors(vec![single(path, line, column, message)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_pass_fail_and_are_located() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.toml"),
            "title = \"T\"\n[[entry]]\nid = \"law\"\ntopic = \"Law\"\nquestion = \"What does the state housing law require of landlords?\"\nanswer = \"Landlords must give notice.\"\n",
        )
        .unwrap();
        let kb = super::super::load_dir(dir.path()).unwrap();
        let t = Thresholds::default();
        assert_eq!(check(dir.path(), &kb, &t), Ok(0));
        let set = "[[case]]\nquestion = \"what does the housing law require of landlords\"\nexpect = \"law\"\n\n[[case]]\nquestion = \"best pizza in town\"\nexpect = \"none\"\n";
        std::fs::write(dir.path().join(REGRESSION_FILE), set).unwrap();
        assert_eq!(check(dir.path(), &kb, &t), Ok(2));
        let broken = format!(
            "{set}\n[[case]]\nquestion = \"best pizza in town\"\nexpect = \"law\"\n[[case]]\nquestion = \"x\"\nexpect = \"gone\"\n"
        );
        std::fs::write(dir.path().join(REGRESSION_FILE), broken).unwrap();
        let err = check(dir.path(), &kb, &t).unwrap_err().to_string();
        assert!(err.contains("tests.toml:9:1: regression case \"best pizza in town\" should be answered by \"law\" but gets no answer"), "{err}");
        assert!(
            err.contains("tests.toml:12:1: regression case \"x\" expects entry \"gone\", which does not exist"),
            "{err}"
        );
        std::fs::write(dir.path().join(REGRESSION_FILE), "[[case]]\nquestion = \"x\"\n").unwrap();
        assert!(check(dir.path(), &kb, &t).unwrap_err().to_string().contains("missing field `expect`"));
    }
}
