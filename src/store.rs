//! The bot's own records in one SQLite file (`<data dir>/policybot.db`):
//! unanswered questions, answer outcomes and feedback. One file to back up.
//!
//! Writes go through a channel to one writer thread that commits them in
//! batches, so a slow disk never delays a reply; WAL mode lets `policybot
//! unanswered` / `stats` read while the bot runs. A batch that cannot be
//! written (the database locked by another process, a full disk) stays in
//! memory, bounded, and is retried with backoff until it is written. The schema is versioned
//! (`PRAGMA user_version`) and migrated forward on open. Records older than
//! the retention period are deleted by the writer (at start and hourly).

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OpenFlags, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[cfg(test)]
use crate::platform::Platform;
use crate::records::{Origin, Outcome, Unanswered};

pub const FILE: &str = "policybot.db";

/// Each migration takes the schema from version i to i + 1.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE unanswered (
         id INTEGER PRIMARY KEY,
         time_ms INTEGER NOT NULL,
         platform TEXT NOT NULL,
         room INTEGER NOT NULL,
         text TEXT NOT NULL,
         declined INTEGER NOT NULL DEFAULT 0
     );
     CREATE INDEX unanswered_time ON unanswered(time_ms);
     CREATE TABLE answers (
         id INTEGER PRIMARY KEY,
         time_ms INTEGER NOT NULL,
         platform TEXT NOT NULL,
         outcome TEXT NOT NULL,
         entry TEXT,
         confidence REAL NOT NULL
     );
     CREATE INDEX answers_time ON answers(time_ms);
     CREATE TABLE feedback (
         id INTEGER PRIMARY KEY,
         time_ms INTEGER NOT NULL,
         platform TEXT NOT NULL,
         entry TEXT NOT NULL,
         helpful INTEGER NOT NULL,
         vote TEXT NOT NULL UNIQUE
     );
     CREATE INDEX feedback_time ON feedback(time_ms);",
    // 2: every record names its community (keyed hash), so a moderator sees
    // only their own; records from before stay with community 0, which only
    // the operator sees.
    "ALTER TABLE unanswered ADD COLUMN community INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE answers ADD COLUMN community INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE feedback ADD COLUMN community INTEGER NOT NULL DEFAULT 0;
     CREATE INDEX unanswered_community ON unanswered(community, time_ms);
     CREATE INDEX answers_community ON answers(community, time_ms);",
];

/// Most operations committed in one transaction.
const BATCH: usize = 512;
/// Most records kept in memory while the database cannot be written; past
/// this the oldest are dropped (and counted in the log). At ~200 bytes a
/// record, 8 MB.
const MAX_PENDING: usize = 40_000;
/// Waits between attempts to write while the database is locked or full.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MOST: Duration = Duration::from_secs(5);
/// How long closing keeps trying to write what is still held, so a stop is
/// not held up for long by a database that stays locked.
const CLOSE_TRYING: Duration = Duration::from_secs(4);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

enum Op {
    Unanswered { time: i64, origin: Origin, text: String, declined: bool },
    Answer { time: i64, origin: Origin, outcome: Outcome, entry: Option<String>, confidence: f64 },
    Feedback { time: i64, origin: Origin, entry: String, helpful: bool, vote: String },
    Flush(mpsc::Sender<()>),
}

/// The writing side, owned by the running bot.
pub struct Store {
    path: PathBuf,
    tx: Mutex<Option<mpsc::Sender<Op>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

fn now_ms() -> i64 {
    millis(SystemTime::now())
}

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn open_rw(path: &Path) -> Result<Connection> {
    let prepare = || -> Result<Connection> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // WAL: readers never block the writer; NORMAL: a kill -9 loses
        // nothing committed (only a power cut may lose the last transactions).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        migrate(&conn)?;
        Ok(conn)
    };
    prepare().with_context(|| format!("cannot open the records database {}", path.display()))
}

fn migrate(conn: &Connection) -> Result<()> {
    let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    if version > MIGRATIONS.len() {
        bail!(
            "it was written by a newer policybot (schema {version}, this one knows {}); upgrade policybot",
            MIGRATIONS.len()
        );
    }
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "records database migrated");
    }
    Ok(())
}

