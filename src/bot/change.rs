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

/// A change made to the files: what it did in words, the entries whose
/// answers it changes, and each file before and after.
pub(super) struct Done {
    pub summary: String,
    pub entries: Vec<String>,
    pub written: Vec<edit::Written>,
}

/// What a change put into use: what it did, the version it was recorded
/// as, and the reload report (or why the knowledge written is not in use).
pub(super) struct Took {
    pub done: Done,
    pub version: Option<String>,
    pub report: Result<crate::reply::ReloadReport, ReloadRefused>,
    /// What became of sending it to the other machines, when that needs
    /// saying (see [`Bot::share`]).
    pub shared: Option<String>,
}

impl Bot {
    /// Makes `edit` for a moderator (the caller has checked that `sender`
    /// is one), puts it into use and says what changed, or why nothing did.
    pub fn change(&self, edit: &Edit, sender: &Sender) -> Reply {
        let author = Author::of(sender);
        let took = self.take_effect(&author, &describe(edit), |kb, validate| {
            let applied = edit::apply(&self.dir, kb, edit, validate)?;
            Ok(Done { summary: applied.summary, entries: applied.entries, written: applied.written })
        });
        self.said(&author, took)
    }

    /// The reply to a change `author` made, or to its refusal.
    pub(super) fn said(&self, author: &Author, took: Result<Took, EditRefused>) -> Reply {
        let Took { done, version, report, shared } = match took {
            Ok(took) => took,
            Err(refused) => return Reply::error(format!("Nothing changed: {refused}")),
        };
        let mut message = format!("Done: {author} {}.", done.summary);
        match report {
            Ok(report) => {
                message.push_str(" It is in use from the next message on");
                match version {
                    Some(version) => message.push_str(&format!(" (version {version}).")),
                    None => message.push('.'),
                }
                // Only what is about the entries changed: the knowledge's
                // standing warnings are `check`'s to list.
                let about = |w: &&String| done.entries.iter().any(|id| w.contains(&format!("\"{id}\"")));
                for warning in report.warnings.iter().filter(about).take(3) {
                    message.push_str(&format!("\nWarning: {warning}"));
                }
            }
            // Written and valid a moment ago, yet the reload failed (the
            // files changed again meanwhile): say so.
            Err(refused) => message.push_str(&format!("\nBut it is not in use yet: {refused}")),
        }
        if let Some(shared) = shared {
            message.push_str(&format!("\n{shared}"));
        }
        Reply::Notice { message }
    }

    /// Makes `edit` for a moderator as [`Bot::change`] does (logged, put
    /// into use) and hands back the refusal instead of a reply.
    pub(super) fn change_quietly(&self, edit: &Edit, sender: &Sender) -> Result<(), EditRefused> {
        let took = self.take_effect(&Author::of(sender), &describe(edit), |kb, validate| {
            let applied = edit::apply(&self.dir, kb, edit, validate)?;
            Ok(Done { summary: applied.summary, entries: applied.entries, written: applied.written })
        });
        took.map(drop)
    }

    /// Tells the moderation log that `author` was refused `what` for not
    /// being a moderator.
    pub fn refused_non_moderator(&self, what: &Edit, sender: &Sender) {
        let author = Author::of(sender);
        self.log.say(format!("Refused: {author} tried to {} but is not a moderator", describe(what)));
    }

