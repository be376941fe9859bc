//! The writer thread: records committed in batches, held in memory
//! (bounded) and retried with backoff while the database cannot be
//! written, and old records pruned.

use super::*;
use rusqlite::{Connection, params};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The writer: takes records off the channel into a bounded queue and
/// commits them a batch at a time, retrying with backoff while it cannot.
pub(super) fn write_loop(mut conn: Connection, rx: mpsc::Receiver<Op>, retention: Duration) {
    let mut last_prune = Instant::now();
    prune(&conn, retention);
    let mut queue = Pending::default();
    let mut retry = RETRY_FIRST;
    let mut open = true;
    while open {
        // Wait for records when nothing is held, else only until the next try.
        let wait = if queue.is_empty() { PRUNE_EVERY } else { retry };
        match rx.recv_timeout(wait) {
            Ok(op) => queue.push(op),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => open = false,
        }
        while let Ok(op) = rx.try_recv() {
            queue.push(op);
        }
        while !queue.is_empty() {
            match queue.write(&mut conn) {
                Ok(()) => retry = RETRY_FIRST,
                Err(e) => {
                    queue.failed(&e);
                    retry = (retry * 2).min(RETRY_MOST);
                    break;
                }
            }
        }
        if last_prune.elapsed() > PRUNE_EVERY {
            prune(&conn, retention);
            last_prune = Instant::now();
        }
    }
    // Closing: a last bounded effort for what is still held.
    let closing = Instant::now();
    while !queue.is_empty() && closing.elapsed() < CLOSE_TRYING {
        if let Err(e) = queue.write(&mut conn) {
            queue.failed(&e);
            std::thread::sleep(RETRY_FIRST);
        }
    }
    if !queue.is_empty() {
        tracing::error!(
            lost = queue.ops.len(),
            "records could not be written before the stop and are lost; is another process holding the database?"
        );
    }
}

/// Records received but not yet committed, oldest first.
#[derive(Default)]
pub(super) struct Pending {
    pub(super) ops: std::collections::VecDeque<Op>,
    /// Records dropped because the queue was full, since the last report.
    pub(super) dropped: usize,
    /// The last write failed (logged once per outage, not once per retry).
    pub(super) failing: bool,
}

impl Pending {
    pub(super) fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub(super) fn push(&mut self, op: Op) {
        if self.ops.len() >= MAX_PENDING
            && let Some(i) = self.ops.iter().position(|o| !matches!(o, Op::Flush(_)))
        {
            self.ops.remove(i);
            self.dropped += 1;
        }
        self.ops.push_back(op);
    }

    /// Commits the oldest batch; on success it leaves the queue and the
    /// flushes waiting on it are answered.
    pub(super) fn write(&mut self, conn: &mut Connection) -> rusqlite::Result<()> {
        let n = self.ops.len().min(BATCH);
        write_batch(conn, self.ops.range(..n))?;
        for op in self.ops.drain(..n) {
            if let Op::Flush(ack) = op {
                let _ = ack.send(());
            }
        }
        if self.failing {
            self.failing = false;
            tracing::warn!(still_held = self.ops.len(), "the records database takes writes again; held records saved");
        }
        if self.dropped > 0 {
            tracing::error!(
                dropped = self.dropped,
                "records were dropped while the database could not be written (more than {MAX_PENDING} held)"
            );
            self.dropped = 0;
        }
        Ok(())
    }

    pub(super) fn failed(&mut self, e: &rusqlite::Error) {
        if !self.failing {
            self.failing = true;
            tracing::warn!(
                error = %e,
                held = self.ops.len(),
                "records not saved yet; held in memory and retried (replies are not affected)"
            );
        }
    }
}

pub(super) fn write_batch<'a>(conn: &mut Connection, batch: impl Iterator<Item = &'a Op>) -> rusqlite::Result<()> {
    // IMMEDIATE takes the write lock first, so a lock held elsewhere fails
    // the batch before any of it is done rather than part-way.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for op in batch {
        match op {
            Op::Taught { time, origin, text, kind, entry } => {
                let declined = *kind == Taught::Declined;
                // A pick or a decline settles the latest open offer of the
                // same question in the same community, if there is one.
                let settled = match kind {
                    Taught::Picked | Taught::Declined => tx
                        .prepare_cached(
                            "UPDATE unanswered SET kind = ?1, entry = ?2, declined = ?3, time_ms = ?4
                             WHERE id = (SELECT id FROM unanswered WHERE community = ?5 AND text = ?6
                                         AND kind = 'offered' ORDER BY id DESC LIMIT 1)",
                        )?
                        .execute(params![kind.as_str(), entry, declined, time, origin.community as i64, text])?,
                    _ => 0,
                };
                if settled == 0 {
                    tx.prepare_cached(
                        "INSERT INTO unanswered (time_ms, platform, community, room, text, declined, kind, entry)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    )?
                    .execute(params![
                        time,
                        origin.platform.as_str(),
                        origin.community as i64,
                        origin.room as i64,
                        text,
                        declined,
                        kind.as_str(),
                        entry
                    ])?;
                }
            }
            Op::Dismissed { time, community, key, asked } => {
                tx.prepare_cached(
                    "INSERT INTO dismissed (community, key, time_ms, asked) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(community, key) DO UPDATE SET time_ms = excluded.time_ms, asked = excluded.asked",
                )?
                .execute(params![*community as i64, key, time, *asked as i64])?;
            }
            Op::Answer { time, origin, outcome, entry, confidence } => {
                tx.prepare_cached(
                    "INSERT INTO answers (time_ms, platform, community, outcome, entry, confidence)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    time,
                    origin.platform.as_str(),
                    origin.community as i64,
                    outcome.as_str(),
                    entry,
                    confidence
                ])?;
            }
            Op::Feedback { time, origin, entry, helpful, vote } => {
                tx.prepare_cached(
                    "INSERT INTO feedback (time_ms, platform, community, entry, helpful, vote)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(vote) DO UPDATE SET helpful = excluded.helpful, time_ms = excluded.time_ms",
                )?
                .execute(params![
                    time,
                    origin.platform.as_str(),
                    origin.community as i64,
                    entry,
                    helpful,
                    vote
                ])?;
            }
            Op::Flush(_) => {}
        }
    }
    tx.commit()
}

pub(super) fn prune(conn: &Connection, retention: Duration) {
    let cutoff = now_ms() - retention.as_millis() as i64;
    for table in ["unanswered", "answers", "feedback", "dismissed"] {
        match conn.execute(&format!("DELETE FROM {table} WHERE time_ms < ?1"), params![cutoff]) {
            Ok(0) => {}
            Ok(n) => tracing::info!(table, deleted = n, "records past the retention period deleted"),
            Err(e) => tracing::warn!(table, error = %e, "cannot delete old records"),
        }
    }
}