impl Store {
    /// Opens (creating and migrating) the database in `dir` and starts the
    /// writer. Records older than `retention` are deleted.
    pub fn open(dir: &Path, retention: Duration) -> Result<Store> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}; check [data] dir", dir.display()))?;
        let path = dir.join(FILE);
        // SQLite takes an empty file for a new database without a word; an
        // operator whose records vanished should hear about it.
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == 0) {
            tracing::warn!(
                file = %path.display(),
                "the records database is an empty file (truncated?); starting new records in it"
            );
        }
        let conn = open_rw(&path)?;
        // The writer retries on its own (see write_loop); a short wait per
        // try keeps it taking new records and lets a stop finish quickly.
        conn.busy_timeout(Duration::from_secs(1))?;
        let (tx, rx) = mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("records-writer".into())
            .spawn(move || write_loop(conn, rx, retention))
            .context("cannot start the records writer")?;
        Ok(Store { path, tx: Mutex::new(Some(tx)), writer: Mutex::new(Some(writer)) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn send(&self, op: Op) {
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = tx.as_ref() {
            // Only fails when the writer has stopped; a lost record must
            // never cost a reply.
            let _ = tx.send(op);
        }
    }

    pub fn record_unanswered(&self, origin: Origin, text: &str, declined: bool) {
        let text = crate::text::shorten(text, 500);
        if !text.is_empty() {
            self.send(Op::Unanswered { time: now_ms(), origin, text, declined });
        }
    }

    pub fn record_answer(&self, origin: Origin, outcome: Outcome, entry: Option<&str>, confidence: f64) {
        self.send(Op::Answer { time: now_ms(), origin, outcome, entry: entry.map(str::to_owned), confidence });
    }

    /// One vote per `vote` key: voting again on the same answer replaces it.
    pub fn record_feedback(&self, origin: Origin, entry: &str, helpful: bool, vote: &str) {
        self.send(Op::Feedback { time: now_ms(), origin, entry: entry.to_owned(), helpful, vote: vote.to_owned() });
    }

    /// Waits until everything sent so far is committed.
    pub fn flush(&self) {
        let (done_tx, done_rx) = mpsc::channel();
        self.send(Op::Flush(done_tx));
        let _ = done_rx.recv_timeout(Duration::from_secs(10));
    }

    /// Stops the writer after it has committed everything sent. Also done
    /// on drop.
    pub fn close(&self) {
        drop(self.tx.lock().unwrap_or_else(|e| e.into_inner()).take());
        if let Some(writer) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = writer.join();
        }
    }

    /// A reading connection to the same database.
    pub fn reader(&self) -> Result<Reader> {
        Reader::open_file(&self.path)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.close();
    }
}

