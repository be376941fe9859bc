//! `policybot alias add|remove`, `claim set`, `answer`, `new`: changes made
//! through the one write path ([`crate::knowledge::edit`]), as from chat.

use anyhow::Result;

use super::{Setup, output};
pub(super) use crate::knowledge::edit::Edit;
use std::io::{Read, Write};

pub(super) fn change(setup: &Setup, edit: Edit) -> Result<()> {
    let dir = &setup.knowledge_dir;
    let encoder = setup.encoder();
    // Read only to find the entry and the phrasings it must not repeat;
    // the full check (model, regression set) runs once, on the change.
    let kb = crate::knowledge::load_dir(dir).map_err(|errors| {
        anyhow::anyhow!("the knowledge in {} has errors; fix them first:\n{errors}", dir.display())
    })?;
    let validate =
        |scratch: &std::path::Path| crate::bot::validate(scratch, encoder.as_ref(), &setup.config).map(|_| ());
    let applied = crate::knowledge::edit::apply(dir, &kb, &edit, validate)?;
    say!("{} ({})", applied.summary, applied.file.display());
    Ok(())
}

/// `text`, or all of stdin when it is "-".
pub(super) fn or_stdin(text: String) -> Result<String> {
    if text != "-" {
        return Ok(text);
    }
    let mut read = String::new();
    std::io::stdin().read_to_string(&mut read)?;
    Ok(read)
}
