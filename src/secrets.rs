//! Secrets (tokens, passwords) from the environment: `NAME`, or a file named
//! by `NAME_FILE` (for Docker and systemd credentials). A [`Secret`] never
//! prints its value, so it cannot reach a log by accident.

use anyhow::{Context, Result, bail};

/// A value that must not be shown. `Debug` and `Display` print a placeholder.
#[derive(Clone)]
// Read only by the platform adapters; a build without them keeps it unread.
#[cfg_attr(not(any(feature = "discord", feature = "matrix")), allow(dead_code))]
pub(crate) struct Secret(String);

#[cfg_attr(not(any(feature = "discord", feature = "matrix")), allow(dead_code))]
impl Secret {
    pub(crate) fn new(value: String) -> Secret {
        Secret(value)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("…")
    }
}

/// 32 bytes from the operating system's random source: the records' hash
/// key and a made Matrix store passphrase.
pub(crate) fn random_key() -> Result<[u8; 32]> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no random numbers from the system: {e}"))?;
    Ok(key)
}

/// Lowercase hexadecimal, the form keys are kept in on disk.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads `name` from the environment, or the file named by `name_FILE`.
/// `Ok(None)` when neither is set (or the value is empty); an error when both
/// are set or the file cannot be read, naming the variable, never the value.
pub(crate) fn from_env(name: &str) -> Result<Option<Secret>> {
    let file_var = format!("{name}_FILE");
    let direct = match std::env::var(name) {
        Ok(v) => Some(v).filter(|v| !v.trim().is_empty()),
        Err(std::env::VarError::NotPresent) => None,
        // Ignoring it would start the bot as if no secret were set.
        Err(std::env::VarError::NotUnicode(_)) => bail!("{name} is not valid UTF-8; set it again"),
    };
    let file = std::env::var_os(&file_var).filter(|v| !v.is_empty());
    match (direct, file) {
        (Some(_), Some(_)) => bail!("both {name} and {file_var} are set; unset one of them"),
        (Some(value), None) => Ok(Some(Secret(value.trim().to_owned()))),
        (None, Some(path)) => {
            let value = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {file_var} ({})", std::path::Path::new(&path).display()))?;
            let value = value.trim();
            if value.is_empty() {
                bail!(
                    "{file_var} names an empty file ({}); put the secret in it",
                    std::path::Path::new(&path).display()
                );
            }
            Ok(Some(Secret(value.to_owned())))
        }
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret("hunter2".into());
        assert_eq!(format!("{s:?} {s}"), "Secret(…) …");
        assert_eq!(s.expose(), "hunter2");
    }
}
