//! Several machines in step through one remote (a bare repository on a
//! local path): a change through one is served by the other after its
//! next pull; concurrent changes merge, or one is taken back with its
//! reason and kept; an unreachable remote leaves the last good knowledge
//! serving and is said once; a rewritten remote is not followed.

use std::path::Path;
use std::process::Command;

use policybot::answer::Command as Asked;
use policybot::bot::{Bot, Synced};
use policybot::config::Config;
use policybot::history::History;
use policybot::knowledge::edit::Edit;
use policybot::reply::Reply;

#[path = "support/shipped.rs"]
mod shipped;
use shipped::{git, moderator, said, shipped_copy};

/// A machine: its own copy of the shipped knowledge, sharing `remote`,
/// started as `policybot run` starts (history, then a pull).
fn machine(remote: &Path) -> (tempfile::TempDir, Bot) {
    let dir = shipped_copy();
    History::start(dir.path()).unwrap();
    let mut config = Config::default();
    config.knowledge.remote = Some(remote.to_string_lossy().into_owned());
    let bot = Bot::load(config, dir.path().to_path_buf()).unwrap();
    bot.sync();
    (dir, bot)
}

fn bare() -> tempfile::TempDir {
    let remote = tempfile::tempdir().unwrap();
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    remote
}

fn entry_of(bot: &Bot, question: &str) -> Option<String> {
    match bot.handle(&Asked::Ask(question.into()), &moderator("x"), "!") {
        Reply::Answer { entry, .. } => Some(entry.id),
        _ => None,
    }
}

fn answer_of(bot: &Bot, id: &str) -> String {
    bot.knowledge().entry(id).unwrap().answer.clone()
}

