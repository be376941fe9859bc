//! The real `policybot` binary, with its real serenity client, against a
//! stand-in of Discord's gateway and REST API on 127.0.0.1. Each test starts
//! its own stand-in and bot and asserts on the REST calls Discord would
//! receive. Expected answers come from the library over the same knowledge,
//! never from strings written here.

#![cfg(feature = "discord")]

#[path = "discord/standin.rs"]
mod standin;
#[path = "support/warm.rs"]
mod warm;

use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use policybot::config::Config;
use policybot::knowledge::{KnowledgeBase, Lang};
use policybot::reply::Reply;
use standin::*;

const WAIT: Duration = Duration::from_secs(30);
/// How long to wait for a reply that must not come.
const QUIET: Duration = Duration::from_millis(1500);

struct Harness {
    standin: StandIn,
    child: Child,
    dir: tempfile::TempDir,
    log: PathBuf,
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- bot log ---\n{}", std::fs::read_to_string(&self.log).unwrap_or_default());
        }
    }
}

/// How the bot reaches the stand-in's REST API.
#[derive(Clone, Copy)]
enum Route {
    /// `[discord] api_base`: plain HTTP, serenity's rate limiter off.
    Proxy,
    /// https://discord.com through the stand-in's HTTPS proxy, rate limiter on.
    DiscordCom,
}

fn registered(c: &Call) -> bool {
    c.method == "PUT" && c.path.ends_with("/commands")
}

impl Harness {
    /// Starts the stand-in and the bot over a copy of the shipped knowledge
    /// plus `extra_files`, with `extra_config` appended to `[discord]`.
    async fn start(extra_config: &str, extra_files: &[(&str, String)]) -> Harness {
        Harness::start_until(extra_config, extra_files, registered, Route::Proxy).await
    }

    /// [`Harness::start`], with serenity's rate limiter on: the bot talks to
    /// "https://discord.com" through the stand-in's HTTPS proxy and trusts
    /// its CA.
    async fn start_limited(extra_config: &str) -> Harness {
        Harness::start_until(extra_config, &[], registered, Route::DiscordCom).await
    }

