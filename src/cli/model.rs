//! `policybot model`: install the sentence-embedding model, or say where it
//! is and whether it loads.

use super::*;
use anyhow::{Result, bail};
use std::io::Write;

pub(super) fn model(setup: &Setup, action: ModelAction) -> Result<()> {
    let dir = crate::embed::model_dir(&setup.config.semantic, &setup.config.data.dir);
    match action {
        ModelAction::Install => {
            if setup.config.semantic.model.is_some() {
                bail!(
                    "[semantic] model points at {}, a folder you supply; install only fills the default folder (unset model to use it)",
                    dir.display()
                );
            }
            if crate::embed::install::pinned_hash(&dir, "model.safetensors").is_some()
                && crate::embed::install::verified(&dir)
            {
                say!("{} is installed and checks out", dir.display());
                return Ok(());
            }
            crate::embed::install::install(&dir)?;
            say!(
                "installed {}=={} into {}",
                crate::embed::install::PACKAGE,
                crate::embed::install::VERSION,
                dir.display()
            );
        }
        ModelAction::Status => {
            if !crate::embed::install::is_present(&dir) {
                bail!("no model in {}; run `policybot model install`", dir.display());
            }
            #[cfg(feature = "semantic")]
            {
                let model = crate::embed::model::Model::load(&dir)?;
                say!("{}: loads; {} dimensions; id {}", dir.display(), model.dim(), model.id());
            }
            #[cfg(not(feature = "semantic"))]
            bail!("{} holds a model, but this build has no semantic matching (the `semantic` feature)", dir.display());
        }
    }
    Ok(())
}