#[test]
fn a_change_through_one_machine_is_served_by_the_other_after_its_next_pull() {
    let remote = bare();
    let (a, bot_a) = machine(remote.path());
    let (b, bot_b) = machine(remote.path());
    // B took A's history (its own lone first commit kept aside): one text.
    assert_eq!(git(a.path(), &["rev-parse", "HEAD"]), git(b.path(), &["rev-parse", "HEAD"]));
    assert_eq!(git(remote.path(), &["rev-parse", "main"]), git(a.path(), &["rev-parse", "HEAD"]));

    let phrasing = "Are there towns here that refuse to help immigration agents?";
    let before = entry_of(&bot_b, phrasing);
    assert_ne!(before.as_deref(), Some("current-policies"), "the phrasing is new to the knowledge");
    let edit = Edit::AddAlias { entry: "current-policies".into(), text: phrasing.into() };
    let reply = said(&bot_a.handle(&Asked::Edit(edit), &moderator("Dana"), "!"));
    assert!(reply.starts_with("Done:") && !reply.contains("not shared"), "{reply}");
    // Pushed at once.
    assert_eq!(git(remote.path(), &["rev-parse", "main"]), git(a.path(), &["rev-parse", "HEAD"]));
    // B serves it after one pull, the same version as A.
    assert_eq!(entry_of(&bot_b, phrasing), before);
    assert!(matches!(bot_b.sync(), Synced::Took(_)));
    assert_eq!(entry_of(&bot_b, phrasing).as_deref(), Some("current-policies"));
    assert_eq!(bot_b.knowledge().version, bot_a.knowledge().version);
    assert!(bot_b.knowledge().version.is_some());
    // Nothing more to do on either side.
    assert_eq!(bot_b.sync(), Synced::Nothing);
    assert_eq!(bot_a.sync(), Synced::Nothing);

    // A save on B's host, reloaded there, reaches A the same way.
    let file = b.path().join("mississippi-ice.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("title = ", "# Saved on B's host.\ntitle = ", 1)).unwrap();
    let reloaded = said(&bot_b.handle(&Asked::Reload, &moderator("Lee"), "!"));
    assert!(reloaded.starts_with("Reloaded") && !reloaded.contains("not shared"), "{reloaded}");
    assert!(matches!(bot_a.sync(), Synced::Took(_)));
    assert!(std::fs::read_to_string(a.path().join("mississippi-ice.toml")).unwrap().contains("# Saved on B's host."));
    assert_eq!(bot_b.knowledge().version, bot_a.knowledge().version);

    // A /reload on B pulls first, and its report says what came in.
    let edit = Edit::SetAnswer { entry: "court-cases".into(), text: "Revision A9.".into() };
    said(&bot_a.handle(&Asked::Edit(edit), &moderator("Dana"), "!"));
    let reloaded = said(&bot_b.handle(&Asked::Reload, &moderator("Lee"), "!"));
    assert!(reloaded.contains("changed: court-cases"), "{reloaded}");
    assert_eq!(answer_of(&bot_b, "court-cases"), "Revision A9.");
    drop((a, b));
}

#[test]
fn concurrent_changes_on_two_machines_converge_with_both_kept_or_one_taken_back_and_kept() {
    let remote = bare();
    let (a, bot_a) = machine(remote.path());
    let (b, bot_b) = machine(remote.path());
    // Both change the knowledge before either pulls: different entries.
    let on_a = Edit::SetAnswer { entry: "current-policies".into(), text: "Revision A1.".into() };
    let on_b = Edit::SetAnswer { entry: "community-trust".into(), text: "Revision B1.".into() };
    said(&bot_a.handle(&Asked::Edit(on_a), &moderator("Dana"), "!"));
    // B's change is made after pulling A's: both are in B's files at once.
    let reply = said(&bot_b.handle(&Asked::Edit(on_b), &moderator("Lee"), "!"));
    assert!(reply.starts_with("Done:") && !reply.contains("not shared"), "{reply}");
    assert_eq!(answer_of(&bot_b, "current-policies"), "Revision A1.");
    bot_a.sync();
    for bot in [&bot_a, &bot_b] {
        assert_eq!(answer_of(bot, "current-policies"), "Revision A1.");
        assert_eq!(answer_of(bot, "community-trust"), "Revision B1.");
    }
    assert_eq!(git(a.path(), &["rev-parse", "HEAD"]), git(b.path(), &["rev-parse", "HEAD"]));

    // Truly at the same time: B's change is committed while A's push is
    // not yet fetched (the remote moved between B's pull and B's push).
    // Different entries merge.
    let c = tempfile::tempdir().unwrap();
    git(c.path(), &["clone", "-q", &remote.path().to_string_lossy(), "."]);
    let file = c.path().join("mississippi-ice.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("title = ", "# A comment pushed from a third copy.\ntitle = ", 1)).unwrap();
    git(c.path(), &["-c", "user.name=op", "-c", "user.email=op@example.org", "commit", "-qam", "comment"]);
    git(c.path(), &["push", "-q", "origin", "HEAD:main"]);
    let on_a = Edit::SetAnswer { entry: "community-trust".into(), text: "Revision A2.".into() };
    let reply = said(&bot_a.handle(&Asked::Edit(on_a), &moderator("Dana"), "!"));
    assert!(reply.starts_with("Done:"), "{reply}");
    let served = std::fs::read_to_string(a.path().join("mississippi-ice.toml")).unwrap();
    assert!(served.contains("# A comment pushed from a third copy."), "the remote's change is kept");
    assert_eq!(answer_of(&bot_a, "community-trust"), "Revision A2.");

    // Changes made while the remote could not be reached: B's is on
    // another entry than A's, so they merge on B's next pull.
    let away = remote.path().with_extension("away");
    std::fs::rename(remote.path(), &away).unwrap();
    let on_b = Edit::SetAnswer { entry: "court-cases".into(), text: "Revision B2, offline.".into() };
    let reply = said(&bot_b.handle(&Asked::Edit(on_b), &moderator("Lee"), "!"));
    assert!(reply.contains("not shared with the other machines yet"), "{reply}");
    std::fs::rename(&away, remote.path()).unwrap();
    let on_a = Edit::SetAnswer { entry: "current-policies".into(), text: "Revision A3.".into() };
    let reply = said(&bot_a.handle(&Asked::Edit(on_a), &moderator("Dana"), "!"));
    assert!(reply.starts_with("Done:") && !reply.contains("not shared"), "{reply}");
    assert!(matches!(bot_b.sync(), Synced::Took(line) if line.starts_with("Merged")));
    assert!(matches!(bot_a.sync(), Synced::Took(_)));
    for bot in [&bot_a, &bot_b] {
        assert_eq!(answer_of(bot, "court-cases"), "Revision B2, offline.");
        assert_eq!(answer_of(bot, "current-policies"), "Revision A3.");
    }
    assert_eq!(git(a.path(), &["rev-parse", "HEAD"]), git(b.path(), &["rev-parse", "HEAD"]));
    assert_eq!(git(remote.path(), &["rev-parse", "main"]), git(a.path(), &["rev-parse", "HEAD"]));

    // The same lines: B's change is taken back (said in the moderation
    // log), kept under a ref with its text, and both serve A's.
    std::fs::rename(remote.path(), &away).unwrap();
    let on_b = Edit::SetAnswer { entry: "current-policies".into(), text: "B loses this one.".into() };
    said(&bot_b.handle(&Asked::Edit(on_b), &moderator("Lee"), "!"));
    std::fs::rename(&away, remote.path()).unwrap();
    let on_a = Edit::SetAnswer { entry: "current-policies".into(), text: "A wins this one.".into() };
    said(&bot_a.handle(&Asked::Edit(on_a), &moderator("Dana"), "!"));
    let mut log_b = bot_b.moderation_log().subscribe();
    let Synced::TakenBack(kept) = bot_b.sync() else { panic!("B's clashing change was not taken back") };
    assert_eq!(answer_of(&bot_b, "current-policies"), "A wins this one.");
    assert_eq!(answer_of(&bot_a, "current-policies"), "A wins this one.");
    assert!(git(b.path(), &["show", &format!("{kept}:mississippi-ice.toml")]).contains("B loses this one."));
    let line = log_b.try_recv().unwrap();
    assert!(line.starts_with("Taken back:") && line.contains(&kept), "{line}");
    assert_eq!(git(b.path(), &["rev-parse", "HEAD"]), git(remote.path(), &["rev-parse", "main"]));
    assert_eq!(bot_b.sync(), Synced::Nothing);
}

#[test]
fn an_unreachable_remote_leaves_the_local_files_serving_and_a_rewritten_one_is_not_followed() {
    // Unreachable at start: the local files serve, one warning, no panic.
    let gone = tempfile::tempdir().unwrap().path().join("nowhere.git");
    let (dir, bot) = machine(&gone);
    let mut log = bot.moderation_log().subscribe();
    assert!(matches!(bot.sync(), Synced::NotFollowed(why) if why.contains("cannot reach the remote")));
    assert!(entry_of(&bot, "does ms have sanctuary cities?").is_some());
    // Tried again with backoff: two failed pulls in a row (start, and the
    // one above) double the wait twice.
    let every = std::time::Duration::from_secs(1);
    assert_eq!(bot.next_pull(every), every * 4);
    // A change is still made, and says it is not shared yet.
    let edit = Edit::AddAlias { entry: "current-policies".into(), text: "is ms a sanctuary state now".into() };
    let reply = said(&bot.handle(&Asked::Edit(edit), &moderator("Dana"), "!"));
    assert!(reply.starts_with("Done:") && reply.contains("not shared with the other machines yet"), "{reply}");
    drop(dir);

    // Rewritten: a remote forced back to an unrelated history.
    let remote = bare();
    let (a, bot_a) = machine(remote.path());
    let edit = Edit::AddAlias { entry: "current-policies".into(), text: "is ms a sanctuary state now".into() };
    said(&bot_a.handle(&Asked::Edit(edit), &moderator("Dana"), "!"));
    let c = tempfile::tempdir().unwrap();
    git(c.path(), &["clone", "-q", &remote.path().to_string_lossy(), "."]);
    git(c.path(), &["reset", "-q", "--hard", "HEAD~1"]);
    git(c.path(), &["push", "-q", "--force", "origin", "HEAD:main"]);
    let version = bot_a.knowledge().version.clone();
    let mut log_a = bot_a.moderation_log().subscribe();
    for _ in 0..3 {
        assert!(matches!(bot_a.sync(), Synced::NotFollowed(why) if why.contains("rewritten")));
    }
    assert_eq!(bot_a.knowledge().version, version, "still serving its own");
    let mut lines = Vec::new();
    while let Ok(line) = log_a.try_recv() {
        lines.push(line);
    }
    assert_eq!(lines.len(), 1, "said once: {lines:?}");
    assert!(lines[0].contains("rewritten"), "{lines:?}");
    let mut lines = Vec::new();
    while let Ok(line) = log.try_recv() {
        lines.push(line);
    }
    assert_eq!(lines.len(), 1, "the change, and nothing about the unreachable remote: {lines:?}");
    drop(a);
}

#[test]
fn two_processes_sharing_one_remote_serve_the_same_version_after_one_pull() {
    use std::io::{Read, Write};
    let remote = bare();
    let start = |dir: &Path| {
        let config = dir.join("policybot.toml");
        std::fs::write(
            &config,
            format!(
                "[knowledge]\ndir = \"{}\"\nwatch = false\nremote = \"{}\"\npull_interval = \"1s\"\n[semantic]\nenabled = false\n[data]\ndir = \"{}\"\n",
                dir.join("knowledge").display(),
                remote.path().display(),
                dir.join("data").display()
            ),
        )
        .unwrap();
        let copy = shipped_copy();
        std::fs::rename(copy.path(), dir.join("knowledge")).unwrap();
        Command::new(env!("CARGO_BIN_EXE_policybot"))
            .env_remove("DISCORD_TOKEN")
            .env_remove("MATRIX_PASSWORD")
            .env_remove("MATRIX_ACCESS_TOKEN")
            .env("RUST_LOG", "warn")
            .args(["--config"])
            .arg(&config)
            .args(["run", "--console"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = start(a_dir.path());
    // A is in step (its history on the remote) before B starts.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while Command::new("git")
        .arg("-C")
        .arg(remote.path())
        .args(["rev-parse", "-q", "--verify", "main"])
        .output()
        .unwrap()
        .stdout
        .is_empty()
    {
        assert!(std::time::Instant::now() < deadline, "A never pushed its history");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut b = start(b_dir.path());
    // (Empty until the process has made its copy a repository.)
    let head = |dir: &Path| {
        let out =
            Command::new("git").arg("-C").arg(dir.join("knowledge")).args(["rev-parse", "HEAD"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    while head(b_dir.path()) != head(a_dir.path()) {
        assert!(std::time::Instant::now() < deadline, "B never took A's history");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let phrasing = "Are there towns here that refuse to help immigration agents?";
    let mut stdin = a.stdin.take().unwrap();
    writeln!(stdin, "/alias add current-policies {phrasing}").unwrap();
    let changed = std::time::Instant::now();
    let deadline = changed + std::time::Duration::from_secs(20);
    while head(b_dir.path()) != head(a_dir.path())
        || git(remote.path(), &["rev-parse", "main"]) != head(a_dir.path())
        || !git(&a_dir.path().join("knowledge"), &["log", "-1", "--format=%s"]).starts_with("added the phrasing")
    {
        assert!(std::time::Instant::now() < deadline, "B never served A's change");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    eprintln!("B took A's change {:?} after it was made (pull_interval 1s)", changed.elapsed());
    writeln!(stdin, "/quit").unwrap();
    drop(stdin);
    let mut b_in = b.stdin.take().unwrap();
    // B has A's commit once their heads agree, but it may still be
    // reloading (embedding the new phrasing) when a question arrives on a
    // busy machine: asked a few times, the last answer counts.
    for _ in 0..4 {
        writeln!(b_in, "{phrasing}").unwrap();
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    writeln!(b_in, "/quit").unwrap();
    drop(b_in);
    let mut said_b = String::new();
    b.stdout.take().unwrap().read_to_string(&mut said_b).unwrap();
    assert!(b.wait().unwrap().success());
    assert!(a.wait().unwrap().success());
    let last = said_b.rfind("claims ").map(|i| &said_b[i..]).unwrap_or_default();
    assert!(last.starts_with("claims current-policies"), "B answers from A's change: {said_b}");
}
