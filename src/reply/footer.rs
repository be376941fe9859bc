//! The caveat footer under every answer: how it was found, the claims
//! nobody has verified (disputed ones first, with the other side), or the
//! checks when every claim is verified; and the claims as an answer shows
//! them.

use super::*;
use crate::knowledge::{ClaimStatus, Entry, KnowledgeBase, Lang};
use crate::reply::words::{fill, words};
use serde::Serialize;

/// How an answer was found, said in words under it (the number stays in
/// `--json`, the logs and the records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Found {
    /// The message is one of the entry's stored phrasings: nothing to say.
    Stored,
    /// The nearest stored question to a message worded differently.
    Closest,
    /// The asker picked it from "did you mean".
    Picked,
}

/// A claim on one side of a contradiction, with what the other side says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disputed {
    pub claim: String,
    /// What is dated differently (e.g. a bill), when the contradiction was
    /// found by the lint; `None` for a claim a moderator marked disputed.
    pub subject: Option<String>,
    /// The years this answer gives it.
    pub here: Vec<u16>,
    /// The other entries and the years they give.
    pub elsewhere: Vec<(String, u16)>,
}

/// Everything under an answer: how it was found, the claims nobody has
/// verified (disputed ones first, with the other side), or — when every
/// claim is verified — when and against what; the knowledge's disclaimer;
/// and the entry id to ask for the full claim list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Footer {
    pub found: Found,
    pub disputed: Vec<Disputed>,
    /// Unverified claim texts, each whole or cut at a clause or word.
    pub unverified: Vec<String>,
    /// Unchecked claims not named for lack of room.
    pub more: usize,
    /// When every claim is verified: "2026-11-02: source" per check.
    pub checked: Vec<String>,
    /// `None` when every claim is verified: a checked answer is not an
    /// unreviewed one.
    pub disclaimer: Option<String>,
    pub entry_id: String,
    /// The language the footer is in (its claims too, where translated).
    pub lang: Lang,
    /// The answer is read from a translation nobody has reviewed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unreviewed_translation: bool,
}

/// What the footer is made from besides the entry.
pub struct FooterSettings<'a> {
    /// The knowledge's own disclaimer (the entry's file's, else the config's).
    pub disclaimer: &'a str,
    pub max_claims: usize,
    pub max_chars: usize,
}

