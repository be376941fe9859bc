//! `policybot claims`: every claim once, with the status it is shown with,
//! its source and the entries that make it.

use super::*;
use crate::bot::Bot;
use crate::knowledge::{self, Claim};
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// One claim and every entry that makes it: a shared claim once for all
/// its entries, a claim written inside an entry on its own.
#[derive(Serialize)]
pub(super) struct ClaimUse<'a> {
    #[serde(skip)]
    pub(super) claim: &'a Claim,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) id: Option<&'a str>,
    pub(super) text: &'a str,
    /// As shown: disputed when caught in a contradiction, else as written.
    pub(super) status: knowledge::ClaimStatus,
    pub(super) source: Option<&'a str>,
    pub(super) note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) checked: Option<&'a str>,
    pub(super) entries: Vec<&'a str>,
}

impl<'a> ClaimUse<'a> {
    pub(super) fn new(claim: &'a Claim, status: knowledge::ClaimStatus, entry: &'a str) -> Self {
        ClaimUse {
            claim,
            id: claim.id.as_deref(),
            text: &claim.text,
            status,
            source: claim.source.as_deref(),
            note: claim.note.as_deref(),
            checked: claim.checked.as_deref(),
            entries: vec![entry],
        }
    }
}

pub(super) fn claims(bot: &Bot, status: Option<knowledge::ClaimStatus>, json: bool) -> Result<()> {
    let kb = bot.knowledge();
    let mut uses: Vec<ClaimUse> = Vec::new();
    let mut shared: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for entry in &kb.entries {
        for (shown, claim) in kb.claims(entry).filter(|(shown, _)| status.is_none_or(|s| *shown == s)) {
            match claim.id.as_deref().and_then(|id| shared.get(id).copied()) {
                Some(i) => uses[i].entries.push(&entry.id),
                None => {
                    if let Some(id) = claim.id.as_deref() {
                        shared.insert(id, uses.len());
                    }
                    uses.push(ClaimUse::new(claim, shown, &entry.id));
                }
            }
        }
    }
    // Disputed first, then unverified, then verified: what needs a look.
    let rank = |s: knowledge::ClaimStatus| match s {
        knowledge::ClaimStatus::Disputed => 0,
        knowledge::ClaimStatus::Unverified => 1,
        knowledge::ClaimStatus::Verified => 2,
    };
    uses.sort_by(|a, b| rank(a.status).cmp(&rank(b.status)).then(a.entries.cmp(&b.entries)));
    let mut out = output();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&uses)?)?;
        return Ok(());
    }
    for u in &uses {
        let c = u.claim;
        write!(out, "[{}] {}", u.status.as_str(), c.text)?;
        if let Some(id) = &c.id {
            write!(out, " (claim {id})")?;
        }
        writeln!(out)?;
        if let Some(source) = &c.source {
            write!(out, "    source: {source}")?;
            match &c.checked {
                Some(date) => writeln!(out, " (checked {date})")?,
                None => writeln!(out)?,
            }
        }
        if let Some(note) = &c.note {
            writeln!(out, "    note: {note}")?;
        }
        writeln!(out, "    used by: {}", u.entries.join(", "))?;
    }
    write!(out, "{} claim{}", uses.len(), crate::text::plural(uses.len()))?;
    match &kb.version {
        Some(version) => writeln!(out, " (knowledge version {version})")?,
        None => writeln!(out)?,
    }
    Ok(())
}