/// The writer: takes records off the channel into a bounded queue and
/// commits them a batch at a time, retrying with backoff while it cannot.
fn write_loop(mut conn: Connection, rx: mpsc::Receiver<Op>, retention: Duration) {
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
struct Pending {
    ops: std::collections::VecDeque<Op>,
    /// Records dropped because the queue was full, since the last report.
    dropped: usize,
    /// The last write failed (logged once per outage, not once per retry).
    failing: bool,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    fn push(&mut self, op: Op) {
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
    fn write(&mut self, conn: &mut Connection) -> rusqlite::Result<()> {
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

    fn failed(&mut self, e: &rusqlite::Error) {
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

fn write_batch<'a>(conn: &mut Connection, batch: impl Iterator<Item = &'a Op>) -> rusqlite::Result<()> {
    // IMMEDIATE takes the write lock first, so a lock held elsewhere fails
    // the batch before any of it is done rather than part-way.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for op in batch {
        match op {
            Op::Unanswered { time, origin, text, declined } => {
                tx.prepare_cached(
                    "INSERT INTO unanswered (time_ms, platform, community, room, text, declined)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    time,
                    origin.platform.as_str(),
                    origin.community as i64,
                    origin.room as i64,
                    text,
                    declined
                ])?;
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

fn prune(conn: &Connection, retention: Duration) {
    let cutoff = now_ms() - retention.as_millis() as i64;
    for table in ["unanswered", "answers", "feedback"] {
        match conn.execute(&format!("DELETE FROM {table} WHERE time_ms < ?1"), params![cutoff]) {
            Ok(0) => {}
            Ok(n) => tracing::info!(table, deleted = n, "records past the retention period deleted"),
            Err(e) => tracing::warn!(table, error = %e, "cannot delete old records"),
        }
    }
}

/// Answer counts and feedback, for `policybot stats` (its `--json` is this).
#[derive(Debug, Default, serde::Serialize)]
pub struct Stats {
    /// Questions by platform and outcome, most first.
    pub outcomes: Vec<OutcomeCount>,
    /// Entries by times answered, most first, with their votes.
    pub entries: Vec<EntryCount>,
    pub unanswered: u64,
    /// Of the unanswered, how many turned down suggestions.
    pub declined: u64,
}

#[derive(Debug, serde::Serialize)]
pub struct OutcomeCount {
    pub platform: String,
    /// answer, suggest, none, picked or declined.
    pub outcome: String,
    pub count: u64,
}

#[derive(Debug, serde::Serialize)]
pub struct EntryCount {
    pub entry: String,
    pub answered: u64,
    pub helpful: u64,
    pub not_helpful: u64,
}

/// A reading connection (the CLI's, or the bot's for /unanswered).
pub struct Reader {
    conn: Connection,
    path: PathBuf,
}

impl Reader {
    /// Opens the database in `dir` read-only. A missing database is a clear
    /// error: nothing has been recorded yet.
    pub fn open(dir: &Path) -> Result<Reader> {
        let path = dir.join(FILE);
        if !path.exists() {
            bail!(
                "no records yet: {} does not exist; the bot creates it when it runs (check [data] dir in config.toml)",
                path.display()
            );
        }
        Reader::open_file(&path)
    }

    fn open_file(path: &Path) -> Result<Reader> {
        let open = || -> Result<Connection> {
            let conn =
                Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
            conn.busy_timeout(Duration::from_secs(5))?;
            let version = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
            if version > MIGRATIONS.len() {
                bail!("it was written by a newer policybot (schema {version}); upgrade policybot");
            }
            Ok(conn)
        };
        let conn = open().with_context(|| format!("cannot open the records database {}", path.display()))?;
        Ok(Reader { conn, path: path.to_owned() })
    }

    /// Unanswered questions since `since` (all kept ones when `None`), of
    /// one community (every one when `None`), oldest first.
    pub fn unanswered(&self, since: Option<SystemTime>, community: Option<u64>) -> Result<Vec<Unanswered>> {
        self.unanswered_rows(since, community).with_context(|| self.cannot_read())
    }

    /// Answer counts and feedback since `since`, of one community (every
    /// one when `None`).
    pub fn stats(&self, since: Option<SystemTime>, community: Option<u64>) -> Result<Stats> {
        self.stats_rows(since, community).with_context(|| self.cannot_read())
    }

    fn cannot_read(&self) -> String {
        format!("cannot read the records database {}", self.path.display())
    }

    fn unanswered_rows(&self, since: Option<SystemTime>, community: Option<u64>) -> Result<Vec<Unanswered>> {
        let mut stmt = self.conn.prepare(
            "SELECT time_ms, platform, room, text, declined FROM unanswered
             WHERE time_ms >= ?1 AND (?2 IS NULL OR community = ?2) ORDER BY time_ms, id",
        )?;
        let rows = stmt.query_map(params![since.map_or(0, millis), community.map(|c| c as i64)], |r| {
            let time: i64 = r.get(0)?;
            Ok(Unanswered {
                time: UNIX_EPOCH + Duration::from_millis(time.max(0) as u64),
                platform: r.get(1)?,
                room: r.get::<_, i64>(2)? as u64,
                text: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn stats_rows(&self, since: Option<SystemTime>, community: Option<u64>) -> Result<Stats> {
        let scope = params![since.map_or(0, millis), community.map(|c| c as i64)];
        let mut stats = Stats::default();
        let mut stmt = self.conn.prepare(
            "SELECT platform, outcome, COUNT(*) AS n FROM answers
             WHERE time_ms >= ?1 AND (?2 IS NULL OR community = ?2)
             GROUP BY platform, outcome ORDER BY n DESC, platform, outcome",
        )?;
        stats.outcomes = stmt
            .query_map(scope, |r| {
                Ok(OutcomeCount { platform: r.get(0)?, outcome: r.get(1)?, count: r.get::<_, i64>(2)? as u64 })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = self.conn.prepare(
            "SELECT entry, SUM(answered), SUM(helpful), SUM(unhelpful) FROM (
                 SELECT entry, 1 AS answered, 0 AS helpful, 0 AS unhelpful FROM answers
                     WHERE time_ms >= ?1 AND (?2 IS NULL OR community = ?2)
                     AND outcome = 'answer' AND entry IS NOT NULL
                 UNION ALL
                 SELECT entry, 0, helpful, 1 - helpful FROM feedback
                     WHERE time_ms >= ?1 AND (?2 IS NULL OR community = ?2)
             ) GROUP BY entry ORDER BY SUM(answered) DESC, entry",
        )?;
        stats.entries = stmt
            .query_map(scope, |r| {
                Ok(EntryCount {
                    entry: r.get(0)?,
                    answered: r.get::<_, i64>(1)? as u64,
                    helpful: r.get::<_, i64>(2)? as u64,
                    not_helpful: r.get::<_, i64>(3)? as u64,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let (unanswered, declined): (i64, i64) = self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(declined), 0) FROM unanswered
             WHERE time_ms >= ?1 AND (?2 IS NULL OR community = ?2)",
            scope,
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        stats.unanswered = unanswered as u64;
        stats.declined = declined as u64;
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_reopening_and_retention_deletes_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let keys = crate::records::Keys::ephemeral();
        let origin = keys.origin(Platform::Discord, "guild-1", "channel-1");
        {
            let store = Store::open(dir.path(), Duration::from_secs(3600)).unwrap();
            store.record_unanswered(origin, "what about pizza?", false);
            store.record_unanswered(origin, "   ", false);
            store.record_answer(origin, Outcome::Answer, Some("training"), 0.9);
            store.record_answer(origin, Outcome::None, None, 0.1);
            store.record_feedback(origin, "training", true, "v1");
            store.record_feedback(origin, "training", false, "v1");
            store.record_feedback(origin, "training", true, "v2");
        }
        let store = Store::open(dir.path(), Duration::from_secs(3600)).unwrap();
        let reader = store.reader().unwrap();
        let unanswered = reader.unanswered(None, None).unwrap();
        assert_eq!(unanswered.len(), 1);
        assert_eq!((unanswered[0].text.as_str(), unanswered[0].platform.as_str()), ("what about pizza?", "discord"));
        assert_eq!(unanswered[0].room, origin.room);
        let stats = reader.stats(None, None).unwrap();
        assert_eq!(stats.unanswered, 1);
        let e = &stats.entries[0];
        assert_eq!((e.entry.as_str(), e.answered, e.helpful, e.not_helpful), ("training", 1, 1, 1));
        assert_eq!(stats.outcomes.len(), 2);
        assert!(reader.unanswered(Some(SystemTime::now() + Duration::from_secs(60)), None).unwrap().is_empty());
        drop(store);

        // A retention of zero deletes everything at the next open.
        let store = Store::open(dir.path(), Duration::ZERO).unwrap();
        store.flush();
        assert!(store.reader().unwrap().unanswered(None, None).unwrap().is_empty());
    }

    #[test]
    fn each_community_reads_only_its_own_records() {
        let dir = tempfile::tempdir().unwrap();
        let keys = crate::records::Keys::ephemeral();
        let (a, b) = (keys.origin(Platform::Discord, "guild-a", "1"), keys.origin(Platform::Discord, "guild-b", "2"));
        let store = Store::open(dir.path(), Duration::from_secs(3600)).unwrap();
        store.record_unanswered(a, "asked in a", false);
        store.record_answer(a, Outcome::None, None, 0.1);
        store.record_unanswered(b, "asked in b", false);
        store.record_answer(b, Outcome::Answer, Some("x"), 0.9);
        store.record_feedback(b, "x", true, "v");
        store.flush();
        let reader = store.reader().unwrap();
        let texts = |c| reader.unanswered(None, c).unwrap().into_iter().map(|u| u.text).collect::<Vec<_>>();
        assert_eq!(texts(Some(a.community)), ["asked in a"]);
        assert_eq!(texts(Some(b.community)), ["asked in b"]);
        assert_eq!(texts(None), ["asked in a", "asked in b"]);
        let stats = reader.stats(None, Some(a.community)).unwrap();
        assert_eq!((stats.unanswered, stats.entries.len()), (1, 0));
        let stats = reader.stats(None, Some(b.community)).unwrap();
        assert_eq!((stats.unanswered, stats.entries[0].helpful), (1, 1));
    }

    #[test]
    fn records_from_the_first_schema_are_kept_and_seen_by_the_operator_only() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(FILE)).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO unanswered (time_ms, platform, room, text) VALUES (?1, 'discord', 7, 'old question')",
                params![now_ms()],
            )
            .unwrap();
        }
        let store = Store::open(dir.path(), Duration::from_secs(3600)).unwrap();
        let reader = store.reader().unwrap();
        assert_eq!(reader.unanswered(None, None).unwrap()[0].text, "old question");
        let someone = crate::records::Keys::ephemeral().origin(Platform::Discord, "guild", "1");
        assert!(reader.unanswered(None, Some(someone.community)).unwrap().is_empty());
    }

    #[test]
    fn a_newer_schema_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path(), Duration::from_secs(60)).unwrap());
        let conn = Connection::open(dir.path().join(FILE)).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(dir.path(), Duration::from_secs(60)).err().unwrap();
        assert!(format!("{err:#}").contains("newer policybot"), "{err:#}");
        assert!(format!("{:#}", Reader::open(dir.path()).err().unwrap()).contains("newer policybot"));
        let empty = tempfile::tempdir().unwrap();
        assert!(Reader::open(empty.path()).err().unwrap().to_string().contains("no records yet"));
    }
}
