//! What spans files: ids unique across the knowledge, shared claims
//! defined once and every reference to one resolved, then the knowledge
//! base built from the whole.

use super::*;
use crate::knowledge::{Claim, KnowledgeBase};
use crate::matcher::Vocabulary;
use std::collections::BTreeMap;

/// Checks what spans files (unique ids, shared claims) and builds the
/// knowledge base, or returns every error of every file.
pub(super) fn assemble(results: Vec<Result<Parsed, Vec<LoadError>>>) -> Result<KnowledgeBase, LoadErrors> {
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for result in results {
        match result {
            Ok(p) => parsed.push(p),
            Err(mut e) => errors.append(&mut e),
        }
    }

    // Ids must be unique across files: a question would otherwise have two
    // answers and feedback or links by id would be ambiguous.
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for p in &parsed {
        for &(ref entry, line, column) in &p.entries {
            let here = format!("{}:{line}:{column}", p.source.path.display());
            if let Some(first) = seen.get(&entry.id) {
                errors.push(LoadError {
                    path: p.source.path.clone(),
                    line,
                    column,
                    message: format!(
                        "duplicate id \"{}\": already defined at {first}; give each entry its own id",
                        entry.id
                    ),
                });
            } else {
                seen.insert(entry.id.clone(), here);
            }
        }
    }

    // Shared claims: ids unique across files, every reference defined.
    // References are resolved here, not per file, so an entry reused from
    // an unchanged file still picks up an edited shared claim.
    let mut shared: BTreeMap<&str, (&Claim, String)> = BTreeMap::new();
    for p in &parsed {
        for (claim, line) in &p.source.claims {
            let id = claim.id.as_deref().unwrap_or_default();
            let here = format!("{}:{line}", p.source.path.display());
            if let Some((_, first)) = shared.get(id) {
                errors.push(LoadError {
                    path: p.source.path.clone(),
                    line: *line,
                    column: 1,
                    message: format!("duplicate claim id \"{id}\": already defined at {first}"),
                });
            } else {
                shared.insert(id, (claim, here));
            }
        }
    }
    let mut resolved: Vec<Vec<(usize, Claim)>> = Vec::new();
    for p in &parsed {
        let mut file = Vec::new();
        for (index, (entry, line, column)) in p.entries.iter().enumerate() {
            for claim in entry.claims.iter().filter(|c| c.id.is_some()) {
                let id = claim.id.as_deref().unwrap_or_default();
                match shared.get(id) {
                    Some((c, _)) => file.push((index, (*c).clone())),
                    None => errors.push(LoadError {
                        path: p.source.path.clone(),
                        line: *line,
                        column: *column,
                        message: format!(
                            "entry \"{}\" refers to claim \"{id}\", which no [[claim]] defines; define it or fix the ref",
                            entry.id
                        ),
                    }),
                }
            }
        }
        resolved.push(file);
    }

    if !errors.is_empty() {
        errors.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
        return Err(LoadErrors(errors));
    }
    for (p, file) in parsed.iter_mut().zip(resolved) {
        let mut file = file.into_iter();
        for (index, (entry, _, _)) in p.entries.iter_mut().enumerate() {
            for claim in entry.claims.iter_mut().filter(|c| c.id.is_some()) {
                if let Some((i, c)) = file.next() {
                    debug_assert_eq!(i, index);
                    *claim = c;
                }
            }
        }
    }
    let mut sources = Vec::new();
    let mut entries = Vec::new();
    for p in parsed {
        sources.push(p.source);
        entries.extend(p.entries.into_iter().map(|(e, _, _)| e));
    }
    Ok(KnowledgeBase::new(sources, entries, Vocabulary::default()))
}
