"""End-to-end test of policybot on Matrix: a real Synapse homeserver, the
real policybot binary, and a real client (matrix-nio) in a room.

Run by tests/e2e/matrix.sh, which installs Synapse and matrix-nio into a venv
and writes the Synapse config; this script starts and stops Synapse (by its
own pid) and the bot, drives the conversation and checks every reply.
Everything talks to 127.0.0.1 only.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import tomllib
import urllib.request

from nio import AsyncClient, AsyncClientConfig, RoomCreateResponse, RoomMessageNotice, RoomSendResponse

SECRET = "test-shared-secret"
WAIT = 30.0


def log(*args):
    print(*args, flush=True)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def http(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def register(hs, username, password):
    """Registers a user with Synapse's shared-secret admin API."""
    nonce = http(f"{hs}/_synapse/admin/v1/register")["nonce"]
    mac = hmac.new(SECRET.encode(), digestmod=hashlib.sha1)
    mac.update(b"\x00".join([nonce.encode(), username.encode(), password.encode(), b"notadmin"]))
    http(f"{hs}/_synapse/admin/v1/register",
         {"nonce": nonce, "username": username, "password": password, "admin": False, "mac": mac.hexdigest()})


class Synapse:
    """Synapse in the background, stopped by its own pid."""

    def __init__(self, python, workdir, hs):
        self.python, self.workdir, self.hs, self.proc = python, workdir, hs, None

    def start(self):
        self.log = open(os.path.join(self.workdir, "synapse.log"), "a")
        self.proc = subprocess.Popen([self.python, "-m", "synapse.app.homeserver", "-c", "homeserver.yaml"],
                                     cwd=self.workdir, stdout=self.log, stderr=subprocess.STDOUT)
        with open(os.path.join(self.workdir, "synapse.pid.own"), "w") as f:
            f.write(str(self.proc.pid))
        deadline = time.time() + 60
        while time.time() < deadline:
            check(self.proc.poll() is None, "Synapse exited at start; see synapse.log")
            try:
                urllib.request.urlopen(f"{self.hs}/health", timeout=1)
                return
            except Exception:
                time.sleep(0.2)
        raise Failure("Synapse did not come up")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Bot:
    """The real policybot binary."""

    def __init__(self, binary, workdir, env):
        self.binary, self.workdir, self.env, self.proc, self.runs = binary, workdir, env, None, 0

    def start(self):
        self.runs += 1
        self.logfile = os.path.join(self.workdir, f"bot-{self.runs}.log")
        self.proc = subprocess.Popen([self.binary, "--config", "config.toml", "run"], cwd=self.workdir, env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(self.logfile, "w"))

    def wait_ready(self):
        """Until the bot has caught up and answers new messages (what came
        before that is, by design, never answered)."""
        deadline = time.time() + 60
        while "Matrix ready" not in self.log_text():
            check(self.proc.poll() is None, f"the bot exited:\n{self.log_text()}")
            check(time.time() < deadline, f"the bot never became ready:\n{self.log_text()}")
            time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            code = self.proc.wait(timeout=30)
            check(code == 0, f"the bot exited with {code} after SIGTERM")
        self.proc = None

    def log_text(self, run=None):
        with open(os.path.join(self.workdir, f"bot-{run or self.runs}.log")) as f:
            return f.read()


