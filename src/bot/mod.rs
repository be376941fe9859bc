//! The running bot's shared state: the knowledge in use (swapped atomically,
//! so a question in flight sees the old or the new knowledge, never a mix),
//! the config, and the one reload path every trigger goes through. Where
//! [`crate::answer`] is pure, this holds what changes and what is kept: the
//! knowledge, the records and the metrics. [`crate::serve`] runs it on the
//! chat platforms.

use arc_swap::ArcSwap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::answer::{self, Command, Pick};
use crate::config::Config;
use crate::knowledge::{self, KnowledgeBase};
use crate::matcher::Encoder;
use crate::metrics::Metrics;
use crate::platform::Platform;
use crate::records::store::Store;
use crate::records::{Keys, Origin, Outcome, Taught};
use crate::reply::Reply;

mod change;
mod history;
mod reload;
mod review;
mod settings;
mod sync;
use change::first_line;
pub use change::{Author, LogLines, ModerationLog};
pub use history::HISTORY_SHOWN;
use reload::build;
pub use reload::{HOLD_BACK_MIN, HOLD_BACK_SHARE, ReloadRefused, Trigger, diff, large_drop, validate};
pub use review::REVIEW_PAGE;
pub use settings::Moderators;
pub use sync::{Puller, Synced};

/// Who sent a message, as far as the core cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// Decided by the adapter with its platform's own rules.
    pub is_moderator: bool,
    pub origin: Origin,
    /// Their display name, when the platform gave one: how a change they
    /// make is signed (never their user id).
    pub name: Option<Arc<str>>,
}

/// How many unanswered question groups a moderator is shown at once.
pub const UNANSWERED_SHOWN: usize = 10;

pub struct Bot {
    knowledge: ArcSwap<KnowledgeBase>,
    pub config: Config,
    dir: PathBuf,
    /// The records database; `None` for one-shot commands (`ask`, `topics`)
    /// that keep no records.
    store: Option<Store>,
    /// The key of every hash the records keep (see [`Keys`]).
    keys: Keys,
    /// Why there is no store while the bot runs (a broken records file), for
    /// moderators who ask for records.
    records_off: Option<String>,
    pub metrics: Arc<Metrics>,
    /// Messages being handled right now, so a stop can wait for them.
    in_flight: AtomicUsize,
    /// The sentence-embedding model; `None` matches by words alone.
    encoder: Option<Arc<dyn Encoder>>,
    /// Held for the whole of a reload, so reloads (watcher, SIGHUP, /reload,
    /// !reload) run one at a time: each reads the files after the one before
    /// it swapped, and none that read older files can finish last and win.
    reloading: Mutex<()>,
    /// Where changes, refusals and reloads are told (see [`ModerationLog`]).
    log: ModerationLog,
    /// Each community's review queue as last shown (group keys in order),
    /// so "accept 2" names the group its moderator saw as 2.
    shown: Mutex<std::collections::HashMap<u64, Vec<String>>>,
    /// The repository the knowledge is kept in (`[knowledge] history`).
    history: Option<crate::history::History>,
    /// How pulling from the knowledge's remote has gone.
    sync_state: Mutex<sync::SyncState>,
    /// Who moderates: re-read from `config_file` on every reload asked for.
    moderators: ArcSwap<Moderators>,
    config_file: Option<PathBuf>,
}

