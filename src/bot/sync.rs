//! Several machines in step (`[knowledge] remote`): the running bot pulls
//! on start, on every reload asked for and every `pull_interval`, takes
//! the remote's changes only once they pass the same checks as any change,
//! merges them with its own, and sends its own changes out right after
//! making them. A remote that does not answer is retried with backoff and
//! said once per outage; one that cannot be followed is said once.

use super::*;
use crate::history::{HistoryError, Step};
use crate::knowledge::edit;

/// How a pull or push went, for the outage and "said once" bookkeeping.
#[derive(Default)]
pub(super) struct SyncState {
    /// When the remote stopped answering; `None` while it answers.
    down_since: Option<Instant>,
    /// Pulls in a row that failed, for the backoff.
    failures: u32,
    /// The last thing said about a remote that is not followed, so it is
    /// said once and not every interval.
    said: Option<String>,
}

/// What a pull did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    Nothing,
    /// This copy's changes were sent.
    Pushed,
    /// The remote's changes are in use (merged with this copy's when both
    /// had some); the line the moderation log got.
    Took(String),
    /// This copy's changes clashed with the remote's: they are kept under
    /// the named ref and the remote's text is in use.
    TakenBack(String),
    /// The remote is not followed (unreachable, rewritten, or its text
    /// fails the checks): why.
    NotFollowed(String),
}

/// What a pull takes from the remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Taking {
    /// Its changes, this copy having none of its own.
    Theirs,
    /// Its changes merged with this copy's.
    Both,
    /// Its text, in place of this copy's changes, which clashed.
    Back,
}

/// The longest wait between pulls while the remote does not answer.
const MOST_BACKOFF: Duration = Duration::from_secs(15 * 60);

