//! The settings a running bot re-reads from its config file when a reload
//! is asked for (`/reload`, `!reload`, SIGHUP): who moderates. Adding a
//! moderator needs no restart; any other key changed in the file is named
//! in the reload's reply as taking effect after one.

use super::*;

/// Who may use moderator commands, as the config file says now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Moderators {
    /// `[discord] moderator_roles`.
    pub discord_roles: Vec<u64>,
    /// `[matrix] moderators`.
    pub matrix_users: Vec<String>,
    /// `[matrix] moderator_rooms`.
    pub matrix_rooms: Vec<String>,
    /// `[matrix] moderator_power_level`.
    pub matrix_power_level: i64,
}

impl Moderators {
    pub fn of(config: &Config) -> Moderators {
        Moderators {
            discord_roles: config.discord.moderator_roles.clone(),
            matrix_users: config.matrix.moderators.clone(),
            matrix_rooms: config.matrix.moderator_rooms.clone(),
            matrix_power_level: config.matrix.moderator_power_level,
        }
    }
}

/// The keys a reload takes from the config file, as `[section] key`.
const LIVE: [(&str, &str); 4] = [
    ("discord", "moderator_roles"),
    ("matrix", "moderators"),
    ("matrix", "moderator_rooms"),
    ("matrix", "moderator_power_level"),
];

impl Bot {
    /// Who moderates right now.
    pub fn moderators(&self) -> Arc<Moderators> {
        self.moderators.load_full()
    }

    /// Re-reads moderators from `path` on every reload asked for (the
    /// config file this bot was started with).
    pub fn set_config_file(&mut self, path: PathBuf) {
        self.config_file = Some(path);
    }

    /// Reads the config file again: takes its moderators, and says which
    /// other keys changed (they need a restart). What is worth telling
    /// whoever asked for the reload, one line each.
    pub(super) fn reread_settings(&self) -> Vec<String> {
        // No file (the defaults were used, or it was moved away): nothing
        // to re-read, and the moderators stay as they are.
        let Some(path) = self.config_file.as_ref().filter(|p| p.exists()) else { return Vec::new() };
        let config = match Config::load(path, true) {
            Ok(config) => config,
            Err(e) => return vec![format!("{} was not read again, so moderators are unchanged: {e}", path.display())],
        };
        let mut said = Vec::new();
        let now = Moderators::of(&config);
        if *self.moderators() != now {
            tracing::info!(?now, "moderators re-read from the config file");
            said.push(format!("moderators re-read from {}", path.display()));
            self.moderators.store(Arc::new(now));
        }
        let restart = changed_keys(&self.config, &config);
        if !restart.is_empty() {
            said.push(format!(
                "{} changed {} in {}; that takes effect after a restart",
                path.display(),
                restart.join(", "),
                if restart.len() == 1 { "this key" } else { "these keys" }
            ));
        }
        said
    }
}

/// The `[section] key`s whose values differ between two configs, but for
/// the ones a reload takes.
fn changed_keys(old: &Config, new: &Config) -> Vec<String> {
    let (Ok(toml::Value::Table(old)), Ok(toml::Value::Table(new))) =
        (toml::Value::try_from(old), toml::Value::try_from(new))
    else {
        return Vec::new();
    };
    let mut changed = Vec::new();
    let sections: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for section in sections {
        let table =
            |t: &toml::value::Table| t.get(section).and_then(toml::Value::as_table).cloned().unwrap_or_default();
        let (a, b) = (table(&old), table(&new));
        let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for key in keys {
            if LIVE.contains(&(section.as_str(), key.as_str())) || a.get(key) == b.get(key) {
                continue;
            }
            changed.push(format!("[{section}] {key}"));
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_outside_the_moderator_lists_need_a_restart() {
        let old = Config::default();
        let mut new = old.clone();
        new.discord.moderator_roles = vec![7];
        new.matrix.moderators = vec!["@mod:hs".into()];
        assert!(changed_keys(&old, &new).is_empty());
        new.discord.cooldown_seconds += 1;
        new.matrix.prefix = "?".into();
        assert_eq!(changed_keys(&old, &new), ["[discord] cooldown_seconds", "[matrix] prefix"]);
    }
}
