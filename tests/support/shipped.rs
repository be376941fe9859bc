//! For tests that change the knowledge: a copy of the shipped knowledge
//! (its regression set too) in a temp dir that is in no repository, a
//! moderator to change it, and `git` to look at its history. Not every
//! test file uses every helper.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use policybot::bot::Sender;
use policybot::reply::Reply;

pub fn shipped_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("knowledge").unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

pub fn moderator(name: &str) -> Sender {
    Sender {
        is_moderator: true,
        origin: policybot::records::Keys::ephemeral().origin(policybot::platform::Platform::Matrix, "room", "room"),
        name: Some(name.into()),
    }
}

pub fn said(reply: &Reply) -> String {
    reply.render_plain("!")
}

/// What `git` prints in `dir` (trimmed); the test fails if it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
