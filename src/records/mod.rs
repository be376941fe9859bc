//! The records the bot keeps of what people ask: what a record says (where
//! a message came from, what became of it, an unanswered question) here,
//! and where it is kept in [`store`] (one SQLite file). No user ids: a community (Discord server, Matrix room), a room
//! and a vote are kept only as hashes keyed by a secret that never leaves
//! the data directory, so nobody holding the records can find which server
//! or person they name by trying ids, and hashes stay the same across
//! versions of this program (blake3 keyed mode, which is specified).

use std::path::Path;
use std::time::SystemTime;

pub use crate::platform::Platform;

pub mod store;
pub use store::{Reader, Store};

/// Why the records cannot be used: what failed, in words an operator can
/// act on, and the cause underneath (`{:#}` shows both, as does anyhow's
/// chain at the edges).
#[derive(Debug)]
pub enum RecordsError {
    /// A file or directory of the records that cannot be read or written.
    Io { what: String, source: std::io::Error },
    /// The database refused.
    Database { what: String, source: rusqlite::Error },
    /// What is there cannot be used: a damaged key, no key yet, a database
    /// from a newer policybot, no random numbers for a new key.
    Unusable(String),
}

pub type Result<T, E = RecordsError> = std::result::Result<T, E>;

impl std::fmt::Display for RecordsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if f.alternate() {
            return f.write_str(&crate::text::causes(self));
        }
        match self {
            RecordsError::Io { what, .. } | RecordsError::Database { what, .. } | RecordsError::Unusable(what) => {
                f.write_str(what)
            }
        }
    }
}

impl std::error::Error for RecordsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RecordsError::Io { source, .. } => Some(source),
            RecordsError::Database { source, .. } => Some(source),
            RecordsError::Unusable(_) => None,
        }
    }
}

/// Says what was being done when an I/O or database error happened.
pub(crate) trait Doing<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Doing<T> for std::result::Result<T, std::io::Error> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| RecordsError::Io { what: what(), source })
    }
}

impl<T> Doing<T> for std::result::Result<T, rusqlite::Error> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| RecordsError::Database { what: what(), source })
    }
}

/// A kept question (text, never who asked), and what it teaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswered {
    pub time: SystemTime,
    pub platform: String,
    /// A keyed hash of the platform's room or channel id: enough to tell
    /// that two questions came from the same place, not which place.
    pub room: u64,
    pub text: String,
    pub kind: Taught,
    /// The entry picked (for [`Taught::Picked`]) or given (for
    /// [`Taught::Downvoted`]).
    pub entry: Option<String>,
}

/// Why a question's text is kept: what it can teach the knowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Taught {
    /// Nothing answered it.
    Unanswered,
    /// It got a "did you mean" list and nobody has picked from it.
    Offered,
    /// Answered by an entry picked from its "did you mean" list.
    Picked,
    /// Its "did you mean" list was turned down ("none of these").
    Declined,
    /// The answer it got was voted not helpful.
    Downvoted,
}

impl Taught {
    pub const fn as_str(self) -> &'static str {
        match self {
            Taught::Unanswered => "unanswered",
            Taught::Offered => "offered",
            Taught::Picked => "picked",
            Taught::Declined => "declined",
            Taught::Downvoted => "downvoted",
        }
    }

    pub fn parse(text: &str) -> Option<Taught> {
        [Taught::Unanswered, Taught::Offered, Taught::Picked, Taught::Declined, Taught::Downvoted]
            .into_iter()
            .find(|t| t.as_str() == text)
    }

    /// Whether `unanswered` lists it: nothing answered it, or its
    /// suggestions were turned down.
    pub fn unanswered(self) -> bool {
        matches!(self, Taught::Unanswered | Taught::Declined)
    }
}

/// What became of a question, as the records and the metrics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Answered outright.
    Answer,
    /// Offered "did you mean" choices.
    Suggest,
    /// Nothing fitted.
    None,
    /// Answered with the choice the asker picked from the suggestions.
    Picked,
    /// The asker turned every suggestion down.
    Declined,
}

impl Outcome {
    /// The name the records and metrics labels use.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Answer => "answer",
            Outcome::Suggest => "suggest",
            Outcome::None => "none",
            Outcome::Picked => "picked",
            Outcome::Declined => "declined",
        }
    }
}

/// Where a message came from, as far as the records care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub platform: Platform,
    /// Whose moderators may read the question: a Discord server (or all
    /// direct messages), a Matrix room. Keyed hash; 0 for records kept
    /// before communities were (only the operator sees those).
    pub community: u64,
    pub room: u64,
}

impl Origin {
    /// The operator's console: one community of its own.
    pub fn console(keys: &Keys) -> Origin {
        keys.origin(Platform::Console, "console", "console")
    }

    /// Whether a moderator asking from here sees every community's records.
    pub fn sees_all(&self) -> bool {
        self.platform == Platform::Console
    }
}

/// The secret behind every hash in the records: 32 random bytes kept in
/// `<data dir>/hash.key`, owner-only, made on first use and never replaced
/// (a new key would split every count in two).
pub struct Keys([u8; 32]);

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(…)")
    }
}

impl Keys {
    pub const FILE: &'static str = "hash.key";

