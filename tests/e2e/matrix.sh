#!/usr/bin/env bash
# End-to-end test of the Matrix adapter against a real Synapse homeserver and
# a real client (matrix-nio), all on 127.0.0.1:
# - installs matrix-synapse and matrix-nio from PyPI into a venv under
#   target/ (reused when present);
# - writes a loopback-only Synapse config (SQLite, registration by shared
#   secret, relaxed rate limits, no federation) in a fresh directory;
# - builds the policybot binary and runs tests/e2e/matrix_client.py, which
#   starts Synapse and the bot, drives the conversation, checks every reply
#   and prints the p50 / p95 time from question to reply.
# Synapse is stopped by its own pid at the end, even on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VENV=$ROOT/target/e2e/venv
WORK=$ROOT/target/e2e/matrix
PORT=${POLICYBOT_E2E_PORT:-18008}

# matrix-nio's e2e extra brings python-olm (a manylinux wheel: no libolm
# to build) for the encrypted-DM test.
if ! "$VENV/bin/python" -c "import synapse, nio, olm" 2>/dev/null; then
  echo "== installing matrix-synapse and matrix-nio[e2e] into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check matrix-synapse "matrix-nio[e2e]"
fi

stop_synapse() {
  # Only ever our own Synapse: the pid the driver recorded when it started it.
  if [ -f "$WORK/synapse.pid.own" ]; then
    pid=$(cat "$WORK/synapse.pid.own")
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; sleep 1; kill -9 "$pid" 2>/dev/null || true; fi
  fi
}
trap stop_synapse EXIT

rm -rf "$WORK"
mkdir -p "$WORK"
cat > "$WORK/homeserver.yaml" <<YAML
server_name: "localhost"
pid_file: homeserver.pid
listeners:
  - port: $PORT
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: homeserver.db
media_store_path: media_store
signing_key_path: localhost.signing.key
log_config: log.yaml
registration_shared_secret: "test-shared-secret"
macaroon_secret_key: "test-macaroon-secret"
form_secret: "test-form-secret"
report_stats: false
enable_registration: false
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
presence:
  enabled: false
url_preview_enabled: false
rc_message: {per_second: 1000, burst_count: 1000}
rc_registration: {per_second: 1000, burst_count: 1000}
rc_login:
  address: {per_second: 1000, burst_count: 1000}
  account: {per_second: 1000, burst_count: 1000}
  failed_attempts: {per_second: 1000, burst_count: 1000}
rc_joins:
  local: {per_second: 1000, burst_count: 1000}
  remote: {per_second: 1000, burst_count: 1000}
rc_joins_per_room: {per_second: 1000, burst_count: 1000}
rc_invites:
  per_room: {per_second: 1000, burst_count: 1000}
  per_user: {per_second: 1000, burst_count: 1000}
  per_issuer: {per_second: 1000, burst_count: 1000}
rc_room_creation: {per_second: 1000, burst_count: 1000}
rc_admin_redaction: {per_second: 1000, burst_count: 1000}
bcrypt_rounds: 4
YAML
cat > "$WORK/log.yaml" <<YAML
version: 1
formatters:
  precise: {format: '%(asctime)s %(levelname)s %(name)s %(message)s'}
handlers:
  console: {class: logging.StreamHandler, formatter: precise}
root: {level: WARNING, handlers: [console]}
disable_existing_loggers: false
YAML
(cd "$WORK" && "$VENV/bin/python" -m synapse.app.homeserver -c homeserver.yaml --generate-keys >/dev/null)

echo "== building policybot"
cargo build --quiet --bin policybot
"$VENV/bin/python" tests/e2e/matrix_client.py \
  --python "$VENV/bin/python" --workdir "$WORK" --homeserver "http://127.0.0.1:$PORT" \
  --binary "$ROOT/target/debug/policybot" --knowledge "$ROOT/knowledge"
