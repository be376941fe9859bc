//! `policybot import`: numbered Q&A text turned into a knowledge file.

use super::*;
use crate::knowledge::import;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::Path;

pub(super) fn import_file(
    file: &Path,
    out: &Path,
    title: Option<String>,
    force: bool,
    claim_chars: usize,
) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let entries = import::parse(&text).with_context(|| format!("cannot import {}", file.display()))?;
    if out.exists() && !force {
        bail!("{} already exists; pass --force to overwrite it (curated edits in it would be lost)", out.display());
    }
    let title = title.unwrap_or_else(|| {
        file.file_stem().map_or_else(|| "Imported FAQ".to_owned(), |s| s.to_string_lossy().into_owned())
    });
    let source = format!(
        "Imported from {} by policybot import; unreviewed",
        file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    );
    let toml = import::to_toml(&title, &source, &entries);
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(out, toml).with_context(|| format!("cannot write {}", out.display()))?;
    let claims: usize = entries.iter().map(|e| e.claims.len()).sum();
    say!("imported {} entries with {claims} unverified claims into {}", entries.len(), out.display());
    let long = entries.iter().flat_map(|e| &e.claims).filter(|c| c.chars().count() > claim_chars).count();
    if long > 0 {
        say!(
            "warning: {long} claim{} longer than {claim_chars} characters, cut in answers' footers; `policybot check` names them",
            if long == 1 { " is" } else { "s are" }
        );
    }
    Ok(())
}
