//! Warnings about knowledge that loads but could mislead: stored phrasings
//! the matcher could confuse with another entry's, claims too long for the
//! footer. Contradictions between entries are
//! found in [`super::disputes`].

use serde::Serialize;
use std::fmt;

use super::{Entry, KnowledgeBase};
use crate::matcher::{Outcome, Thresholds};

/// Claims longer than the footer shows whole (`max` characters): an answer's
/// footer cuts them at a clause or word, so a reader sees part of the
/// statement. One line per claim, naming the entry.
pub(crate) fn long_claims(entries: &[Entry], max: usize) -> Vec<String> {
    entries
        .iter()
        .flat_map(|e| e.claims.iter().map(move |c| (e, c)))
        .filter(|(_, c)| c.text.chars().count() > max)
        .map(|(e, c)| {
            format!(
                "long claim: entry \"{}\" has a claim of {} characters, cut in the footer at {max} ([reply] footer_claim_chars): \"{}\"; a shorter claim (or two) reads whole",
                e.id,
                c.text.chars().count(),
                crate::text::shorten_claim(&c.text, 60)
            )
        })
        .collect()
}

/// Where a translation does not stand for its entry: a claim of a
/// translated entry with no text in that language (its footer would show
/// the claim untranslated), a claim translated into a language its entry is
/// not, and a translated answer whose numbers (years, bill and section
/// numbers) differ from the entry's. A translation carries the same claims,
/// mistakes and contradictions as what it translates; one that dates a law
/// differently has fixed or added something without saying so. One line
/// per problem, naming the entry.
pub(crate) fn translation_gaps<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Vec<String> {
    let numbers = |text: &str| -> std::collections::BTreeSet<String> {
        text.split(|c: char| !c.is_ascii_digit()).filter(|n| !n.is_empty()).map(str::to_owned).collect()
    };
    let mut out = Vec::new();
    for entry in entries {
        for (lang, translation) in &entry.translations {
            let missing: Vec<String> = (1..=entry.claims.len())
                .filter(|i| !entry.claims[i - 1].translations.contains_key(lang))
                .map(|i| format!("#{i}"))
                .collect();
            if !missing.is_empty() {
                out.push(format!(
                    "untranslated claim: entry \"{}\" is translated into {} but its claim {} is not; write `translations = {{ {} = \"…\" }}` on the claim (or its shared [[claim]])",
                    entry.id,
                    lang.name(),
                    missing.join(", "),
                    lang.code()
                ));
            }
            let (here, there) = (numbers(&entry.answer), numbers(&translation.answer));
            if here != there {
                let list = |set: std::collections::BTreeSet<&String>| {
                    set.into_iter().map(String::as_str).collect::<Vec<_>>().join(", ")
                };
                out.push(format!(
                    "translation differs: the {} answer of entry \"{}\" gives numbers the entry's does not ({}) or leaves out some it gives ({}); a translation says what the entry says",
                    lang.name(),
                    entry.id,
                    list(there.difference(&here).collect()),
                    list(here.difference(&there).collect())
                ));
            }
        }
        for (i, claim) in entry.claims.iter().enumerate() {
            for lang in claim.translations.keys().filter(|l| !entry.translations.contains_key(l)) {
                out.push(format!(
                    "stray translation: claim #{} of entry \"{}\" has {} text but the entry has no [entry.translations.{}]",
                    i + 1,
                    entry.id,
                    lang.name(),
                    lang.code()
                ));
            }
        }
    }
    out
}

/// A stored phrasing that would not cleanly bring up its own entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Confusable {
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
pub(crate) const LINT_PHRASINGS: usize = 32;

/// The phrasings of `entry` the lint asks: the question, then its other
/// phrasings (aliases, then each translation's) spread evenly over the list.
fn linted_phrasings(entry: &Entry) -> impl Iterator<Item = &String> {
    // Aliases, then the translations' questions and aliases: a Spanish
    // phrasing that brings up another entry misleads as much as an English one.
    let rest: Vec<&String> = entry.phrasings().skip(1).collect();
    let room = LINT_PHRASINGS - 1;
    let picked = rest.len().min(room);
    std::iter::once(&entry.question).chain((0..picked).map(move |k| rest[k * rest.len() / picked]))
}

/// How many phrasings the lint leaves unasked, over all entries.
pub(crate) fn unlinted_phrasings(kb: &KnowledgeBase) -> usize {
    kb.entries.iter().map(|e| e.phrasings().count().saturating_sub(LINT_PHRASINGS)).sum()
}

/// Asks the stored questions and aliases of the knowledge (up to
/// [`LINT_PHRASINGS`] per entry) and reports those that would not be
/// answered with their own entry, with the entry they are confused with.
pub(crate) fn confusables(kb: &KnowledgeBase, thresholds: &Thresholds) -> Vec<Confusable> {
    confusables_among(kb, thresholds, |_| true)
}

/// [`confusables`] for the entries `wanted` picks: a reload checks only
/// what it added or changed, which keeps a reload of 100,000 entries fast.
pub(crate) fn confusables_among(
    kb: &KnowledgeBase,
    thresholds: &Thresholds,
    wanted: impl Fn(&str) -> bool,
) -> Vec<Confusable> {
    let mut out = Vec::new();
    for (i, entry) in kb.entries.iter().enumerate().filter(|(_, e)| wanted(&e.id)) {
        // Stored text: matched with cached vectors, in one batch.
        let phrasings: Vec<&String> = linted_phrasings(entry).collect();
        let texts: Vec<&str> = phrasings.iter().map(|p| p.as_str()).collect();
        for (phrasing, found) in phrasings.into_iter().zip(kb.matcher().find_stored(&texts, thresholds)) {
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

    use crate::knowledge::test_entry as entry;

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
        let spanish = crate::knowledge::Translation {
            question: "¿pregunta?".into(),
            aliases: vec!["otra".into()],
            ..Default::default()
        };
        e.translations.insert(crate::knowledge::Lang::Es, spanish);
        let asked: Vec<&str> = linted_phrasings(&e).map(String::as_str).collect();
        assert_eq!(asked, ["question a?", "¿pregunta?", "otra"]);
    }

    #[test]
    fn a_translated_phrasing_that_brings_up_another_entry_is_a_warning() {
        let kb = crate::knowledge::load_str(
            "k.toml",
            r#"title = "T"
[[entry]]
id = "fishing"
topic = "T"
question = "Where do I get a fishing licence?"
answer = "At the town hall."
[entry.translations.es]
question = "¿Dónde saco la licencia de pesca?"
aliases = ["¿Dónde pago el estacionamiento del puerto?"]
answer = "En el ayuntamiento."
[[entry]]
id = "parking"
topic = "T"
question = "Where do I pay for harbour parking?"
answer = "At the meter."
[entry.translations.es]
question = "¿Dónde pago el estacionamiento del puerto?"
answer = "En el parquímetro."
"#,
        )
        .unwrap();
        let found = confusables(&kb, &Thresholds::default());
        assert!(found.iter().any(|c| c.entry == "fishing" && c.other == "parking"), "{found:?}");
    }
}
