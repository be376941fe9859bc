//! Stopping the real binary in every state a platform can be in, and
//! start-up failures that must end it: SIGTERM while Discord cannot be
//! reached, while serenity retries a gateway that refuses, while a Matrix
//! homeserver takes the connection and never answers (before and during the
//! login); a token Discord rejects, a token that cannot be a header, a
//! homeserver that refuses connections, and one platform failing while the
//! other connects. The stand-ins are a few lines of std networking on
//! loopback: only what each state needs.
#![cfg(all(feature = "discord", feature = "matrix"))]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The bound the issue sets: a stop ends the process within this.
const STOP_BOUND: Duration = Duration::from_secs(10);

#[path = "support/http.rs"]
mod http;
use http::standin;

/// A port where nothing listens: connections are refused.
fn refused_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A port that takes connections (the kernel completes them) and never
/// reads or answers.
fn silent_port() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

struct Bot {
    child: Child,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// Starts the binary with `config` (the [data] section is added) and `env`.
fn start(config: &str, env: &[(&str, &str)]) -> Bot {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let knowledge = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    std::fs::write(
        &path,
        format!(
            // The shipped files are the project's: no history is kept of them.
            "[data]\ndir = \"{}\"\n[knowledge]\ndir = \"{}\"\nwatch = false\nhistory = false\n[semantic]\nenabled = false\n{config}",
            dir.path().join("data").display(),
            knowledge.display()
        ),
    )
    .unwrap();
    let log = dir.path().join("stderr.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_policybot"));
    cmd.arg("--config")
        .arg(&path)
        .env_remove("DISCORD_TOKEN")
        .env_remove("MATRIX_PASSWORD")
        .env_remove("MATRIX_ACCESS_TOKEN")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Bot { child: cmd.spawn().unwrap(), log, _dir: dir }
}