/// Counts one message as in flight until dropped.
pub struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Bot {
    /// Loads the knowledge in `dir` for matching by words alone; fails with
    /// every problem found.
    pub fn load(config: Config, dir: PathBuf) -> Result<Bot, knowledge::LoadErrors> {
        Bot::load_with(config, dir, None)
    }

    /// Loads the knowledge in `dir`, embedding its phrasings with `encoder`
    /// when there is one.
    pub fn load_with(
        config: Config,
        dir: PathBuf,
        encoder: Option<Arc<dyn Encoder>>,
    ) -> Result<Bot, knowledge::LoadErrors> {
        let mut kb = build(&dir, None, encoder.as_ref(), &config)?;
        // Read only: `policybot run` makes the repository (see
        // `crate::history::History::start`) before it loads the bot.
        let history = match config.knowledge.history {
            true => crate::history::History::open(&dir)
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "the knowledge's history is off");
                    None
                })
                .map(|h| h.with_remote(config.knowledge.remote.clone())),
            false => None,
        };
        kb.version = history.as_ref().and_then(|h| h.described());
        let metrics = Arc::new(Metrics::default());
        metrics.set_version(kb.version.as_deref());
        Ok(Bot {
            knowledge: ArcSwap::from_pointee(kb),
            dir,
            store: None,
            keys: Keys::ephemeral(),
            records_off: None,
            metrics,
            in_flight: AtomicUsize::new(0),
            encoder,
            reloading: Mutex::new(()),
            log: ModerationLog::default(),
            shown: Mutex::default(),
            history,
            sync_state: Mutex::default(),
            moderators: ArcSwap::from_pointee(Moderators::of(&config)),
            config_file: None,
            config,
        })
    }

    /// Keeps records (unanswered questions, outcomes, feedback) in `store`,
    /// hashing ids with `keys` (kept beside it).
    pub fn set_store(&mut self, store: Store, keys: Keys) {
        self.store = Some(store);
        self.keys = keys;
    }

    /// Where a message came from: `community` is whose moderators may read
    /// it (a Discord server, a Matrix room), `room` the channel or room.
    pub fn origin(&self, platform: Platform, community: &str, room: &str) -> Origin {
        self.keys.origin(platform, community, room)
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Runs without records, for `reason` (shown to moderators who ask for
    /// them): bookkeeping that fails must not stop the answering.
    pub fn set_records_off(&mut self, reason: String) {
        self.records_off = Some(reason);
    }

    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    /// Marks a message as being handled until the guard is dropped.
    pub fn begin(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(&self.in_flight)
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Commits every record still queued and stops recording.
    pub fn close(&self) {
        if let Some(store) = &self.store {
            store.close();
        }
    }

    /// The moderation log, for adapters that post it to a channel or room.
    pub fn moderation_log(&self) -> &ModerationLog {
        &self.log
    }

    /// The knowledge in use right now; hold it for the length of one reply.
    pub fn knowledge(&self) -> Arc<KnowledgeBase> {
        self.knowledge.load_full()
    }

    /// Handles a command from a user; `prefix` is how commands are typed on
    /// the platform ("/" or "!"), for help and error texts.
    pub fn handle(&self, command: &Command, sender: &Sender, prefix: &str) -> Reply {
        match command {
            Command::Reload if !sender.is_moderator => {
                Reply::error(format!("{prefix}reload is for moderators only; ask a moderator to reload the knowledge"))
            }
            Command::Unanswered if !sender.is_moderator => Reply::error(format!(
                "{prefix}unanswered is for moderators only; the questions people ask stay between them and the moderators"
            )),
            Command::Edit(edit) if !sender.is_moderator => {
                self.refused_non_moderator(edit, sender);
                Reply::error(
                    "changing the knowledge is for moderators only; ask a moderator, or suggest the change to one",
                )
            }
            Command::Edit(edit) => self.change(edit, sender),
            Command::Reload => match self.reload(Trigger::Asked) {
                Ok(report) => Reply::Reloaded(report),
                Err(refused) => {
                    let mut message = refused.to_string();
                    let unrecorded = self.unrecorded();
                    if !unrecorded.is_empty() {
                        message.push_str(&format!("\n{unrecorded}"));
                    }
                    Reply::error(message)
                }
            },
            Command::History(_) | Command::Undo(_) if !sender.is_moderator => {
                Reply::error(format!("{prefix}history and {prefix}undo are for moderators only; ask a moderator"))
            }
            Command::History(entry) => self.list_history(entry.as_deref(), prefix),
            Command::Undo(version) => self.undo(version, sender),
            Command::Unanswered => self.unanswered(sender.origin),
            Command::Review(_) | Command::Accept(..) | Command::Dismiss(_) if !sender.is_moderator => {
                Reply::error(format!(
                    "{prefix}review is for moderators only; the questions people ask stay between them and the moderators"
                ))
            }
            Command::Review(page) => self.review(sender.origin, *page),
            Command::Accept(n, entry) => self.accept(sender, *n, entry.as_deref(), prefix),
            Command::Dismiss(n) => self.dismiss(sender.origin, *n, prefix),
            Command::Privacy => Reply::Privacy {
                kept_days: (self.store.is_some() && self.records_off.is_none())
                    .then_some(self.config.data.retention_days),
            },
            other => {
                let started = Instant::now();
                let reply = answer::handle(&self.knowledge(), other, &self.config.matching, &self.config.reply, prefix);
                if let Command::Ask(question) = other {
                    self.note(sender.origin, question, &reply, started.elapsed());
                }
                reply
            }
        }
    }

    /// Answers a message in a channel where the bot listens without being
    /// asked: only a confident answer is returned (and recorded); chatter
    /// that does not match is neither answered nor kept. `admit` is asked
    /// only when there is an answer (a cooldown that counts only answers);
    /// when it says no, nothing is returned or kept.
    pub fn ask_passive(&self, origin: Origin, question: &str, admit: impl FnOnce() -> bool) -> Option<Reply> {
        let started = Instant::now();
        let reply = answer::ask(&self.knowledge(), question, &self.config.matching, &self.config.reply);
        let took = started.elapsed();
        (matches!(reply, Reply::Answer { .. }) && admit()).then(|| {
            self.note(origin, question, &reply, took);
            reply
        })
    }

    /// Answers with one entry the asker picked; `question` is what they
    /// asked when the pick was from a "did you mean" list for it (kept, with
    /// the entry, for the review queue).
    pub fn picked(&self, origin: Origin, id: &str, question: Option<&str>) -> Reply {
        let kb = self.knowledge();
        let lang = question.map_or_else(Default::default, |q| answer::language(&kb, q, id));
        let reply = answer::answer_entry(&kb, id, &self.config.reply, lang);
        if let Reply::Answer { entry, .. } = &reply {
            self.count(origin, Outcome::Picked, Some(&entry.id), 1.0, None);
            if let (Some(store), Some(question)) = (&self.store, question) {
                store.record_taught(origin, question, Taught::Picked, Some(&entry.id));
            }
        }
        reply
    }

    /// What a number typed after a "did you mean" list does, on every
    /// platform that takes numbers: the picked entry's answer, or "none of
    /// these" noted for the moderators, or (for a number not on the list)
    /// which numbers are. `offered` are the ids listed for `question`; the
    /// flag says whether the list is done with (a number not on it leaves it
    /// open).
    pub fn pick(
        &self,
        origin: Origin,
        number: usize,
        offered: &[String],
        question: &str,
        prefix: &str,
    ) -> (Reply, bool) {
        match Pick::of(number, offered.len()) {
            Pick::Entry(i) => (self.picked(origin, &offered[i], Some(question)), true),
            Pick::Decline => {
                self.declined(origin, question);
                (Pick::declined(prefix), true)
            }
            Pick::Outside => (Pick::outside(offered.len()), false),
        }
    }

    /// Records that the asker turned down every suggestion for `question`.
    pub fn declined(&self, origin: Origin, question: &str) {
        self.count(origin, Outcome::Declined, None, 0.0, None);
        if let Some(store) = &self.store {
            store.record_unanswered(origin, question, true);
        }
    }

    /// Records a helpful / not helpful vote by `voter` on the answer
    /// message `answer` (platform ids, only kept hashed); voting again on
    /// the same answer replaces the earlier vote.
    /// `question`, when the platform still has it, is what the answer
    /// answered: kept with a 👎 for the review queue.
    pub fn feedback(
        &self,
        origin: Origin,
        entry: &str,
        helpful: bool,
        answer: &str,
        voter: &str,
        question: Option<&str>,
    ) {
        if let Some(store) = &self.store {
            let vote = self.keys.vote_key(origin.platform, answer, voter);
            store.record_feedback(origin, entry, helpful, &vote);
            if let (false, Some(question)) = (helpful, question) {
                store.record_taught(origin, question, Taught::Downvoted, Some(entry));
            }
        }
    }

    /// Keeps the outcome of a question, and the question itself when
    /// nothing answered it.
    fn note(&self, origin: Origin, question: &str, reply: &Reply, took: Duration) {
        let Some(outcome) = reply.outcome() else { return };
        let (entry, confidence) = match reply {
            Reply::Answer { entry, confidence, .. } => (Some(entry.id.as_str()), *confidence),
            Reply::Suggest { confidence, .. } | Reply::NoMatch { confidence, .. } => (None, *confidence),
            _ => (None, 0.0),
        };
        self.count(origin, outcome, entry, confidence, Some(took));
        match (&self.store, outcome) {
            (Some(store), Outcome::None) => store.record_unanswered(origin, question, false),
            (Some(store), Outcome::Suggest) => store.record_taught(origin, question, Taught::Offered, None),
            _ => {}
        }
    }

    /// One question's outcome, in the metrics and the records; `took` is the
    /// matching time when there was matching.
    fn count(&self, origin: Origin, outcome: Outcome, entry: Option<&str>, confidence: f64, took: Option<Duration>) {
        self.metrics.answered(origin.platform, outcome, took);
        if let Some(store) = &self.store {
            store.record_answer(origin, outcome, entry, confidence);
        }
    }

    /// The most asked unanswered questions within the retention period, of
    /// the community asked from (the console sees every community's).
    fn unanswered(&self, from: Origin) -> Reply {
        match self.read_records(from, "the unanswered questions", |r, community| r.unanswered(None, community)) {
            Ok(records) => answer::unanswered(&self.knowledge(), &records, UNANSWERED_SHOWN),
            Err(why) => Reply::error(why),
        }
    }

    /// What `read` gets from the records of the community asked from
    /// (every community's for the operator), everything recorded so far
    /// included; or why they cannot be read, `what` naming them.
    fn read_records<T>(
        &self,
        from: Origin,
        what: &str,
        read: impl FnOnce(&crate::records::store::Reader, Option<u64>) -> crate::records::Result<T>,
    ) -> Result<T, String> {
        let Some(store) = &self.store else {
            return Err(match &self.records_off {
                Some(reason) => format!("records are off: {reason}"),
                None => format!("{what} are kept only while the bot runs (policybot run)"),
            });
        };
        store.flush();
        let community = (!from.sees_all()).then_some(from.community);
        store.reader().and_then(|r| read(&r, community)).map_err(|e| {
            tracing::warn!(error = %format!("{e:#}"), "cannot read {what}");
            format!("cannot read {what}: {e:#}")
        })
    }
}
