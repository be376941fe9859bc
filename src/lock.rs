//! One running bot per directory: the lock `policybot run` holds on its
//! data directory (the records and their hash key) and on its Matrix store
//! for as long as it runs. A second process that would open the same one
//! refuses to start, naming the process that has it, instead of two
//! processes writing one store (Matrix's crypto store is not made for two
//! writers) or each seeing only its share of the records.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file's name in a locked directory.
pub const FILE: &str = "policybot.lock";

/// Held while the process uses the directory; released when dropped (or
/// when the process ends, however it ends: the system drops the lock).
#[derive(Debug)]
pub struct DirInUse {
    _file: std::fs::File,
    pub dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the {what} {} is in use by another policybot process{}; give each process its own {what} (see docs/DEPLOY.md, \"Several processes\")",
        dir.display(),
        holder.as_deref().map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Taken { what: &'static str, dir: PathBuf, holder: Option<String> },
    #[error("cannot lock the {what} {}: {why}", dir.display())]
    Io { what: &'static str, dir: PathBuf, why: String },
}

/// Takes `dir` (made when missing) for this process; `what` names it in
/// the error ("data directory", "Matrix store").
pub fn take(dir: &Path, what: &'static str) -> Result<DirInUse, LockError> {
    let io = |e: std::io::Error| LockError::Io { what, dir: dir.to_path_buf(), why: e.to_string() };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(FILE))
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            // The holder writes its pid just after it locks: a moment's wait
            // names it when both started together.
            let mut holder = None;
            for _ in 0..10 {
                let mut text = String::new();
                let _ = file.rewind().and_then(|()| file.read_to_string(&mut text));
                holder = Some(text.trim().to_owned()).filter(|h| !h.is_empty());
                if holder.is_some() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            return Err(LockError::Taken { what, dir: dir.to_path_buf(), holder });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    // Who holds it, for the next process's error.
    file.set_len(0).and_then(|()| file.rewind()).and_then(|()| writeln!(file, "{}", std::process::id())).map_err(io)?;
    Ok(DirInUse { _file: file, dir: dir.to_path_buf() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_naming_the_first_until_it_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = take(dir.path(), "data directory").unwrap();
        let second = take(dir.path(), "data directory").unwrap_err().to_string();
        assert!(second.contains("in use by another policybot process"), "{second}");
        assert!(second.contains(&format!("(pid {})", std::process::id())), "{second}");
        drop(first);
        take(dir.path(), "data directory").unwrap();
    }
}
