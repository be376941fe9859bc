//! Measuring matching against labelled chat messages: the share answered
//! right (or rightly left unanswered) and the share answered wrong. Used by
//! the regression test and `examples/eval.rs`.

use crate::knowledge::KnowledgeBase;
use crate::matcher::{Outcome, Thresholds};

/// One labelled message: the id of the entry that answers it, or `None` when
/// no entry should.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub expected: Option<String>,
    pub message: String,
}

/// How one message fared.
#[derive(Debug, Clone)]
pub struct Case {
    pub labelled: Labelled,
    pub outcome: Outcome,
    pub got: Option<String>,
    pub confidence: f64,
    pub right: bool,
    pub wrong: bool,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub cases: Vec<Case>,
}

impl Report {
    pub fn overall(&self) -> f64 {
        self.share(|c| c.right)
    }
    pub fn wrong(&self) -> f64 {
        self.share(|c| c.wrong)
    }
    fn share(&self, f: impl Fn(&Case) -> bool) -> f64 {
        if self.cases.is_empty() {
            return 0.0;
        }
        self.cases.iter().filter(|c| f(c)).count() as f64 / self.cases.len() as f64
    }
}

/// Reads a `LABEL<TAB>MESSAGE` file whose labels are FAQ numbers (1-based
/// positions in `numbered_questions`) or `none`; `#` lines are comments.
/// Numbers are mapped to entry ids through the stored question text, so the
/// file stays valid whatever the ids are.
pub fn read_labelled(tsv: &str, numbered_questions: &[String], kb: &KnowledgeBase) -> Result<Vec<Labelled>, String> {
    let mut out = Vec::new();
    for (i, line) in tsv.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (label, message) = line.split_once('\t').ok_or(format!("line {}: no tab", i + 1))?;
        let expected = if label == "none" {
            None
        } else {
            let n: usize = label.parse().map_err(|_| format!("line {}: bad label {label}", i + 1))?;
            let question = numbered_questions.get(n - 1).ok_or(format!("line {}: no question {n}", i + 1))?;
            let entry = kb
                .entries
                .iter()
                .find(|e| e.question == *question)
                .ok_or(format!("line {}: no entry has question {n}", i + 1))?;
            Some(entry.id.clone())
        };
        out.push(Labelled { expected, message: message.to_owned() });
    }
    Ok(out)
}

/// Matches every labelled message and scores the outcome.
pub fn evaluate(kb: &KnowledgeBase, thresholds: &Thresholds, labelled: &[Labelled]) -> Report {
    let cases = labelled
        .iter()
        .map(|l| {
            let m = kb.matcher().find(&l.message, thresholds);
            let got = m.ranked.first().map(|s| kb.entries[s.entry].id.clone());
            let answered = m.outcome == Outcome::Answer;
            let right = match &l.expected {
                Some(id) => answered && got.as_deref() == Some(id.as_str()),
                None => !answered,
            };
            let wrong = answered && !right;
            Case { labelled: l.clone(), outcome: m.outcome, got, confidence: m.confidence, right, wrong }
        })
        .collect();
    Report { cases }
}
