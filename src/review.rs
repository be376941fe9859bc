//! The review queue: every kept question grouped with the ones that say
//! the same thing (as `unanswered` groups them), with what askers picked
//! from "did you mean" lists and the entries nearest now. Pure: records
//! and knowledge in, groups out. A group the knowledge now answers outright
//! — with the entry askers picked, when they picked one — leaves the queue
//! by itself; a dismissed group stays hidden until more people ask it.

use std::collections::HashMap;
use std::time::SystemTime;

use serde::Serialize;

use crate::knowledge::KnowledgeBase;
use crate::matcher::{Outcome, Thresholds};
use crate::records::{Taught, Unanswered};
use crate::reply::{EntryRef, Nearest};

/// Questions that read the same: the newest wording first.
pub(crate) struct Group<'a> {
    pub(crate) members: Vec<&'a Unanswered>,
    terms: Vec<String>,
    normalised: String,
    /// The smallest normalised text in the group: its name while its
    /// questions are kept (for dismissals).
    pub(crate) key: String,
    last: SystemTime,
}

impl Group<'_> {
    pub(crate) fn text(&self) -> &str {
        &self.members[0].text
    }
}

/// Groups `records` by meaning (shared terms, Jaccard ≥ 0.5; exact text
/// when a question has no terms), most asked first, then most recent.
pub(crate) fn group<'a>(
    kb: &KnowledgeBase,
    records: impl DoubleEndedIterator<Item = &'a Unanswered>,
) -> Vec<Group<'a>> {
    let mut groups: Vec<Group> = Vec::new();
    // Newest first, so each group is shown by its latest wording.
    for r in records.rev() {
        let mut terms: Vec<String> = kb.matcher().analyser().terms(&r.text).into_iter().map(|t| t.text).collect();
        terms.sort();
        terms.dedup();
        let normalised = crate::matcher::normalise(&r.text);
        let similar = groups.iter_mut().find(|g| {
            if terms.is_empty() || g.terms.is_empty() {
                g.normalised == normalised
            } else {
                jaccard(&g.terms, &terms) >= 0.5
            }
        });
        match similar {
            Some(g) => {
                g.members.push(r);
                if normalised < g.key {
                    g.key.clone_from(&normalised);
                }
            }
            None => groups.push(Group { members: vec![r], terms, key: normalised.clone(), normalised, last: r.time }),
        }
    }
    groups.sort_by(|a, b| b.members.len().cmp(&a.members.len()).then(b.last.cmp(&a.last)).then(a.text().cmp(b.text())));
    groups
}

/// |a ∩ b| / |a ∪ b| of two sorted, deduplicated lists.
fn jaccard(a: &[String], b: &[String]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    both as f64 / (a.len() + b.len() - both).max(1) as f64
}

/// One group in the queue, as moderators see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewGroup {
    /// Stable while the group's questions are kept: what a dismissal names.
    pub key: String,
    /// How many people asked (the people an answer would help).
    pub asked: usize,
    /// Up to three distinct wordings, newest first.
    pub texts: Vec<String>,
    /// Entries askers picked from "did you mean", most picked first.
    pub picked: Vec<(String, usize)>,
    /// Entries whose answers askers voted down.
    pub downvoted: Vec<(String, usize)>,
    /// How many got nothing, a list nobody picked from, a list turned down.
    pub unanswered: usize,
    pub offered: usize,
    pub declined: usize,
    /// The entries nearest to the newest wording now, best first.
    pub nearest: Vec<Nearest>,
    /// Every distinct wording, most asked first: what accepting the group
    /// adds as phrasings.
    #[serde(skip)]
    pub wordings: Vec<String>,
}

impl ReviewGroup {
    /// The entry to accept the group's questions as phrasings of when the
    /// moderator names none: the one askers picked most.
    pub fn suggested_entry(&self) -> Option<&str> {
        self.picked.first().map(|(id, _)| id.as_str())
    }
}

/// Counts per entry, most first (ties by id).
fn tally<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in ids {
        *counts.entry(id).or_default() += 1;
    }
    let mut out: Vec<(String, usize)> = counts.into_iter().map(|(id, n)| (id.to_owned(), n)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// The queue: groups of `records` the knowledge does not yet answer (see
/// the module header), without those `dismissed` (key → how many had
/// asked then) unless more have asked since, most asked first.
pub fn queue(
    kb: &KnowledgeBase,
    records: &[Unanswered],
    dismissed: &HashMap<String, usize>,
    thresholds: &Thresholds,
) -> Vec<ReviewGroup> {
    let mut out = Vec::new();
    for g in group(kb, records.iter()) {
        let asked = g.members.len();
        if dismissed.get(&g.key).is_some_and(|then| asked <= *then) {
            continue;
        }
        let entries =
            |kind: Taught| tally(g.members.iter().filter(|m| m.kind == kind).filter_map(|m| m.entry.as_deref()));
        let (picked, downvoted) = (entries(Taught::Picked), entries(Taught::Downvoted));
        let target = picked.first().map(|(id, _)| id.as_str());
        // Distinct wordings (as matching compares them), newest first, with
        // how many asked each.
        let mut wordings: Vec<(String, &str, usize)> = Vec::new();
        for m in &g.members {
            let normalised = crate::matcher::normalise(&m.text);
            match wordings.iter_mut().find(|(n, _, _)| *n == normalised) {
                Some(w) => w.2 += 1,
                None => wordings.push((normalised, &m.text, 1)),
            }
        }
        let texts: Vec<&str> = wordings.iter().map(|(_, t, _)| *t).collect();
        // Answered now, outright, by the entry askers picked (or, with no
        // pick, by one they did not vote down): nothing left to teach.
        let answered = |text: &str| {
            let found = kb.matcher().find(text, thresholds);
            let Some(first) = found.ranked.first().filter(|_| found.outcome == Outcome::Answer) else { return false };
            let id = kb.entries[first.entry].id.as_str();
            match target {
                Some(target) => id == target,
                None => !downvoted.iter().any(|(d, _)| d == id),
            }
        };
        if texts.iter().all(|t| answered(t)) {
            continue;
        }
        let count = |kind: Taught| g.members.iter().filter(|m| m.kind == kind).count();
        let (ranked, _) = kb.matcher().score(g.text());
        let nearest = ranked
            .iter()
            .take(3)
            .map(|s| Nearest {
                entry: EntryRef::from(&kb.entries[s.entry]),
                score: (s.score * 1000.0).round() / 1000.0,
            })
            .collect();
        wordings.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(b.1)));
        out.push(ReviewGroup {
            key: g.key.clone(),
            asked,
            texts: texts.iter().take(3).map(|t| (*t).to_owned()).collect(),
            picked,
            downvoted,
            unanswered: count(Taught::Unanswered),
            offered: count(Taught::Offered),
            declined: count(Taught::Declined),
            nearest,
            wordings: wordings.into_iter().map(|(_, t, _)| t.to_owned()).collect(),
        });
    }
    out
}
