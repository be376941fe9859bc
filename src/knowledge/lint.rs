//! Warnings about knowledge that loads but could mislead: stored phrasings
//! the matcher could confuse with another entry's, and contradictions between
//! entries (the same bill or act given different years). Claims caught in a
//! contradiction are shown as disputed.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::facts::{bills, is_enactment, refers_back, sentences, years};
use super::{Claim, ClaimStatus, Entry, KnowledgeBase};
use crate::matcher::{Outcome, Thresholds};

/// One place where an entry dates a law.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Mention {
    pub entry: String,
    pub year: u16,
    pub sentence: String,
}

/// A law that the knowledge says was made in different years.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contradiction {
    /// Canonical name, e.g. "SB 12".
    pub subject: String,
    pub mentions: Vec<Mention>,
}

impl fmt::Display for Contradiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "contradiction: {} is dated differently:", self.subject)?;
        for m in &self.mentions {
            write!(f, "\n    {} in entry \"{}\": \"{}\"", m.year, m.entry, m.sentence)?;
        }
        Ok(())
    }
}

/// Finds laws whose enactment year differs between sentences of the
/// knowledge. Only sentences that report the law being made and give a
/// single year count, so "introduced in 2017, signed in 2018" is no conflict.
pub fn find_contradictions(entries: &[Entry]) -> Vec<Contradiction> {
    // Large knowledge is read on all cores; the merge keeps entry order.
    let parts = crate::parallel::map_chunks(entries, dated_laws);
    let mut by_law: BTreeMap<String, Vec<Mention>> = BTreeMap::new();
    for part in parts {
        for (law, mentions) in part {
            by_law.entry(law).or_default().extend(mentions);
        }
    }
    by_law
        .into_iter()
        .filter_map(|(subject, mut mentions)| {
            mentions.sort();
            mentions.dedup();
            let first = mentions.first()?.year;
            mentions.iter().any(|m| m.year != first).then_some(Contradiction { subject, mentions })
        })
        .collect()
}

/// Where the given entries date the making of a law, by law.
fn dated_laws(entries: &[Entry]) -> BTreeMap<String, Vec<Mention>> {
    let mut by_law: BTreeMap<String, Vec<Mention>> = BTreeMap::new();
    for entry in entries {
        let mut previous: Option<String> = None;
        for sentence in sentences(&entry.answer) {
            // Cheap tests first: most sentences carry no year at all.
            let dated = sentence.bytes().any(|b| b.is_ascii_digit()) && {
                let found = years(&sentence);
                found.len() == 1 && is_enactment(&sentence)
            };
            if dated {
                let year = years(&sentence).into_iter().next().unwrap_or(0);
                let mut laws = bills(&sentence);
                if laws.is_empty() && refers_back(&sentence) {
                    laws = previous.as_deref().map(bills).unwrap_or_default();
                }
                for law in laws {
                    by_law.entry(law).or_default().push(Mention {
                        entry: entry.id.clone(),
                        year,
                        sentence: sentence.clone(),
                    });
                }
            }
            previous = Some(sentence);
        }
    }
    by_law
}

/// Marks as disputed every unverified claim that states one side of a
/// contradiction: a claim of an entry involved that gives the year that entry
/// gives, and names the law or reports a law being made. A claim about the
/// same law that gives no year ("a group sued over SB 12") is left alone.
/// Returns the claims it marked, as (entry id, claim index).
pub fn mark_disputed(entries: &mut [Entry], contradictions: &[Contradiction]) -> BTreeSet<(String, usize)> {
    let mut marked = BTreeSet::new();
    for c in contradictions {
        for m in &c.mentions {
            // Entries are sorted by id (KnowledgeBase::new sorts them first).
            let Ok(i) = entries.binary_search_by(|e| e.id.as_str().cmp(&m.entry)) else { continue };
            let entry = &mut entries[i];
            for (index, claim) in entry.claims.iter_mut().enumerate() {
                if claim.status != ClaimStatus::Unverified {
                    continue;
                }
                if states_side(&claim.text, c, m.year) {
                    claim.status = ClaimStatus::Disputed;
                    marked.insert((entry.id.clone(), index));
                }
            }
        }
    }
    marked
}

