//! Reloads the knowledge when its files change. Watches the directory, not
//! the files, because editors save by writing a new file and renaming it
//! over the old one; a short debounce turns one save (several events) into
//! one reload. The reload is the same validated path as /reload: a broken
//! file is refused and the last good knowledge keeps answering.

use anyhow::{Context, Result};
use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use std::sync::Arc;
use std::time::Duration;

use crate::bot::Bot;
use crate::reply::Reply;

/// Quiet time after the last change before reloading: long enough for an
/// editor's write-and-rename, short enough to feel immediate.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Watches until dropped.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher>,
}

/// Starts watching `dir` and reloading `bot` on every change to a `*.toml`
/// file in it (knowledge files and the regression set).
pub fn start(bot: Arc<Bot>, dir: &std::path::Path) -> Result<Watcher> {
    let mut debouncer = new_debouncer(DEBOUNCE, move |events: DebounceEventResult| match events {
        Ok(events) => {
            let relevant = events.iter().any(|e| e.path.extension().is_some_and(|x| x == "toml"));
            if !relevant {
                return;
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
