//! Contradictions in the knowledge (the same bill or act dated differently
//! by different answers) and the claims caught in them. Derived from the
//! answers at every load and kept beside the entries, never in them: a
//! claim's written status is what a person wrote, so nothing that writes
//! knowledge back can write a lint's finding into a file.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::facts::{bills, is_enactment, refers_back, sentences, years};
use super::{Claim, ClaimStatus, Entry};

/// The contradictions of one knowledge base and the claims that state a
/// side of one.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Disputes {
    contradictions: Vec<Contradiction>,
    /// By entry id, the indexes of its written-unverified claims that state
    /// one side of a contradiction (looked up by `&str` on every answer).
    claims: BTreeMap<String, BTreeSet<usize>>,
}

impl Disputes {
    /// Finds the contradictions among `entries` (sorted by id) and the
    /// claims caught in them: an unverified claim of an entry involved that
    /// gives the year that entry gives, and names the law or reports a law
    /// being made. A claim about the same law that gives no year ("a group
    /// sued over SB 12") is left alone, as is a claim a person has verified
    /// or marked disputed.
    pub fn find(entries: &[Entry]) -> Disputes {
        let contradictions = find_contradictions(entries);
        let mut claims: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        for c in &contradictions {
            for m in &c.mentions {
                let Ok(i) = entries.binary_search_by(|e| e.id.as_str().cmp(&m.entry)) else { continue };
                let entry = &entries[i];
                for (index, claim) in entry.claims.iter().enumerate() {
                    if claim.status == ClaimStatus::Unverified && states_side(&claim.text, c, m.year) {
                        claims.entry(entry.id.clone()).or_default().insert(index);
                    }
                }
            }
        }
        Disputes { contradictions, claims }
    }

    pub fn contradictions(&self) -> &[Contradiction] {
        &self.contradictions
    }

    /// The status claim `index` of `entry` is shown with: disputed when it
    /// states a side of a contradiction, else as written.
    pub fn status(&self, entry: &Entry, index: usize) -> ClaimStatus {
        let written = entry.claims[index].status;
        if written == ClaimStatus::Unverified && self.claims.get(entry.id.as_str()).is_some_and(|c| c.contains(&index))
        {
            ClaimStatus::Disputed
        } else {
            written
        }
    }

    /// The contradiction `claim` of `entry` is one side of, with the other
    /// side; `None` for a claim marked disputed by hand.
    pub fn other_side(&self, entry: &Entry, claim: &Claim) -> Option<OtherSide> {
        other_side(entry, claim, &self.contradictions)
    }
}

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

/// Whether a claim states the side of contradiction `c` that dates it in
/// `year`: it gives that year and names the law or reports a law being
/// made. The one rule both for finding the disputed claims and for finding
/// the other side of one.
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

fn other_side(entry: &Entry, claim: &Claim, contradictions: &[Contradiction]) -> Option<OtherSide> {
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::knowledge::test_entry as entry;

    #[test]
    fn same_bill_different_years_is_a_contradiction() {
        let entries = [
            entry("a", "In 2017, the governor signed Senate Bill 1234 into law."),
            entry("b", "It challenged SB 1234. The law was passed in 2019 and required things."),
            entry("c", "In 2018 a judge ruled on SB 1234."),
        ];
        let found = find_contradictions(&entries);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].subject, "SB 1234");
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

    #[test]
    fn the_claims_on_each_side_are_shown_disputed_and_stay_as_written() {
        let claim = |text: &str, status| Claim { text: text.into(), status, ..Claim::default() };
        let mut a = entry("a", "In 2017, the governor signed SB 5 into law. Groups sued over SB 5.");
        a.claims = vec![
            claim("The governor signed SB 5 in 2017.", ClaimStatus::Unverified),
            claim("Groups sued over SB 5.", ClaimStatus::Unverified),
        ];
        let mut b = entry("b", "SB 5 was passed in 2019.");
        b.claims = vec![claim("SB 5 was passed in 2019.", ClaimStatus::Verified)];
        let entries = [a, b];
        let disputes = Disputes::find(&entries);
        assert_eq!(disputes.contradictions().len(), 1);
        // The side a states, named; the suit over the same bill gives no year.
        assert_eq!(disputes.status(&entries[0], 0), ClaimStatus::Disputed);
        assert_eq!(disputes.status(&entries[0], 1), ClaimStatus::Unverified);
        // A person's verification stands.
        assert_eq!(disputes.status(&entries[1], 0), ClaimStatus::Verified);
        assert_eq!(entries[0].claims[0].status, ClaimStatus::Unverified);
        let side = disputes.other_side(&entries[0], &entries[0].claims[0]).unwrap();
        assert_eq!((side.subject.as_str(), side.here.as_slice()), ("SB 5", &[2017][..]));
        assert_eq!(side.elsewhere, [("b".to_owned(), 2019)]);
    }
}