class Room:
    """A client's view of one room: every event, with when it arrived."""

    def __init__(self, client, room_id):
        self.client, self.room_id, self.events, self.task = client, room_id, [], None

    async def follow(self):
        since = None
        while True:
            try:
                resp = await self.client.sync(timeout=1000, since=since, full_state=since is None)
            except Exception as e:  # Synapse restarting: keep trying
                await asyncio.sleep(0.5)
                continue
            if not hasattr(resp, "next_batch"):
                await asyncio.sleep(0.5)
                continue
            since = resp.next_batch
            joined = resp.rooms.join.get(self.room_id)
            if joined:
                now = time.monotonic()
                for ev in joined.timeline.events:
                    self.events.append((now, ev.source))

    def start(self):
        self.task = asyncio.create_task(self.follow())

    async def send(self, content, kind="m.room.message"):
        for _ in range(50):
            resp = await self.client.room_send(self.room_id, kind, content, ignore_unverified_devices=True)
            if isinstance(resp, RoomSendResponse):
                return resp.event_id, time.monotonic()
            await asyncio.sleep(0.5)
        raise Failure(f"cannot send {content}: {resp}")

    async def wait_for(self, what, predicate, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, ev in self.events:
                if predicate(ev):
                    return at, ev
            await asyncio.sleep(0.05)
        raise Failure(f"timed out waiting for {what}")

    def replies_to(self, event_id, sender):
        return [ev for _, ev in self.events
                if ev.get("sender") == sender and ev.get("type") == "m.room.message"
                and ev["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == event_id]


def revoke(hs, token):
    """Logs the session with this token out, as an admin or a user would
    who revokes it: the bot's next request gets M_UNKNOWN_TOKEN."""
    req = urllib.request.Request(f"{hs}/_matrix/client/v3/logout", data=b"{}", method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        check(r.status == 200, f"logout: {r.status}")


def message(text, mention=None):
    content = {"msgtype": "m.text", "body": text}
    if mention:
        content["m.mentions"] = {"user_ids": [mention]}
    return content


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--homeserver", required=True)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--knowledge", required=True)
    args = ap.parse_args()
    hs, work = args.homeserver, args.workdir
    synapse = Synapse(args.python, work, hs)
    bot = None
    clients = []
    try:
        synapse.start()
        log("synapse up")
        for user in ["policybot", "mod", "alice", "otherbot", "voter"]:
            register(hs, user, f"{user}-password")
        BOT = "@policybot:localhost"

        # The moderation log room exists before the bot starts: the config
        # names it, and the moderator's invite to it is joined at start.
        mod = AsyncClient(hs, "@mod:localhost")
        await mod.login("mod-password")
        log_created = await mod.room_create(name="moderation log", invite=[BOT])
        check(isinstance(log_created, RoomCreateResponse), f"log room not created: {log_created}")
        log_room_id = log_created.room_id

        knowledge = os.path.join(work, "knowledge")
        shutil.copytree(args.knowledge, knowledge)
        # An entry with no Spanish translation, for step 2b: English only,
        # with the Spanish words a moderator would add to its file.
        with open(os.path.join(knowledge, "parking.toml"), "w", encoding="utf-8") as f:
            f.write('''title = "Parking"
synonyms = [["permit", "permiso", "permisos"], ["renew", "renovar", "renuevo"], ["parking", "estacionamiento"]]

[[entry]]
id = "parking-permits"
topic = "Parking"
question = "How do I renew a parking permit?"
answer = "Renew it at the permit office."
claims = [{ text = "Parking permits are renewed at the permit office.", status = "unverified" }]
''')
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            metrics_port = probe.getsockname()[1]
        with open(os.path.join(work, "config.toml"), "w") as f:
            # Watching off: here only !reload may apply a change.
            f.write(f"""[knowledge]
dir = "knowledge"
watch = false
[data]
dir = "data"
[matrix]
homeserver = "{hs}"
user_id = "{BOT}"
# Only the moderator's invites are joined; anyone else's are declined.
moderators = ["@mod:localhost"]
# The test asks faster than any person would.
cooldown_seconds = 0
[moderation]
log_room = "{log_room_id}"
[metrics]
listen = "127.0.0.1:{metrics_port}"
[logging]
format = "pretty"
""")
        env = dict(os.environ, MATRIX_PASSWORD="policybot-password", RUST_LOG=os.environ.get("POLICYBOT_E2E_LOG", "policybot=info,matrix_sdk=warn"))
        env.pop("DISCORD_TOKEN", None)
        bot = Bot(args.binary, work, env)
        bot.start()
        bot.wait_ready()
        # The readiness endpoint says Matrix is connected.
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/ready", timeout=5) as r:
            ready = json.loads(r.read())
            # The knowledge version: the history the bot made of its copy.
            version = subprocess.run(["git", "-C", knowledge, "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True, check=True).stdout.strip()
            check(r.status == 200 and ready == {"ready": True, "platforms": {"matrix": True},
                                                "knowledge_version": version}, f"/ready: {ready}")
        log(f"/ready: 200, matrix connected, knowledge version {version}")

        alice = AsyncClient(hs, "@alice:localhost")
        await alice.login("alice-password")
        other = AsyncClient(hs, "@otherbot:localhost")
        await other.login("otherbot-password")
        voter = AsyncClient(hs, "@voter:localhost")
        await voter.login("voter-password")
        clients = [alice, mod, other, voter]
        # The moderator creates the room (creators outrank everyone). Alice
        # holds power 100 in it, as she would in a room she made herself;
        # the room is not in moderator_rooms, so that makes her no moderator.
        created = await mod.room_create(name="policy", invite=[BOT, "@alice:localhost", "@otherbot:localhost",
                                                               "@voter:localhost"],
                                        power_level_override={"users": {"@alice:localhost": 100}})
        check(isinstance(created, RoomCreateResponse), f"room not created: {created}")
        room_id = created.room_id
        for c in (alice, other, voter):
            await c.join(room_id)
        room = Room(alice, room_id)
        room.start()
        await room.wait_for("the bot to join", lambda e: e.get("type") == "m.room.member"
                            and e.get("state_key") == BOT and e["content"].get("membership") == "join", 60)
        log("bot joined the moderator's room")
        # An invite from someone not allowed is declined.
        other_room_resp = await alice.room_create(name="elsewhere", invite=[BOT])
        check(isinstance(other_room_resp, RoomCreateResponse), f"room not created: {other_room_resp}")
        elsewhere = Room(alice, other_room_resp.room_id)
        elsewhere.start()
        await elsewhere.wait_for("the bot to decline alice's invite", lambda e: e.get("type") == "m.room.member"
                                 and e.get("state_key") == BOT and e["content"].get("membership") == "leave", 60)
        elsewhere.task.cancel()
        log("   an invite from an ordinary user was declined")
        mod_room = Room(mod, room_id)
        other_room = Room(other, room_id)

        latencies = []
        asked = []  # every question event id

        async def ask(text, sender_room=room, mention=True):
            event_id, sent = await sender_room.send(message(f"policybot: {text}", BOT if mention else None))
            asked.append(event_id)
            at, reply = await room.wait_for(f"a reply to {text!r}", lambda e: e.get("sender") == BOT
                                            and e["content"].get("m.relates_to", {}).get("m.in_reply_to", {})
                                            .get("event_id") == event_id)
            latencies.append(at - sent)
            return event_id, reply

        def answered_entry(reply):
            m = re.search(r"(?:Full claim list|Todas las afirmaciones \(en inglés\)): !claims ([a-z0-9-]+)",
                          reply["content"]["body"])
            return m.group(1) if m else None

        def assert_safe(reply):
            c = reply["content"]
            check(c.get("msgtype") == "m.notice", f"not a notice: {c}")
            check(c.get("m.mentions") == {}, f"m.mentions is not empty: {c.get('m.mentions')}")
            check("@alice" not in c["body"] and "@room" not in c["body"], f"a mention in {c['body']!r}")
            check(len(json.dumps(reply)) < 65536, "event over 64 KiB")

        # 1. The 20 stored questions and 10 paraphrases (the regression set's
        # that must be answered outright, not merely offered).
        with open(os.path.join(knowledge, "mississippi-ice.toml"), "rb") as f:
            entries = tomllib.load(f)["entry"]
        with open(os.path.join(knowledge, "tests.toml"), "rb") as f:
            paraphrases = [
                c for c in tomllib.load(f)["case"] if c["expect"] != "none" and not c.get("offered", False)
            ]
        cases = [(e["question"], e["id"]) for e in entries] + [(c["question"], c["expect"]) for c in paraphrases]
        check(len(entries) == 20 and len(paraphrases) >= 8, f"{len(entries)} questions, {len(paraphrases)} paraphrases")
        first_answer = None
        for question, want in cases:
            _, reply = await ask(question)
            first_answer = first_answer or reply
            assert_safe(reply)
            got = answered_entry(reply)
            check(got == want, f"{question!r}: answered {got}, expected {want}\n{reply['content']['body']}")
            html = reply["content"].get("formatted_body", "")
            check(reply["content"].get("format") == "org.matrix.custom.html" and "<sub>" in html,
                  f"no HTML caveat block: {html[:200]}")
            check("not legal advice" in reply["content"]["body"], "no caveat footer")
        log(f"1. 30 questions answered with the right entry and caveat footer")

        # 2. Junk and off-topic: no confident answer.
        for junk in ["asdf qwerty zxcv", "how do I get ice off my windshield", "who won the game last night @room",
                     "🤔🤔", "x" * 3000]:
            _, reply = await ask(junk)
            assert_safe(reply)
            check(answered_entry(reply) is None, f"{junk[:40]!r} got an answer: {reply['content']['body'][:200]}")
        log("2. junk and off-topic messages got no confident answer")

        # 2b. Spanish: answered from the translation with the footer in
        # Spanish; an entry with no translation (cut from this copy) in
        # English after one Spanish line.
        trust = next(e for e in entries if e["id"] == "community-trust")["translations"]["es"]
        _, reply = await ask(trust["aliases"][0])
        assert_safe(reply)
        body = reply["content"]["body"]
        check(answered_entry(reply) == "community-trust", f"Spanish question answered {answered_entry(reply)}: {body[:300]}")
        check(body.startswith(trust["question"] + "\n\n" + trust["answer"][:60]), f"not the Spanish answer: {body[:300]}")
        for said in ["Nadie lo ha verificado todavía:", "Traducción sin revisar de un texto sin revisar.",
                     "no es asesoría legal"]:
            check(said in body, f"no {said!r} in the Spanish footer: {body[-600:]}")
        check("Not verified" not in body and "not legal advice" not in body, f"English in the Spanish footer: {body}")
        check("<sub>Nadie lo ha verificado" in reply["content"].get("formatted_body", ""), "no Spanish caveat block")
        _, reply = await ask("¿Cómo renuevo un permiso de estacionamiento?")
        assert_safe(reply)
        body = reply["content"]["body"]
        check(answered_entry(reply) == "parking-permits", f"untranslated entry: answered {answered_entry(reply)}: {body[:300]}")
        check(body.startswith("How do I renew a parking permit?\n\nEsta respuesta todavía no está traducida al español; "
              "aquí está en inglés:\n\nRenew it at the permit office."), f"no Spanish line before the English answer: {body[:400]}")
        log("2b. Spanish questions answered in Spanish, an untranslated entry in English after a Spanish line")

        # Did you mean: a number picks the suggestion.
        _, reply = await ask("training and trust")
        if "Reply with its number" in reply["content"]["body"]:
            event_id, _ = await room.send(message("1"))
            _, pick = await room.wait_for("the picked answer", lambda e: e.get("sender") == BOT and e["content"]
                                          .get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == event_id)
            check(answered_entry(pick) is not None, f"a number did not pick: {pick['content']['body'][:200]}")
            log("   a numbered suggestion was picked")

        # An edited question: the reply is edited.
        q_id, reply = await ask("does ms have sanctuary cities?")
        await room.send({"msgtype": "m.text", "body": "* policybot: who trains the police on immigration?",
                         "m.new_content": {"msgtype": "m.text", "body": "policybot: who trains the police on immigration?"},
                         "m.relates_to": {"rel_type": "m.replace", "event_id": q_id}})
        _, edit = await room.wait_for("the edited reply", lambda e: e.get("sender") == BOT and e["content"]
                                      .get("m.relates_to", {}).get("rel_type") == "m.replace"
                                      and e["content"]["m.relates_to"].get("event_id") == reply["event_id"])
        new_body = edit["content"]["m.new_content"]["body"]
        check("!claims training" in new_body, f"edit answered {new_body[:200]}")
        check(edit["content"].get("m.mentions") == {}, "the edit can ping")
        log("   an edited question edited the reply")
        # An edit by someone else of alice's question changes nothing.
        q_id, reply = await ask("does ms have sanctuary cities?")
        await other_room.send({"msgtype": "m.text", "body": "* policybot: what is 287g?",
                               "m.new_content": {"msgtype": "m.text", "body": "policybot: what is 287g?"},
                               "m.relates_to": {"rel_type": "m.replace", "event_id": q_id}})
        await asyncio.sleep(3)
        edits = [ev for _, ev in room.events if ev.get("sender") == BOT
                 and ev["content"].get("m.relates_to", {}).get("event_id") == reply["event_id"]]
        check(not edits, f"another user's edit edited the reply: {edits}")
        log("   an edit by someone other than the asker was ignored")

        # Room etiquette: another bot's command gets nothing; ours does.
        foo_id, _ = await other_room.send(message("!roll d20"))
        topics_id, _ = await other_room.send(message("!topics"))
        await room.wait_for("the reply to !topics", lambda e: e.get("sender") == BOT and e["content"]
                            .get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == topics_id)
        await asyncio.sleep(2)
        check(not room.replies_to(foo_id, BOT), "answered another bot's !roll")
        log("   another bot's !roll was left alone; !topics was answered")
        privacy_id, _ = await room.send(message("!privacy"))
        _, privacy = await room.wait_for("the reply to !privacy", lambda e: e.get("sender") == BOT and e["content"]
                                         .get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == privacy_id)
        check("kept as text for 90 days, without who asked" in privacy["content"]["body"], privacy["content"]["body"])
        log("   !privacy says what is kept and for how long")

        # A question in a thread is answered in the thread.
        root_id, _ = await room.send(message("a thread about enforcement"))
        thread_q = message(f"policybot: {entries[3]['question']}", BOT)
        thread_q["m.relates_to"] = {"rel_type": "m.thread", "event_id": root_id, "is_falling_back": True,
                                    "m.in_reply_to": {"event_id": root_id}}
        tq_id, _ = await room.send(thread_q)
        _, threaded = await room.wait_for("the threaded reply", lambda e: e.get("sender") == BOT and e["content"]
                                          .get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == tq_id)
        rel = threaded["content"]["m.relates_to"]
        check(rel.get("rel_type") == "m.thread" and rel.get("event_id") == root_id, f"not in the thread: {rel}")
        log("   a question in a thread was answered in the thread")

        # Feedback: a thumbs-up on the first answer.
        await room.send({"m.relates_to": {"rel_type": "m.annotation", "event_id": first_answer["event_id"],
                                          "key": "👍"}}, kind="m.reaction")

        # 3. !reload: refused for alice; applied for the moderator after a change.
        event_id, _ = await room.send(message("!reload"))
        _, refused = await room.wait_for("the refusal", lambda e: e.get("sender") == BOT and e["content"]
                                         .get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == event_id)
        check("moderators only" in refused["content"]["body"], refused["content"]["body"])
        path = os.path.join(knowledge, "mississippi-ice.toml")
        text = open(path).read()
        first = entries[0]["answer"].strip().splitlines()[0]
        with open(path, "w") as f:
            f.write(text.replace(first, first + " RELOADMARKER.", 1))
        _, reply = await ask(entries[0]["question"])
        check("RELOADMARKER" not in reply["content"]["body"], "changed before any reload")
        event_id, _ = await mod_room.send(message("!reload"))
        _, applied = await room.wait_for("the reload report", lambda e: e.get("sender") == BOT and e["content"]
                                         .get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == event_id)
        check("Reloaded:" in applied["content"]["body"] and "1 changed" in applied["content"]["body"],
              applied["content"]["body"])
        _, reply = await ask(entries[0]["question"])
        check("RELOADMARKER" in reply["content"]["body"], "the changed answer is not served")
        log("3. !reload refused for a member with power 100 in an unlisted room, applied for the moderator")

        # The moderator's view of what went unanswered (the junk of step 2).
        event_id, _ = await mod_room.send(message("!unanswered"))
        _, listing = await room.wait_for("the unanswered list", lambda e: e.get("sender") == BOT and e["content"]
                                         .get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == event_id)
        check("asdf qwerty zxcv" in listing["content"]["body"], listing["content"]["body"])
        event_id, _ = await room.send(message("!unanswered"))
        _, refused = await room.wait_for("the refusal", lambda e: e.get("sender") == BOT and e["content"]
                                         .get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == event_id)
        check("moderators only" in refused["content"]["body"], refused["content"]["body"])
        log("   !unanswered lists the junk for the moderator, refused for a member")

        # 3b. Changes from chat: refused for alice with nothing written,
        # made for the moderator and used from the next question, a change
        # that breaks the regression set refused with every file
        # byte-identical, and one line per change or refusal in the log room.
        log_room = Room(mod, log_room_id)
        log_room.start()

        def log_lines():
            return [e for _, e in log_room.events if e.get("sender") == BOT and e.get("type") == "m.room.message"]

        # What the log held before (step 3's reload), as the first sync saw it.
        await asyncio.sleep(1.5)
        already = len(log_lines())

        def files():
            return {name: hashlib.sha256(open(os.path.join(knowledge, name), "rb").read()).hexdigest()
                    for name in sorted(os.listdir(knowledge)) if name.endswith(".toml")}

        async def command(text, sender_room):
            event_id, sent = await sender_room.send(message(text))
            at, reply = await room.wait_for(f"the reply to {text[:40]!r}", lambda e: e.get("sender") == BOT and e[
                "content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == event_id)
            return reply["content"]["body"], at - sent

        phrasing = "Are there towns here that refuse to help immigration agents?"
        before = files()
        body, _ = await command(f"!alias add current-policies {phrasing}", room)
        check("for moderators only" in body and files() == before, body)
        body, took = await command(f"!alias add current-policies {phrasing}", mod_room)
        check("Done:" in body and "added the phrasing" in body and "(Matrix)" in body, body)
        _, reply = await ask(phrasing)
        check(answered_entry(reply) == "current-policies", reply["content"]["body"])
        log(f"   !alias add: refused for alice (files unchanged), made for the moderator in {took * 1000:.0f} ms, "
            "answered outright next")
        body, _ = await command("!claim set community-trust#1 verified https://example.org/trust-survey", mod_room)
        check("to verified, source: https://example.org/trust-survey" in body, body)
        _, reply = await ask("do immigrants still trust the police")
        check("https://example.org/trust-survey" in reply["content"]["body"], reply["content"]["body"])
        body, _ = await command("!answer community-trust\nTrust varies from town to town.\nSee the 2026 survey.",
                                mod_room)
        check("replaced the answer" in body, body)
        _, reply = await ask("do immigrants still trust the police")
        check("Trust varies from town to town." in reply["content"]["body"], reply["content"]["body"])
        before = files()
        body, _ = await command("!new training-copy\nTraining\ndo officers get trained on immigration law\n"
                                "A second answer.", mod_room)
        check("Nothing changed" in body and "tests.toml" in body and files() == before, body)

        deadline = time.monotonic() + WAIT
        while len(log_lines()) < already + 5 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)
        lines = log_lines()[already:]
        check(len(lines) == 5, [e["content"]["body"] for e in lines])
        check(all(e["content"].get("m.mentions") == {} and e["content"]["msgtype"] == "m.notice" for e in lines),
              lines)
        check("alice" in lines[0]["content"]["body"] and "not a moderator" in lines[0]["content"]["body"], lines[0])
        check(lines[4]["content"]["body"].startswith("Refused: "), lines[4])
        log_room.task.cancel()
        log("3b. !claim set shows the source, !answer replaces, a regression-breaking !new refused byte-identical; "
            "the log room got 5 lines, one per change or refusal, mentioning nobody")

        # 3c. The review queue: alice's pick from "did you mean" reaches the
        # moderator's !review; !accept makes the question answered outright.
        ambiguous = "did the law change recently"
        _, reply = await ask(ambiguous)
        body = reply["content"]["body"]
        check("Reply with its number" in body, f"{ambiguous!r} is no longer ambiguous: {body[:300]}")
        listed = re.findall(r"^(\d+)\. .*$", body, re.M)
        check(listed, body)
        event_id, _ = await room.send(message("1"))
        _, pick = await room.wait_for("the picked answer", lambda e: e.get("sender") == BOT and e["content"]
                                      .get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == event_id)
        picked = answered_entry(pick)
        check(picked is not None, pick["content"]["body"][:300])
        body, _ = await command("!review", room)
        check("moderators only" in body, body)
        body, _ = await command("!review", mod_room)
        line = re.search(r"^(\d+)\. (\d+) asked: \"" + re.escape(ambiguous) + r"\"", body, re.M)
        check(line is not None and f"picked {picked} ×1" in body, body)
        body, _ = await command(f"!accept {line.group(1)}", mod_room)
        check("Done:" in body and f"to entry \"{picked}\"" in body, body)
        _, reply = await ask(ambiguous)
        check(answered_entry(reply) == picked and "Reply with its number" not in reply["content"]["body"],
              reply["content"]["body"][:300])
        body, _ = await command("!review", mod_room)
        check(ambiguous not in body, body)
        log(f"3c. a pick reached !review (refused for alice); !accept {line.group(1)} made it answered outright "
            "and the group left the queue")

        # 3d. History and undo: the moderator's answer change is listed
        # with who made it; !undo puts the old answer back and is itself a
        # change; alice is refused both.
        body, _ = await command("!history", room)
        check("moderators only" in body, body)
        body, _ = await command("!history community-trust", mod_room)
        change = re.search(r"^• (\w+) · [^·]+ · ([^:]+): replaced the answer of entry \"community-trust\"", body, re.M)
        check(change is not None and change.group(2).endswith("(Matrix)"), body)
        version = change.group(1)
        body, _ = await command(f"!undo {version}", room)
        check("moderators only" in body, body)
        body, _ = await command(f"!undo {version}", mod_room)
        check(f"undid {version}" in body and "Done:" in body, body)
        _, reply = await ask("do immigrants still trust the police")
        check("Trust varies from town to town." not in reply["content"]["body"], reply["content"]["body"][:300])
        body, _ = await command("!history", mod_room)
        check(f"undid {version}" in body.splitlines()[1], body)
        authors = subprocess.run(["git", "-C", knowledge, "log", "--format=%an|%s"], capture_output=True,
                                 text=True, check=True).stdout.splitlines()
        who, what = authors[0].split("|", 1)
        check(who.endswith("(Matrix)") and what.startswith(f"undid {version}"), authors[:3])
        log(f"3d. !history named the moderator's change {version}; !undo put the old answer back as one more "
            f"commit ({len(authors)} in the knowledge's git log); alice refused both")

        # 3e. The operator lists the room in moderator_rooms: alice's power
        # there makes her a moderator after a !reload, no restart; taken
        # out again, she is refused again.
        config_path = os.path.join(work, "config.toml")
        with open(config_path) as f:
            config_before = f.read()
        with open(config_path, "w") as f:
            f.write(config_before.replace('moderators = ["@mod:localhost"]',
                                          f'moderators = ["@mod:localhost"]\nmoderator_rooms = ["{room_id}"]'))
        body, _ = await command("!reload", mod_room)
        check("Reloaded" in body and "moderators re-read" in body, body)
        body, _ = await command("!reload", room)
        check("Reloaded" in body, body)
        with open(config_path, "w") as f:
            f.write(config_before)
        body, _ = await command("!reload", mod_room)
        check("moderators re-read" in body, body)
        body, _ = await command("!reload", room)
        check("moderators only" in body, body)
        log("3e. a room added to moderator_rooms made alice (power 100 there) a moderator after !reload, "
            "and taking it out again refused her again; no restart")

        # 4. Synapse restarts mid-conversation.
        synapse.stop()
        log("   synapse stopped")
        await asyncio.sleep(2)
        synapse.start()
        log("   synapse restarted")
        _, reply = await ask(entries[1]["question"])
        check(answered_entry(reply) == entries[1]["id"], "no answer after the homeserver restart")
        log("4. answered after a Synapse restart")

        # 5. The bot restarts: nothing old is answered again, no new login.
        # An invite that comes while it is away is joined when it is back.
        bot.stop()
        away = await mod.room_create(name="invited while away", invite=[BOT])
        check(isinstance(away, RoomCreateResponse), f"room not created: {away}")
        bot.start()
        bot.wait_ready()
        deadline = time.monotonic() + WAIT
        while True:
            members = await mod.joined_members(away.room_id)
            if BOT in [m.user_id for m in getattr(members, "members", [])]:
                break
            check(time.monotonic() < deadline, f"the invite sent while the bot was away was never joined: {members}")
            await asyncio.sleep(0.5)
        log("   an invite sent while the bot was stopped was joined when it started")
        _, reply = await ask(entries[2]["question"])
        check(answered_entry(reply) == entries[2]["id"], "no answer after the bot restart")
        check("new Matrix session" not in bot.log_text(), "the restart logged in afresh")
        await asyncio.sleep(2)
        for event_id in asked:
            n = len(room.replies_to(event_id, BOT))
            check(n == 1, f"question {event_id} answered {n} times")
        log(f"5. bot restarted; none of {len(asked)} questions answered twice; session reused")

        # 6. No reply pings; an m.notice from another user is ignored.
        notice_id, _ = await other_room.send({"msgtype": "m.notice", "body": f"{BOT} does ms have sanctuary cities?",
                                              "m.mentions": {"user_ids": [BOT]}})
        await asyncio.sleep(3)
        check(not room.replies_to(notice_id, BOT), "answered an m.notice")
        for _, ev in room.events:
            if ev.get("sender") == BOT and ev.get("type") == "m.room.message":
                assert_safe(ev)
        log("6. no reply contains a mention; an m.notice was ignored")

        # Secrets stay out of the logs; the saved session is owner-only.
        session_path = os.path.join(work, "data", "matrix", "session.json")
        with open(session_path) as f:
            token = json.load(f)["access_token"]
        check(os.stat(session_path).st_mode & 0o077 == 0, "the session file is readable by others")
        for run in range(1, bot.runs + 1):
            text = bot.log_text(run)
            check("policybot-password" not in text and token not in text, f"a secret in bot-{run}.log")
        log("   no password or access token in the logs; session file is 0600")

        # 7. An encrypted DM, as Element X makes every DM: the moderator on a
        # second device with end-to-end encryption asks; the bot decrypts,
        # answers encrypted, and still does after a restart (store kept).
        store = os.path.join(work, "nio-store")
        os.makedirs(store, exist_ok=True)
        emod = AsyncClient(hs, "@mod:localhost", device_id="E2EDEVICE", store_path=store,
                           config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False))
        clients.append(emod)
        await emod.login("mod-password", device_name="e2e test")
        # The device's keys go up before anyone can encrypt to it.
        if emod.should_upload_keys:
            await emod.keys_upload()
        await emod.sync(timeout=1000, full_state=True)
        created = await emod.room_create(is_direct=True, invite=[BOT], initial_state=[
            {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
        check(isinstance(created, RoomCreateResponse), f"DM not created: {created}")
        dm = created.room_id
        notices = {}

        async def on_notice(room, event):
            if room.room_id == dm and event.sender == BOT:
                rel = event.source["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
                notices[rel] = (time.monotonic(), event)
        emod.add_event_callback(on_notice, RoomMessageNotice)

        async def e2e_sync_until(what, done, timeout=WAIT):
            deadline = time.monotonic() + timeout
            while not done():
                check(time.monotonic() < deadline, f"timed out waiting for {what}")
                await emod.sync(timeout=500)
        await e2e_sync_until("the bot to join the encrypted DM",
                             lambda: dm in emod.rooms and BOT in emod.rooms[dm].users)
        if emod.should_query_keys:
            await emod.keys_query()

        async def ask_encrypted(text):
            for _ in range(20):
                resp = await emod.room_send(dm, "m.room.message", message(text), ignore_unverified_devices=True)
                if isinstance(resp, RoomSendResponse):
                    break
                await asyncio.sleep(0.5)
            check(isinstance(resp, RoomSendResponse), f"cannot send encrypted: {resp}")
            sent = time.monotonic()
            await e2e_sync_until(f"an encrypted answer to {text!r}", lambda: resp.event_id in notices)
            at, event = notices[resp.event_id]
            return at - sent, event

        e2e_latencies = []
        for entry in entries[:10]:
            took, event = await ask_encrypted(entry["question"])
            check(f"!claims {entry['id']}" in event.body, f"encrypted DM answered {event.body[:200]}")
            e2e_latencies.append(took)
        bot.stop()
        bot.start()
        bot.wait_ready()
        took, event = await ask_encrypted(entries[11]["question"])
        check(f"!claims {entries[11]['id']}" in event.body, "no encrypted answer after the bot restarted")
        check("new Matrix session" not in bot.log_text(), "the restart made a new device")
        lat = sorted(e2e_latencies)
        log(f"7. encrypted DM answered (and after a restart); latency p50 {statistics.median(lat) * 1000:.0f} ms, "
            f"p95 {lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))] * 1000:.0f} ms over {len(lat)}")

        # 8. Messages the bot has no keys for (the sender's client keeps
        # them from the bot's device, as clients that share keys only with
        # verified devices do): each is logged, and the room is told once.
        check("cannot decrypt a message" not in bot.log_text(), "a message went undecrypted before this step")
        told = []

        async def on_told(room, event):
            if room.room_id == dm and event.sender == BOT and "could not read an encrypted message" in event.body:
                told.append(event)
        emod.add_event_callback(on_told, RoomMessageNotice)
        for device in emod.device_store.active_user_devices(BOT):
            emod.blacklist_device(device)
        emod.invalidate_outbound_session(dm)
        for text in ["a question the bot cannot read", "another it cannot read", "and a third"]:
            resp = await emod.room_send(dm, "m.room.message", message(text), ignore_unverified_devices=True)
            check(isinstance(resp, RoomSendResponse), f"cannot send encrypted: {resp}")
        await e2e_sync_until("the bot to log three undecryptable messages",
                             lambda: bot.log_text().count("cannot decrypt a message") >= 3)
        await e2e_sync_until("the notice that a message could not be read", lambda: told)
        settle = time.monotonic() + 3
        await e2e_sync_until("any further notice", lambda: time.monotonic() > settle)
        logged = bot.log_text().count("cannot decrypt a message")
        check(logged == 3 and len(told) == 1, f"{logged} logged, {len(told)} notices for 3 undecryptable messages")
        log("8. three messages without keys: each logged, the room told once (a plain notice)")

        # 9. The bot's token is revoked while it runs: it logs in again with
        # its password and answers within 30 s.
        revoke(hs, token)
        revoked_at = time.monotonic()
        event_id, sent = await room.send(message(f"policybot: {entries[4]['question']}", BOT))
        asked.append(event_id)
        _, reply = await room.wait_for("an answer after the token was revoked", lambda e: e.get("sender") == BOT
                                       and e["content"].get("m.relates_to", {}).get("m.in_reply_to", {})
                                       .get("event_id") == event_id, 30)
        check(answered_entry(reply) == entries[4]["id"], "wrong answer after logging in again")
        check("logging in again with MATRIX_PASSWORD" in bot.log_text(), "no re-login in the log")
        log(f"9. token revoked: logged in again and answered {time.monotonic() - revoked_at:.1f} s later")

        # 10. Synapse's default message rate limit (0.2/s after a burst of
        # 10, as on most servers): 21 questions from 3 users at once. Every
        # reply arrives (the bot waits out M_LIMIT_EXCEEDED), none twice.
        synapse.stop()
        yaml_path = os.path.join(work, "homeserver.yaml")
        with open(yaml_path) as f:
            yaml = f.read()
        with open(yaml_path, "w") as f:
            f.write("\n".join(l for l in yaml.splitlines() if not l.startswith("rc_message:")) + "\n")
        synapse.start()
        log("   synapse restarted with its default message rate limit")
        burst = []
        started = time.monotonic()
        for sender in (room, mod_room, other_room):
            for entry in entries[5:12]:
                event_id, _ = await sender.send(message(f"policybot: {entry['question']}", BOT))
                burst.append((event_id, entry["id"]))
        # While replies wait on the limit, the bot keeps syncing: a 👍 from
        # someone who has not sent anything yet is recorded at once.
        burst_ids = {q for q, _ in burst}

        def burst_replies():
            return [e for _, e in room.events if e.get("sender") == BOT and e["content"].get("m.relates_to", {})
                    .get("m.in_reply_to", {}).get("event_id") in burst_ids]
        await room.wait_for("a first rate-limited reply", lambda e: bool(burst_replies()), 60)
        first_reply = burst_replies()[0]
        voted_entry = answered_entry(first_reply)

        def helpful(entry_id):
            out = subprocess.run([args.binary, "--config", "config.toml", "stats", "--json"], cwd=work,
                                 capture_output=True, text=True, env=env)
            check(out.returncode == 0, out.stderr)
            return sum(e["helpful"] for e in json.loads(out.stdout)["entries"] if e["entry"] == entry_id)
        before = helpful(voted_entry)
        await Room(voter, room_id).send({"m.relates_to": {"rel_type": "m.annotation", "key": "👍",
                                                          "event_id": first_reply["event_id"]}}, kind="m.reaction")
        voted_at = time.monotonic()
        while helpful(voted_entry) == before:
            check(time.monotonic() - voted_at < 30, "a 👍 was not recorded while replies waited on the rate limit")
            await asyncio.sleep(0.3)
        waiting = len(burst) - len(burst_replies())
        check(waiting >= 5, f"only {waiting} replies were still waiting when the 👍 was recorded")
        log(f"   a 👍 was recorded {time.monotonic() - voted_at:.1f} s after it was sent, while {waiting} replies "
            "still waited on the rate limit")
        for event_id, entry_id in burst:
            _, reply = await room.wait_for("a rate-limited reply", lambda e, q=event_id: e.get("sender") == BOT
                                           and e["content"].get("m.relates_to", {}).get("m.in_reply_to", {})
                                           .get("event_id") == q, 300)
            check(answered_entry(reply) == entry_id, f"wrong answer under the rate limit: {entry_id}")
        took = time.monotonic() - started
        await asyncio.sleep(3)
        for event_id, _ in burst:
            n = len(room.replies_to(event_id, BOT))
            check(n == 1, f"question {event_id} answered {n} times under the rate limit")
        # 11 replies past the burst at one per 5 s: had the limit not
        # applied, they would have come in a second or two.
        check(took > 40, f"the rate limit never applied ({took:.0f} s)")
        log(f"10. default rate limit: {len(burst)} questions from 3 users, all answered once in {took:.0f} s")

        # Records: the thumbs-up reached the database.
        out = subprocess.run([args.binary, "--config", "config.toml", "stats", "--json"], cwd=work,
                             capture_output=True, text=True, env=env)
        check(out.returncode == 0, out.stderr)
        stats = json.loads(out.stdout)
        check(any(e["entry"] == entries[0]["id"] and e["helpful"] >= 1 for e in stats["entries"]),
              f"no 👍 recorded: {stats}")
        log("   a 👍 reaction was recorded as helpful feedback")

        # 11. A token only (no password to log in again) that is revoked
        # while the bot runs ends it with one clear error and exit 1. This
        # last run also paces askers: one question, then one per 10 min.
        bot.stop()
        config_path = os.path.join(work, "config.toml")
        with open(config_path) as f:
            config = f.read()
        with open(config_path, "w") as f:
            f.write(config.replace("cooldown_seconds = 0", "cooldown_seconds = 600\ncooldown_burst = 1"))
        with open(session_path) as f:
            token = json.load(f)["access_token"]
        token_env = dict(env, MATRIX_ACCESS_TOKEN=token)
        token_env.pop("MATRIX_PASSWORD")
        # The doctor asks the homeserver whose token it is; the store is free.
        doctor = subprocess.run([args.binary, "--config", "config.toml", "doctor"], cwd=work, env=token_env,
                                capture_output=True, text=True, timeout=120)
        check(doctor.returncode == 0 and "ok    matrix server" in doctor.stdout
              and f"ok    matrix login       the token is {BOT}'s" in doctor.stdout
              and "ok    matrix store" in doctor.stdout and token not in doctor.stdout + doctor.stderr,
              doctor.stdout + doctor.stderr)
        token_bot = Bot(args.binary, work, token_env)
        token_bot.runs = bot.runs
        bot = token_bot
        bot.start()
        bot.wait_ready()
        await ask(entries[0]["question"])
        too_soon, _ = await room.send(message(f"policybot: {entries[1]['question']}", BOT))
        await ask(entries[2]["question"], sender_room=mod_room)
        await room.wait_for("the hourglass", lambda e: e.get("sender") == BOT and e.get("type") == "m.reaction"
                            and e["content"]["m.relates_to"].get("event_id") == too_soon)
        await asyncio.sleep(3)
        hourglasses = [e for _, e in room.events if e.get("sender") == BOT and e.get("type") == "m.reaction"
                       and e["content"]["m.relates_to"].get("event_id") == too_soon]
        check(len(hourglasses) == 1 and hourglasses[0]["content"]["m.relates_to"]["key"] == "⏳",
              f"reactions to the question asked too soon: {hourglasses}")
        check(not room.replies_to(too_soon, BOT), "the question asked too soon was answered")
        log("   cooldown: alice's second question got one ⏳ and no reply; the moderator's was answered")
        revoke(hs, token)
        revoked_at = time.monotonic()
        try:
            code = bot.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise Failure("the bot still runs 30 s after its only credential was revoked")
        last = bot.log_text().strip().splitlines()[-1]
        check(code == 1 and "MATRIX_PASSWORD is not set" in last, f"exit {code}, last line {last!r}")
        log(f"11. token only, revoked: exit 1 after {time.monotonic() - revoked_at:.1f} s, naming the fix")
        doctor = subprocess.run([args.binary, "--config", "config.toml", "doctor"], cwd=work, env=token_env,
                                capture_output=True, text=True, timeout=120)
        check(doctor.returncode == 1 and "FAIL  matrix login       the homeserver refused the token" in doctor.stdout,
              doctor.stdout + doctor.stderr)
        log("   doctor: the live token was the bot's (exit 0); the revoked one is refused by the homeserver (exit 1)")

        lat = sorted(latencies)
        p50 = statistics.median(lat)
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
        log(f"latency question→reply over {len(lat)} questions: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
        room.task.cancel()
        log("matrix e2e: 13 passed, 0 failed")
    finally:
        for c in clients:
            await c.close()
        if bot:
            try:
                bot.stop()
            except Exception as e:
                log(f"bot stop: {e}")
        synapse.stop()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Failure as e:
        log(f"FAILED: {e}")
        sys.exit(1)
