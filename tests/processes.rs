//! Several processes on one host, through the real binary: two bots
//! started at once on one empty data directory (one runs, the other
//! refuses naming it, and the records' hash key is whole and one), and two
//! bots on one Matrix store (the second refuses before it logs in).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

/// `policybot run` with `config` written to a file of its own in `dir`.
fn start(dir: &Path, name: &str, config: &str, env: &[(&str, &str)], console: bool) -> Child {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, config).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_policybot"));
    cmd.arg("--config").arg(&path).arg("run");
    if console {
        cmd.arg("--console");
    }
    cmd.env_remove("DISCORD_TOKEN")
        .env_remove("MATRIX_PASSWORD")
        .env_remove("MATRIX_ACCESS_TOKEN")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(format!("{name}.log"))).unwrap());
    cmd.spawn().unwrap()
}

fn shipped() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge").display().to_string()
}

/// Waits for `child` to exit; `None` if it still runs after `within`.
fn exited(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn two_bots_started_at_once_on_one_empty_data_directory_leave_one_running_and_one_key() {
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let config = format!(
            "[knowledge]\ndir = \"{}\"\nwatch = false\nhistory = false\n[semantic]\nenabled = false\n[data]\ndir = \"{}\"\n",
            shipped(),
            data.display()
        );
        let mut bots = [start(dir.path(), "a", &config, &[], true), start(dir.path(), "b", &config, &[], true)];
        // One refuses at once; the other chats until its input ends.
        let deadline = Instant::now() + WAIT;
        let refused = loop {
            if let Some(i) = (0..2).find(|&i| bots[i].try_wait().unwrap().is_some()) {
                break i;
            }
            assert!(Instant::now() < deadline, "round {round}: neither refused");
            std::thread::sleep(Duration::from_millis(20));
        };
        let status = bots[refused].wait().unwrap();
        assert_eq!(status.code(), Some(1), "round {round}");
        let name = ["a", "b"][refused];
        let log = std::fs::read_to_string(dir.path().join(format!("{name}.log"))).unwrap();
        assert!(log.contains("is in use by another policybot process (pid "), "round {round}: {log}");
        let running = &mut bots[1 - refused];
        assert!(exited(running, Duration::from_millis(500)).is_none(), "round {round}: the other one runs");
        drop(running.stdin.take());
        assert!(exited(running, WAIT).is_some_and(|s| s.success()), "round {round}");
        // The key is whole: it reads back as one.
        let key = std::fs::read_to_string(data.join(policybot::records::Keys::FILE)).unwrap();
        assert_eq!(key.trim().len(), 64, "round {round}: {key:?}");
    }
}

// Only a build with the Matrix adapter has a Matrix store to hold.
#[cfg(feature = "matrix")]
#[test]
fn a_second_bot_on_one_matrix_store_refuses_before_it_logs_in() {
    // A homeserver that refuses connections: the first bot retries, and
    // holds the store meanwhile.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("matrix-store");
    let config = |data: &str| {
        format!(
            "[knowledge]\ndir = \"{}\"\nwatch = false\nhistory = false\n[semantic]\nenabled = false\n[data]\ndir = \"{}\"\n[discord]\nenabled = false\n[matrix]\nhomeserver = \"http://127.0.0.1:{port}\"\nuser_id = \"@bot:localhost\"\ndata_dir = \"{}\"\n",
            shipped(),
            dir.path().join(data).display(),
            store.display()
        )
    };
    let token = [("MATRIX_ACCESS_TOKEN", "a-token")];
    let mut first = start(dir.path(), "first", &config("data-1"), &token, false);
    let deadline = Instant::now() + WAIT;
    while !store.join("policybot.lock").exists() {
        assert!(Instant::now() < deadline, "the first bot never took the store");
        assert!(first.try_wait().unwrap().is_none(), "the first bot exited");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Its own data directory, the same Matrix store.
    let mut second = start(dir.path(), "second", &config("data-2"), &token, false);
    let status = exited(&mut second, WAIT).expect("the second bot kept running");
    assert_eq!(status.code(), Some(1));
    let log = std::fs::read_to_string(dir.path().join("second.log")).unwrap();
    assert!(log.contains("the Matrix store") && log.contains("is in use by another policybot process"), "{log}");
    assert!(first.try_wait().unwrap().is_none(), "the first bot still runs");
    first.kill().unwrap();
    first.wait().unwrap();
}
