//! Reloads the knowledge when its files change. Watches the directory, not
//! the files, because editors save by writing a new file and renaming it
//! over the old one; a short debounce turns one save (several events) into
//! one reload. The reload is the same validated path as /reload: a broken
//! file is refused and the last good knowledge keeps answering. Events that
//! change no file (an editor or `cat` opening one, the reload's own reads)
//! are told apart by the files' metadata, which is read without opening
//! them, so they never cause a reload.

use anyhow::{Context, Result};
use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::bot::Bot;
use crate::reply::Reply;

/// Quiet time after the last change before reloading: long enough for an
/// editor's write-and-rename, short enough to feel immediate.
const DEBOUNCE: Duration = Duration::from_millis(300);

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

/// Watches until dropped.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher>,
}

/// Starts watching `dir` and reloading `bot` on every change to a `*.toml`
/// file in it (knowledge files and the regression set).
pub fn start(bot: Arc<Bot>, dir: &std::path::Path) -> Result<Watcher> {
    let watched = dir.to_path_buf();
    // What the files looked like when the knowledge in use was loaded.
    let last = Mutex::new(Stamp::of(dir));
    let mut debouncer = new_debouncer(DEBOUNCE, move |events: DebounceEventResult| match events {
        Ok(events) => {
            let relevant = events.iter().any(|e| e.path.extension().is_some_and(|x| x == "toml"));
            if !relevant {
                return;
            }
            let now = Stamp::of(&watched);
            {
                let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                if *last == now {
                    tracing::debug!("knowledge files touched but not changed; no reload");
                    return;
                }
                // Taken before the reload reads the files: a save during the
                // reload changes the stamp again and is picked up.
                *last = now;
            }
            match bot.reload() {
                Reply::Reloaded(_) => tracing::info!("reloaded after a change to the knowledge files"),
                // Reload logs the errors; say why it ran.
                _ => tracing::warn!("a change to the knowledge files was refused; the previous knowledge stays in use"),
            }
        }
        Err(e) => tracing::warn!(error = %e, "watching the knowledge files failed; /reload still works"),
    })
    .context("cannot watch the knowledge files")?;
    debouncer
        .watcher()
        .watch(dir, RecursiveMode::NonRecursive)
        .with_context(|| format!("cannot watch {}", dir.display()))?;
    tracing::info!(dir = %dir.display(), "watching the knowledge files for changes");
    Ok(Watcher { _debouncer: debouncer })
}
