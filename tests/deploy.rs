//! The systemd unit the deployment guide installs (`deploy/policybot.service`),
//! checked by systemd itself where `systemd-analyze` is installed: no unknown
//! key, no bad setting, an executable to start. Its promises are checked
//! too: a service user, its own writable state directory, the secrets from
//! an EnvironmentFile, and a restart when the bot exits with an error.

use std::process::Command;

const UNIT: &str = "deploy/policybot.service";

#[test]
fn the_unit_names_a_user_its_state_directory_secrets_and_restarts_on_failure() {
    let unit = std::fs::read_to_string(UNIT).unwrap();
    for line in [
        "User=policybot",
        "StateDirectory=policybot",
        "EnvironmentFile=/etc/policybot/secrets.env",
        "Restart=on-failure",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "ExecStart=/usr/local/bin/policybot --config /etc/policybot/config.toml run",
    ] {
        assert!(unit.lines().any(|l| l == line), "{UNIT} has no {line:?}");
    }
    // What DEPLOY.md tells the operator to install is this file.
    let guide = std::fs::read_to_string("docs/DEPLOY.md").unwrap();
    assert!(guide.contains(UNIT), "DEPLOY.md installs {UNIT}");
}

#[test]
fn systemd_finds_nothing_wrong_with_the_unit() {
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        eprintln!("systemd-analyze is not installed here; the unit's syntax is not checked by systemd");
        return;
    }
    // The same unit, starting the binary this build made.
    let dir = tempfile::tempdir().unwrap();
    let unit =
        std::fs::read_to_string(UNIT).unwrap().replace("/usr/local/bin/policybot", env!("CARGO_BIN_EXE_policybot"));
    let path = dir.path().join("policybot.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze").arg("verify").arg(&path).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    let complaints: Vec<&str> = said.lines().filter(|l| l.contains("policybot.service")).collect();
    assert!(complaints.is_empty(), "{complaints:#?}");
}
