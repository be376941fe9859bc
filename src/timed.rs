//! Running another program with a time limit: its output read from files
//! (a child that fills a pipe nobody reads until it exits would never
//! exit), and the child killed when the limit passes. For the commands
//! that talk to the network (git fetch and push, pip) and could hang.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Runs `command` (stdin, stdout and stderr are set here) to its end, or
/// kills it after `limit`: `Ok(None)` then.
pub fn run(mut command: Command, limit: Duration) -> std::io::Result<Option<Output>> {
    let scratch = tempfile::tempdir()?;
    let (out_path, err_path) = (scratch.path().join("out"), scratch.path().join("err"));
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out_path)?)
        .stderr(std::fs::File::create(&err_path)?);
    let mut child = command.spawn()?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |p: &Path| std::fs::read(p).unwrap_or_default();
    Ok(Some(Output { status, stdout: read(&out_path), stderr: read(&err_path) }))
}
