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

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[cfg(test)]
use crate::platform::Platform;
use crate::records::{Doing, Origin, Outcome, RecordsError, Result, Taught};

mod reader;
mod writer;
pub use reader::*;
use writer::*;

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
    // 3: what teaches the review queue: a question offered a "did you mean"
    // list (and the entry picked from it), and one whose answer was voted
    // down (and the entry given); groups a moderator dismissed.
    "ALTER TABLE unanswered ADD COLUMN kind TEXT NOT NULL DEFAULT 'unanswered';
     ALTER TABLE unanswered ADD COLUMN entry TEXT;
     UPDATE unanswered SET kind = 'declined' WHERE declined = 1;
     CREATE INDEX unanswered_offered ON unanswered(community, text) WHERE kind = 'offered';
     CREATE TABLE dismissed (
         community INTEGER NOT NULL,
         key TEXT NOT NULL,
         time_ms INTEGER NOT NULL,
         asked INTEGER NOT NULL,
         PRIMARY KEY (community, key)
     );",
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
    Taught { time: i64, origin: Origin, text: String, kind: Taught, entry: Option<String> },
    Dismissed { time: i64, community: u64, key: String, asked: usize },
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

/// "cannot open the records database PATH": what every failure to open one
/// says first.
pub(super) fn cannot_open(path: &Path) -> String {
    format!("cannot open the records database {}", path.display())
}

fn open_rw(path: &Path) -> Result<Connection> {
    let prepare = || -> rusqlite::Result<Connection> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // WAL: readers never block the writer; NORMAL: a kill -9 loses
        // nothing committed (only a power cut may lose the last transactions).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(conn)
    };
    let conn = prepare().doing(|| cannot_open(path))?;
    migrate(&conn, path)?;
    Ok(conn)
}

fn migrate(conn: &Connection, path: &Path) -> Result<()> {
    let version =
        conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).doing(|| cannot_open(path))? as usize;
    if version > MIGRATIONS.len() {
        return Err(RecordsError::Unusable(format!(
            "{}: it was written by a newer policybot (schema {version}, this one knows {}); upgrade policybot",
            cannot_open(path),
            MIGRATIONS.len()
        )));
    }
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(version) {
        let step = || -> rusqlite::Result<()> {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()
        };
        step().doing(|| cannot_open(path))?;
        tracing::info!(version = i + 1, "records database migrated");
    }
    Ok(())
}

impl Store {
    /// Opens (creating and migrating) the database in `dir` and starts the
    /// writer. Records older than `retention` are deleted.
    pub fn open(dir: &Path, retention: Duration) -> Result<Store> {
        std::fs::create_dir_all(dir)
            .doing(|| format!("cannot create the data directory {}; check [data] dir", dir.display()))?;
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
        conn.busy_timeout(Duration::from_secs(1)).doing(|| cannot_open(&path))?;
        let (tx, rx) = mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("records-writer".into())
            .spawn(move || write_loop(conn, rx, retention))
            .doing(|| "cannot start the records writer".to_owned())?;
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
        self.record_taught(origin, text, if declined { Taught::Declined } else { Taught::Unanswered }, None);
    }

    /// Keeps a question's text for what it teaches. A pick from, or a "none
    /// of these" on, a "did you mean" list turns the latest offer of the
    /// same text into a pick or a decline, so one asker counts once.
    pub fn record_taught(&self, origin: Origin, text: &str, kind: Taught, entry: Option<&str>) {
        let text = crate::text::shorten(text, 500);
        if !text.is_empty() {
            self.send(Op::Taught { time: now_ms(), origin, text, kind, entry: entry.map(str::to_owned) });
        }
    }

    /// A review group a moderator of `community` dismissed when `asked`
    /// people had asked it: hidden until more ask.
    pub fn record_dismissed(&self, community: u64, key: &str, asked: usize) {
        self.send(Op::Dismissed { time: now_ms(), community, key: key.to_owned(), asked });
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

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;

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