impl Bot {
    /// Pulls from the remote and brings the knowledge in step, when the
    /// knowledge is shared through one.
    pub fn sync(&self) -> Synced {
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|e| e.into_inner());
        self.sync_locked()
    }

    /// How long until the next pull: the interval, doubled for each failed
    /// pull in a row (up to 15 minutes).
    pub fn next_pull(&self, every: Duration) -> Duration {
        let failures = self.sync_state.lock().unwrap_or_else(|e| e.into_inner()).failures;
        (every * 2u32.saturating_pow(failures.min(8))).min(MOST_BACKOFF.max(every))
    }

    /// [`Bot::sync`] for a caller that holds the reload lock.
    pub(super) fn sync_locked(&self) -> Synced {
        let Some(history) = self.history.as_ref().filter(|h| h.remote().is_some()) else { return Synced::Nothing };
        if !self.pending().is_empty() {
            return self.not_followed(
                "the knowledge files hold saves that are not in use; the remote is followed again once they are reloaded"
                    .to_owned(),
            );
        }
        let tip = match history.fetch() {
            Ok(tip) => {
                self.answered();
                tip
            }
            Err(e) => return self.failed(e),
        };
        let step = match history.step(tip.as_deref()) {
            Ok(step) => step,
            // This copy's changes and the remote's touch the same lines:
            // the remote wins, and this copy's are kept, not lost.
            Err(HistoryError::Conflict(file)) => {
                let (Some(head), Some(tip)) = (history.head(), tip) else { return Synced::Nothing };
                let kept = match history.keep(&head).and_then(|kept| Ok((kept, history.taking(&tip)?))) {
                    Ok((kept, Step::Take { tip, files })) => match self.take(&tip, &files, Taking::Back) {
                        Synced::NotFollowed(why) => return Synced::NotFollowed(why),
                        _ => kept,
                    },
                    Ok(_) => return Synced::Nothing,
                    Err(e) => return self.not_followed(e.to_string()),
                };
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                self.log.say(format!(
                    "Taken back: this machine's changes and the shared knowledge's changed the same lines of {name}; the shared version is in use, and this machine's changes are kept as {kept}"
                ));
                return Synced::TakenBack(kept);
            }
            Err(e) => return self.not_followed(e.to_string()),
        };
        match step {
            Step::Same => Synced::Nothing,
            Step::Push => match history.push() {
                Ok(()) => Synced::Pushed,
                Err(e) => self.failed(e),
            },
            Step::Take { tip, files } => self.take(&tip, &files, Taking::Theirs),
            Step::Merge { tip, files } => self.take(&tip, &files, Taking::Both),
        }
    }

    /// Writes the remote's `files` (checked first, as any change is) and
    /// moves this copy to `tip`, or to a merge of it with this copy's
    /// changes, which is then sent back.
    fn take(&self, tip: &str, files: &[(std::path::PathBuf, Option<String>)], taking: Taking) -> Synced {
        let merge = taking == Taking::Both;
        let Some(history) = &self.history else { return Synced::Nothing };
        let current = self.knowledge();
        let makes: Vec<_> = files.iter().map(|(_, text)| move |_: Option<&str>| Ok(text.clone())).collect();
        let changes: Vec<(std::path::PathBuf, edit::Make<'_>)> =
            files.iter().zip(&makes).map(|((file, _), make)| (file.clone(), make as edit::Make<'_>)).collect();
        let written = self.checked_write(&current, |validate| match changes.is_empty() {
            true => Ok(Vec::new()),
            false => edit::write(&self.dir, &changes, validate),
        });
        let checked = match written {
            Ok((_, checked)) => checked,
            Err(refused) => {
                let serving = current.version.as_deref().unwrap_or("the last good knowledge");
                let tip = crate::text::shorten(tip, 12);
                return self.not_followed(format!(
                    "the shared knowledge's version {tip} is not taken: {}; still serving {serving}",
                    first_line(&refused)
                ));
            }
        };
        let moved = match merge {
            true => history.merged(tip, files),
            false => history.took(tip),
        };
        let version = match moved {
            Ok(version) => version,
            Err(e) => return self.not_followed(e.to_string()),
        };
        let report = self.use_checked(current, checked, Some(version));
        let summary = report.as_ref().map(|r| r.summary()).unwrap_or_else(|e| first_line_of(&e.to_string()));
        let line = match merge {
            true => format!("Merged the shared knowledge's changes with this machine's: {summary}"),
            false => format!("Took the shared knowledge's changes: {summary}"),
        };
        // Taken back is said once, by the caller, with why.
        if taking != Taking::Back {
            self.log.say(line.clone());
        }
        self.sync_state.lock().unwrap_or_else(|e| e.into_inner()).said = None;
        if merge && let Err(e) = history.push() {
            self.failed(e);
        }
        Synced::Took(line)
    }

    /// Whether the remote stopped answering and has not answered since.
    pub(super) fn remote_down(&self) -> bool {
        self.sync_state.lock().unwrap_or_else(|e| e.into_inner()).down_since.is_some()
    }

    /// Sends a change just made to the remote; what needs saying about it
    /// to whoever made it, if anything.
    pub(super) fn share(&self) -> Option<String> {
        let history = self.history.as_ref().filter(|h| h.remote().is_some())?;
        // Down: a moderator is not kept waiting on it; the next pull that
        // reaches the remote sends this change too.
        if self.remote_down() {
            return Some("It is not shared with the other machines yet (the remote does not answer); the next pull that reaches it sends it.".to_owned());
        }
        match history.push() {
            Ok(()) => None,
            // Another machine changed the knowledge meanwhile: merge with
            // it and send again.
            Err(HistoryError::Moved) => match self.sync_locked() {
                Synced::TakenBack(kept) => Some(format!(
                    "But another machine changed the same lines at the same time, so this change was taken back and the shared version is in use; the change is kept as {kept} (ask the operator), and your text is in your message"
                )),
                Synced::NotFollowed(why) => Some(format!("It is not shared with the other machines yet: {why}")),
                _ => None,
            },
            Err(e) => match self.failed(e) {
                Synced::NotFollowed(why) => Some(format!(
                    "It is not shared with the other machines yet ({why}); it is sent with the next pull."
                )),
                _ => None,
            },
        }
    }

    /// The remote answered: an outage, if there was one, is over.
    fn answered(&self) {
        let mut state = self.sync_state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(since) = state.down_since.take() {
            tracing::info!(after = ?since.elapsed(), "the knowledge's remote answers again");
        }
        state.failures = 0;
    }

    /// A pull or push that failed: an unreachable remote is said once per
    /// outage; anything else as [`Bot::not_followed`].
    fn failed(&self, e: HistoryError) -> Synced {
        if !matches!(e, HistoryError::Unreachable { .. }) {
            return self.not_followed(e.to_string());
        }
        let mut state = self.sync_state.lock().unwrap_or_else(|e| e.into_inner());
        state.failures = state.failures.saturating_add(1);
        if state.down_since.is_none() {
            state.down_since = Some(Instant::now());
            tracing::warn!(error = %e, "the knowledge's remote does not answer; serving the last good knowledge and trying again with backoff");
        }
        Synced::NotFollowed(e.to_string())
    }

    /// Says once (in the process log and the moderation log) why the
    /// remote is not followed.
    fn not_followed(&self, why: String) -> Synced {
        let mut state = self.sync_state.lock().unwrap_or_else(|e| e.into_inner());
        if state.said.as_deref() != Some(why.as_str()) {
            tracing::warn!("the knowledge's remote is not followed: {why}");
            self.log.say(format!("Not following the shared knowledge: {why}"));
            state.said = Some(why.clone());
        }
        Synced::NotFollowed(why)
    }
}

fn first_line_of(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}

/// Pulls from the remote every `every` (longer while it does not answer)
/// until dropped.
pub struct Puller(Arc<std::sync::atomic::AtomicBool>);

impl Puller {
    pub fn start(bot: Arc<Bot>, every: Duration) -> Puller {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            loop {
                let until = Instant::now() + bot.next_pull(every);
                while Instant::now() < until {
                    if stopped.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100).min(every));
                }
                bot.sync();
            }
        });
        Puller(stop)
    }
}

impl Drop for Puller {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
