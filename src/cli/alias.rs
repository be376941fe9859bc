//! `policybot alias add|remove`: a phrasing added to or taken from an entry
//! through the one write path ([`crate::knowledge::edit`]).

use anyhow::Result;

use super::{AliasAction, Setup, output};
use crate::knowledge::edit::{self, Edit};
use std::io::Write;

pub(super) fn alias(setup: &Setup, action: AliasAction) -> Result<()> {
    let dir = &setup.knowledge_dir;
    let encoder = setup.encoder();
    // Read only to find the entry and the phrasings it must not repeat;
    // the full check (model, regression set) runs once, on the change.
    let kb = crate::knowledge::load_dir(dir).map_err(|errors| {
        anyhow::anyhow!("the knowledge in {} has errors; fix them first:\n{errors}", dir.display())
    })?;
    let edit = match action {
        AliasAction::Add { entry, text } => Edit::AddAlias { entry, text },
        AliasAction::Remove { entry, text } => Edit::RemoveAlias { entry, text },
    };
    let validate =
        |scratch: &std::path::Path| crate::bot::validate(scratch, encoder.as_ref(), &setup.config).map(|_| ());
    let applied = edit::apply(dir, &kb, &edit, validate)?;
    say!("{} ({})", applied.summary, applied.file.display());
    Ok(())
}
