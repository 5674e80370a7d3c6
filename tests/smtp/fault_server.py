#!/usr/bin/python3
"""fault_server.py - a scripted, fault-injecting SMTP server for the tests.

    /usr/bin/python3 tests/smtp/fault_server.py CONFIG.json

Built on aiosmtpd (Debian's python3-aiosmtpd). CONFIG.json:

  {
    "host": "127.0.0.1", "port": 2525,
    "accepted": "DIR/accepted.jsonl",  one JSON line per accepted message:
                                       {"n", "conn", "from", "rcpt", "size",
                                        "sha256", "file"}
    "dump": "DIR/msgs",                each accepted message as N.eml, the
                                       bytes received (dot-unstuffed)
    "events": "DIR/events.jsonl",      connections, closes and every fault
    "stall": 5,                        seconds a "stall" lasts
    "greeting": [ACTION, ...],         per connection, in order
    "mail": {"ADDR": [ACTION, ...]},   per MAIL FROM of ADDR, in order
    "rcpt": {"ADDR": [ACTION, ...]},   per RCPT TO of ADDR, in order
    "data": {"ADDR": [ACTION, ...]},   per DATA of a message to ADDR
    "tls": {"cert": "PEM", "key": "PEM"},  offer STARTTLS with this
    "require_starttls": true,          530 to MAIL before STARTTLS
    "implicit_tls": true,              TLS from the first byte (smtps)
    "auth": {"user": "U", "password": "P"}  AUTH PLAIN/LOGIN required
    "pipelining": true,                offer PIPELINING (RFC 2920) in EHLO
    "idle_timeout": 300,               seconds of silence before the server
                                       says 421 and closes (aiosmtpd's)
    "oauth": {"user": "U", "tokens": ["T", ...], "tokens_file": "F"}
                                       AUTH XOAUTH2 and OAUTHBEARER offered
                                       (F: more tokens, read at each AUTH;
                                       PLAIN and LOGIN too only with
                                       "auth") and required; a bearer not
                                       in "tokens" gets what Gmail and
                                       Office 365 answer: 334 and a base64
                                       JSON error, then 535 5.7.3 after the
                                       client's empty response
  }

Every MAIL FROM is logged as an event with "pipelined": whether the
client's next command had already arrived when the server read it (the
client did not wait for the reply), and the accepted messages' lines hold
the MAIL FROM parameters ("options", e.g. "SIZE=40041").

An ACTION is "ok", a reply line ("451 4.3.0 Try later", sent instead of the
normal answer), "stall" (wait, then go on as "ok"), or "drop" (close the
connection: at greeting before saying anything, in DATA after the 354 and a
part of the message). "ADDR" may be "*" for any address without its own
list. When a list is used up, or instead of a list, the answer is "ok" (a
single string is used every time). A message is recorded as accepted only
when the server is about to send its 250 to the end of data; a client that
gave up during a stall cancels the session before that.
"""
import asyncio
import hashlib
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult


class Fault:
    def __init__(self, cfg):
        self.cfg = cfg
        self.counts = {}
        self.conns = 0
        self.accepted_n = 0
        self.stall = float(cfg.get("stall", 5))
        self.accepted = open(cfg["accepted"], "a") if cfg.get("accepted") else None
        self.events = open(cfg["events"], "a") if cfg.get("events") else None
        self.dump = cfg.get("dump")
        if self.dump:
            os.makedirs(self.dump, exist_ok=True)

    def event(self, **kw):
        if self.events:
            self.events.write(json.dumps(kw) + "\n")
            self.events.flush()

    def next(self, kind, key):
        table = self.cfg.get(kind) or {}
        k = key if key in table else "*" if "*" in table else None
        if k is None:
            return "ok"
        seq = table[k]
        if isinstance(seq, str):
            return seq
        n = self.counts.get((kind, k), 0)
        self.counts[(kind, k)] = n + 1
        return seq[n] if n < len(seq) else "ok"

    def greeting(self, conn):
        seq = self.cfg.get("greeting") or []
        return seq[conn - 1] if conn - 1 < len(seq) else "ok"

    def accept(self, conn, envelope):
        data = envelope.original_content or b""
        self.accepted_n += 1
        n = self.accepted_n
        name = None
        if self.dump:
            name = os.path.join(self.dump, "%d.eml" % n)
            with open(name, "wb") as f:
                f.write(data)
        if self.accepted:
            self.accepted.write(json.dumps({
                "n": n, "conn": conn, "from": envelope.mail_from,
                "rcpt": envelope.rcpt_tos, "size": len(data),
                "options": envelope.mail_options,
                "sha256": hashlib.sha256(data).hexdigest(), "file": name,
            }) + "\n")
            self.accepted.flush()
        return n


class Handler:
    def __init__(self, fault):
        self.fault = fault

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        session.host_name = hostname
        if self.fault.cfg.get("pipelining"):
            responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):
        # bytes already read past this command: the client pipelined
        buffered = len(getattr(server._reader, "_buffer", b""))
        self.fault.event(event="mail", conn=server.conn,
                         pipelined=buffered > 0)
        act = self.fault.next("mail", address)
        if act == "stall":
            await asyncio.sleep(self.fault.stall)
            act = "ok"
        if act != "ok":
            self.fault.event(event="reply", conn=server.conn, at="mail",
                             sender=address, reply=act)
            return act
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(self, server, session, envelope, address, options):
        act = self.fault.next("rcpt", address)
        if act == "stall":
            self.fault.event(event="stall", conn=server.conn, at="rcpt",
                             rcpt=address)
            await asyncio.sleep(self.fault.stall)
            act = "ok"
        if act != "ok":
            self.fault.event(event="reply", conn=server.conn, at="rcpt",
                             rcpt=address, reply=act)
            return act
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        act = server.data_action
        rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        if act == "stall":
            self.fault.event(event="stall", conn=server.conn, at="data",
                             rcpt=rcpt)
            await asyncio.sleep(self.fault.stall)
            act = "ok"
        if act != "ok":
            self.fault.event(event="reply", conn=server.conn, at="data",
                             rcpt=rcpt, reply=act)
            return act
        n = self.fault.accept(server.conn, envelope)
        return "250 2.0.0 Ok: queued as %d" % n