    /// [`Harness::start`], ready when a REST call satisfies `ready`.
    async fn start_until(
        extra_config: &str,
        extra_files: &[(&str, String)],
        ready: fn(&Call) -> bool,
        route: Route,
    ) -> Harness {
        let standin = StandIn::start().await;
        // The operator switched the intent on in the portal, as README says.
        if extra_config.contains("message_content_intent = true") {
            standin.portal_allows(MESSAGE_CONTENT);
        }
        let mut harness = Harness::spawn(standin, extra_config, extra_files, route);
        // Ready when the commands are registered; a bot that exits instead
        // fails the test at once with its log.
        let deadline = std::time::Instant::now() + WAIT;
        while !harness.standin.calls().iter().any(ready) {
            if let Some(status) = harness.child.try_wait().unwrap() {
                panic!("the bot exited with {status}");
            }
            assert!(std::time::Instant::now() < deadline, "the bot did not connect");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        harness
    }

    /// The bot, started against `standin` over a copy of the shipped
    /// knowledge plus `extra_files`; not yet connected.
    fn spawn(standin: StandIn, extra_config: &str, extra_files: &[(&str, String)], route: Route) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let knowledge = dir.path().join("knowledge");
        std::fs::create_dir(&knowledge).unwrap();
        for entry in std::fs::read_dir("knowledge").unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, knowledge.join(path.file_name().unwrap())).unwrap();
        }
        for (name, text) in extra_files {
            std::fs::write(knowledge.join(name), text).unwrap();
        }
        warm::vectors_into(&dir.path().join("data"));
        let (child, log) = Harness::launch(&standin, dir.path(), extra_config, route);
        Harness { standin, child, dir, log }
    }

    /// The bot stopped and started again on the same files and data, with
    /// `extra_config` in place of the first one's; ready when it has
    /// registered its commands again.
    async fn restart(&mut self, extra_config: &str) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let before = self.standin.calls().iter().filter(|c| registered(c)).count();
        (self.child, self.log) = Harness::launch(&self.standin, self.dir.path(), extra_config, Route::Proxy);
        let deadline = std::time::Instant::now() + WAIT;
        while self.standin.calls().iter().filter(|c| registered(c)).count() == before {
            assert!(std::time::Instant::now() < deadline, "the bot did not register again");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Writes the config (the shipped knowledge's copy in `dir`) and starts
    /// the bot. `extra_config` naming `dev_guild` replaces the stand-in's.
    fn launch(standin: &StandIn, dir: &std::path::Path, extra_config: &str, route: Route) -> (Child, PathBuf) {
        let knowledge = dir.join("knowledge");
        // No cooldown unless the test sets one.
        let cooldown = if extra_config.contains("cooldown_seconds") { "" } else { "cooldown_seconds = 0" };
        let dev_guild =
            if extra_config.contains("dev_guild") { String::new() } else { format!("dev_guild = {GUILD_ID}") };
        let roles = if extra_config.contains("moderator_roles") {
            String::new()
        } else {
            format!("moderator_roles = [{MOD_ROLE}]")
        };
        let reach = match route {
            Route::Proxy => format!("api_base = \"{}\"", standin.api_url),
            Route::DiscordCom => {
                let ca = dir.join("standin-ca.pem");
                std::fs::write(&ca, &standin.ca_pem).unwrap();
                format!("ca_file = \"{}\"", ca.display())
            }
        };
        let config = format!(
            "[knowledge]\ndir = \"{}\"\n[data]\ndir = \"{}\"\n[discord]\n{reach}\n{dev_guild}\n{roles}\n{cooldown}\n{extra_config}\n",
            knowledge.display(),
            dir.join("data").display(),
        );
        std::fs::write(dir.join("config.toml"), config).unwrap();
        let log = dir.join("bot.log");
        let child = Command::new(env!("CARGO_BIN_EXE_policybot"))
            .arg("--config")
            .arg(dir.join("config.toml"))
            .arg("run")
            .env("DISCORD_TOKEN", "standin-token")
            .env_remove("DISCORD_TOKEN_FILE")
            .envs(match route {
                Route::DiscordCom => vec![("HTTPS_PROXY", standin.proxy_url.clone())],
                Route::Proxy => vec![],
            })
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .env("RUST_LOG", "policybot=debug,serenity=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        (child, log)
    }

    /// How the bot exited; fails with `hung` if it still runs after [`WAIT`].
    async fn exited(&mut self, hung: &str) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(std::time::Instant::now() < deadline, "{hung}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn knowledge_dir(&self) -> PathBuf {
        self.dir.path().join("knowledge")
    }

    /// The knowledge and config the bot runs with, loaded by the library,
    /// with the same sentence-embedding model the bot matches with.
    fn expected(&self) -> (KnowledgeBase, Config) {
        let mut kb = policybot::knowledge::load_dir(&self.knowledge_dir()).unwrap();
        let config = Config::load(&self.dir.path().join("config.toml"), true).unwrap();
        if let Some(encoder) = policybot::embed::setup(&config.semantic, &config.data.dir) {
            kb.embed(encoder).unwrap();
        }
        (kb, config)
    }

    fn ask_expected(&self, question: &str) -> Reply {
        let (kb, config) = self.expected();
        policybot::answer::ask(&kb, question, &config.matching, &config.reply)
    }

    /// Sends a message and waits for the bot's reply to it.
    async fn say(&self, author: &Value, content: &str, mention: bool, guild: bool) -> (u64, Call) {
        let (id, message) = self.standin.message(author, content, mention, guild);
        self.standin.dispatch("MESSAGE_CREATE", message);
        (id, self.reply_to(id).await)
    }

    /// The reply to `message`, which Discord accepted.
    async fn reply_to(&self, message: u64) -> Call {
        let call = self
            .standin
            .wait_for(&format!("a reply to message {message}"), WAIT, |c| {
                c.method == "POST" && c.body["message_reference"]["message_id"] == json!(message.to_string())
            })
            .await;
        assert_eq!(call.status, 200, "Discord refused the reply: {call:#?}");
        call
    }

    /// Asserts that nothing answers `message` within [`QUIET`].
    async fn assert_no_reply(&self, message: u64) {
        tokio::time::sleep(QUIET).await;
        let replies: Vec<Call> = self
            .standin
            .calls()
            .into_iter()
            .filter(|c| c.body["message_reference"]["message_id"] == json!(message.to_string()))
            .collect();
        assert!(replies.is_empty(), "unexpected reply: {replies:#?}");
    }

    /// Sends an interaction and waits for its callback.
    async fn interact(&self, kind: u8, data: Value, member: Value, message: Option<Value>) -> Call {
        let (id, _, interaction) = self.standin.interaction(kind, data, member, message);
        self.standin.dispatch("INTERACTION_CREATE", interaction);
        let call = self
            .standin
            .wait_for(&format!("the callback of interaction {id}"), WAIT, |c| {
                c.method == "POST" && c.path.starts_with(&format!("/api/v10/interactions/{id}/"))
            })
            .await;
        assert_eq!(call.status, 204, "Discord refused the callback: {call:#?}");
        call
    }
}

fn alice() -> Value {
    user(100, "alice", false)
}

fn slash(name: &str, options: Value) -> Value {
    json!({"id": "1", "name": name, "type": 1, "options": options})
}

fn string_option(name: &str, value: &str) -> Value {
    json!([{"name": name, "type": 3, "value": value}])
}

fn ordinary() -> Value {
    member(alice(), MEMBER_PERMS, &[])
}

/// The one embed of a message body.
fn embed(body: &Value) -> &Value {
    let embeds = body["embeds"].as_array().expect("an embed");
    assert_eq!(embeds.len(), 1, "{body:#}");
    &embeds[0]
}

fn text_of(body: &Value) -> String {
    let e = &body["embeds"][0];
    format!("{} {} {} {}", body["content"], e["title"], e["description"], e["footer"]["text"])
}

/// allowed_mentions that ping nobody.
fn assert_pings_nobody(body: &Value) {
    let m = &body["allowed_mentions"];
    assert_eq!(m["parse"], json!([]), "{body:#}");
    assert_eq!(m["users"], json!([]), "{body:#}");
    assert_eq!(m["roles"], json!([]), "{body:#}");
    assert_eq!(m["replied_user"], json!(false), "{body:#}");
}

fn expected_answer(reply: &Reply) -> (&str, &str) {
    match reply {
        Reply::Answer { entry, .. } => (&entry.id, &entry.question),
        other => panic!("expected an answer, the library says {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_gets_an_answer_embed_with_the_caveat_footer_and_no_pings() {
    let h = Harness::start("", &[]).await;
    let question = "does ms have sanctuary cities? @everyone <@100>";
    let expected = h.ask_expected(question);
    let (id, stored) = expected_answer(&expected);
    let (_, call) = h.say(&alice(), &format!("<@{BOT_ID}> {question}"), true, true).await;
    assert_eq!(call.path, format!("/api/v10/channels/{CHANNEL_ID}/messages"));
    let e = embed(&call.body);
    assert_eq!(e["title"], json!(stored));
    let footer = e["footer"]["text"].as_str().unwrap();
    assert!(footer.contains("Not verified by anyone yet:"), "{footer}");
    assert!(footer.contains(&format!("/claims {id}")), "{footer}");
    assert_pings_nobody(&call.body);
    // The slash commands went to the development guild, moderators' ones
    // behind Manage Server.
    let registered = h.standin.wait_ready().await;
    assert_eq!(registered.path, format!("/api/v10/applications/{APP_ID}/guilds/{GUILD_ID}/commands"));
    let commands = registered.body.as_array().unwrap();
    let names: Vec<&str> = commands.iter().map(|c| c["name"].as_str().unwrap()).collect();
    let order = "ask topics topic claims privacy help reload unanswered review dismiss history undo faq claim accept";
    assert_eq!(names, order.split(' ').collect::<Vec<_>>());
    let moderators = ["reload", "unanswered", "review", "dismiss", "history", "undo", "faq", "claim", "accept"];
    for c in commands.iter().filter(|c| moderators.contains(&c["name"].as_str().unwrap())) {
        assert_eq!(c["default_member_permissions"], json!(MANAGE_GUILD.to_string()));
    }
    // Without passive channels the privileged intent is not asked for.
    let intents = h.standin.identify().unwrap()["intents"].as_u64().unwrap();
    assert_eq!(intents & (1 << 15), 0, "MESSAGE_CONTENT requested: {intents}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_message_gets_an_answer() {
    let h = Harness::start("", &[]).await;
    let question = "what happens if a town refuses to work with ICE?";
    let expected = h.ask_expected(question);
    let (_, stored) = expected_answer(&expected);
    let (_, call) = h.say(&alice(), question, false, false).await;
    assert_eq!(call.path, format!("/api/v10/channels/{DM_CHANNEL_ID}/messages"));
    assert_eq!(embed(&call.body)["title"], json!(stored));
    assert_pings_nobody(&call.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_and_off_topic_messages_get_no_confident_answer() {
    let h = Harness::start("", &[]).await;
    let (kb, _) = h.expected();
    let stored: Vec<&str> = kb.entries.iter().map(|e| e.question.as_str()).collect();
    for junk in [
        "asdfgh qwerty zxcv",
        "what's the best pizza place open late?",
        "🤔🤔🤔",
        "lol",
        "how do I get ice off my windshield",
        &"spam ".repeat(2000),
    ] {
        let (_, call) = h.say(&alice(), &format!("<@{BOT_ID}> {junk}"), true, true).await;
        let e = embed(&call.body);
        assert!(!stored.contains(&e["title"].as_str().unwrap_or("")), "answered {junk:?} with {e:#}");
        assert_pings_nobody(&call.body);
    }
    // An empty mention, and "help" in any spelling a person types, get help
    // rather than a guess at an FAQ entry.
    for help in ["", " help", " Help?", " /help", " !help"] {
        let (_, call) = h.say(&alice(), &format!("<@{BOT_ID}>{help}"), true, true).await;
        assert!(text_of(&call.body).contains("/ask"), "{help:?}: {:#}", call.body);
        assert!(!stored.contains(&embed(&call.body)["title"].as_str().unwrap_or("")), "{help:?}: {:#}", call.body);
    }
    // In a guild without a mention the bot stays out of the conversation.
    let (id, message) = h.standin.message(&alice(), "does ms have sanctuary cities?", false, true);
    h.standin.dispatch("MESSAGE_CREATE", message);
    h.assert_no_reply(id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggestions_render_at_most_three_buttons_and_a_click_answers_the_chosen_entry() {
    let h = Harness::start("", &[]).await;
    let question = "training and trust";
    let Reply::Suggest { suggestions, .. } = h.ask_expected(question) else {
        panic!("the library no longer finds {question:?} ambiguous; pick another ambiguous question")
    };
    let (_, call) = h.say(&alice(), &format!("<@{BOT_ID}> {question}"), true, true).await;
    assert_pings_nobody(&call.body);
    let buttons = call.body["components"][0]["components"].as_array().unwrap().clone();
    let picks: Vec<&Value> = buttons.iter().filter(|b| b["custom_id"].as_str().unwrap().starts_with("pick:")).collect();
    assert!(!picks.is_empty() && picks.len() <= 3, "{buttons:#?}");
    assert_eq!(picks.len(), suggestions.len().min(3));
    assert_eq!(buttons.last().unwrap()["label"], json!("None of these"));
    for b in &buttons {
        assert!(b["label"].as_str().unwrap().chars().count() <= 80);
    }

    // The asker clicks the second suggestion: the message becomes its answer.
    let (kb, _) = h.expected();
    let chosen = &suggestions[1];
    let mut posted = message_json(7777, CHANNEL_ID, &user(BOT_ID, "policybot", true), "");
    posted["embeds"] = call.body["embeds"].clone();
    let click = |custom_id: &Value| json!({"custom_id": custom_id, "component_type": 2});
    let cb =
        h.interact(3, click(&picks[1]["custom_id"]), member(alice(), MEMBER_PERMS, &[]), Some(posted.clone())).await;
    assert_eq!(cb.body["type"], json!(7), "an update of the suggestion message: {:#}", cb.body);
    assert_eq!(cb.body["data"]["embeds"][0]["title"], json!(kb.entry(&chosen.id).unwrap().question));
    // The suggestion buttons give way to the answer's own.
    let ids: Vec<&str> = cb.body["data"]["components"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["custom_id"].as_str().unwrap())
        .collect();
    assert!(ids.iter().all(|id| !id.starts_with("pick:") && !id.starts_with("none:")), "{ids:?}");
    assert_pings_nobody(&cb.body["data"]);

    // Someone else clicking gets the answer privately; the message stays.
    let bob = member(user(200, "bob", false), MEMBER_PERMS, &[]);
    let cb = h.interact(3, click(&picks[0]["custom_id"]), bob.clone(), Some(posted.clone())).await;
    assert_eq!(cb.body["type"], json!(4));
    assert_eq!(cb.body["data"]["flags"], json!(64));
    // ...and cannot turn the asker's suggestions down.
    let none = &buttons.last().unwrap()["custom_id"];
    let cb = h.interact(3, click(none), bob, Some(posted.clone())).await;
    assert_eq!(cb.body["data"]["flags"], json!(64));

    // "None of these" by the asker records the question for moderators.
    let cb = h.interact(3, click(none), ordinary(), Some(posted)).await;
    assert_eq!(cb.body["type"], json!(7));
    let cb = h.interact(2, slash("unanswered", json!([])), ordinary(), None).await;
    assert_eq!(cb.body["data"]["flags"], json!(64));
    assert!(text_of(&cb.body["data"]).contains("moderators only"));
    let moderator = member(user(300, "mod", false), MEMBER_PERMS | MANAGE_GUILD, &[]);
    let (_, token, interaction) = h.standin.interaction(2, slash("unanswered", json!([])), moderator, None);
    h.standin.dispatch("INTERACTION_CREATE", interaction);
    let listing =
        h.standin.wait_for("the unanswered list", WAIT, |c| c.method == "PATCH" && c.path.contains(&token)).await;
    let listing = text_of(&listing.body);
    assert!(listing.contains(question), "{listing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_ask_answers_and_its_autocomplete_offers_at_most_25_relevant_choices() {
    let h = Harness::start("", &[]).await;
    let question = "can cops in mississippi check immigration status at a traffic stop";
    let expected = h.ask_expected(question);
    let (id, stored) = expected_answer(&expected);
    let cb = h.interact(2, slash("ask", string_option("question", question)), ordinary(), None).await;
    assert_eq!(cb.body["type"], json!(4));
    assert_eq!(cb.body["data"]["embeds"][0]["title"], json!(stored));
    assert_pings_nobody(&cb.body["data"]);

    let typing = json!({"id": "1", "name": "ask", "type": 1,
        "options": [{"name": "question", "type": 3, "value": question, "focused": true}]});
    let cb = h.interact(4, typing, ordinary(), None).await;
    assert_eq!(cb.body["type"], json!(8));
    let choices = cb.body["data"]["choices"].as_array().unwrap();
    assert!(!choices.is_empty() && choices.len() <= 25);
    assert_eq!(choices[0]["value"], json!(format!("entry:{id}")), "the best match comes first: {choices:#?}");
    // Nothing typed yet: the stored questions, still at most 25.
    let empty = json!({"id": "1", "name": "ask", "type": 1,
        "options": [{"name": "question", "type": 3, "value": "", "focused": true}]});
    let cb = h.interact(4, empty, ordinary(), None).await;
    let choices = cb.body["data"]["choices"].as_array().unwrap();
    let (kb, _) = h.expected();
    assert_eq!(choices.len(), kb.entries.len().min(25));
    for c in choices {
        assert!(c["name"].as_str().unwrap().chars().count() <= 100);
    }
    // Picking a choice sends its value: the entry is answered directly.
    let cb = h.interact(2, slash("ask", string_option("question", &format!("entry:{id}"))), ordinary(), None).await;
    assert_eq!(cb.body["data"]["embeds"][0]["title"], json!(stored));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_lists_topics_and_an_invalid_topic_gets_an_ephemeral_error() {
    let h = Harness::start("", &[]).await;
    let (kb, _) = h.expected();
    let cb = h.interact(2, slash("topics", json!([])), ordinary(), None).await;
    let listing = text_of(&cb.body["data"]);
    for topic in kb.topics().keys() {
        assert!(listing.contains(topic), "{topic} missing from {listing}");
    }
    let (topic, entries) = kb.topics().into_iter().next().unwrap();
    let cb = h.interact(2, slash("topic", string_option("name", &topic.to_lowercase())), ordinary(), None).await;
    let listing = text_of(&cb.body["data"]);
    for e in entries {
        assert!(listing.contains(&e.question), "{listing}");
    }
    let cb = h.interact(2, slash("topic", string_option("name", "pizza recipes")), ordinary(), None).await;
    assert_eq!(cb.body["data"]["flags"], json!(64), "{:#}", cb.body);
    assert!(cb.body["data"]["content"].as_str().unwrap().contains("there is no topic"));
    let typing = json!({"id": "1", "name": "topic", "type": 1,
        "options": [{"name": "name", "type": 3, "value": "sta", "focused": true}]});
    let cb = h.interact(4, typing, ordinary(), None).await;
    for c in cb.body["data"]["choices"].as_array().unwrap() {
        assert!(kb.find_topic(c["value"].as_str().unwrap()).is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_is_refused_without_permission_and_applied_for_a_moderator() {
    let h = Harness::start("", &[]).await;
    let question = "does ms have sanctuary cities?";
    let expected = h.ask_expected(question);
    let (id, _) = expected_answer(&expected);
    let file = h.knowledge_dir().join("mississippi-ice.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let (kb, _) = h.expected();
    let old_answer = &kb.entry(id).unwrap().answer;
    let first_line = old_answer.lines().next().unwrap();
    assert!(text.contains(first_line));
    // Appended, not replaced: the regression set must still pass.
    std::fs::write(&file, text.replacen(first_line, &format!("{first_line} RELOADMARKER."), 1)).unwrap();

    let cb = h.interact(2, slash("reload", json!([])), ordinary(), None).await;
    assert_eq!(cb.body["data"]["flags"], json!(64));
    assert!(cb.body["data"]["content"].as_str().unwrap().contains("moderators only"));
    let cb = h.interact(2, slash("ask", string_option("question", question)), ordinary(), None).await;
    assert!(!text_of(&cb.body["data"]).contains("RELOADMARKER"), "reloaded without permission");

    // A moderator by role (no Manage Server): deferred, then the report.
    let moderator = member(user(300, "mod", false), MEMBER_PERMS, &[MOD_ROLE]);
    let (iid, token, interaction) = h.standin.interaction(2, slash("reload", json!([])), moderator, None);
    h.standin.dispatch("INTERACTION_CREATE", interaction);
    let defer = h
        .standin
        .wait_for("the deferral", WAIT, |c| c.path.starts_with(&format!("/api/v10/interactions/{iid}/")))
        .await;
    assert_eq!(defer.body["type"], json!(5));
    assert_eq!(defer.body["data"]["flags"], json!(64));
    let report = h
        .standin
        .wait_for("the reload report", WAIT, |c| {
            c.method == "PATCH" && c.path == format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original")
        })
        .await;
    let report = text_of(&report.body);
    assert!(report.contains("1 changed") && report.contains(id), "{report}");
    let cb = h.interact(2, slash("ask", string_option("question", question)), ordinary(), None).await;
    assert!(text_of(&cb.body["data"]).contains("RELOADMARKER"), "{:#}", cb.body);

    // A broken file is refused and the last good knowledge keeps answering.
    std::fs::write(h.knowledge_dir().join("broken.toml"), "title = \"x\"\n[[entries]]\nid = 3\n").unwrap();
    let admin = member(user(301, "admin", false), MEMBER_PERMS | MANAGE_GUILD, &[]);
    let (_, token, interaction) = h.standin.interaction(2, slash("reload", json!([])), admin, None);
    h.standin.dispatch("INTERACTION_CREATE", interaction);
    let report =
        h.standin.wait_for("the refused reload", WAIT, |c| c.method == "PATCH" && c.path.contains(&token)).await;
    let report = text_of(&report.body);
    assert!(report.contains("Reload refused") && report.contains("broken.toml:"), "{report}");
    let cb = h.interact(2, slash("ask", string_option("question", question)), ordinary(), None).await;
    assert!(text_of(&cb.body["data"]).contains("RELOADMARKER"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_from_bots_webhooks_and_itself_are_ignored() {
    let h = Harness::start("", &[]).await;
    let content = format!("<@{BOT_ID}> does ms have sanctuary cities?");
    let (from_bot, message) = h.standin.message(&user(555, "otherbot", true), &content, true, true);
    h.standin.dispatch("MESSAGE_CREATE", message);
    let (from_webhook, mut message) = h.standin.message(&user(556, "hook", false), &content, true, true);
    message["webhook_id"] = json!("557");
    h.standin.dispatch("MESSAGE_CREATE", message);
    let (from_self, message) = h.standin.message(&user(BOT_ID, "policybot", true), &content, true, true);
    h.standin.dispatch("MESSAGE_CREATE", message);
    h.assert_no_reply(from_bot).await;
    h.assert_no_reply(from_webhook).await;
    h.assert_no_reply(from_self).await;
    // The same message from a person is answered: the silence above is not
    // a broken bot.
    h.say(&alice(), &content, true, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_longer_than_discords_limits_is_sent_within_them() {
    let answer = "This answer goes on and on about the state's rules. ".repeat(300);
    let claims: String = (0..60)
        .map(|i| {
            format!(
                "[[entry.claims]]\ntext = \"Claim number {i} says something long: {}\"\nstatus = \"unverified\"\n",
                "word ".repeat(80)
            )
        })
        .collect();
    let file = format!(
        "title = \"Long\"\nsource = \"test\"\n[[entry]]\nid = \"very-long-answer\"\ntopic = \"Long answers\"\nquestion = \"{q}\"\nanswer = \"\"\"{answer}\"\"\"\n{claims}",
        q = "Why is the zebra crossing ordinance so long? ".repeat(10).trim()
    );
    // Name every claim in full, so the footer overflows into fields.
    let h = Harness::start("[reply]\nfooter_claims = 100\nfooter_claim_chars = 1000", &[("long.toml", file)]).await;
    let (_, call) = h.say(&alice(), &format!("<@{BOT_ID}> zebra crossing ordinance"), true, true).await;
    let e = embed(&call.body);
    let n = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    assert!(n(&e["title"]) <= 256 && n(&e["description"]) <= 4096 && n(&e["footer"]["text"]) <= 2048);
    let fields = e["fields"].as_array().map_or(&[][..], |f| f.as_slice());
    assert!(!fields.is_empty() && fields.len() <= 25, "{e:#}");
    let total = n(&e["title"])
        + n(&e["description"])
        + n(&e["footer"]["text"])
        + fields.iter().map(|f| n(&f["name"]) + n(&f["value"])).sum::<usize>();
    assert!(total <= 6000, "embed total {total}");
    for f in fields {
        assert!(n(&f["value"]) <= 1024);
    }
    assert!(e["description"].as_str().unwrap().contains("Shortened to fit Discord"), "{e:#}");
    assert!(e["footer"]["text"].as_str().unwrap().contains("/claims very-long-answer"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_question_edits_the_reply() {
    let h = Harness::start("", &[]).await;
    let first = "does ms have sanctuary cities?";
    let second = "what training do mississippi officers get for immigration enforcement?";
    let (first_expected, second_expected) = (h.ask_expected(first), h.ask_expected(second));
    let (_, second_stored) = expected_answer(&second_expected);
    assert_ne!(expected_answer(&first_expected).0, expected_answer(&second_expected).0);
    // Discord is slow to take the reply, and the question is edited while
    // the reply is on its way: the edit must wait for it, not be lost.
    h.standin.set_post_delay(Duration::from_millis(800));
    let (question_id, message) = h.standin.message(&alice(), &format!("<@{BOT_ID}> {first}"), true, true);
    h.standin.dispatch("MESSAGE_CREATE", message);
    tokio::time::sleep(Duration::from_millis(200)).await;
    h.standin.dispatch(
        "MESSAGE_UPDATE",
        json!({"id": question_id.to_string(), "channel_id": CHANNEL_ID.to_string(), "guild_id": GUILD_ID.to_string(),
               "content": format!("<@{BOT_ID}> {second}"), "author": alice(),
               "edited_timestamp": "2026-11-30T00:01:00.000000+00:00"}),
    );
    let edit = h
        .standin
        .wait_for("the edit of the reply", WAIT, |c| {
            c.method == "PATCH" && c.path.starts_with(&format!("/api/v10/channels/{CHANNEL_ID}/messages/"))
        })
        .await;
    assert_eq!(embed(&edit.body)["title"], json!(second_stored));
    assert_pings_nobody(&edit.body);
    // No second message was posted for the edit.
    let posted = h.standin.calls().iter().filter(|c| c.path.ends_with("/messages") && c.method == "POST").count();
    assert_eq!(posted, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_asking_too_fast_gets_a_polite_ephemeral_notice() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = format!("cooldown_seconds = 60\ncooldown_burst = 2\n[metrics]\nlisten = \"127.0.0.1:{port}\"");
    let h = Harness::start(&config, &[]).await;
    let ask = || slash("ask", string_option("question", "does ms have sanctuary cities?"));
    for _ in 0..2 {
        let cb = h.interact(2, ask(), ordinary(), None).await;
        assert!(cb.body["data"]["embeds"][0]["title"].is_string());
    }
    let cb = h.interact(2, ask(), ordinary(), None).await;
    assert_eq!(cb.body["data"]["flags"], json!(64));
    assert!(cb.body["data"]["content"].as_str().unwrap().contains("please wait"), "{:#}", cb.body);
    // Another member is not held back by alice's pace.
    let bob = member(user(200, "bob", false), MEMBER_PERMS, &[]);
    let cb = h.interact(2, ask(), bob, None).await;
    assert!(cb.body["data"]["embeds"][0]["title"].is_string());

    // Operators see it in the metrics, and that Discord is connected.
    let get = |path: &str| {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        response
    };
    let ready = get("/ready");
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    // The knowledge version: the history the bot made of the copied files.
    let version = std::process::Command::new("git")
        .arg("-C")
        .arg(h.knowledge_dir())
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let body = format!("{{\"knowledge_version\":\"{version}\",\"platforms\":{{\"discord\":true}},\"ready\":true}}\n");
    assert!(ready.ends_with(&body), "{ready}");
    let metrics = get("/metrics");
    assert!(metrics.contains("policybot_platform_connected{platform=\"discord\"} 1"), "{metrics}");
    assert!(metrics.contains(&format!("policybot_knowledge{{version=\"{version}\"}} 1")), "{metrics}");
    for line in [
        "policybot_cooldown_hits_total{platform=\"discord\"} 1",
        "policybot_answers_total{platform=\"discord\",outcome=\"answer\"} 3",
        "policybot_match_seconds_count 3",
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passive_channel_gets_confident_answers_only() {
    let h = Harness::start(&format!("message_content_intent = true\npassive_channels = [{CHANNEL_ID}]"), &[]).await;
    let intents = h.standin.identify().unwrap()["intents"].as_u64().unwrap();
    assert_ne!(intents & (1 << 15), 0, "MESSAGE_CONTENT not requested: {intents}");
    let clear = "does ms have sanctuary cities?";
    let expected = h.ask_expected(clear);
    let (_, stored) = expected_answer(&expected);
    let (_, call) = h.say(&alice(), clear, false, true).await;
    assert_eq!(embed(&call.body)["title"], json!(stored));
    assert_pings_nobody(&call.body);
    // Ambiguous or off-topic chatter gets no suggestions and no "no answer".
    assert!(matches!(h.ask_expected("training and trust"), Reply::Suggest { .. }));
    for chatter in ["training and trust", "anyone up for lunch?", "lol same", "help", "/topics"] {
        let (id, message) = h.standin.message(&alice(), chatter, false, true);
        h.standin.dispatch("MESSAGE_CREATE", message);
        h.assert_no_reply(id).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_runs_only_its_shard_range() {
    let h = Harness::start_until(
        "shards = { total = 4, first = 2, last = 2 }",
        &[],
        |c| c.path == "/api/v10/gateway",
        Route::Proxy,
    )
    .await;
    let deadline = std::time::Instant::now() + WAIT;
    while h.standin.identify().is_none() {
        assert!(std::time::Instant::now() < deadline, "no IDENTIFY");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(h.standin.identify().unwrap()["shard"], json!([2, 4]));
    // Only the process running shard 0 registers commands.
    tokio::time::sleep(QUIET).await;
    assert!(!h.standin.calls().iter().any(|c| c.path.ends_with("/commands")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_reply_in_flight_and_exits_cleanly() {
    let mut h = Harness::start("", &[]).await;
    h.say(&alice(), &format!("<@{BOT_ID}> does ms have sanctuary cities?"), true, true).await;
    // Discord is slow to take the next reply; the stop arrives meanwhile.
    let hold = Duration::from_millis(1500);
    h.standin.set_post_delay(hold);
    let (id, message) = h.standin.message(&alice(), &format!("<@{BOT_ID}> who trains the police?"), true, true);
    h.standin.dispatch("MESSAGE_CREATE", message);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped = std::time::Instant::now();
    let status = Command::new("kill").args(["-TERM", &h.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let status = h.exited("still running after SIGTERM").await;
    let took = stopped.elapsed();
    assert!(status.success(), "exit status {status}");
    // It waited for Discord to take the reply instead of dropping it.
    assert!(took >= hold - Duration::from_millis(400), "exited {} ms after SIGTERM", took.as_millis());
    h.reply_to(id).await;
    let log = std::fs::read_to_string(&h.log).unwrap();
    assert!(!log.contains("standin-token"), "the token reached the log");
    assert!(!log.contains("replies still unsent"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_take_feedback_and_show_claims_and_the_cli_reads_the_votes_while_the_bot_runs() {
    let h = Harness::start("", &[]).await;
    let question = "does ms have sanctuary cities?";
    let expected = h.ask_expected(question);
    let (id, _) = expected_answer(&expected);
    let (_, call) = h.say(&alice(), &format!("<@{BOT_ID}> {question}"), true, true).await;
    let buttons: Vec<String> = call.body["components"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["custom_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(buttons, [format!("fb:1:{id}"), format!("fb:0:{id}"), format!("claims:{id}")]);
    // The answer as Discord holds it: its id is the one the bot got back.
    let reply_id: u64 = call.reply["id"].as_str().unwrap().parse().unwrap();
    let mut posted = message_json(reply_id, CHANNEL_ID, &user(BOT_ID, "policybot", true), "");
    posted["embeds"] = call.body["embeds"].clone();
    let click = |custom_id: &str| json!({"custom_id": custom_id, "component_type": 2});

    // The full claim list, privately.
    let cb = h.interact(3, click(&buttons[2]), ordinary(), Some(posted.clone())).await;
    assert_eq!(cb.body["data"]["flags"], json!(64));
    let (kb, _) = h.expected();
    let listing = text_of(&cb.body["data"]);
    for claim in &kb.entry(id).unwrap().claims {
        assert!(listing.contains(&claim.text), "{listing}");
    }

    // Alice votes helpful, changes her mind; Bob votes helpful.
    let bob = member(user(200, "bob", false), MEMBER_PERMS, &[]);
    for (button, voter) in [(&buttons[0], ordinary()), (&buttons[1], ordinary()), (&buttons[0], bob)] {
        let cb = h.interact(3, click(button), voter, Some(posted.clone())).await;
        assert_eq!(cb.body["data"]["flags"], json!(64), "{:#}", cb.body);
    }
    let config = h.dir.path().join("config.toml");
    // One answer, one vote each way.
    let row = json!({"entry": id, "answered": 1, "helpful": 1, "not_helpful": 1});
    read_back(&config, &["stats", "--json"], |stats| stats["entries"].as_array().unwrap().contains(&row)).await;
    // The 👎 kept the question with the entry given, for the review queue.
    let queue = read_back(&config, &["review", "--json"], |q| q["groups"][0]["downvoted"] == json!([[id, 1]])).await;
    assert_eq!(queue["groups"][0]["texts"], json!([question]), "{queue:#}");
    assert_eq!(queue["groups"][0]["downvoted"], json!([[id, 1]]), "{queue:#}");

    // So does a 👎 on an answer to /ask: the bot reads back which message
    // its response made.
    let typed = "does mississippi have any sanctuary cities";
    let (_, token, interaction) =
        h.standin.interaction(2, slash("ask", string_option("question", typed)), ordinary(), None);
    h.standin.dispatch("INTERACTION_CREATE", interaction);
    let original =
        h.standin.wait_for("the answer read back", WAIT, |c| c.method == "GET" && c.path.contains(&token)).await;
    let answer_id: u64 = original.reply["id"].as_str().unwrap().parse().unwrap();
    let slash_answer = message_json(answer_id, CHANNEL_ID, &user(BOT_ID, "policybot", true), "");
    let bob = member(user(201, "carol", false), MEMBER_PERMS, &[]);
    let slash_id = match h.ask_expected(typed) {
        Reply::Answer { entry, .. } => entry.id,
        other => panic!("the library does not answer {typed:?} outright: {other:?}"),
    };
    h.interact(3, click(&format!("fb:0:{slash_id}")), bob, Some(slash_answer)).await;
    read_back(&config, &["review", "--json"], |queue| {
        queue["groups"].as_array().unwrap().iter().any(|g| g["texts"].as_array().unwrap().contains(&json!(typed)))
    })
    .await;
}

/// What `policybot ARGS` (JSON) says about the running bot's records, read
/// until `done` holds (the records are written in batches).
async fn read_back(config: &std::path::Path, args: &[&str], done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let out =
            Command::new(env!("CARGO_BIN_EXE_policybot")).arg("--config").arg(config).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let read: Value = serde_json::from_slice(&out.stdout).unwrap();
        if done(&read) {
            return read;
        }
        assert!(std::time::Instant::now() < deadline, "policybot {args:?} never showed it: {read:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_knowledge_file_is_served_and_a_broken_save_changes_nothing() {
    let h = Harness::start("", &[]).await;
    let question = "does ms have sanctuary cities?";
    let expected = h.ask_expected(question);
    let (id, _) = expected_answer(&expected);
    let (kb, _) = h.expected();
    let first_line = kb.entry(id).unwrap().answer.lines().next().unwrap().to_owned();
    let file = h.knowledge_dir().join("mississippi-ice.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    // Saved the way editors do: a new file renamed over the old one.
    let save = |content: &str| {
        let tmp = h.knowledge_dir().join(".mississippi-ice.toml.swp");
        std::fs::write(&tmp, content).unwrap();
        std::fs::rename(&tmp, &file).unwrap();
    };
    let ask = || slash("ask", string_option("question", question));
    save(&text.replacen(&first_line, &format!("{first_line} WATCHMARKER."), 1));
    let saved = std::time::Instant::now();
    loop {
        let cb = h.interact(2, ask(), ordinary(), None).await;
        if text_of(&cb.body["data"]).contains("WATCHMARKER") {
            break;
        }
        // A bound for a hung watcher, not a speed test: the time it took is
        // printed below (about 1 s: debounce, settle, reload).
        assert!(saved.elapsed() < WAIT, "the change was not served within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("change served {} ms after the save", saved.elapsed().as_millis());

    save("title = \"broken\n");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let cb = h.interact(2, ask(), ordinary(), None).await;
    assert!(text_of(&cb.body["data"]).contains("WATCHMARKER"), "the broken save replaced the knowledge");
    let log = std::fs::read_to_string(&h.log).unwrap();
    assert!(log.contains("mississippi-ice.toml:1:"), "the refusal is not located in the log:\n{log}");
}

/// A moderator's /unanswered of another guild.
async fn unanswered_in(h: &Harness, guild: u64) -> String {
    let moderator = member(user(300, "mod", false), MEMBER_PERMS | MANAGE_GUILD, &[]);
    let (_, token, mut interaction) = h.standin.interaction(2, slash("unanswered", json!([])), moderator, None);
    interaction["guild_id"] = json!(guild.to_string());
    h.standin.dispatch("INTERACTION_CREATE", interaction);
    let listing =
        h.standin.wait_for("the unanswered list", WAIT, |c| c.method == "PATCH" && c.path.contains(&token)).await;
    text_of(&listing.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_servers_moderators_see_only_their_servers_questions_and_the_operator_sees_all() {
    const OTHER_GUILD: u64 = 900_000_000_000_000_077;
    const OTHER_CHANNEL: u64 = 900_000_000_000_000_078;
    let h = Harness::start("", &[]).await;
    let (here, there) = ("asdf qwerty zxcv in the first server", "lorem ipsum dolor in the second server");
    h.say(&alice(), &format!("<@{BOT_ID}> {here}"), true, true).await;
    let (id, mut message) = h.standin.message(&alice(), &format!("<@{BOT_ID}> {there}"), true, true);
    message["guild_id"] = json!(OTHER_GUILD.to_string());
    message["channel_id"] = json!(OTHER_CHANNEL.to_string());
    h.standin.dispatch("MESSAGE_CREATE", message);
    h.reply_to(id).await;

    let first = unanswered_in(&h, GUILD_ID).await;
    assert!(first.contains(here) && !first.contains(there), "{first}");
    let second = unanswered_in(&h, OTHER_GUILD).await;
    assert!(second.contains(there) && !second.contains(here), "{second}");

    // The operator sees both, and can pick one server.
    let config = h.dir.path().join("config.toml");
    let listing = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_policybot"))
            .arg("--config")
            .arg(&config)
            .args(["unanswered", "--json"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let listing: Value = serde_json::from_slice(&out.stdout).unwrap();
        listing["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["question"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let all = listing(&[]);
    assert!(all.iter().any(|q| q == here) && all.iter().any(|q| q == there), "{all:?}");
    assert_eq!(listing(&["--community", &format!("discord:{OTHER_GUILD}")]), [there]);
    // The records hold neither id, only keyed hashes.
    for name in ["policybot.db", "policybot.db-wal"] {
        let bytes = std::fs::read(h.dir.path().join("data").join(name)).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&GUILD_ID.to_string()) && !text.contains(&OTHER_GUILD.to_string()), "{name}");
    }
}

/// The stand-in's rules, each shown to catch a broken request: a test that
/// leans on the stand-in must fail where Discord would refuse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standin_refuses_what_discord_refuses() {
    let standin = StandIn::start().await;
    let post = |body: Value| standin.answer("POST", &format!("/api/v10/channels/{CHANNEL_ID}/messages"), &body);
    let fine = json!({"content": "hi", "embeds": [{"title": "t", "description": "d"}]});
    assert_eq!(post(fine).0, 200);
    let code = |answer: (u16, Option<Value>)| (answer.0, answer.1.unwrap()["code"].as_u64().unwrap());
    for broken in [
        json!({"content": "x".repeat(2001)}),
        json!({"embeds": [{"description": "x".repeat(4097)}]}),
        json!({"embeds": [{"title": "x".repeat(257)}]}),
        json!({"embeds": [{"footer": {"text": "x".repeat(2049)}}]}),
        json!({"embeds": [{"fields": [{"name": "n", "value": "x".repeat(1025)}]}]}),
        json!({"embeds": [{"description": "x".repeat(4000)}, {"description": "x".repeat(2001)}]}),
        json!({"components": (0..6).map(|_| json!({"type": 1, "components": [{"type": 2, "label": "b", "custom_id": "c"}]})).collect::<Vec<_>>()}),
        json!({"components": [{"type": 1, "components": (0..6).map(|i| json!({"type": 2, "label": "b", "custom_id": format!("c{i}")})).collect::<Vec<_>>()}]}),
        json!({"components": [{"type": 1, "components": [{"type": 2, "label": "x".repeat(81), "custom_id": "c"}]}]}),
    ] {
        assert_eq!(code(post(broken.clone())), (400, 50035), "accepted {broken:#}");
    }
    // One acknowledgement per interaction.
    let callback = "/api/v10/interactions/77/token-77/callback";
    assert_eq!(standin.answer("POST", callback, &json!({"type": 5})).0, 204);
    assert_eq!(code(standin.answer("POST", callback, &json!({"type": 4, "data": {"content": "again"}}))), (400, 40060));
    // A reply to a deleted message, unless it says not to fail.
    standin.delete_message(55);
    let reply = |fail: Option<bool>| {
        let mut reference = json!({"message_id": "55", "channel_id": CHANNEL_ID.to_string()});
        if let Some(fail) = fail {
            reference["fail_if_not_exists"] = json!(fail);
        }
        post(json!({"content": "answer", "message_reference": reference}))
    };
    assert_eq!(code(reply(None)), (400, 50035));
    assert_eq!(code(reply(Some(true))), (400, 50035));
    assert_eq!(reply(Some(false)).0, 200);
    // Threads it was told about, and no others.
    standin.add_thread(66, CHANNEL_ID);
    let (status, thread) = standin.answer("GET", "/api/v10/channels/66", &Value::Null);
    assert_eq!((status, thread.unwrap()["parent_id"].clone()), (200, json!(CHANNEL_ID.to_string())));
    assert_eq!(standin.answer("GET", "/api/v10/channels/67", &Value::Null).0, 404);
}

const THREAD_ID: u64 = 900_000_000_000_000_090;

/// A message in a thread (or forum post) of the test guild.
fn in_thread(h: &Harness, content: &str, mention: bool) -> (u64, Value) {
    let (id, mut message) = h.standin.message(&alice(), content, mention, true);
    message["channel_id"] = json!(THREAD_ID.to_string());
    (id, message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threads_are_answered_in_the_thread_and_a_passive_channels_threads_are_passive() {
    let h = Harness::start(&format!("message_content_intent = true\npassive_channels = [{CHANNEL_ID}]"), &[]).await;
    let question = "does ms have sanctuary cities?";
    let expected = h.ask_expected(question);
    let (_, stored) = expected_answer(&expected);
    // A thread under another channel: answered when mentioned, in the thread.
    let (id, message) = in_thread(&h, &format!("<@{BOT_ID}> {question}"), true);
    h.standin.dispatch("MESSAGE_CREATE", message);
    let call = h.reply_to(id).await;
    assert_eq!(call.path, format!("/api/v10/channels/{THREAD_ID}/messages"));
    assert_eq!(embed(&call.body)["title"], json!(stored));
    // Unmentioned there, it is not a passive channel's thread: quiet.
    let (id, message) = in_thread(&h, question, false);
    h.standin.dispatch("MESSAGE_CREATE", message);
    h.assert_no_reply(id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_under_a_passive_channel_is_answered_without_a_mention() {
    let h = Harness::start(&format!("message_content_intent = true\npassive_channels = [{CHANNEL_ID}]"), &[]).await;
    h.standin.add_thread(THREAD_ID, CHANNEL_ID);
    let question = "does ms have sanctuary cities?";
    let expected = h.ask_expected(question);
    let (_, stored) = expected_answer(&expected);
    let (id, message) = in_thread(&h, question, false);
    h.standin.dispatch("MESSAGE_CREATE", message);
    let call = h.reply_to(id).await;
    assert_eq!(call.path, format!("/api/v10/channels/{THREAD_ID}/messages"));
    assert_eq!(embed(&call.body)["title"], json!(stored));
    // The parent was asked once, however many messages come.
    let (id, message) = in_thread(&h, "lol same", false);
    h.standin.dispatch("MESSAGE_CREATE", message);
    h.assert_no_reply(id).await;
    let lookups = h.standin.calls().iter().filter(|c| c.path == format!("/api/v10/channels/{THREAD_ID}")).count();
    assert_eq!(lookups, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_deleted_before_the_reply_still_gets_it() {
    let h = Harness::start("", &[]).await;
    let (id, message) = h.standin.message(&alice(), &format!("<@{BOT_ID}> does ms have sanctuary cities?"), true, true);
    h.standin.delete_message(id);
    h.standin.dispatch("MESSAGE_CREATE", message);
    let call = h.reply_to(id).await;
    assert_eq!(call.body["message_reference"]["fail_if_not_exists"], json!(false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_passive_channel_only_answered_messages_count_against_the_cooldown() {
    let h = Harness::start(
        &format!("message_content_intent = true\npassive_channels = [{CHANNEL_ID}]\ncooldown_seconds = 600\ncooldown_burst = 1"),
        &[],
    )
    .await;
    // Chatter the bot stays quiet on...
    for chatter in ["lol same", "anyone up for lunch?", "brb"] {
        let (id, message) = h.standin.message(&alice(), chatter, false, true);
        h.standin.dispatch("MESSAGE_CREATE", message);
        h.assert_no_reply(id).await;
    }
    // ...leaves the one answer of the burst.
    let (_, call) = h.say(&alice(), "does ms have sanctuary cities?", false, true).await;
    assert!(embed(&call.body)["title"].is_string());
    // The next question is within the cooldown: quiet, no ⏳ in a passive channel.
    let (id, message) = h.standin.message(&alice(), "does ms have sanctuary cities?", false, true);
    h.standin.dispatch("MESSAGE_CREATE", message);
    h.assert_no_reply(id).await;
    assert!(!h.standin.calls().iter().any(|c| c.path.contains("/reactions/")));
}

/// With serenity's rate limiter on (the bot talking to "https://discord.com",
/// here the stand-in behind an HTTPS proxy), a 429 is waited out and the
/// reply is delivered exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_reply_is_retried_after_retry_after_and_sent_once() {
    let h = Harness::start_limited("").await;
    h.standin.rate_limit_next_post();
    let (id, message) = h.standin.message(&alice(), &format!("<@{BOT_ID}> does ms have sanctuary cities?"), true, true);
    h.standin.dispatch("MESSAGE_CREATE", message);
    let call = h
        .standin
        .wait_for("the reply, delivered", WAIT, |c| {
            c.status == 200 && c.body["message_reference"]["message_id"] == json!(id.to_string())
        })
        .await;
    assert!(embed(&call.body)["title"].is_string());
    tokio::time::sleep(QUIET).await;
    let attempts: Vec<u16> = h
        .standin
        .calls()
        .iter()
        .filter(|c| c.method == "POST" && c.body["message_reference"]["message_id"] == json!(id.to_string()))
        .map(|c| c.status)
        .collect();
    assert_eq!(attempts, [429, 200], "one refusal, then one delivery");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_privileged_intent_the_portal_has_off_ends_the_bot_with_what_to_switch_on() {
    // Passive channels ask for Message Content; this application never had
    // it switched on, so Discord closes the gateway with 4014.
    let standin = StandIn::start().await;
    let config = format!("message_content_intent = true\npassive_channels = [{CHANNEL_ID}]");
    let mut h = Harness::spawn(standin, &config, &[], Route::Proxy);
    let status = h.exited("the bot still runs after Discord closed with 4014").await;
    let asked = h.standin.identify().expect("the bot never identified")["intents"].as_u64().unwrap();
    assert_ne!(asked & MESSAGE_CONTENT, 0, "the bot did not ask for Message Content");
    let log = std::fs::read_to_string(&h.log).unwrap();
    let last = log.lines().last().unwrap_or_default();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(last.contains("Message Content Intent") && last.contains("message_content_intent"), "{last}");
    // Nothing was registered or sent: the bot never got as far as READY.
    assert!(h.standin.calls().iter().all(|c| c.method == "GET"), "{:#?}", h.standin.calls());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_not_in_allowed_guilds_is_left_once_and_never_answered() {
    const OTHER_GUILD: u64 = 900_000_000_000_000_088;
    let h = Harness::start(&format!("allowed_guilds = [{GUILD_ID}]"), &[]).await;
    let asked = h.standin.identify().unwrap()["intents"].as_u64().unwrap();
    assert_ne!(asked & 1, 0, "GUILDS is needed to see servers joined later");

    // Discord sends each server at start and when the bot is added.
    h.standin.dispatch("GUILD_CREATE", guild_json(GUILD_ID, "ours"));
    h.standin.dispatch("GUILD_CREATE", guild_json(OTHER_GUILD, "someone else's\nserver"));
    let leave = format!("/api/v10/users/@me/guilds/{OTHER_GUILD}");
    h.standin.wait_for("leaving the other server", WAIT, |c| c.method == "DELETE" && c.path == leave).await;

    // Until Discord has taken the bot out, nothing there is answered...
    let (id, mut message) = h.standin.message(&alice(), &format!("<@{BOT_ID}> who trains the police?"), true, true);
    message["guild_id"] = json!(OTHER_GUILD.to_string());
    h.standin.dispatch("MESSAGE_CREATE", message);
    h.assert_no_reply(id).await;
    // ...and a command there is told why, privately.
    let (_, token, mut interaction) =
        h.standin.interaction(2, slash("ask", string_option("question", "who trains the police?")), ordinary(), None);
    interaction["guild_id"] = json!(OTHER_GUILD.to_string());
    h.standin.dispatch("INTERACTION_CREATE", interaction);
    let cb = h.standin.wait_for("the refusal", WAIT, |c| c.path.contains(&format!("/{token}/callback"))).await;
    assert_eq!(cb.body["data"]["flags"], json!(64), "{:#}", cb.body);
    assert!(text_of(&cb.body["data"]).contains("not set up for this server"), "{:#}", cb.body);

    // The allowed server and direct messages are answered as ever.
    h.say(&alice(), &format!("<@{BOT_ID}> who trains the police?"), true, true).await;
    h.say(&alice(), "who trains the police?", false, false).await;
    let calls = h.standin.calls();
    let leaves: Vec<&Call> = calls.iter().filter(|c| c.method == "DELETE" && c.path.contains("/guilds/")).collect();
    assert_eq!(leaves.len(), 1, "{leaves:#?}");
    assert_eq!(leaves[0].path, leave);
    let log = std::fs::read_to_string(&h.log).unwrap();
    assert!(log.contains("not in [discord] allowed_guilds") && log.contains("someone else's\\nserver"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_privacy_says_privately_what_is_kept_and_for_how_long() {
    let h = Harness::start("", &[]).await;
    let cb = h.interact(2, slash("privacy", json!([])), ordinary(), None).await;
    assert_eq!(cb.body["data"]["flags"], json!(64), "{:#}", cb.body);
    let (_, config) = h.expected();
    let text = text_of(&cb.body["data"]);
    assert!(text.contains(&format!("kept as text for {} days", config.data.retention_days)), "{text}");
    assert!(text.contains("never by moderators elsewhere"), "{text}");
}

/// Every knowledge file's bytes, to show a refused change wrote nothing.
fn knowledge_bytes(h: &Harness) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(h.knowledge_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        // Not the history's .git folder: it grows with every change.
        .filter(|p| p.is_file())
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

/// A `/faq …` or `/claim …` slash command with a subcommand path and string
/// options.
fn subcommand(command: &str, path: &[&str], options: &[(&str, &str)]) -> Value {
    let mut inner: Value =
        options.iter().map(|(name, value)| json!({"name": name, "type": 3, "value": value})).collect();
    for (depth, name) in path.iter().enumerate().rev() {
        let kind = if depth + 1 == path.len() { 1 } else { 2 };
        inner = json!([{"name": name, "type": kind, "options": inner}]);
    }
    json!({"id": "1", "name": command, "type": 1, "options": inner})
}

/// A submitted form (interaction type 5) with its text inputs.
fn form(custom_id: &str, inputs: &[(&str, &str)]) -> Value {
    let rows: Vec<Value> = inputs
        .iter()
        .map(|(id, value)| json!({"type": 1, "components": [{"type": 4, "custom_id": id, "value": value}]}))
        .collect();
    json!({"custom_id": custom_id, "components": rows})
}

const LOG_CHANNEL: u64 = 900_000_000_000_000_077;

impl Harness {
    /// Sends a moderator's change and returns what the bot said: deferred
    /// privately, then the result edited in.
    /// `data` may carry, under "message", the message a clicked button is on.
    async fn change(&self, kind: u8, mut data: Value, who: Value) -> String {
        let message = data.as_object_mut().and_then(|d| d.remove("message"));
        let (iid, token, interaction) = self.standin.interaction(kind, data, who, message);
        self.standin.dispatch("INTERACTION_CREATE", interaction);
        let defer = self
            .standin
            .wait_for("the deferral", WAIT, |c| c.path.starts_with(&format!("/api/v10/interactions/{iid}/")))
            .await;
        assert_eq!((defer.body["type"].clone(), defer.body["data"]["flags"].clone()), (json!(5), json!(64)));
        let done = self.standin.wait_for("the result", WAIT, |c| c.method == "PATCH" && c.path.contains(&token)).await;
        assert_eq!(done.status, 200, "{done:#?}");
        assert_pings_nobody(&done.body);
        text_of(&done.body)
    }

    /// The moderation log lines posted so far.
    fn log_lines(&self) -> Vec<Value> {
        let path = format!("/api/v10/channels/{LOG_CHANNEL}/messages");
        self.standin.calls().into_iter().filter(|c| c.method == "POST" && c.path == path).map(|c| c.body).collect()
    }

    /// Waits until the log has `n` lines, then a moment more for any extra.
    async fn log_settles_at(&self, n: usize) -> Vec<Value> {
        let deadline = std::time::Instant::now() + WAIT;
        while self.log_lines().len() < n && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(QUIET).await;
        let lines = self.log_lines();
        assert_eq!(lines.len(), n, "{lines:#?}");
        for line in &lines {
            assert_pings_nobody(line);
        }
        lines
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderators_change_the_faq_from_discord_and_each_change_is_logged_once() {
    let h = Harness::start(&format!("[moderation]\nlog_channel = {LOG_CHANNEL}"), &[]).await;
    // Registered within Discord's rules (the stand-in refuses otherwise),
    // with the changes as /faq and /claim for Manage Server by default.
    let registration = h.standin.calls().into_iter().find(registered).unwrap();
    assert_eq!(registration.status, 200, "{registration:#?}");
    for name in ["faq", "claim"] {
        let command = registration.body.as_array().unwrap().iter().find(|c| c["name"] == json!(name)).unwrap();
        assert_eq!(command["default_member_permissions"], json!(MANAGE_GUILD.to_string()), "{command:#}");
    }
    let moderator = member(user(300, "mod", false), MEMBER_PERMS, &[MOD_ROLE]);
    let phrasing = "Are there towns here that refuse to help immigration agents?";
    let add = subcommand("faq", &["alias", "add"], &[("entry", "entry:current-policies"), ("phrasing", phrasing)]);

    // A member without the role: refused privately, files unchanged.
    let before = knowledge_bytes(&h);
    let cb = h.interact(2, add.clone(), ordinary(), None).await;
    assert_eq!(cb.body["data"]["flags"], json!(64));
    assert!(text_of(&cb.body["data"]).contains("for moderators only"), "{:#}", cb.body);
    assert_eq!(knowledge_bytes(&h), before);
    let lines = h.log_settles_at(1).await;
    assert!(text_of(&lines[0]).contains("alice (Discord) tried to add the phrasing"), "{:#}", lines[0]);

    // A moderator adds the phrasing: asked next, it is answered outright.
    let done = h.change(2, add, moderator.clone()).await;
    assert!(done.contains("Done: mod (Discord) added the phrasing"), "{done}");
    let cb = h.interact(2, slash("ask", string_option("question", phrasing)), ordinary(), None).await;
    let (kb, _) = h.expected();
    assert!(text_of(&cb.body["data"]).contains(&kb.entry("current-policies").unwrap().question), "{:#}", cb.body);
    h.log_settles_at(2).await;

    // Autocomplete finds a claim by its words; set verified, the next
    // answer's footer shows the check and its source.
    let typing = subcommand("claim", &["set"], &[("claim", "report crimes witnesses")]);
    let mut typing_data = typing.clone();
    typing_data["options"][0]["options"][0]["focused"] = json!(true);
    let cb = h.interact(4, typing_data, moderator.clone(), None).await;
    let choices = cb.body["data"]["choices"].as_array().unwrap().clone();
    assert!(!choices.is_empty() && choices.len() <= 25, "{choices:#?}");
    let claim = choices[0]["value"].as_str().unwrap().to_owned();
    let set = subcommand(
        "claim",
        &["set"],
        &[("claim", &claim), ("status", "verified"), ("source", "https://example.org/trust-survey")],
    );
    let done = h.change(2, set, moderator.clone()).await;
    assert!(done.contains("to verified, source: https://example.org/trust-survey"), "{done}");
    let question = "do immigrants still trust the police";
    let cb = h.interact(2, slash("ask", string_option("question", question)), ordinary(), None).await;
    assert!(text_of(&cb.body["data"]).contains("https://example.org/trust-survey"), "{:#}", cb.body);
    h.log_settles_at(3).await;

    // /faq answer opens a form holding the answer as it is; the submitted
    // form replaces it.
    let (kb, _) = h.expected();
    let current = kb.entry("community-trust").unwrap().answer.clone();
    let cb = h
        .interact(2, subcommand("faq", &["answer"], &[("entry", "entry:community-trust")]), moderator.clone(), None)
        .await;
    assert_eq!(cb.body["type"], json!(9), "{:#}", cb.body);
    assert_eq!(cb.body["data"]["components"][0]["components"][0]["value"], json!(current));
    let custom_id = cb.body["data"]["custom_id"].as_str().unwrap().to_owned();
    let answer = "Trust varies from town to town.\nSee the 2026 survey.";
    let done = h.change(5, form(&custom_id, &[("answer", answer)]), moderator.clone()).await;
    assert!(done.contains("replaced the answer of entry") && done.contains("community-trust"), "{done}");
    let cb = h.interact(2, slash("ask", string_option("question", question)), ordinary(), None).await;
    assert!(text_of(&cb.body["data"]).contains("Trust varies from town to town."), "{:#}", cb.body);
    h.log_settles_at(4).await;

    // A new entry that would take a regression case from its entry:
    // refused, naming the case, every file byte-identical.
    let cb = h.interact(2, subcommand("faq", &["new"], &[]), moderator.clone(), None).await;
    assert_eq!(cb.body["type"], json!(9), "{:#}", cb.body);
    let before = knowledge_bytes(&h);
    let breaking = form(
        cb.body["data"]["custom_id"].as_str().unwrap(),
        &[
            ("id", "training-copy"),
            ("topic", "Training"),
            ("question", "do officers get trained on immigration law"),
            ("answer", "A second answer."),
        ],
    );
    let refused = h.change(5, breaking, moderator).await;
    assert!(refused.contains("Nothing changed") && refused.contains("tests.toml"), "{refused}");
    assert_eq!(knowledge_bytes(&h), before);
    let lines = h.log_settles_at(5).await;
    assert!(text_of(&lines[4]).contains("Refused: mod (Discord) tried to create entry"), "{:#}", lines[4]);

    // /help shows the changes as Discord registers them.
    let cb = h.interact(2, slash("help", json!([])), ordinary(), None).await;
    let help = text_of(&cb.body["data"]);
    assert!(help.contains("/faq alias add|remove entry:") && help.contains("/claim set claim:"), "{help}");
    assert!(!help.contains("`/alias") && !help.contains("`/new"), "{help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pick_reaches_the_review_queue_and_accepting_it_answers_the_question_outright() {
    let h = Harness::start("", &[]).await;
    // Ambiguous, and a phrasing of its first suggestion without breaking
    // the regression set ("training and trust" would: the set refuses it).
    let question = "did the law change recently";
    let Reply::Suggest { suggestions, .. } = h.ask_expected(question) else {
        panic!("the library no longer finds {question:?} ambiguous; pick another ambiguous question")
    };
    let picked = suggestions[0].id.clone();
    // Alice asks and picks the first suggestion.
    let (_, call) = h.say(&alice(), &format!("<@{BOT_ID}> {question}"), true, true).await;
    let pick = call.body["components"][0]["components"][0]["custom_id"].clone();
    let mut posted = message_json(7777, CHANNEL_ID, &user(BOT_ID, "policybot", true), "");
    posted["embeds"] = call.body["embeds"].clone();
    let click = |custom_id: &str| json!({"custom_id": custom_id, "component_type": 2});
    h.interact(3, click(pick.as_str().unwrap()), ordinary(), Some(posted.clone())).await;

    // A member may not see the queue; a moderator sees the pick in it.
    let cb = h.interact(2, slash("review", json!([])), ordinary(), None).await;
    assert!(text_of(&cb.body["data"]).contains("moderators only"), "{:#}", cb.body);
    let moderator = member(user(300, "mod", false), MEMBER_PERMS, &[MOD_ROLE]);
    let page = h.review(moderator.clone(), None).await;
    let text = text_of(&page.body);
    assert!(text.contains(&format!("1. 1 asked: \\\"{question}\\\"")), "{text}");
    assert!(text.contains(&format!("picked {picked} ×1")), "{text}");
    let buttons: Vec<String> = page.body["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row["components"].as_array().unwrap().iter())
        .map(|b| b["custom_id"].as_str().unwrap().to_owned())
        .collect();
    let accept = format!("rva:1:{picked}");
    assert!(buttons.contains(&accept) && buttons.contains(&"rvd:1".to_owned()), "{buttons:?}");

    // Accepted with the button: the question is answered outright from then on.
    let clicked = |id: &str| {
        let mut data = click(id);
        data["message"] = message_json(7778, CHANNEL_ID, &user(BOT_ID, "policybot", true), "");
        data
    };
    let done = h.change(3, clicked(&accept), moderator.clone()).await;
    assert!(done.contains("Done: mod (Discord) added 1 phrasing from group 1 to entry"), "{done}");
    let (_, call) = h.say(&alice(), &format!("<@{BOT_ID}> {question}"), true, true).await;
    let (kb, _) = h.expected();
    assert_eq!(embed(&call.body)["title"], json!(kb.entry(&picked).unwrap().question), "{:#}", call.body);
    let page = h.review(moderator.clone(), None).await;
    assert!(text_of(&page.body).contains("The review queue is empty"), "{:#}", page.body);

    // A question nothing answers: drafted into a form, then dismissed. It
    // is word for word the regression set's junk case.
    let junk = "asdf qwerty";
    h.say(&alice(), &format!("<@{BOT_ID}> {junk}"), true, true).await;
    h.review(moderator.clone(), None).await;
    let (_, inputs) = h.draft(1, moderator.clone()).await;
    assert!(inputs.iter().any(|i| i["custom_id"] == json!("question") && i["value"] == json!(junk)), "{inputs:#?}");
    // /accept names any entry (autocompleted); this one would make the
    // regression set's junk case a stored phrasing, answered, so it is
    // refused.
    let accept = json!({"id": "1", "name": "accept", "type": 1, "options": [
        {"name": "group", "type": 4, "value": 1}, {"name": "entry", "type": 3, "value": "entry:training"}]});
    let refused = h.change(2, accept, moderator.clone()).await;
    assert!(refused.contains("Nothing added to entry") && refused.contains("tests.toml"), "{refused}");
    let done = h.change(3, clicked("rvd:1"), moderator.clone()).await;
    assert!(done.contains("hidden until more people ask it"), "{done}");
    let page = h.review(moderator.clone(), None).await;
    assert!(text_of(&page.body).contains("The review queue is empty"), "{:#}", page.body);

    // A question for a new entry: drafted from its group through the form,
    // answered outright from then on, and its group gone.
    let new_question = "where do I get a fishing license";
    h.say(&alice(), &format!("<@{BOT_ID}> {new_question}"), true, true).await;
    h.review(moderator.clone(), None).await;
    let (custom_id, inputs) = h.draft(1, moderator.clone()).await;
    assert!(inputs.iter().any(|i| i["value"] == json!(new_question)), "{inputs:#?}");
    let submitted = form(
        &custom_id,
        &[
            ("id", "fishing-licenses"),
            ("topic", "Other"),
            ("question", new_question),
            ("answer", "At the county clerk."),
        ],
    );
    let done = h.change(5, submitted, moderator.clone()).await;
    assert!(done.contains("created entry") && done.contains("fishing-licenses"), "{done}");
    let (_, call) = h.say(&alice(), &format!("<@{BOT_ID}> {new_question}"), true, true).await;
    assert!(text_of(&call.body).contains("At the county clerk."), "{:#}", call.body);
    let page = h.review(moderator.clone(), None).await;
    assert!(text_of(&page.body).contains("The review queue is empty"), "{:#}", page.body);

    // Another server's moderators see none of this server's questions.
    h.say(&alice(), &format!("<@{BOT_ID}> {junk}"), true, true).await;
    let other = h.review(moderator.clone(), Some("900000000000000099")).await;
    assert!(text_of(&other.body).contains("The review queue is empty"), "{:#}", other.body);
    let page = h.review(moderator, None).await;
    assert!(text_of(&page.body).contains(&format!("1. 2 asked: \\\"{junk}\\\"")), "{:#}", page.body);
}

impl Harness {
    /// Review group `n`'s "new entry…" button: the form it opens, as its
    /// custom id and its text inputs.
    async fn draft(&self, n: usize, who: Value) -> (String, Vec<Value>) {
        let message = message_json(self.standin.id(), CHANNEL_ID, &user(BOT_ID, "policybot", true), "");
        let data = json!({"custom_id": format!("rvn:{n}"), "component_type": 2});
        let cb = self.interact(3, data, who, Some(message)).await;
        assert_eq!(cb.body["type"], json!(9), "{:#}", cb.body);
        let form = &cb.body["data"];
        let inputs = form["components"].as_array().unwrap().iter().map(|r| r["components"][0].clone()).collect();
        (form["custom_id"].as_str().unwrap().to_owned(), inputs)
    }

    /// `/review` by `who` (in another server when `guild` is given): the
    /// page edited in after the deferral.
    async fn review(&self, who: Value, guild: Option<&str>) -> Call {
        let (_, token, mut interaction) = self.standin.interaction(2, slash("review", json!([])), who, None);
        if let Some(guild) = guild {
            interaction["guild_id"] = json!(guild);
        }
        self.standin.dispatch("INTERACTION_CREATE", interaction);
        let page = self.standin.wait_for("the queue", WAIT, |c| c.method == "PATCH" && c.path.contains(&token)).await;
        assert_eq!(page.status, 200, "{page:#?}");
        page
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderators_see_who_changed_what_and_undo_it_from_discord() {
    let h = Harness::start("", &[]).await;
    let registration = h.standin.calls().into_iter().find(registered).unwrap();
    for name in ["history", "undo"] {
        let command = registration.body.as_array().unwrap().iter().find(|c| c["name"] == json!(name)).unwrap();
        assert_eq!(command["default_member_permissions"], json!(MANAGE_GUILD.to_string()), "{command:#}");
        assert_eq!(command["options"][0]["required"], json!(name == "undo"), "{command:#}");
    }
    let moderator = member(user(300, "mod", false), MEMBER_PERMS, &[MOD_ROLE]);
    let question = "do immigrants still trust the police";
    let ask = async |h: &Harness| {
        let asked = slash("ask", string_option("question", question));
        text_of(&h.interact(2, asked, ordinary(), None).await.body["data"])
    };
    let before = ask(&h).await;
    let start = knowledge_bytes(&h);

    // A moderator replaces an answer through the form.
    let cb = h
        .interact(2, subcommand("faq", &["answer"], &[("entry", "entry:community-trust")]), moderator.clone(), None)
        .await;
    let custom_id = cb.body["data"]["custom_id"].as_str().unwrap().to_owned();
    let done =
        h.change(5, form(&custom_id, &[("answer", "Trust is high everywhere, says nobody.")]), moderator.clone()).await;
    assert!(done.contains("Done: mod (Discord) replaced the answer"), "{done}");
    assert!(ask(&h).await.contains("Trust is high everywhere"));

    // /history names them, newest first, with the version to undo.
    let listed = h.change(2, slash("history", json!([])), moderator.clone()).await;
    // (The reply is JSON text here: its lines are split at "\n".)
    let first = listed.split("\\n").find(|l| l.starts_with("• ")).unwrap_or_else(|| panic!("{listed}"));
    assert!(
        first.contains("mod (Discord): replaced the answer of entry") && first.contains("community-trust"),
        "{listed}"
    );
    let version = first.trim_start_matches("• ").split(' ').next().unwrap().to_owned();
    assert!(done.contains(&format!("(version {version})")), "{done}");
    // For one entry, picked from autocomplete, and another entry has none.
    let one = h.change(2, slash("history", string_option("entry", "entry:community-trust")), moderator.clone()).await;
    assert!(one.contains(&version), "{one}");
    let none = h.change(2, slash("history", string_option("entry", "entry:court-cases")), moderator.clone()).await;
    assert!(none.contains("No recorded change touches entry") && none.contains("court-cases"), "{none}");

    // Members without the role are refused, and their autocomplete is empty.
    for command in [slash("history", json!([])), slash("undo", string_option("version", &version))] {
        let cb = h.interact(2, command, ordinary(), None).await;
        assert_eq!(cb.body["data"]["flags"], json!(64));
        assert!(text_of(&cb.body["data"]).contains("for moderators only"), "{:#}", cb.body);
    }
    let mut typing = slash("undo", string_option("version", ""));
    typing["options"][0]["focused"] = json!(true);
    let cb = h.interact(4, typing.clone(), ordinary(), None).await;
    assert_eq!(cb.body["data"]["choices"], json!([]), "{:#}", cb.body);
    let cb = h.interact(4, typing, moderator.clone(), None).await;
    let choices = cb.body["data"]["choices"].as_array().unwrap().clone();
    assert_eq!(choices[0]["value"], json!(version), "{choices:#?}");
    assert!(choices.len() >= 2 && choices.len() <= 25, "{choices:#?}");

    // /undo puts the answer back: the files are as they started, and the
    // undo is itself a change in the history.
    let undone = h.change(2, slash("undo", string_option("version", &version)), moderator.clone()).await;
    assert!(undone.contains(&format!("Done: mod (Discord) undid {version}")), "{undone}");
    assert_eq!(ask(&h).await, before);
    assert_eq!(knowledge_bytes(&h), start);
    let listed = h.change(2, slash("history", json!([])), moderator.clone()).await;
    assert!(listed.split("\\n").nth(1).unwrap().contains(&format!("undid {version}")), "{listed}");
    // An unknown version changes nothing.
    let refused = h.change(2, slash("undo", string_option("version", "0123abc")), moderator).await;
    assert!(refused.contains("Nothing changed: there is no change"), "{refused}");
    assert_eq!(knowledge_bytes(&h), start);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_the_commands_between_a_server_and_global_removes_the_old_set() {
    let h = Harness::start("", &[]).await;
    let server = GUILD_ID.to_string();
    let names = h.standin.commands_in(&server);
    assert!(names.len() > 10, "{names:?}");
    assert!(h.standin.commands_in("global").is_empty());
    // The bot notes where its commands are just after registering them:
    // stopped before that, it could not know what to remove.
    let noted = async |h: &Harness, guild: Option<u64>| {
        let path = h.dir.path().join("data/discord-commands.json");
        let expected = json!({ "guild": guild });
        let deadline = std::time::Instant::now() + WAIT;
        while std::fs::read_to_string(&path).ok().and_then(|t| serde_json::from_str::<Value>(&t).ok())
            != Some(expected.clone())
        {
            assert!(std::time::Instant::now() < deadline, "the bot never noted {expected}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let settle = async |h: &Harness, scope: &str| {
        let deadline = std::time::Instant::now() + WAIT;
        while !h.standin.commands_in(scope).is_empty() {
            assert!(std::time::Instant::now() < deadline, "the commands in {scope} were never removed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    // The operator moves to global commands: the server's own set goes,
    // or the server would show every command twice.
    let mut h = h;
    noted(&h, Some(GUILD_ID)).await;
    h.restart("# dev_guild unset: global commands").await;
    settle(&h, &server).await;
    assert_eq!(h.standin.commands_in("global"), names);
    // And back to the server.
    noted(&h, None).await;
    h.restart(&format!("dev_guild = {GUILD_ID}")).await;
    settle(&h, "global").await;
    assert_eq!(h.standin.commands_in(&server), names);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_mentioning_the_bot_with_reload_reloads_and_a_member_is_refused() {
    let h = Harness::start("", &[]).await;
    // A moderator role; Manage Server through a role (no moderator role);
    // neither.
    for (n, roles, allowed) in [(0, vec![MOD_ROLE], true), (1, vec![ADMIN_ROLE], true), (2, vec![HELPER_ROLE], false)] {
        let author = user(500 + n, "someone", false);
        let (id, message) = h.standin.message_with_roles(&author, "reload", &roles);
        h.standin.dispatch("MESSAGE_CREATE", message);
        let reply = text_of(&h.reply_to(id).await.body);
        assert_eq!(reply.contains("Reloaded"), allowed, "{roles:?}: {reply}");
        assert_eq!(reply.contains("for moderators only"), !allowed, "{roles:?}: {reply}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_role_added_to_the_config_counts_after_a_reload_and_other_keys_say_restart() {
    let h = Harness::start("", &[]).await;
    let helper = member(user(310, "helper", false), MEMBER_PERMS, &[HELPER_ROLE]);
    let moderator = member(user(300, "mod", false), MEMBER_PERMS, &[MOD_ROLE]);
    let cb = h.interact(2, slash("reload", json!([])), helper.clone(), None).await;
    assert!(text_of(&cb.body["data"]).contains("for moderators only"), "{:#}", cb.body);

    // The operator adds the helpers' role to the config file; a reload
    // takes it, no restart.
    let path = h.dir.path().join("config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    let roles = format!("moderator_roles = [{MOD_ROLE}]");
    assert!(config.contains(&roles));
    let config = config.replace(&roles, &format!("moderator_roles = [{MOD_ROLE}, {HELPER_ROLE}]"));
    std::fs::write(&path, &config).unwrap();
    let report = h.change(2, slash("reload", json!([])), moderator.clone()).await;
    assert!(report.contains("moderators re-read") && !report.contains("restart"), "{report}");
    let report = h.change(2, slash("reload", json!([])), helper).await;
    assert!(report.contains("Reloaded"), "{report}");

    // Another key changed: named, and said to need a restart.
    std::fs::write(&path, config.replace("cooldown_seconds = 0", "cooldown_seconds = 5")).unwrap();
    let report = h.change(2, slash("reload", json!([])), moderator).await;
    assert!(report.contains("[discord] cooldown_seconds") && report.contains("after a restart"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_greeting_gets_a_welcome_with_the_topics_not_no_answer() {
    let h = Harness::start("", &[]).await;
    let (kb, _) = h.expected();
    for greeting in ["hi", "what can you do?"] {
        let (_, call) = h.say(&alice(), greeting, true, true).await;
        let text = text_of(&call.body);
        assert!(text.contains("I answer questions from a FAQ about"), "{greeting}: {text}");
        assert!(kb.topics().keys().all(|t| text.contains(*t)), "{greeting}: {text}");
        assert!(!text.contains("I don't have an answer"), "{greeting}: {text}");
        assert_pings_nobody(&call.body);
    }
}

/// An English-only entry beside the shipped (translated) knowledge, with
/// the Spanish words a moderator would add for it.
const UNTRANSLATED: &str = r#"title = "Parking"
synonyms = [["permit", "permiso", "permisos"], ["renew", "renovar", "renuevo"], ["parking", "estacionamiento"]]

[[entry]]
id = "parking-permits"
topic = "Parking"
question = "How do I renew a parking permit?"
answer = "Renew it at the permit office."
claims = [{ text = "Parking permits are renewed at the permit office.", status = "unverified" }]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spanish_question_is_answered_in_spanish_and_an_untranslated_entry_in_english_after_a_spanish_line() {
    let h = Harness::start("", &[("parking.toml", UNTRANSLATED.to_owned())]).await;
    let question = "¿la policía puede preguntar si tengo papeles?";
    let expected = h.ask_expected(question);
    let Reply::Answer { lang: Lang::Es, answer, .. } = &expected else { panic!("{expected:?}") };
    let (id, spanish_question) = expected_answer(&expected);
    let (_, call) = h.say(&alice(), &format!("<@{BOT_ID}> {question}"), true, true).await;
    let e = embed(&call.body);
    assert_eq!(e["title"], json!(spanish_question));
    assert!(spanish_question.starts_with('¿'), "{spanish_question}");
    assert_eq!(e["description"], json!(answer));
    let footer = e["footer"]["text"].as_str().unwrap();
    for said in
        ["Nadie lo ha verificado todavía:", "Traducción sin revisar de un texto sin revisar.", "no es asesoría legal"]
    {
        assert!(footer.contains(said), "{said}: {footer}");
    }
    assert!(footer.ends_with(&format!("Todas las afirmaciones (en inglés): /claims {id}")), "{footer}");
    assert!(!footer.contains("Not verified"), "{footer}");
    let labels: Vec<&str> = call.body["components"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["👍 Útil", "👎 No útil", "Afirmaciones y fuentes"]);
    assert_pings_nobody(&call.body);

    let (_, call) =
        h.say(&alice(), &format!("<@{BOT_ID}> ¿Cómo renuevo un permiso de estacionamiento?"), true, true).await;
    let e = embed(&call.body);
    assert_eq!(e["title"], json!("How do I renew a parking permit?"));
    assert_eq!(
        e["description"],
        json!(
            "Esta respuesta todavía no está traducida al español; aquí está en inglés:\n\nRenew it at the permit office."
        )
    );
    let footer = e["footer"]["text"].as_str().unwrap();
    assert!(footer.contains("Nadie lo ha verificado todavía:\n• Parking permits are renewed"), "{footer}");
    assert!(!footer.contains("Traducción sin revisar"), "{footer}");
}
