//! The disk side of a change: the copy of the directory that is checked,
//! the swap that puts the changed file in place (reading back a save that
//! landed in that instant), and the lock processes take turns with.

use super::*;

/// Copies the knowledge files of `dir` into `to`, each file named in
/// `changed` holding its new text instead (or left out: `None`).
pub(super) fn copy_knowledge(dir: &Path, to: &Path, changed: &[(PathBuf, Option<String>)]) -> std::io::Result<()> {
    let new_text = |path: &Path| changed.iter().find(|(c, _)| same_file(path, c)).map(|(_, text)| text);
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "toml") || !path.is_file() {
            continue;
        }
        let Some(name) = path.file_name() else { continue };
        match new_text(&path) {
            Some(Some(text)) => std::fs::write(to.join(name), text)?,
            Some(None) => {}
            None => std::fs::copy(&path, to.join(name)).map(drop)?,
        }
    }
    // Files the change brings back.
    for (path, text) in changed {
        if let (Some(text), Some(name), false) = (text, path.file_name(), path.exists()) {
            std::fs::write(to.join(name), text)?;
        }
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// A file's text; `None` when there is no such file.
pub(super) fn read(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Puts `text` at `path` (`None`: removes it), which held `expected`; a
/// save that landed in the instant of the swap is handed back (see
/// [`swap_in`]).
pub(super) fn put(path: &Path, text: Option<&str>, expected: Option<&str>) -> std::io::Result<Option<String>> {
    match (text, expected) {
        (Some(text), Some(expected)) => swap_in(path, text, expected),
        (Some(text), None) => create(path, text).map(|()| None),
        (None, _) => match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(None),
        },
    }
}

/// Writes a new file whole: aside first, then linked in under its name,
/// which fails rather than replace a file someone made meanwhile.
fn create(path: &Path, text: &str) -> std::io::Result<()> {
    let aside = aside(path);
    let result = std::fs::write(&aside, text)
        .and_then(|()| std::fs::File::open(&aside)?.sync_all())
        .and_then(|()| std::fs::hard_link(&aside, path));
    let _ = std::fs::remove_file(&aside);
    result
}

/// The name a file's new text is written under before it is swapped in.
/// Not .toml: the loader never reads it while it is being written.
fn aside(path: &Path) -> PathBuf {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dir.join(format!(".{name}.edit-{}", std::process::id()))
}

/// Writes `text` to a new file beside `path`, syncs it and swaps it in for
/// `path`: a reader (the bot's watcher, an editor) sees the old file or the
/// new one, never half of one. The file keeps its permissions.
///
/// Where the system can exchange two names atomically (Linux), the file
/// swapped out is read back: if it is not `expected`, someone saved in the
/// instant between the last check and the swap, and their text is returned
/// (the change is then made again to it). Elsewhere it is a plain rename.
pub(super) fn swap_in(path: &Path, text: &str, expected: &str) -> std::io::Result<Option<String>> {
    use std::io::Write;
    let aside = aside(path);
    let result = (|| {
        let mut file = std::fs::File::create(&aside)?;
        file.write_all(text.as_bytes())?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        if exchange(&aside, path)? {
            let swapped_out = std::fs::read_to_string(&aside)?;
            return Ok((swapped_out != expected).then_some(swapped_out));
        }
        std::fs::rename(&aside, path).map(|()| None)
    })();
    let _ = std::fs::remove_file(&aside);
    result
}

/// Swaps the files at `a` and `b` in one step; false where the system or
/// file system cannot (then nothing happened).
#[cfg(target_os = "linux")]
pub(super) fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call;
    // renameat2 only reads them.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    match std::io::Error::last_os_error() {
        e if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)) => Ok(false),
        e => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) fn exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// An exclusive lock on the knowledge directory, held while an edit reads,
/// validates and writes: two processes (the bot and `policybot alias`, or
/// two bots) editing the same directory take turns, so neither writes over
/// the other's change. Released when dropped. An editor saving by hand
/// takes no lock; the re-read before the rename covers that.
pub struct DirLock(std::fs::File);

impl DirLock {
    pub fn take(dir: &Path) -> std::io::Result<DirLock> {
        let file = std::fs::File::open(dir)?;
        file.lock()?;
        Ok(DirLock(file))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}