def bearer_of(mech, raw):
    """(user, token) of an XOAUTH2 or OAUTHBEARER initial response."""
    text = raw.decode("utf-8", "replace")
    user = token = None
    if mech == "OAUTHBEARER":
        gs2, _, rest = text.partition("\x01")
        for f in gs2.split(","):
            if f.startswith("a="):
                user = f[2:].replace("=2C", ",").replace("=3D", "=")
    else:
        rest = text
    for kv in rest.split("\x01"):
        if kv.startswith("user="):
            user = kv[5:]
        elif kv.startswith("auth=Bearer "):
            token = kv[len("auth=Bearer "):]
    return user, token


class FaultSMTP(SMTP):
    def __init__(self, handler, fault, **kw):
        super().__init__(handler, **kw)
        self.fault = fault
        self.conn = 0
        self.data_action = "ok"

    async def _handle_client(self):
        self.fault.conns += 1
        self.conn = self.fault.conns
        self.fault.event(event="connect", conn=self.conn)
        act = self.fault.greeting(self.conn)
        if act == "stall":
            self.fault.event(event="stall", conn=self.conn, at="greeting")
            await asyncio.sleep(self.fault.stall)
        elif act != "ok":
            self.fault.event(event="reply" if act != "drop" else "drop",
                             conn=self.conn, at="greeting", reply=act)
            if act != "drop":
                await self.push(act)
            self.transport.close()
            return
        await super()._handle_client()

    async def smtp_DATA(self, arg):
        rcpts = self.envelope.rcpt_tos
        act = self.fault.next("data", rcpts[0]) if rcpts and not arg else "ok"
        if act == "drop":
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            try:
                await asyncio.wait_for(self._reader.read(512), 5)
            except Exception:
                pass
            self.fault.event(event="drop", conn=self.conn, at="data",
                             rcpt=rcpts[0])
            self.transport.close()
            return
        self.data_action = act
        await super().smtp_DATA(arg)

    async def _bearer(self, mech, args):
        oauth = self.fault.cfg.get("oauth") or {}
        import base64
        if len(args) > 1:
            raw = base64.b64decode(args[1])
        else:
            raw = await self.challenge_auth("", encode_to_b64=False)
            if not isinstance(raw, bytes):
                return AuthResult(success=False, handled=True)
        user, token = bearer_of(mech, raw)
        good = set(oauth.get("tokens", []))
        if oauth.get("tokens_file") and os.path.exists(oauth["tokens_file"]):
            with open(oauth["tokens_file"]) as f:
                good |= set(f.read().split())
        ok = user == oauth.get("user") and token in good
        # the token itself is never logged
        self.fault.event(event="auth", conn=self.conn, mech=mech, ok=ok)
        if ok:
            return AuthResult(success=True, auth_data=user)
        err = base64.b64encode(json.dumps(
            {"status": "401", "schemes": "bearer",
             "scope": "https://mail.google.com/"}).encode()).decode()
        await self.push("334 " + err)
        try:
            await asyncio.wait_for(self._reader.readline(), 30)
        except Exception:
            pass
        await self.push("535 5.7.3 Authentication unsuccessful")
        return AuthResult(success=False, handled=True)

    async def auth_XOAUTH2(self, _, args):
        return await self._bearer("XOAUTH2", args)

    async def auth_OAUTHBEARER(self, _, args):
        return await self._bearer("OAUTHBEARER", args)

    def connection_lost(self, error):
        if self.conn:
            self.fault.event(event="close", conn=self.conn)
        super().connection_lost(error)


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    fault = Fault(cfg)
    handler = Handler(fault)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    tls_ctx = None
    if cfg.get("tls"):
        tls_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_ctx.load_cert_chain(cfg["tls"]["cert"], cfg["tls"]["key"])
    implicit = bool(cfg.get("implicit_tls"))
    auth = cfg.get("auth")

    def authenticator(server, session, envelope, mechanism, data):
        ok = (auth is not None and data is not None
              and data.login == auth["user"].encode()
              and data.password == auth["password"].encode())
        fault.event(event="auth", conn=server.conn, ok=ok)
        return AuthResult(success=ok, handled=False)

    oauth = cfg.get("oauth")

    def factory():
        kw = {}
        if not oauth:
            kw["auth_exclude_mechanism"] = ["XOAUTH2", "OAUTHBEARER"]
        elif not auth:
            kw["auth_exclude_mechanism"] = ["PLAIN", "LOGIN"]
        return FaultSMTP(
            handler, fault, hostname="fault.test", loop=loop,
            tls_context=None if implicit else tls_ctx,
            require_starttls=bool(cfg.get("require_starttls")),
            authenticator=authenticator if (auth or oauth) else None,
            auth_required=bool(auth or oauth), auth_require_tls=True,
            enable_SMTPUTF8=True, timeout=float(cfg.get("idle_timeout", 300)),
            **kw)

    server = loop.run_until_complete(loop.create_server(
        factory, cfg.get("host", "127.0.0.1"), int(cfg["port"]),
        ssl=tls_ctx if implicit else None))
    # the tests wait for this line rather than connecting, which would
    # count as a connection
    print("listening", cfg["port"], flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
