//! Reloads the knowledge when its files change. Watches the directory, not
//! the files, because editors save by writing a new file and renaming it
//! over the old one; a short debounce turns one save (several events) into
//! one reload, and a settle time waits until the files stop changing, so a
//! save that pauses mid-file is not loaded as a prefix. The reload is the
//! same validated path as /reload: a broken file is refused and the last
//! good knowledge keeps answering; on top, a save that would drop a large
//! share of the entries is held back (see [`crate::bot::Trigger`]). Events
//! that change no file (an editor or `cat` opening one, the reload's own
//! reads) are told apart by the files' metadata, which is read without
//! opening them, so they never cause a reload. A directory that is deleted
//! and made again (or renamed over) is watched again once it is back.

use anyhow::{Context, Result};
use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, SystemTime};

use crate::bot::{Bot, Trigger};

/// Quiet time after the last change before reloading: long enough for an
/// editor's write-and-rename, short enough to feel immediate.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// How long the files must stay unchanged before they are read. A save is
/// one write for most editors; a slow copy or a script writing a file in
/// pieces is given this long between pieces.
const SETTLE: Duration = Duration::from_millis(600);

/// Longest wait for files that never stop changing; then they are read as
/// they are (the reload still validates them).
const SETTLE_AT_MOST: Duration = Duration::from_secs(15);

/// How often the watcher checks that the directory it watches is still the
/// one at that path. A stat per second costs nothing measurable.
const CHECK_DIR: Duration = Duration::from_secs(1);

/// What the `*.toml` files of a directory look like from outside: name,
/// size, modification time and inode. Taken with `stat`, which opens
/// nothing, so taking it raises no event of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp(Vec<(PathBuf, u64, Option<SystemTime>, u64)>);

impl Stamp {
    pub fn of(dir: &Path) -> Stamp {
        let mut files: Vec<(PathBuf, u64, Option<SystemTime>, u64)> = std::fs::read_dir(dir)
            .map(|read| {
                read.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                    .map(|p| {
                        let meta = std::fs::metadata(&p).ok();
                        let len = meta.as_ref().map_or(0, |m| m.len());
                        let modified = meta.as_ref().and_then(|m| m.modified().ok());
                        #[cfg(unix)]
                        let inode = meta.as_ref().map_or(0, std::os::unix::fs::MetadataExt::ino);
                        #[cfg(not(unix))]
                        let inode = 0;
                        (p, len, modified, inode)
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        Stamp(files)
    }
}

/// Which directory is at `dir` right now: `None` when there is none. A
/// directory deleted and made again, or another renamed over it, is a new
/// one, and the old watch does not see into it.
fn identity(dir: &Path) -> Option<(u64, u64)> {
    let meta = std::fs::metadata(dir).ok().filter(std::fs::Metadata::is_dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let created = meta.created().ok().and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok());
        Some((0, created.map_or(0, |d| d.as_nanos() as u64)))
    }
}

/// Watches until dropped.
pub struct Watcher {
    stop: Arc<AtomicBool>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        // The thread sees this within CHECK_DIR; a reload it is running
        // finishes (it swaps whole or not at all) and nothing else starts.
        self.stop.store(true, Ordering::SeqCst);
    }
}

type Events = Receiver<DebounceEventResult>;

/// Starts watching `dir` and reloading `bot` on every change to a `*.toml`
/// file in it (knowledge files and the regression set).
pub fn start(bot: Arc<Bot>, dir: &Path) -> Result<Watcher> {
    let (tx, events) = std::sync::mpsc::channel();
    let mut debouncer = new_debouncer(DEBOUNCE, tx).context("cannot watch the knowledge files")?;
    debouncer
        .watcher()
        .watch(dir, RecursiveMode::NonRecursive)
        .with_context(|| format!("cannot watch {}", dir.display()))?;
    tracing::info!(dir = %dir.display(), "watching the knowledge files for changes");
    let stop = Arc::new(AtomicBool::new(false));
    let watching = Watching {
        bot,
        dir: dir.to_path_buf(),
        last: Stamp::of(dir),
        identity: identity(dir),
        debouncer,
        stop: stop.clone(),
    };
    std::thread::Builder::new()
        .name("knowledge-watcher".into())
        .spawn(move || watching.run(&events))
        .context("cannot start the knowledge watcher")?;
    Ok(Watcher { stop })
}

struct Watching {
    bot: Arc<Bot>,
    dir: PathBuf,
    /// What the files looked like when the knowledge in use was loaded (or
    /// a reload of them was last tried).
    last: Stamp,
    /// The directory the watch is on.
    identity: Option<(u64, u64)>,
    debouncer: Debouncer<RecommendedWatcher>,
    stop: Arc<AtomicBool>,
}

impl Watching {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn run(mut self, events: &Events) {
        while !self.stopped() {
            match events.recv_timeout(CHECK_DIR) {
                Ok(Ok(events)) => {
                    if events.iter().any(|e| e.path.extension().is_some_and(|x| x == "toml")) {
                        self.changed();
                    }
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "watching the knowledge files failed; /reload still works"),
                Err(RecvTimeoutError::Timeout) => {
                    if self.rewatch() {
                        self.changed();
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// Follows the directory when the one at the path is not the one
    /// watched; true when there is a new one to read.
    fn rewatch(&mut self) -> bool {
        let now = identity(&self.dir);
        if now == self.identity {
            return false;
        }
        let watcher = self.debouncer.watcher();
        // The old watch may already be gone with its directory.
        let _ = watcher.unwatch(&self.dir);
        if now.is_none() {
            tracing::warn!(
                dir = %self.dir.display(),
                "the knowledge directory is gone; still serving the last good knowledge, and watching for it to come back"
            );
            self.identity = None;
            return false;
        }
        match watcher.watch(&self.dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                tracing::warn!(dir = %self.dir.display(), "the knowledge directory is back (or was replaced); watching it again");
                self.identity = now;
                true
            }
            // Tried again next time round.
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), error = %e, "cannot watch the knowledge directory again yet");
                false
            }
        }
    }

    /// The files may have changed: wait until they settle, then reload if
    /// they differ from what was last read.
    fn changed(&mut self) {
        let Some(now) = self.settled() else { return };
        if now == self.last {
            tracing::debug!("knowledge files touched but not changed; no reload");
            return;
        }
        // Taken before the reload reads the files: a save during the reload
        // changes the stamp again and is picked up.
        self.last = now;
        match self.bot.reload(Trigger::Watcher) {
            Ok(_) => tracing::info!("reloaded after a change to the knowledge files"),
            // Reload logs the errors; say why it ran.
            Err(_) => {
                tracing::warn!("a change to the knowledge files was refused; the previous knowledge stays in use")
            }
        }
    }

    /// The files' stamp once it has stayed the same for [`SETTLE`]; `None`
    /// when the watcher is stopped meanwhile.
    fn settled(&self) -> Option<Stamp> {
        let started = std::time::Instant::now();
        let mut stamp = Stamp::of(&self.dir);
        loop {
            std::thread::sleep(SETTLE);
            if self.stopped() {
                return None;
            }
            let again = Stamp::of(&self.dir);
            if again == stamp || started.elapsed() > SETTLE_AT_MOST {
                return Some(again);
            }
            stamp = again;
        }
    }
}
