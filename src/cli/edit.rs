//! `policybot alias add|remove`, `claim set`, `answer`, `new`: changes made
//! through the one write path ([`crate::knowledge::edit`]), as from chat.

use anyhow::{Context as _, Result};

use crate::bot::Sender;
use crate::history::{History, OPERATOR};
use crate::reply::Reply;

use super::{Setup, output};
pub(super) use crate::knowledge::edit::Edit;
use std::io::{Read, Write};

pub(super) fn change(setup: &Setup, edit: Edit) -> Result<()> {
    let dir = &setup.knowledge_dir;
    let history = setup.open_history();
    let pending = history.as_ref().and_then(|h| h.pending().ok()).unwrap_or_default();
    let encoder = setup.encoder();
    // Read only to find the entry and the phrasings it must not repeat;
    // the full check (model, regression set) runs once, on the change.
    let kb = crate::knowledge::load_dir(dir).map_err(|errors| {
        anyhow::anyhow!("the knowledge in {} has errors; fix them first:\n{errors}", dir.display())
    })?;
    let validate =
        |scratch: &std::path::Path| crate::bot::validate(scratch, encoder.as_ref(), &setup.config).map(|_| ());
    let applied = crate::knowledge::edit::apply(dir, &kb, &edit, validate)?;
    let Some(history) = history else {
        say!("{} ({})", applied.summary, applied.file.display());
        return Ok(());
    };
    match history.record(&pending, &applied.written, &operator(), &applied.summary, &applied.entries) {
        Ok(version) => {
            let version = version.or_else(|| history.version()).unwrap_or_default();
            say!("{} ({}; version {version})", applied.summary, applied.file.display());
            // Shared: sent now; a running bot on the remote's other copies
            // takes it on its next pull.
            if let Err(e) = history.push() {
                say!("Not shared with the remote yet: {e}");
            }
        }
        Err(e) => {
            say!("{} ({})", applied.summary, applied.file.display());
            tracing::warn!(error = %e, "the change is made but not recorded in the knowledge's history");
        }
    }
    Ok(())
}

/// Who a change made on the host's command line is recorded as: the
/// account running it (never a chat user id), on the console.
fn operator() -> String {
    let name = ["USER", "LOGNAME"].iter().find_map(|v| std::env::var(v).ok().filter(|n| !n.trim().is_empty()));
    format!("{} (console)", name.as_deref().map_or("operator", str::trim))
}

impl Setup {
    /// The repository the knowledge is kept in, made when there is none
    /// (`[knowledge] history`); `None`, said once in the log, when it is
    /// off or git cannot be run.
    pub fn open_history(&self) -> Option<History> {
        if !self.config.knowledge.history {
            return None;
        }
        History::start(&self.knowledge_dir)
            .inspect_err(|e| tracing::warn!(error = %e, "the knowledge's history is off: changes are not recorded"))
            .ok()
            .map(|h| h.with_remote(self.config.knowledge.remote.clone()))
    }

    /// [`Setup::open_history`] at the start of `policybot run`: files saved
    /// while the bot was stopped are recorded as the operator's.
    pub fn start_history(&self) {
        let Some(history) = self.open_history() else { return };
        let pending: Vec<_> = history.pending().unwrap_or_default().into_iter().map(|f| (f, None)).collect();
        if !pending.is_empty()
            && let Err(e) = history.commit(&pending, OPERATOR, "Files saved on the host while the bot was stopped", &[])
        {
            tracing::warn!(error = %e, "cannot record the files saved while the bot was stopped");
        }
    }
}

/// `policybot history`: the last changes, newest first.
pub(super) fn history(setup: &Setup, entry: Option<&str>, limit: usize, json: bool) -> Result<()> {
    let history = History::open(&setup.knowledge_dir)?.with_context(|| {
        format!(
            "{} is not kept in a git repository yet; `policybot run` (or any change) makes it one",
            setup.knowledge_dir.display()
        )
    })?;
    let changes = history.log(entry, limit)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&changes)?);
        return Ok(());
    }
    if changes.is_empty() {
        say!("No changes recorded{}.", entry.map(|e| format!(" for entry \"{e}\"")).unwrap_or_default());
    }
    for c in &changes {
        say!("{}  {}  {}: {}", c.version, c.when, c.who, c.what);
    }
    Ok(())
}

/// `policybot revert VERSION`: the bot's own undo, as the operator.
pub(super) fn revert(setup: &Setup, version: &str) -> Result<()> {
    if setup.open_history().is_none() {
        anyhow::bail!(
            "the knowledge has no history to revert from; set [knowledge] history = true and make sure git runs"
        );
    }
    let bot = setup.bot()?;
    let name = operator();
    let name = name.trim_end_matches(" (console)");
    let sender =
        Sender { is_moderator: true, origin: crate::records::Origin::console(bot.keys()), name: Some(name.into()) };
    match bot.handle(&crate::answer::Command::Undo(version.to_owned()), &sender, "") {
        Reply::Notice { message } => {
            say!("{message}");
            Ok(())
        }
        other => anyhow::bail!("{}", other.render_plain("")),
    }
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