    /// The road every change to the files takes: `write` (given the
    /// knowledge in use and the check a reload would make) makes it, one
    /// at a time with every other change and reload, so each starts from
    /// the files the one before it left; it is recorded in the history
    /// with its author, and the knowledge checked is put into use. The
    /// change, or its refusal (`trying` says what it was), is told to the
    /// moderation log.
    pub(super) fn take_effect(
        &self,
        author: &Author,
        trying: &str,
        write: impl FnOnce(
            &KnowledgeBase,
            &dyn Fn(&std::path::Path) -> Result<(), knowledge::LoadErrors>,
        ) -> Result<Done, EditRefused>,
    ) -> Result<Took, EditRefused> {
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|e| e.into_inner());
        // Made on top of what the other machines sharing the knowledge
        // have, when they share it (not waited for while the remote is
        // known to be down: the next pull sends the change).
        if !self.remote_down() {
            self.sync_locked();
        }
        let current = self.knowledge();
        // Files saved by hand and not yet recorded: recorded as the
        // operator's before this change, never under the moderator's name.
        let pending = self.pending();
        let (done, checked) =
            self.checked_write(&current, |validate| write(&current, validate)).inspect_err(|refused| {
                self.log.say(format!("Refused: {author} tried to {trying}: {}", first_line(refused)));
            })?;
        let version = self.record_change(&pending, &done, &author.to_string());
        tracing::info!(author = %author, version = version.as_deref().unwrap_or("-"), "{}", done.summary);
        match &version {
            Some(version) => self.log.say(format!("{author} {} (version {version})", done.summary)),
            None => self.log.say(format!("{author} {}", done.summary)),
        }
        let report = self.use_checked(current, checked, version.clone());
        let shared = self.share();
        Ok(Took { done, version, report, shared })
    }

    /// Runs `write` (a change to the files, given the check a reload would
    /// make); hands back what it returned and the knowledge the last check
    /// built, with the copy it was built from.
    pub(super) fn checked_write<T>(
        &self,
        current: &KnowledgeBase,
        write: impl FnOnce(&dyn Fn(&std::path::Path) -> Result<(), knowledge::LoadErrors>) -> Result<T, EditRefused>,
    ) -> Result<(T, Option<(KnowledgeBase, std::path::PathBuf)>), EditRefused> {
        // The knowledge checked in the copy with the change is the one put
        // into use: the last check is of the text written.
        let checked: Mutex<Option<(KnowledgeBase, std::path::PathBuf)>> = Mutex::default();
        let validate = |scratch: &std::path::Path| {
            let kb = build(scratch, Some(current), self.encoder.as_ref(), &self.config)?;
            *checked.lock().unwrap_or_else(|e| e.into_inner()) = Some((kb, scratch.to_path_buf()));
            Ok(())
        };
        let done = write(&validate)?;
        Ok((done, checked.into_inner().unwrap_or_else(|e| e.into_inner())))
    }

    /// Puts the knowledge a change was checked with into use as `version`.
    pub(super) fn use_checked(
        &self,
        current: Arc<KnowledgeBase>,
        checked: Option<(KnowledgeBase, std::path::PathBuf)>,
        version: Option<String>,
    ) -> Result<crate::reply::ReloadReport, ReloadRefused> {
        match checked {
            Some((mut new, scratch)) => {
                new.moved(&scratch, &self.dir);
                new.version = version.clone();
                let mut report = diff(&current, &new, &self.config);
                report.version = version;
                drop(current);
                self.put_in_use(new, &report);
                Ok(report)
            }
            // Not expected (a change is always checked); load it from the files.
            None => {
                drop(current);
                self.reload_locked(Trigger::Edit)
            }
        }
    }
}

/// What an edit tries to do, in words, for refusals.
fn describe(edit: &Edit) -> String {
    let short = |t: &str| crate::text::shorten(t, 80);
    match edit {
        Edit::AddAlias { entry, text } => format!("add the phrasing \"{}\" to entry \"{}\"", short(text), short(entry)),
        Edit::AddAsked { entry, text } => {
            format!("add the asked question \"{}\" to entry \"{}\"", short(text), short(entry))
        }
        Edit::RemoveAlias { entry, text } => {
            format!("remove the phrasing \"{}\" from entry \"{}\"", short(text), short(entry))
        }
        Edit::SetClaim { claim, status, .. } => format!("set claim {} to {}", short(claim), status.as_str()),
        Edit::SetAnswer { entry, .. } => format!("replace the answer of entry \"{}\"", short(entry)),
        Edit::NewEntry { id, .. } => format!("create entry \"{}\"", short(id)),
        Edit::Translated { lang, edit } => format!("{} (in {})", describe(edit), lang.name()),
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