    /// Reads the key in `dir`, making it when there is none.
    pub fn load_or_create(dir: &Path) -> Result<Keys> {
        let path = dir.join(Keys::FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = decode_hex(text.trim()).ok_or_else(|| {
                    RecordsError::Unusable(format!(
                        "{} is damaged; restore it from a backup: it should hold 64 hexadecimal digits",
                        path.display()
                    ))
                })?;
                Ok(Keys(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).doing(|| format!("cannot create {}", dir.display()))?;
                let keys = Keys::random()?;
                if write_new_private(&path, &crate::secrets::hex(&keys.0))? {
                    tracing::info!(file = %path.display(), "made the key for the records' hashes");
                    return Ok(keys);
                }
                // Another process made it first: its key is the one, or
                // the two would hash the same community differently.
                Keys::load_or_create(dir)
            }
            Err(e) => Err(e).doing(|| format!("cannot read {}", path.display())),
        }
    }

    /// Reads the key in `dir`; an error when there is none (nothing was
    /// recorded with communities yet).
    pub fn load(dir: &Path) -> Result<Keys> {
        let path = dir.join(Keys::FILE);
        if !path.exists() {
            return Err(RecordsError::Unusable(format!(
                "{} does not exist: no records were kept by community yet (the bot makes it when it runs)",
                path.display()
            )));
        }
        Keys::load_or_create(dir)
    }

    /// A key for this process only: hashes that need not outlive it (one-shot
    /// commands, a bot whose records are off).
    pub fn ephemeral() -> Keys {
        // getrandom fails only without an OS random source; then hashes
        // are merely unkeyed, and nothing they hash is kept.
        Keys::random().unwrap_or(Keys([0; 32]))
    }

    fn random() -> Result<Keys> {
        crate::secrets::random_key().map(Keys).map_err(|e| RecordsError::Unusable(format!("{e:#}")))
    }

    /// A keyed hash of `parts`; each is length-prefixed so ("ab", "c") and
    /// ("a", "bc") differ.
    fn hash(&self, parts: &[&str]) -> u64 {
        let mut hasher = blake3::Hasher::new_keyed(&self.0);
        for part in parts {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        let mut out = [0u8; 8];
        hasher.finalize_xof().fill(&mut out);
        // Stored in SQLite INTEGER (i64); 0 is kept for "no community".
        u64::from_le_bytes(out).max(1)
    }

    /// The community hash of a Discord server or Matrix room id.
    pub fn community(&self, platform: Platform, community: &str) -> u64 {
        self.hash(&["community", platform.as_str(), community])
    }

    pub fn origin(&self, platform: Platform, community: &str, room: &str) -> Origin {
        Origin {
            platform,
            community: self.community(platform, community),
            room: self.hash(&["room", platform.as_str(), room]),
        }
    }

    /// The key of one person's vote on one answer: hashed, so the records
    /// never hold the ids themselves, and the same for a repeated vote,
    /// which then replaces the first.
    pub fn vote_key(&self, platform: Platform, answer: &str, voter: &str) -> String {
        format!("{:016x}", self.hash(&["vote", platform.as_str(), answer, voter]))
    }
}

/// The key written as 64 hexadecimal digits, or `None`.
fn decode_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

/// Creates `path` owner-only; fails if it exists (two processes starting at
/// once must not each make a key: the loser reads the winner's).
/// Writes `text` to a new file at `path` readable by its owner only:
/// written aside and linked in whole, so nobody reads it half-written.
/// False when a file was there first (nothing written).
fn write_new_private(path: &Path, text: &str) -> Result<bool> {
    use std::io::Write;
    let cannot = || format!("cannot write {}", path.display());
    // Made readable by its owner only (0600), under a name of its own.
    let mut aside = tempfile::NamedTempFile::new_in(path.parent().unwrap_or(Path::new("."))).doing(cannot)?;
    aside.write_all(text.as_bytes()).and_then(|()| aside.as_file().sync_all()).doing(cannot)?;
    match aside.persist_noclobber(path) {
        Ok(_) => Ok(true),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e.error).doing(cannot),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_keyed_stable_and_distinct() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load_or_create(dir.path()).unwrap();
        let again = Keys::load_or_create(dir.path()).unwrap();
        assert_eq!(keys.origin(Platform::Discord, "1", "2"), again.origin(Platform::Discord, "1", "2"));
        assert_ne!(keys.community(Platform::Discord, "1"), keys.community(Platform::Matrix, "1"));
        assert_ne!(keys.origin(Platform::Discord, "a", "bc").room, keys.origin(Platform::Discord, "a", "b").room);
        assert_ne!(keys.vote_key(Platform::Discord, "5", "6"), keys.vote_key(Platform::Discord, "56", ""));
        let other = tempfile::tempdir().unwrap();
        let elsewhere = Keys::load_or_create(other.path()).unwrap();
        assert_ne!(keys.community(Platform::Discord, "1"), elsewhere.community(Platform::Discord, "1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(Keys::FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn processes_making_the_key_at_once_all_end_up_with_the_one_kept() {
        // Threads stand in for processes: each opens and links files of
        // its own, as a process would. Before the fix each kept its own
        // random key while only one was written.
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let start = std::sync::Barrier::new(8);
            let keys: Vec<Keys> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| {
                            start.wait();
                            Keys::load_or_create(dir.path()).unwrap()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let kept = Keys::load(dir.path()).unwrap();
            for k in &keys {
                assert_eq!(k.community(Platform::Discord, "1"), kept.community(Platform::Discord, "1"));
            }
            let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(left.len(), 1, "nothing left beside the key: {left:?}");
        }
    }

    #[test]
    fn a_damaged_key_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(Keys::FILE), "not hex").unwrap();
        let err = Keys::load_or_create(dir.path()).unwrap_err();
        assert!(format!("{err:#}").contains("is damaged"), "{err:#}");
    }
}