impl Footer {
    /// The footer in `lang`: its words, and each claim in `lang` where the
    /// claim is translated (as written where not).
    pub fn new(kb: &KnowledgeBase, entry: &Entry, found: Found, settings: &FooterSettings, lang: Lang) -> Self {
        let unchecked = kb.unchecked_claims(entry);
        let shown = unchecked.len().min(settings.max_claims);
        let mut disputed = Vec::new();
        let mut unverified = Vec::new();
        for (status, claim) in &unchecked[..shown] {
            let text = crate::text::shorten_claim(claim.text_in(lang), settings.max_chars);
            match status {
                ClaimStatus::Disputed => {
                    let side = kb.disputes.other_side(entry, claim);
                    disputed.push(match side {
                        Some(side) => Disputed {
                            claim: text,
                            subject: Some(side.subject),
                            here: side.here,
                            elsewhere: side.elsewhere,
                        },
                        None => Disputed { claim: text, subject: None, here: Vec::new(), elsewhere: Vec::new() },
                    });
                }
                _ => unverified.push(text),
            }
        }
        let all_verified = !entry.claims.is_empty() && unchecked.is_empty();
        let mut checked: Vec<String> = if all_verified {
            entry
                .claims
                .iter()
                .filter_map(|c| {
                    let source = c.source.as_deref()?;
                    Some(match &c.checked {
                        Some(date) => format!("{date}: {source}"),
                        None => source.to_owned(),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        checked.sort();
        checked.dedup();
        let translation = entry.translations.get(&lang);
        // The file's own words in the asker's language, translated entry or not.
        let disclaimer = kb.disclaimer_in(entry, lang).unwrap_or(settings.disclaimer);
        Footer {
            found,
            disputed,
            unverified,
            more: unchecked.len() - shown,
            checked,
            disclaimer: (!all_verified).then(|| disclaimer.to_owned()),
            entry_id: entry.id.clone(),
            lang,
            unreviewed_translation: translation.is_some_and(|t| t.reviewed.is_none()),
        }
    }

    /// How the answer was found, in words; `None` when there is nothing to
    /// say (the message was a stored question). `prefix` is the platform's
    /// command prefix.
    pub fn found_line(&self, prefix: &str) -> Option<String> {
        let words = words(self.lang);
        match self.found {
            Found::Stored => None,
            Found::Closest => Some(fill(words.closest, &[("prefix", prefix)])),
            Found::Picked => Some(words.picked.to_owned()),
        }
    }

    /// One disputed claim with the other side, e.g. "SB 12 was passed in
    /// 2019 — this answer says 2019; the answer "history" says 2017
    /// (/claims history)".
    pub fn dispute_line(&self, d: &Disputed, claims_command: &str) -> String {
        let Some(subject) = &d.subject else { return d.claim.clone() };
        let words = words(self.lang);
        let years = |ys: &[u16]| ys.iter().map(u16::to_string).collect::<Vec<_>>().join(words.and);
        let claim = d.claim.trim_end_matches('.');
        // Name what is dated only when the claim does not.
        let about = if claim.contains(subject.as_str()) { String::new() } else { format!("{subject}: ") };
        let mut line = format!("{claim} — {about}{} {}", words.this_answer_says, years(&d.here));
        for (entry, year) in &d.elsewhere {
            let said = fill(words.other_answer_says, &[("entry", entry), ("year", &year.to_string())]);
            let _ = write!(line, "; {said} ({claims_command} {entry})");
        }
        line
    }

    /// The footer as text: how the answer was found, the disputed and
    /// unverified claims (or the checks), the disclaimer and where the full
    /// claim list is. `claims_command` is how this platform asks for it
    /// ("/claims", "!claims"); `prefix` its command prefix.
    pub fn render(&self, claims_command: &str, prefix: &str) -> String {
        let mut out = String::new();
        if let Some(found) = self.found_line(prefix) {
            let _ = writeln!(out, "{found}");
        }
        let words = words(self.lang);
        if !self.disputed.is_empty() {
            let _ = writeln!(out, "{}", words.disputed);
            for d in &self.disputed {
                let _ = writeln!(out, "• {}", self.dispute_line(d, claims_command));
            }
        }
        if !self.unverified.is_empty() {
            let _ = writeln!(out, "{}", words.unverified);
            for claim in &self.unverified {
                let _ = writeln!(out, "• {claim}");
            }
        }
        if self.more > 0 {
            let more = if self.more == 1 { words.more_one } else { words.more_many };
            let _ = writeln!(out, "{}", fill(more, &[("n", &self.more.to_string())]));
        }
        for check in &self.checked {
            let _ = writeln!(out, "✓ {} {check}", words.checked);
        }
        if self.unreviewed_translation {
            let _ = write!(out, "{} ", words.unreviewed_translation);
        }
        if let Some(disclaimer) = &self.disclaimer {
            let _ = write!(out, "{disclaimer} ");
        }
        let _ = write!(out, "{} {claims_command} {}", words.claim_list, self.entry_id);
        out
    }
}

/// A claim as an answer shows it: its text and notes with the status it is
/// shown with (disputed when the knowledge contradicts itself on it, though
/// written unverified).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownClaim {
    pub status: ClaimStatus,
    pub text: String,
    pub source: Option<String>,
    pub note: Option<String>,
    /// The claim in other languages.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub translations: std::collections::BTreeMap<Lang, String>,
}

impl ShownClaim {
    /// The claims of `entry`, in order, as shown.
    pub fn of(kb: &KnowledgeBase, entry: &Entry) -> Vec<ShownClaim> {
        kb.claims(entry)
            .map(|(status, c)| ShownClaim {
                status,
                text: c.text.clone(),
                source: c.source.clone(),
                note: c.note.clone(),
                translations: c.translations.clone(),
            })
            .collect()
    }
}
