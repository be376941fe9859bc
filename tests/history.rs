//! The knowledge's history end to end: the CLI on a directory that is in
//! no repository, and the bot's changes, reloads, `history` and `undo`,
//! each checked against what `git` itself says.

use std::path::Path;
use std::process::Command;

use policybot::answer::Command as Asked;
use policybot::bot::{Bot, Sender};
use policybot::config::Config;
use policybot::history::History;
use policybot::knowledge::edit::Edit;
use policybot::reply::Reply;

const FILE: &str = "mississippi-ice.toml";

fn policybot() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_policybot"));
    c.env_remove("RUST_LOG")
        .env_remove("DISCORD_TOKEN")
        .env_remove("MATRIX_PASSWORD")
        .env_remove("MATRIX_ACCESS_TOKEN");
    c
}

#[path = "support/shipped.rs"]
mod shipped;
use shipped::{git, moderator, said, shipped_copy};

/// Every knowledge file's bytes, by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

/// `git log` of `dir` as "author|subject" lines, newest first.
fn git_log(dir: &Path) -> Vec<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(["log", "--format=%an|%s"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

#[test]
fn a_cli_change_is_one_commit_by_its_author_and_reverting_it_restores_every_byte() {
    let dir = shipped_copy();
    let start = files(dir.path());
    let knowledge = dir.path().to_str().unwrap();
    let run =
        |args: &[&str]| policybot().env("USER", "alice").args(["--knowledge", knowledge]).args(args).output().unwrap();

    // Refused: the directory is made a repository with its files as they
    // were, and nothing more is committed.
    let refused = run(&["alias", "add", "no-such-entry", "anything"]);
    assert!(!refused.status.success());
    assert_eq!(git_log(dir.path()), ["operator (files)|Start of the knowledge history: the files as found"]);
    let out = run(&["alias", "add", "current-policies", "is ms a sanctuary state now"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let log = git_log(dir.path());
    assert_eq!(
        log,
        [
            "alice (console)|added the phrasing \"is ms a sanctuary state now\" to entry \"current-policies\"",
            "operator (files)|Start of the knowledge history: the files as found",
        ]
    );
    let version = git(dir.path(), &["rev-parse", "--short", "HEAD"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("version {version}")));
    // The change is the one line, and the work tree is clean.
    let diff = git(dir.path(), &["diff", "HEAD~1", "HEAD", "--numstat"]);
    assert_eq!(diff, format!("1\t0\t{FILE}"));
    assert_eq!(git(dir.path(), &["status", "--porcelain"]), "");

    let listed = run(&["history", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["version"], version.as_str());
    assert_eq!(listed[0]["who"], "alice (console)");
    assert_eq!(listed[0]["entries"][0], "current-policies");

    let out = run(&["revert", &version]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(files(dir.path()), start, "reverting the last change gives back every byte");
    let log = git_log(dir.path());
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log[0].starts_with(&format!("alice (console)|undid {version} (added the phrasing")), "{log:?}");
    assert_eq!(git(dir.path(), &["status", "--porcelain"]), "");

    // Unknown and malformed versions change nothing.
    for bad in ["deadbeef", "HEAD", "HEAD~1"] {
        let out = run(&["revert", bad]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("there is no change"), "{bad}");
    }
    assert_eq!(git_log(dir.path()).len(), 3);
    // `ask --json` names the version the answer came from.
    let out = run(&["ask", "--json", "does ms have sanctuary cities?"]);
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["version"], git(dir.path(), &["rev-parse", "--short", "HEAD"]).as_str());
}

fn answer(bot: &Bot, question: &str) -> String {
    match bot.handle(&Asked::Ask(question.into()), &moderator("x"), "!") {
        Reply::Answer { answer, .. } => answer,
        other => panic!("no answer: {}", said(&other)),
    }
}

/// A bot over a copy of the shipped knowledge kept in its own repository.
fn bot_with_history() -> (tempfile::TempDir, Bot) {
    let dir = shipped_copy();
    History::start(dir.path()).unwrap();
    let bot = Bot::load(Config::default(), dir.path().to_path_buf()).unwrap();
    (dir, bot)
}

#[test]
fn chat_changes_and_reloads_are_commits_named_for_who_made_them_and_undo_is_one_more() {
    let (dir, bot) = bot_with_history();
    let question = "does ms have sanctuary cities?";
    let before = answer(&bot, question);
    let start = files(dir.path());
    let entry = bot.knowledge().entry("current-policies").map(|e| e.id.clone()).unwrap();

    // A moderator's change: exactly one commit, by them, and the version
    // everywhere.
    let edit = Edit::SetAnswer { entry: entry.clone(), text: "A new answer, for the test.".into() };
    let reply = said(&bot.handle(&Asked::Edit(edit), &moderator("Dana"), "!"));
    assert!(reply.starts_with("Done: Dana (Matrix) replaced the answer"), "{reply}");
    let log = git_log(dir.path());
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0].starts_with("Dana (Matrix)|replaced the answer of entry \"current-policies\""), "{log:?}");
    let changed = git(dir.path(), &["rev-parse", "--short", "HEAD"]);
    assert!(reply.contains(&format!("(version {changed})")), "{reply}");
    assert_eq!(bot.knowledge().version.as_deref(), Some(changed.as_str()));
    assert!(bot.metrics.render().contains(&format!("policybot_knowledge{{version=\"{changed}\"}} 1")));
    assert!(answer(&bot, question).starts_with("A new answer"));
    let claims = said(&bot.handle(&Asked::Claims(entry.clone()), &moderator("x"), "!"));
    assert!(claims.contains(&format!("knowledge version {changed}")), "{claims}");

    // A refused change makes no commit.
    let taken = Edit::AddAlias { entry: "no-such-entry".into(), text: "anything at all".into() };
    let refused = said(&bot.handle(&Asked::Edit(taken), &moderator("Dana"), "!"));
    assert!(refused.starts_with("Nothing changed"), "{refused}");
    assert_eq!(git_log(dir.path()).len(), 2);

    // A save on the host and a reload: one commit, the operator's.
    let path = dir.path().join(FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    let saved = text.replacen("title = ", "# A comment saved by hand.\ntitle = ", 1);
    assert_ne!(saved, text);
    std::fs::write(&path, &saved).unwrap();
    let reloaded = said(&bot.handle(&Asked::Reload, &moderator("Dana"), "!"));
    assert!(reloaded.starts_with("Reloaded"), "{reloaded}");
    let log = git_log(dir.path());
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log[0].starts_with("operator (files)|Reloaded on request"), "{log:?}");
    let by_hand = git(dir.path(), &["rev-parse", "--short", "HEAD"]);
    assert!(reloaded.contains(&format!("Version {by_hand}")), "{reloaded}");
    // A reload that changes nothing makes no commit.
    said(&bot.handle(&Asked::Reload, &moderator("Dana"), "!"));
    assert_eq!(git_log(dir.path()).len(), 3);

    // A broken save: refused, not committed, and the reply says the files
    // hold changes that are neither in use nor recorded.
    std::fs::write(&path, saved.replacen("[[entry]]", "[[entry]", 1)).unwrap();
    let refused = said(&bot.handle(&Asked::Reload, &moderator("Dana"), "!"));
    assert!(refused.contains("not in use and not in the history: mississippi-ice.toml"), "{refused}");
    assert_eq!(git_log(dir.path()).len(), 3);
    std::fs::write(&path, &saved).unwrap();

    // History lists them, newest first, with versions; for one entry too.
    let listed = said(&bot.handle(&Asked::History(None), &moderator("Dana"), "!"));
    let lines: Vec<&str> = listed.lines().skip(1).collect();
    assert_eq!(lines.len(), 3, "{listed}");
    assert!(lines[0].contains(&by_hand) && lines[0].contains("operator (files)"), "{listed}");
    assert!(lines[1].contains(&changed) && lines[1].contains("Dana (Matrix)"), "{listed}");
    let one = said(&bot.handle(&Asked::History(Some(entry.clone())), &moderator("Dana"), "!"));
    assert_eq!(one.lines().count(), 2, "only the change to the entry: {one}");
    let refused = said(&bot.handle(&Asked::History(None), &Sender { is_moderator: false, ..moderator("Eve") }, "!"));
    assert!(refused.contains("for moderators only"), "{refused}");
    let refused =
        said(&bot.handle(&Asked::Undo(changed.clone()), &Sender { is_moderator: false, ..moderator("Eve") }, "!"));
    assert!(refused.contains("for moderators only"), "{refused}");
    assert_eq!(git_log(dir.path()).len(), 3);

    // Undo the answer change: the hand-saved comment stays, the answer is
    // the old one again, and the undo is one commit by whoever undid it.
    let undone = said(&bot.handle(&Asked::Undo(changed.clone()), &moderator("Lee"), "!"));
    assert!(undone.starts_with(&format!("Done: Lee (Matrix) undid {changed}")), "{undone}");
    assert_eq!(answer(&bot, question), before);
    let log = git_log(dir.path());
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(log[0].starts_with(&format!("Lee (Matrix)|undid {changed}")), "{log:?}");
    assert!(std::fs::read_to_string(&path).unwrap().contains("# A comment saved by hand."));
    // Undoing the hand save too gives back the files as they started.
    said(&bot.handle(&Asked::Undo(by_hand.clone()), &moderator("Lee"), "!"));
    assert_eq!(files(dir.path()), start);
    assert_eq!(git(dir.path(), &["status", "--porcelain"]), "");
}

#[test]
fn an_undo_that_clashes_or_breaks_the_regression_set_is_refused_and_writes_nothing() {
    let (dir, bot) = bot_with_history();
    let set = |text: &str| Edit::SetAnswer { entry: "current-policies".into(), text: text.into() };
    said(&bot.handle(&Asked::Edit(set("First answer.")), &moderator("Dana"), "!"));
    let first = git(dir.path(), &["rev-parse", "--short", "HEAD"]);
    said(&bot.handle(&Asked::Edit(set("Second answer.")), &moderator("Dana"), "!"));
    let before = files(dir.path());
    let commits = git_log(dir.path()).len();
    let refused = said(&bot.handle(&Asked::Undo(first.clone()), &moderator("Lee"), "!"));
    assert!(refused.contains("a later change touched the same lines"), "{refused}");
    assert_eq!(files(dir.path()), before);
    assert_eq!(git_log(dir.path()).len(), commits);

    // A new entry, then a regression case that needs it (saved by hand and
    // reloaded): undoing the entry would fail the case, so it is refused.
    let new = Edit::NewEntry {
        id: "county-jails".into(),
        topic: "State law".into(),
        question: "Which county jails hold people for immigration detainers?".into(),
        answer: "The ones listed in the county agreements.".into(),
    };
    said(&bot.handle(&Asked::Edit(new), &moderator("Dana"), "!"));
    let added = git(dir.path(), &["rev-parse", "--short", "HEAD"]);
    let cases = dir.path().join("tests.toml");
    let mut text = std::fs::read_to_string(&cases).unwrap();
    text.push_str("\n[[case]]\nquestion = \"which county jails hold people for immigration detainers\"\nexpect = \"county-jails\"\n");
    std::fs::write(&cases, text).unwrap();
    assert!(said(&bot.handle(&Asked::Reload, &moderator("Dana"), "!")).starts_with("Reloaded"));
    let before = files(dir.path());
    let commits = git_log(dir.path()).len();
    let refused = said(&bot.handle(&Asked::Undo(added), &moderator("Lee"), "!"));
    assert!(refused.contains("county-jails"), "{refused}");
    assert_eq!(files(dir.path()), before);
    assert_eq!(git_log(dir.path()).len(), commits);
}

#[test]
fn a_save_nobody_reloaded_is_recorded_as_the_operators_before_a_moderators_change() {
    let (dir, bot) = bot_with_history();
    let path = dir.path().join(FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    let saved = text.replacen("title = ", "# Saved by hand, not reloaded.\ntitle = ", 1);
    std::fs::write(&path, &saved).unwrap();
    let edit = Edit::AddAlias { entry: "current-policies".into(), text: "is ms a sanctuary state now".into() };
    said(&bot.handle(&Asked::Edit(edit), &moderator("Dana"), "!"));
    let log = git_log(dir.path());
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log[0].starts_with("Dana (Matrix)|added the phrasing"), "{log:?}");
    assert!(log[1].starts_with("operator (files)|"), "{log:?}");
    // The operator's commit holds their save alone; the moderator's, their
    // one line.
    assert_eq!(git(dir.path(), &["show", &format!("HEAD~1:{FILE}")]), saved.trim_end());
    assert_eq!(git(dir.path(), &["diff", "HEAD~1", "HEAD", "--numstat"]), format!("1\t0\t{FILE}"));
}

#[test]
fn a_knowledge_directory_inside_an_operators_repository_is_committed_there_and_nothing_else_is() {
    let top = tempfile::tempdir().unwrap();
    git(top.path(), &["init", "-q"]);
    let knowledge = top.path().join("faq");
    std::fs::create_dir(&knowledge).unwrap();
    for entry in std::fs::read_dir("knowledge").unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, knowledge.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(top.path().join("notes.txt"), "the operator's own work\n").unwrap();
    git(top.path(), &["add", "."]);
    git(top.path(), &["-c", "user.name=op", "-c", "user.email=op@example.org", "commit", "-q", "-m", "mine"]);
    // Staged by the operator, not theirs to commit.
    std::fs::write(top.path().join("notes.txt"), "staged, not committed\n").unwrap();
    git(top.path(), &["add", "notes.txt"]);

    let bot = Bot::load(Config::default(), knowledge.clone()).unwrap();
    let edit = Edit::AddAlias { entry: "current-policies".into(), text: "is ms a sanctuary state now".into() };
    said(&bot.handle(&Asked::Edit(edit), &moderator("Dana"), "!"));
    let log = git_log(top.path());
    assert_eq!(log.len(), 2, "the operator's history is kept: {log:?}");
    assert!(log[0].starts_with("Dana (Matrix)|added the phrasing"));
    assert_eq!(git(top.path(), &["show", "--name-only", "--format=", "HEAD"]), format!("faq/{FILE}"));
    assert_eq!(git(top.path(), &["status", "--porcelain"]), "M  notes.txt", "their staged work stays staged");
}

#[test]
fn a_save_seen_by_the_watcher_is_one_commit_and_a_change_through_the_bot_is_not_committed_twice() {
    let (dir, bot) = bot_with_history();
    let bot = std::sync::Arc::new(bot);
    let _watcher = policybot::watch::start(bot.clone(), dir.path()).unwrap();
    let settle = || std::thread::sleep(std::time::Duration::from_millis(1_500));
    let path = dir.path().join(FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("title = ", "# Saved while the bot runs.\ntitle = ", 1)).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while git_log(dir.path()).len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    settle();
    let log = git_log(dir.path());
    assert_eq!(log.len(), 2, "one commit for one save: {log:?}");
    assert!(log[0].starts_with("operator (files)|Reloaded after a file save"), "{log:?}");
    assert_eq!(bot.knowledge().version.as_deref(), Some(git(dir.path(), &["rev-parse", "--short", "HEAD"]).as_str()));

    // The watcher sees the bot's own write too; that reload records nothing.
    let edit = Edit::AddAlias { entry: "current-policies".into(), text: "is ms a sanctuary state now".into() };
    said(&bot.handle(&Asked::Edit(edit), &moderator("Dana"), "!"));
    settle();
    settle();
    let log = git_log(dir.path());
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log[0].starts_with("Dana (Matrix)|"), "{log:?}");
}