/// Whether a claim states the side of contradiction `c` that dates it in
/// `year`: it gives that year and names the law or reports a law being
/// made. The one rule both for marking claims disputed and for finding the
/// other side of one.
fn states_side(claim: &str, c: &Contradiction, year: u16) -> bool {
    years(claim).contains(&year) && (bills(claim).contains(&c.subject) || is_enactment(claim))
}

/// Where a disputed claim's contradiction stands: what is dated, the years
/// this entry gives it and the years other entries give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherSide {
    pub subject: String,
    pub here: Vec<u16>,
    pub elsewhere: Vec<(String, u16)>,
}

/// The contradiction `claim` of `entry` is one side of (found the way
/// [`mark_disputed`] marks claims), with the other side; `None` for a claim
/// marked disputed by hand.
pub fn other_side(entry: &Entry, claim: &Claim, contradictions: &[Contradiction]) -> Option<OtherSide> {
    contradictions.iter().find_map(|c| {
        let here: BTreeSet<u16> = c.mentions.iter().filter(|m| m.entry == entry.id).map(|m| m.year).collect();
        if !here.iter().any(|&year| states_side(&claim.text, c, year)) {
            return None;
        }
        let elsewhere: BTreeSet<(String, u16)> = c
            .mentions
            .iter()
            .filter(|m| m.entry != entry.id && !here.contains(&m.year))
            .map(|m| (m.entry.clone(), m.year))
            .collect();
        (!elsewhere.is_empty()).then(|| OtherSide {
            subject: c.subject.clone(),
            here: here.into_iter().collect(),
            elsewhere: elsewhere.into_iter().collect(),
        })
    })
}

/// Claims longer than the footer shows whole (`max` characters): an answer's
/// footer cuts them at a clause or word, so a reader sees part of the
/// statement. One line per claim, naming the entry.
pub fn long_claims(entries: &[Entry], max: usize) -> Vec<String> {
    entries
        .iter()
        .flat_map(|e| e.claims.iter().map(move |c| (e, c)))
        .filter(|(_, c)| c.text.chars().count() > max)
        .map(|(e, c)| {
            format!(
                "long claim: entry \"{}\" has a claim of {} characters, cut in the footer at {max} ([reply] footer_claim_chars): \"{}\"; a shorter claim (or two) reads whole",
                e.id,
                c.text.chars().count(),
                crate::reply::shorten_claim(&c.text, 60)
            )
        })
        .collect()
}

/// A stored phrasing that would not cleanly bring up its own entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confusable {
    pub entry: String,
    pub phrasing: String,
    pub other: String,
    pub own_score: f64,
    pub other_score: f64,
}

impl fmt::Display for Confusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "near-duplicate: \"{}\" (entry \"{}\", score {:.2}) is close to entry \"{}\" (score {:.2})",
            self.phrasing, self.entry, self.own_score, self.other, self.other_score
        )
    }
}

/// Most phrasings of one entry the confusable lint asks. Asking one costs
/// about as much as the entry has phrasings (they share words), so asking
/// all of an entry with 10,000 aliases took seconds; an even spread of 32
/// (the question first) keeps `check` near its load time.
pub const LINT_PHRASINGS: usize = 32;

/// The phrasings of `entry` the lint asks: the question, then aliases spread
/// evenly over the list.
fn linted_phrasings(entry: &Entry) -> impl Iterator<Item = &String> {
    let aliases = &entry.aliases;
    let room = LINT_PHRASINGS - 1;
    let picked = aliases.len().min(room);
    std::iter::once(&entry.question).chain((0..picked).map(move |k| &aliases[k * aliases.len() / picked]))
}