impl Bot {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_for_log(&self, text: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.log().contains(text) {
            assert!(Instant::now() < deadline, "no {text:?} in the log within {within:?}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the process to end by itself within `within`.
    fn exits_within(&mut self, within: Duration) -> (ExitStatus, Duration) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, started.elapsed());
            }
            if started.elapsed() > within {
                let _ = self.child.kill();
                panic!("still running after {within:?}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the exit status and how long it took.
    fn terminate(&mut self) -> (ExitStatus, Duration) {
        assert!(self.child.try_wait().unwrap().is_none(), "ended before the stop:\n{}", self.log());
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        self.exits_within(STOP_BOUND)
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn discord(port: u16) -> String {
    format!("[discord]\napi_base = \"http://127.0.0.1:{port}\"\n")
}

fn matrix(port: u16) -> String {
    format!("[matrix]\nhomeserver = \"http://127.0.0.1:{port}\"\nuser_id = \"@bot:localhost\"\n")
}

/// Lines of the log that are not about the test's proxy set-up.
fn lines_naming<'a>(log: &'a str, what: &str) -> Vec<&'a str> {
    log.lines().filter(|l| l.contains(what)).collect()
}

#[test]
fn sigterm_ends_the_bot_while_discord_cannot_be_reached() {
    let metrics = refused_port();
    let config = format!("[metrics]\nlisten = \"127.0.0.1:{metrics}\"\n{}", discord(refused_port()));
    let mut bot = start(&config, &[("DISCORD_TOKEN", "standin-token")]);
    bot.wait_for_log("cannot reach Discord; retrying", Duration::from_secs(20));
    // Not ready while it retries, and the endpoint says which platform.
    let mut s = TcpStream::connect(("127.0.0.1", metrics)).unwrap();
    write!(s, "GET /ready HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").unwrap();
    let mut ready = String::new();
    s.read_to_string(&mut ready).unwrap();
    assert!(ready.starts_with("HTTP/1.1 503"), "{ready}");
    // (No knowledge version: the shipped files are kept without a history here.)
    let body = "{\"knowledge_version\":null,\"platforms\":{\"discord\":false},\"ready\":false}\n";
    assert!(ready.ends_with(body), "{ready}");
    // Into the retry wait.
    std::thread::sleep(Duration::from_millis(1_500));
    let (status, took) = bot.terminate();
    assert!(status.success(), "{status}:\n{}", bot.log());
    assert!(took < STOP_BOUND, "{took:?}");
    assert!(!bot.log().contains("standin-token"), "the token reached the log");
}

#[test]
fn sigterm_ends_the_bot_while_serenity_retries_a_refused_gateway() {
    fn route(path: &str) -> Option<(u16, &'static str)> {
        if path.ends_with("/users/@me") {
            return Some((200, r#"{"id":"10","username":"bot","discriminator":"0","avatar":null,"bot":true}"#));
        }
        if path.contains("/gateway") {
            // A gateway URL where nothing listens (a port below 1024 that
            // a test runner cannot have bound).
            return Some((200, r#"{"url":"ws://127.0.0.1:9"}"#));
        }
        Some((404, r#"{"message":"404: Not Found","code":0}"#))
    }
    let mut bot = start(&discord(standin(route)), &[("DISCORD_TOKEN", "standin-token")]);
    bot.wait_for_log("Err starting shard", Duration::from_secs(20));
    let (status, took) = bot.terminate();
    assert!(status.success(), "{status}:\n{}", bot.log());
    assert!(took < STOP_BOUND, "{took:?}");
}

#[test]
fn a_token_discord_rejects_ends_start_up_with_one_line_naming_it() {
    fn route(_: &str) -> Option<(u16, &'static str)> {
        Some((401, r#"{"message":"401: Unauthorized","code":0}"#))
    }
    let mut bot = start(&discord(standin(route)), &[("DISCORD_TOKEN", "standin-token")]);
    let (status, _) = bot.exits_within(Duration::from_secs(20));
    let log = bot.log();
    assert_eq!(status.code(), Some(1), "{log}");
    let naming = lines_naming(&log, "DISCORD_TOKEN");
    assert_eq!(naming.len(), 1, "{log}");
    assert!(naming[0].starts_with("error: Discord failed: Discord rejected DISCORD_TOKEN (401"), "{log}");
    assert_eq!(log.lines().last(), Some(naming[0]), "the reason is the last line:\n{log}");
    assert!(!log.contains("standin-token"));
}

#[test]
fn a_token_that_cannot_be_a_header_ends_start_up_at_once() {
    for token in ["two words", "line\nbreak", "quoted\"", "naïve"] {
        let mut bot = start(&discord(refused_port()), &[("DISCORD_TOKEN", token)]);
        let (status, took) = bot.exits_within(Duration::from_secs(10));
        let log = bot.log();
        assert_eq!(status.code(), Some(1), "{token:?}: {log}");
        assert_eq!(log.trim().lines().count(), 1, "{token:?}: {log}");
        assert!(log.starts_with("error: DISCORD_TOKEN has characters a Discord token never has"), "{log}");
        assert!(!log.contains(token), "{token:?} reached the log");
        assert!(took < Duration::from_secs(5), "{took:?}");
    }
}

#[test]
fn sigterm_ends_the_bot_while_a_homeserver_takes_the_connection_and_never_answers() {
    let (_listener, port) = silent_port();
    let mut bot = start(&matrix(port), &[("MATRIX_PASSWORD", "standin-password")]);
    std::thread::sleep(Duration::from_secs(3));
    let (status, took) = bot.terminate();
    assert!(status.success(), "{status}:\n{}", bot.log());
    assert!(took < STOP_BOUND, "{took:?}");
}

#[test]
fn sigterm_ends_the_bot_during_a_login_that_is_never_answered() {
    fn route(path: &str) -> Option<(u16, &'static str)> {
        // The server is there (versions answer); the login never does.
        path.contains("/versions").then_some((200, r#"{"versions":["v1.1","v1.5","v1.11"]}"#))
    }
    let port = standin(route);
    let mut bot = start(&matrix(port), &[("MATRIX_PASSWORD", "standin-password")]);
    std::thread::sleep(Duration::from_secs(3));
    assert!(!bot.log().contains("cannot reach"), "{}", bot.log());
    let (status, took) = bot.terminate();
    assert!(status.success(), "{status}:\n{}", bot.log());
    assert!(took < STOP_BOUND, "{took:?}");
    assert!(!bot.log().contains("standin-password"));
}

#[test]
fn a_homeserver_that_refuses_connections_is_reported_unreachable() {
    let mut bot = start(&matrix(refused_port()), &[("MATRIX_PASSWORD", "standin-password")]);
    bot.wait_for_log("cannot reach the Matrix homeserver", Duration::from_secs(10));
    let log = bot.log();
    assert!(log.contains("Connection refused"), "{log}");
    assert!(!log.contains("MATRIX_PASSWORD"), "blamed the credentials:\n{log}");
    let (status, took) = bot.terminate();
    assert!(status.success(), "{status}");
    assert!(took < STOP_BOUND, "{took:?}");
}

/// The rule: a platform that fails stops the other and the process exits
/// non-zero naming the failure, so the service manager sees it.
#[test]
fn one_platform_failing_stops_the_other_and_exits_non_zero() {
    fn rejects(_: &str) -> Option<(u16, &'static str)> {
        Some((401, r#"{"message":"401: Unauthorized","code":0}"#))
    }
    let (_listener, silent) = silent_port();
    let config = format!("{}{}", discord(standin(rejects)), matrix(silent));
    let mut bot = start(&config, &[("DISCORD_TOKEN", "standin-token"), ("MATRIX_PASSWORD", "standin-password")]);
    let (status, took) = bot.exits_within(STOP_BOUND + Duration::from_secs(5));
    let log = bot.log();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("stopping the other platform too"), "{log}");
    assert!(log.lines().last().unwrap().starts_with("error: Discord failed: Discord rejected DISCORD_TOKEN"), "{log}");
    assert!(took < STOP_BOUND + Duration::from_secs(5), "{took:?}");
}
