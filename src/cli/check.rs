//! `policybot check`: knowledge validated as a reload would, the
//! regression set run, and the warnings that do not fail it.

use super::*;
use crate::knowledge::{self, lint};
use anyhow::{Result, bail};
use std::io::Write;
use std::path::Path;

pub(super) fn check(setup: &Setup, dir: &Path) -> Result<()> {
    let mut kb = knowledge::load_dir(dir).map_err(|errors| {
        anyhow::anyhow!(
            "{errors}\n{} error{} in {}",
            errors.0.len(),
            crate::text::plural(errors.0.len()),
            dir.display()
        )
    })?;
    let counts = kb.claim_counts();
    let count = |s| counts.get(&s).copied().unwrap_or(0);
    say!(
        "{}: {} entries in {} file{}, {} topics; claims: {} unverified, {} disputed, {} verified",
        dir.display(),
        kb.entries.len(),
        kb.sources.len(),
        crate::text::plural(kb.sources.len()),
        kb.topics().len(),
        count(knowledge::ClaimStatus::Unverified),
        count(knowledge::ClaimStatus::Disputed),
        count(knowledge::ClaimStatus::Verified),
    );
    // The regression set is judged the way the running bot would match.
    if let Some(encoder) = setup.encoder()
        && let Err(e) = kb.embed(encoder)
    {
        say!("warning: cannot embed the knowledge ({e}); the regression set runs on words alone");
    }
    let confusables = lint::confusables(&kb, &setup.config.matching);
    for c in kb.disputes.contradictions() {
        say!("warning: {c}");
    }
    for c in &confusables {
        say!("warning: {c}");
    }
    let unused = unused_shared_claims(&kb);
    for u in &unused {
        say!("warning: {u}");
    }
    let long = lint::long_claims(&kb.entries, setup.config.reply.footer_claim_chars);
    for l in &long {
        say!("warning: {l}");
    }
    let untranslated = lint::translation_gaps(&kb.entries);
    for t in &untranslated {
        say!("warning: {t}");
    }
    let unlinted = lint::unlinted_phrasings(&kb);
    if unlinted > 0 {
        say!(
            "note: {unlinted} aliases were not checked for near-duplicates (at most {} phrasings per entry are)",
            lint::LINT_PHRASINGS
        );
    }
    let warnings =
        kb.disputes.contradictions().len() + confusables.len() + unused.len() + long.len() + untranslated.len();
    say!("{warnings} warning{}", crate::text::plural(warnings));
    match knowledge::regression::check(dir, &kb, &setup.config.matching) {
        Ok(0) => say!("no regression set ({} is optional)", knowledge::load::REGRESSION_FILE),
        Ok(n) => say!("regression set: {n} cases, all pass"),
        Err(failures) => bail!(
            "{failures}\n{} regression case{} failed; a reload with this knowledge would be refused",
            failures.0.len(),
            crate::text::plural(failures.0.len())
        ),
    }
    Ok(())
}

/// Shared claim records no entry refers to: probably a typo in a ref.
pub(super) fn unused_shared_claims(kb: &knowledge::KnowledgeBase) -> Vec<String> {
    let used: std::collections::BTreeSet<&str> =
        kb.entries.iter().flat_map(|e| e.claims.iter().filter_map(|c| c.id.as_deref())).collect();
    kb.sources
        .iter()
        .flat_map(|s| s.claims.iter().map(move |(c, line)| (s, c, line)))
        .filter(|(_, c, _)| c.id.as_deref().is_some_and(|id| !used.contains(id)))
        .map(|(s, c, line)| {
            format!(
                "{}:{line}: shared claim \"{}\" is not used by any entry",
                s.path.display(),
                c.id.as_deref().unwrap_or_default()
            )
        })
        .collect()
}