/// How many phrasings the lint leaves unasked, over all entries.
pub fn unlinted_phrasings(kb: &KnowledgeBase) -> usize {
    kb.entries.iter().map(|e| (1 + e.aliases.len()).saturating_sub(LINT_PHRASINGS)).sum()
}

/// Asks the stored questions and aliases of the knowledge (up to
/// [`LINT_PHRASINGS`] per entry) and reports those that would not be
/// answered with their own entry, with the entry they are confused with.
pub fn confusables(kb: &KnowledgeBase, thresholds: &Thresholds) -> Vec<Confusable> {
    confusables_among(kb, thresholds, |_| true)
}

/// [`confusables`] for the entries `wanted` picks: a reload checks only
/// what it added or changed, which keeps a reload of 100,000 entries fast.
pub fn confusables_among(
    kb: &KnowledgeBase,
    thresholds: &Thresholds,
    wanted: impl Fn(&str) -> bool,
) -> Vec<Confusable> {
    let mut out = Vec::new();
    for (i, entry) in kb.entries.iter().enumerate().filter(|(_, e)| wanted(&e.id)) {
        for phrasing in linted_phrasings(entry) {
            let found = kb.matcher().find(phrasing, thresholds);
            if found.outcome == Outcome::Answer && found.ranked.first().is_some_and(|s| s.entry == i) {
                continue;
            }
            // Only a phrasing that does not answer itself cleanly needs the
            // full ranking, to name what it is confused with.
            let (scored, _) = kb.matcher().score(phrasing);
            let own = scored.iter().find(|s| s.entry == i).map_or(0.0, |s| s.score);
            if let Some(other) = scored.iter().find(|s| s.entry != i) {
                out.push(Confusable {
                    entry: entry.id.clone(),
                    phrasing: phrasing.clone(),
                    other: kb.entries[other.entry].id.clone(),
                    own_score: own,
                    other_score: other.score,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, answer: &str) -> Entry {
        Entry {
            id: id.into(),
            topic: "t".into(),
            question: format!("question {id}?"),
            aliases: vec![],
            answer: answer.into(),
            claims: vec![],
            reviewed: None,
            disclaimer: None,
            location: String::new(),
        }
    }

    #[test]
    fn the_lint_asks_the_question_and_an_even_spread_of_aliases() {
        let mut e = entry("a", "x");
        e.aliases = (0..1000).map(|i| format!("alias {i}")).collect();
        let asked: Vec<&String> = linted_phrasings(&e).collect();
        assert_eq!(asked.len(), LINT_PHRASINGS);
        assert_eq!(asked[0], &e.question);
        assert_eq!((asked[1].as_str(), asked[31].as_str()), ("alias 0", "alias 967"));
        e.aliases.truncate(3);
        assert_eq!(linted_phrasings(&e).count(), 4);
        e.aliases.clear();
        assert_eq!(linted_phrasings(&e).count(), 1);
    }

    #[test]
    fn same_bill_different_years_is_a_contradiction() {
        let entries = [
            entry("a", "In 2017, the governor signed Senate Bill 2710 into law."),
            entry("b", "It challenged SB 2710. The law was passed in 2019 and required things."),
            entry("c", "In 2018 a judge ruled on SB 2710."),
        ];
        let found = find_contradictions(&entries);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].subject, "SB 2710");
        let years: Vec<u16> = found[0].mentions.iter().map(|m| m.year).collect();
        assert_eq!(years, [2017, 2019]);
    }

    #[test]
    fn agreeing_years_and_other_events_are_no_contradiction() {
        let entries = [
            entry("a", "SB 1 was signed in 2017."),
            entry("b", "Senate Bill 1 was passed in 2017. A court blocked SB 1 in 2019."),
        ];
        assert!(find_contradictions(&entries).is_empty());
    }
}
