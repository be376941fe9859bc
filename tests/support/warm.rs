//! A warm sentence-vector cache for tests that start the real binary over
//! the shipped knowledge with a data directory of their own. In a fresh
//! one the bot embeds every phrasing, translation and regression question
//! before it answers (about 4 s of a debug build, each start); the cache is
//! keyed by model and text, so a copy of vectors made earlier is exactly
//! what the bot would have written itself, and text it does not hold is
//! still embedded as usual. Not every test file uses every helper.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// `dir`/config.toml: the shipped knowledge, with the data in `dir`/data.
/// Relative paths in a config file are relative to it, so the knowledge is
/// named by its full path. Its files are the project's: the bot keeps no
/// history of them (no commit lands in the project's repository).
pub fn shipped_config(dir: &Path) -> PathBuf {
    let config = dir.join("config.toml");
    let knowledge = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    std::fs::write(
        &config,
        format!(
            "[knowledge]\ndir = \"{}\"\nhistory = false\n[data]\ndir = \"{}\"\n",
            knowledge.display(),
            dir.join("data").display()
        ),
    )
    .unwrap();
    config
}

/// Copies the shipped knowledge's vectors into `data`/vectors. Without the
/// model (a build without it, or not installed) there are none, and the
/// bot matches by words alone as it would anyway.
pub fn vectors_into(data: &Path) {
    static WARM: OnceLock<Option<PathBuf>> = OnceLock::new();
    let Some(warm) = WARM.get_or_init(make) else { return };
    let target = data.join("vectors");
    std::fs::create_dir_all(&target).unwrap();
    for entry in std::fs::read_dir(warm).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, target.join(path.file_name().unwrap())).unwrap();
    }
}

/// `policybot check` over the shipped knowledge embeds what a start does
/// (it runs the regression set and the phrasing checks too), into a data
/// directory under the target's scratch space that later test processes
/// reuse: the cache is append-only and each process adds only what is new.
fn make() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("warm-data");
    std::fs::create_dir_all(&dir).ok()?;
    let config = shipped_config(&dir);
    let status = Command::new(env!("CARGO_BIN_EXE_policybot"))
        .arg("--config")
        .arg(&config)
        .arg("check")
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let vectors = dir.join("data").join("vectors");
    (status.success() && vectors.is_dir()).then_some(vectors)
}
