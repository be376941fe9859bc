//! What the Matrix handlers share, and the workers that answer: rooms are
//! hashed to a few lanes, each handling its rooms in order, so a reply
//! that waits (on keys, on a rate limit) never holds up the sync.

use super::*;
use crate::adapters::cooldown::Cooldown;
use crate::adapters::recent::Recent;
use crate::bot::Bot;
use crate::config::MatrixConfig;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::member::StrippedRoomMemberEvent;
use matrix_sdk::ruma::events::room::message::OriginalSyncRoomMessageEvent;
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedRoomId, OwnedUserId};
use matrix_sdk::{Client, Room};
use std::sync::{Arc, Mutex};

/// A "did you mean" list: the entry ids offered, and the question.
pub(super) type Offered = (Vec<String>, String);

/// What the handlers share.
pub(super) struct State {
    pub(super) bot: Arc<Bot>,
    pub(super) cfg: MatrixConfig,
    pub(super) me: OwnedUserId,
    pub(super) started: MilliSecondsSinceUnixEpoch,
    /// (room, asker) → the entries offered and the question.
    pub(super) pending: Mutex<Recent<(OwnedRoomId, OwnedUserId), Offered>>,
    /// Question event → our reply event and who asked (only they may edit
    /// the question into another one).
    pub(super) replies: Mutex<Recent<OwnedEventId, (OwnedEventId, OwnedUserId)>>,
    /// Our answer event → its entry id, for 👍/👎.
    pub(super) answers: Mutex<Recent<OwnedEventId, (String, String)>>,
    /// Events already handled: a sync repeated after a lost connection
    /// never gets an event answered twice.
    pub(super) seen: Mutex<Recent<OwnedEventId, ()>>,
    /// Each user's pace.
    pub(super) cooldown: Cooldown<OwnedUserId>,
    /// Rooms already told that a message could not be decrypted.
    pub(super) told_undecryptable: Mutex<Recent<OwnedRoomId, ()>>,
    /// Where handlers leave messages for the workers that answer them.
    pub(super) lanes: std::sync::OnceLock<Vec<tokio::sync::mpsc::Sender<Job>>>,
    /// The client in use (a new one after a re-login), for the moderation log.
    pub(super) client: Mutex<Option<Client>>,
}

/// A message for a worker to handle.
pub(super) enum Job {
    Message(Box<OriginalSyncRoomMessageEvent>, Room),
    Undecryptable(Box<OriginalSyncRoomEncryptedEvent>, Room),
}

/// Workers that answer, each taking the rooms that hash to it, in order.
/// matrix-sdk runs event handlers inside the sync and the end-to-end
/// requests a reply may wait for (a `/keys/query` for the room's members)
/// go out only between syncs: a reply made inside the handler waited 5 s
/// for a query its own wait held back, and a reply held by a rate limit
/// held every room. Messages of one room stay in order (a question before
/// its edit, a suggestion before the number that picks it).
pub(super) const LANES: usize = 4;
/// Messages waiting per lane; past it a message is dropped with a warning
/// rather than holding up the sync.
pub(super) const LANE_DEPTH: usize = 1_024;

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl State {
    pub(super) fn new(bot: Arc<Bot>, cfg: MatrixConfig, me: OwnedUserId) -> State {
        State {
            cooldown: Cooldown::new(cfg.cooldown_seconds, cfg.cooldown_burst, bot.metrics.clone(), PLATFORM),
            bot,
            cfg,
            me,
            started: MilliSecondsSinceUnixEpoch::now(),
            pending: Mutex::default(),
            replies: Mutex::default(),
            answers: Mutex::default(),
            seen: Mutex::default(),
            told_undecryptable: Mutex::default(),
            lanes: std::sync::OnceLock::new(),
            client: Mutex::default(),
        }
    }

    /// Starts the workers (once: a new client after a re-login reuses them).
    pub(super) fn start_lanes(self: &Arc<Self>) {
        self.lanes.get_or_init(|| {
            (0..LANES)
                .map(|_| {
                    let (tx, mut rx) = tokio::sync::mpsc::channel(LANE_DEPTH);
                    let state = self.clone();
                    tokio::spawn(async move {
                        while let Some(job) = rx.recv().await {
                            let _in_flight = state.bot.begin();
                            match job {
                                Job::Message(ev, room) => {
                                    if let Err(e) = state.on_message(*ev, room).await {
                                        tracing::warn!(error = %format!("{e:#}"), "Matrix message not answered");
                                    }
                                }
                                Job::Undecryptable(ev, room) => state.on_undecryptable(*ev, room).await,
                            }
                        }
                    });
                    tx
                })
                .collect()
        });
    }

    /// Leaves `job` for the worker of its room; never waits.
    pub(super) fn enqueue(&self, job: Job) {
        use std::hash::{Hash, Hasher};
        let Some(lanes) = self.lanes.get() else { return };
        let (Job::Message(_, room) | Job::Undecryptable(_, room)) = &job;
        let room = room.room_id().to_owned();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        room.hash(&mut hasher);
        let lane = &lanes[(hasher.finish() % lanes.len() as u64) as usize];
        match lane.try_send(job) {
            Ok(()) => {}
            Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(room = %room, "too many messages waiting to be answered; one was dropped");
            }
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!(room = %room, "the worker for this room stopped; restart the bot");
            }
        }
    }

    pub(super) fn install(self: Arc<Self>, client: &Client) {
        *lock(&self.client) = Some(client.clone());
        let state = self.clone();
        client.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
            state.enqueue(Job::Message(Box::new(ev), room));
            std::future::ready(())
        });
        let state = self.clone();
        client.add_event_handler(move |ev: OriginalSyncRoomEncryptedEvent, room: Room| {
            state.enqueue(Job::Undecryptable(Box::new(ev), room));
            std::future::ready(())
        });
        let state = self.clone();
        client.add_event_handler(move |ev: OriginalSyncReactionEvent, room: Room| {
            let state = state.clone();
            async move { state.on_reaction(ev, room) }
        });
        let state = self;
        client.add_event_handler(move |ev: StrippedRoomMemberEvent, room: Room| {
            let state = state.clone();
            async move {
                // Joining can wait for the server; the sync loop must not.
                tokio::spawn(async move { state.on_invite(ev, room).await });
            }
        });
    }
}
