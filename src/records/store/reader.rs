//! Reading the records: a read-only connection (also while the bot runs,
//! through WAL), the unanswered questions of every community or one, and
//! the counts `stats` shows.

use super::*;
use crate::records::{Doing, RecordsError, Result, Unanswered};
use rusqlite::{Connection, OpenFlags, params};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
}

impl Reader {
    /// Opens the database in `dir` read-only. A missing database is a clear
    /// error: nothing has been recorded yet.
    pub fn open(dir: &Path) -> Result<Reader> {
        let path = dir.join(FILE);
        if !path.exists() {
            return Err(RecordsError::Unusable(format!(
                "no records yet: {} does not exist; the bot creates it when it runs (check [data] dir in config.toml)",
                path.display()
            )));
        }
        Reader::open_file(&path)
    }

    pub(super) fn open_file(path: &Path) -> Result<Reader> {
        let open = || -> rusqlite::Result<(Connection, usize)> {
            let conn =
                Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
            conn.busy_timeout(Duration::from_secs(5))?;
            let version = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
            Ok((conn, version))
        };
        let (conn, version) = open().doing(|| cannot_open(path))?;
        if version > MIGRATIONS.len() {
            return Err(RecordsError::Unusable(format!(
                "{}: it was written by a newer policybot (schema {version}); upgrade policybot",
                cannot_open(path)
            )));
        }
        Ok(Reader { conn, path: path.to_owned() })
    }

    /// Unanswered questions since `since` (all kept ones when `None`), of
    /// one community (every one when `None`), oldest first.
    /// Questions nothing answered, or whose suggestions were turned down.
    pub fn unanswered(&self, since: Option<SystemTime>, community: Option<u64>) -> Result<Vec<Unanswered>> {
        let rows = self.unanswered_rows(since, community).doing(|| self.cannot_read())?;
        Ok(rows.into_iter().filter(|r| r.kind.unanswered()).collect())
    }

    /// Every kept question, whatever it teaches: what the review queue
    /// groups.
    pub fn teaching(&self, since: Option<SystemTime>, community: Option<u64>) -> Result<Vec<Unanswered>> {
        self.unanswered_rows(since, community).doing(|| self.cannot_read())
    }

    /// Review groups dismissed in `community` (every community's for
    /// `None`): key → how many had asked when it was dismissed.
    pub fn dismissed(&self, community: Option<u64>) -> Result<std::collections::HashMap<String, usize>> {
        let read = || -> rusqlite::Result<std::collections::HashMap<String, usize>> {
            let mut stmt =
                self.conn.prepare("SELECT key, asked FROM dismissed WHERE (?1 IS NULL OR community = ?1)")?;
            let rows = stmt.query_map(params![community.map(|c| c as i64)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as usize))
            })?;
            rows.collect()
        };
        read().doing(|| self.cannot_read())
    }

    /// Answer counts and feedback since `since`, of one community (every
    /// one when `None`).
    pub fn stats(&self, since: Option<SystemTime>, community: Option<u64>) -> Result<Stats> {
        self.stats_rows(since, community).doing(|| self.cannot_read())
    }

    pub(super) fn cannot_read(&self) -> String {
        format!("cannot read the records database {}", self.path.display())
    }

    pub(super) fn unanswered_rows(
        &self,
        since: Option<SystemTime>,
        community: Option<u64>,
    ) -> rusqlite::Result<Vec<Unanswered>> {
        let mut stmt = self.conn.prepare(
            "SELECT time_ms, platform, room, text, kind, entry FROM unanswered
             WHERE time_ms >= ?1 AND (?2 IS NULL OR community = ?2) ORDER BY time_ms, id",
        )?;
        let rows = stmt.query_map(params![since.map_or(0, millis), community.map(|c| c as i64)], |r| {
            let time: i64 = r.get(0)?;
            Ok(Unanswered {
                time: UNIX_EPOCH + Duration::from_millis(time.max(0) as u64),
                platform: r.get(1)?,
                room: r.get::<_, i64>(2)? as u64,
                text: r.get(3)?,
                kind: Taught::parse(&r.get::<_, String>(4)?).unwrap_or(Taught::Unanswered),
                entry: r.get(5)?,
            })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
    }

    pub(super) fn stats_rows(&self, since: Option<SystemTime>, community: Option<u64>) -> rusqlite::Result<Stats> {
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
             WHERE time_ms >= ?1 AND (?2 IS NULL OR community = ?2) AND kind IN ('unanswered', 'declined')",
            scope,
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        stats.unanswered = unanswered as u64;
        stats.declined = declined as u64;
        Ok(stats)
    }
}
