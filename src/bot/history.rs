//! The knowledge's history as the running bot keeps it: each change that
//! takes effect recorded with who made it (a moderator's change, or files
//! saved on the host and reloaded, as the operator's), the version put on
//! the knowledge in use, and the moderators' `history` and `undo`.

use super::change::Done;
use super::*;
use crate::history::{Change, History, OPERATOR};
use crate::knowledge::edit::{self, EditRefused};
use crate::reply::ReloadReport;

/// How many changes `history` lists.
pub const HISTORY_SHOWN: usize = 10;

impl Bot {
    /// The repository the knowledge is kept in, when it is kept in one.
    pub fn history(&self) -> Option<&History> {
        self.history.as_ref()
    }

    /// The knowledge files saved by hand and not yet recorded.
    pub(super) fn pending(&self) -> Vec<std::path::PathBuf> {
        let Some(history) = &self.history else { return Vec::new() };
        history.pending().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot tell which knowledge files changed since the last recorded change");
            Vec::new()
        })
    }

    /// Records `done` as `author`'s change, after `pending` (files that
    /// held saves nobody had recorded before it) as the operator's; the
    /// version the knowledge is now, or `None` without a history.
    pub(super) fn record_change(&self, pending: &[std::path::PathBuf], done: &Done, author: &str) -> Option<String> {
        let history = self.history.as_ref()?;
        let result = history.record(pending, &done.written, author, &done.summary, &done.entries);
        self.recorded(history, result)
    }

    /// Records files saved on the host that a reload (`why`: "after a file
    /// save", "on request") put into use, as the operator's change; the
    /// version the knowledge is now.
    pub(super) fn record_reload(&self, why: &str, report: &ReloadReport) -> Option<String> {
        let history = self.history.as_ref()?;
        let pending = self.pending();
        if pending.is_empty() {
            return history.version();
        }
        let files: Vec<_> = pending.into_iter().map(|f| (f, None)).collect();
        let entries: Vec<String> = report.added.iter().chain(&report.changed).chain(&report.removed).cloned().collect();
        let what = format!("Reloaded {why}: {}", report.summary());
        let result = history.commit(&files, OPERATOR, &what, &entries);
        self.recorded(history, result)
    }

    /// The version a commit made, or (when git failed) what the files
    /// are, with the failure told to the log.
    fn recorded(
        &self,
        history: &History,
        result: Result<Option<String>, crate::history::HistoryError>,
    ) -> Option<String> {
        match result {
            Ok(Some(version)) => Some(version),
            Ok(None) => history.version(),
            Err(e) => {
                tracing::warn!(error = %e, "the change is in use but not recorded in the knowledge's history");
                self.log.say(format!("The last change is in use but not recorded in the history: {e}"));
                history.described()
            }
        }
    }

    /// A note for a refused reload: which files hold saves that are
    /// neither in use nor recorded. Empty when there are none.
    pub(super) fn unrecorded(&self) -> String {
        let names: Vec<String> =
            self.pending().iter().filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
        match names.as_slice() {
            [] => String::new(),
            names => {
                format!("The files hold changes that are not in use and not in the history: {}.", names.join(", "))
            }
        }
    }

    /// The last changes to the knowledge (to `entry`'s answer, with one),
    /// for a moderator.
    pub(super) fn list_history(&self, entry: Option<&str>, prefix: &str) -> Reply {
        let Some(history) = &self.history else { return no_history() };
        let changes = match history.log(entry, HISTORY_SHOWN) {
            Ok(changes) => changes,
            Err(e) => return Reply::error(format!("cannot read the knowledge's history: {e}")),
        };
        let mut message = match (entry, changes.is_empty()) {
            (Some(id), true) => format!("No recorded change touches entry \"{}\".", crate::text::shorten(id, 64)),
            (None, true) => "No changes recorded yet.".to_owned(),
            (Some(id), false) => {
                format!("Last changes to entry \"{id}\", newest first (undo one with {prefix}undo VERSION):")
            }
            (None, false) => {
                format!("Last changes to the knowledge, newest first (undo one with {prefix}undo VERSION):")
            }
        };
        for change in &changes {
            message.push_str(&format!("\n{}", line(change)));
        }
        Reply::Notice { message }
    }

    /// Undoes the change `version` for moderator `sender`, through the same
    /// road as any change: checked as a reload would be, recorded as their
    /// change, put into use.
    pub(super) fn undo(&self, version: &str, sender: &Sender) -> Reply {
        let author = Author::of(sender);
        let Some(history) = &self.history else { return no_history() };
        let trying = format!("undo {}", crate::text::shorten(version.trim(), 40));
        let took = self.take_effect(&author, &trying, |_, validate| {
            let reverting = history.reverting(version).map_err(|e| EditRefused::History(e.to_string()))?;
            let makes: Vec<_> = reverting
                .files
                .iter()
                .map(|undo| {
                    move |now: Option<&str>| history.undone(undo, now).map_err(|e| EditRefused::History(e.to_string()))
                })
                .collect();
            let changes: Vec<(std::path::PathBuf, edit::Make<'_>)> = reverting
                .files
                .iter()
                .zip(&makes)
                .map(|(undo, make)| (undo.file.clone(), make as edit::Make<'_>))
                .collect();
            if changes.is_empty() {
                return Err(EditRefused::History(format!("{} changed no knowledge file", reverting.version)));
            }
            let written = edit::write(&self.dir, &changes, validate)?;
            Ok(Done {
                summary: format!("undid {} ({})", reverting.version, crate::text::shorten(&reverting.what, 120)),
                entries: reverting.entries,
                written,
            })
        });
        self.said(&author, took)
    }
}

/// One change as `history` lists it.
fn line(change: &Change) -> String {
    format!("• {} · {} · {}: {}", change.version, change.when, change.who, crate::text::shorten(&change.what, 160))
}

fn no_history() -> Reply {
    Reply::error(
        "the knowledge has no history here: it is kept while `policybot run` runs with [knowledge] history = true",
    )
}
