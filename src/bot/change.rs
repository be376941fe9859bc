//! Changes to the knowledge made by people through the bot (chat, the
//! console): the write path ([`crate::knowledge::edit`]) run under the same
//! lock as reloads, the knowledge it checked put into use, who made it, and
//! the moderation log every change, refusal and reload is told to.

use super::*;
use crate::knowledge::edit::{self, Edit, EditRefused};
use std::fmt;

/// Who made a change, as replies and the moderation log name them: a
/// display name and a platform, never a raw user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub platform: Platform,
}

impl Author {
    /// The author of a message from `sender`: its display name when the
    /// platform gave one.
    pub fn of(sender: &Sender) -> Author {
        let name = sender.name.as_deref().map(|n| crate::text::shorten(n.trim(), 64)).filter(|n| !n.is_empty());
        let name = match sender.origin.platform {
            Platform::Console => name.unwrap_or_else(|| "the operator".to_owned()),
            _ => name.unwrap_or_else(|| "someone".to_owned()),
        };
        Author { name, platform: sender.origin.platform }
    }
}

impl fmt::Display for Author {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let platform = match self.platform {
            Platform::Discord => "Discord",
            Platform::Matrix => "Matrix",
            Platform::Console => "console",
        };
        write!(f, "{} ({platform})", self.name)
    }
}

/// How many moderation log lines wait for a slow platform before the
/// oldest are dropped (and the drop said in the log).
const LOG_BACKLOG: usize = 256;

/// The moderation log: one line per change, refused change, and reload
/// that changed something or was refused. Adapters with a log channel or
/// room subscribe and post the lines; every line also goes to the
/// process's own log.
pub struct ModerationLog(tokio::sync::broadcast::Sender<String>);

impl Default for ModerationLog {
    fn default() -> Self {
        ModerationLog(tokio::sync::broadcast::channel(LOG_BACKLOG).0)
    }
}

impl ModerationLog {
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.0.subscribe()
    }

    /// The lines said from now on, for a platform that posts them.
    pub fn lines(&self) -> LogLines {
        LogLines(self.0.subscribe())
    }

    pub(super) fn say(&self, line: String) {
        tracing::info!(target: "policybot::moderation", "{line}");
        // Nobody listening (no log channel configured) is fine.
        let _ = self.0.send(line);
    }
}

/// The moderation log as one platform reads it.
pub struct LogLines(tokio::sync::broadcast::Receiver<String>);

impl LogLines {
    /// The next line; lines the platform could not keep up with are said
    /// as one line of their own. `None` once the bot is gone.
    pub async fn next(&mut self) -> Option<String> {
        use tokio::sync::broadcast::error::RecvError;
        match self.0.recv().await {
            Ok(line) => Some(line),
            Err(RecvError::Lagged(missed)) => {
                Some(format!("({missed} moderation log lines were dropped: the platform could not keep up)"))
            }
            Err(RecvError::Closed) => None,
        }
    }
}

impl Bot {
    /// Makes `edit` for a moderator (the caller has checked that `sender`
    /// is one), puts it into use and says what changed, or why nothing did.
    pub fn change(&self, edit: &Edit, sender: &Sender) -> Reply {
        let author = Author::of(sender);
        match self.apply(edit, &author) {
            Ok((applied, report)) => {
                let mut message = format!("Done: {author} {}.", applied.summary);
                match report {
                    Ok(report) => {
                        message.push_str(" It is in use from the next message on.");
                        // Only what is about the entries changed: the
                        // knowledge's standing warnings are `check`'s to list.
                        let about = |w: &&String| applied.entries.iter().any(|id| w.contains(&format!("\"{id}\"")));
                        for warning in report.warnings.iter().filter(about).take(3) {
                            message.push_str(&format!("\nWarning: {warning}"));
                        }
                    }
                    // Written and valid a moment ago, yet the reload failed
                    // (the files changed again meanwhile): say so.
                    Err(refused) => message.push_str(&format!("\nBut it is not in use yet: {refused}")),
                }
                Reply::Notice { message }
            }
            Err(refused) => Reply::error(format!("Nothing changed: {refused}")),
        }
    }

    /// Makes `edit` for a moderator as [`Bot::change`] does (logged, put
    /// into use) and hands back the refusal instead of a reply.
    pub(super) fn change_quietly(&self, edit: &Edit, sender: &Sender) -> Result<(), EditRefused> {
        self.apply(edit, &Author::of(sender)).map(|_| ())
    }

    /// Tells the moderation log that `author` was refused `what` for not
    /// being a moderator.
    pub fn refused_non_moderator(&self, what: &Edit, sender: &Sender) {
        let author = Author::of(sender);
        self.log.say(format!("Refused: {author} tried to {} but is not a moderator", describe(what)));
    }

    /// The write path and the reload after it, one at a time with every
    /// other change and reload: each starts from the files the one before
    /// it left. The change, or its refusal, is told to the moderation log.
    #[allow(clippy::type_complexity)]
    fn apply(
        &self,
        edit: &Edit,
        author: &Author,
    ) -> Result<(edit::Applied, Result<crate::reply::ReloadReport, ReloadRefused>), EditRefused> {
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.knowledge();
        // The knowledge checked in the copy with the change is the one put
        // into use: the last check is of the text written.
        let checked: Mutex<Option<(KnowledgeBase, std::path::PathBuf)>> = Mutex::default();
        let validate = |scratch: &std::path::Path| {
            let kb = build(scratch, Some(&current), self.encoder.as_ref(), &self.config)?;
            *checked.lock().unwrap_or_else(|e| e.into_inner()) = Some((kb, scratch.to_path_buf()));
            Ok(())
        };
        let applied = edit::apply(&self.dir, &current, edit, validate).inspect_err(|refused| {
            self.log.say(format!("Refused: {author} tried to {}: {}", describe(edit), first_line(refused)));
        })?;
        tracing::info!(author = %author, file = %applied.file.display(), "{}", applied.summary);
        self.log.say(format!("{author} {}", applied.summary));
        let report = match checked.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some((mut new, scratch)) => {
                new.moved(&scratch, &self.dir);
                let report = diff(&current, &new, &self.config);
                drop(current);
                self.put_in_use(new, &report);
                Ok(report)
            }
            // Not expected (a change is always checked); load it from the files.
            None => {
                drop(current);
                self.reload_locked(Trigger::Edit)
            }
        };
        Ok((applied, report))
    }
}

/// What an edit tries to do, in words, for refusals.
fn describe(edit: &Edit) -> String {
    let short = |t: &str| crate::text::shorten(t, 80);
    match edit {
        Edit::AddAlias { entry, text } => format!("add the phrasing \"{}\" to entry \"{}\"", short(text), short(entry)),
        Edit::RemoveAlias { entry, text } => {
            format!("remove the phrasing \"{}\" from entry \"{}\"", short(text), short(entry))
        }
        Edit::SetClaim { claim, status, .. } => format!("set claim {} to {}", short(claim), status.as_str()),
        Edit::SetAnswer { entry, .. } => format!("replace the answer of entry \"{}\"", short(entry)),
        Edit::NewEntry { id, .. } => format!("create entry \"{}\"", short(id)),
    }
}

/// The first line of a refusal, for the one-line log.
pub(super) fn first_line(refused: &EditRefused) -> String {
    let text = refused.to_string();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default().trim_end_matches(':').to_owned();
    match lines.next() {
        Some(next) => format!("{first}: {}", next.trim()),
        None => first,
    }
}
