//! `config.toml`: where the knowledge lives, matching thresholds, reply text
//! and logging. Secrets never live here; adapters read them from the
//! environment. A missing default file means defaults; a file with a mistake
//! is an error with `file:line:column`.

use serde::Deserialize;
use std::path::{Path, PathBuf};

use crate::knowledge::load::line_column;
use crate::matcher::Thresholds;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub knowledge: KnowledgeConfig,
    pub matching: Thresholds,
    pub reply: ReplyConfig,
    pub logging: LoggingConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KnowledgeConfig {
    /// Directory of knowledge files, relative to the working directory.
    pub dir: PathBuf,
}

impl Default for KnowledgeConfig {
    fn default() -> Self {
        KnowledgeConfig { dir: PathBuf::from("knowledge") }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReplyConfig {
    /// Said under every answer.
    pub disclaimer: String,
    /// How many unchecked claims the footer names before "+N more".
    pub footer_claims: usize,
    /// Longest claim text in the footer, in characters, before it is shortened.
    pub footer_claim_chars: usize,
}

impl Default for ReplyConfig {
    fn default() -> Self {
        ReplyConfig {
            disclaimer: "This answer comes from an unreviewed community FAQ and is not legal advice.".to_owned(),
            footer_claims: 3,
            footer_claim_chars: 90,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines on stderr.
    #[default]
    Pretty,
    /// One JSON object per line, for production log collectors.
    Json,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    pub format: LogFormat,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the config file: {source}; pass --config with an existing file")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid { path: PathBuf, line: usize, column: usize, message: String },
}

impl Config {
    /// Reads `path`. When `required` is false (the default path was not given
    /// explicitly) a missing file means the defaults.
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => return Err(ConfigError::Read { path: path.to_path_buf(), source }),
        };
        let config: Config = toml::from_str(&text).map_err(|e| {
            let (line, column) = line_column(&text, e.span().map_or(0, |s| s.start));
            ConfigError::Invalid { path: path.to_path_buf(), line, column, message: e.message().trim().to_owned() }
        })?;
        config.validate().map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message,
        })?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let m = &self.matching;
        for (name, v) in [("answer", m.answer), ("margin", m.margin), ("suggest", m.suggest)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("[matching] {name} = {v} is outside 0..1"));
            }
        }
        if m.suggest > m.answer {
            return Err(format!(
                "[matching] suggest ({}) is above answer ({}); suggestions must need less confidence than answers",
                m.suggest, m.answer
            ));
        }
        if m.min_evidence < 0.0 || !m.min_evidence.is_finite() {
            return Err("[matching] min_evidence must be a number of 0 or more".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_default_file_means_defaults_but_explicit_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        assert!(Config::load(&path, false).is_ok());
        assert!(Config::load(&path, true).unwrap_err().to_string().contains("cannot read"));
    }

    #[test]
    fn unknown_keys_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[matching]\nanswer = 0.6\nanwser = 1\n").unwrap();
        let err = Config::load(&path, true).unwrap_err().to_string();
        assert!(err.contains("config.toml:3:1: unknown field `anwser`"), "{err}");
        std::fs::write(&path, "[matching]\nanswer = 0.2\nsuggest = 0.5\n").unwrap();
        assert!(Config::load(&path, true).unwrap_err().to_string().contains("suggest (0.5) is above answer"));
    }
}
