"""A small OAuth2 authorization server for the tests, on 127.0.0.1 only.

usage: oauth_server.py STATE_DIR HTTPS_PORT CERT KEY HTTP_PORT

HTTPS_PORT serves the token endpoint (RFC 6749), POST /token with an
application/x-www-form-urlencoded body:
  grant_type=client_credentials, client_id=infolettre,
      client_secret=$(cat STATE_DIR/client_secret)
  grant_type=refresh_token, refresh_token=$(cat STATE_DIR/refresh_token),
      client_id=infolettre: the refresh token is rotated (the old one is
      spent) and STATE_DIR/refresh_token holds the new one
and answers {"access_token", "token_type": "Bearer", "expires_in": 3600
[, "refresh_token"]}; a bad client gets 401 {"error": "invalid_client"},
a spent refresh token or an unknown grant 400 {"error": "invalid_grant"}.
Access tokens are "at-" and a counter, valid for STATE_DIR/expires_in
seconds (3600 when absent); STATE_DIR/requests counts the
requests, STATE_DIR/issued lists the tokens issued (the SMTP test server
reads it to know which to accept).

HTTP_PORT serves the token introspection endpoint (RFC 7662) Dovecot's
oauth2 passdb asks: POST /introspect with token=T (or GET ?token=T):
{"active": true, "username": "reader"} for a token issued here or listed
in STATE_DIR/static, else {"active": false}.

Never prints a token or a secret. Prints "listening" when both listen.
"""
import http.server
import json
import os
import ssl
import sys
import threading
import urllib.parse

STATE = sys.argv[1]
LOCK = threading.Lock()


def path(name):
    return os.path.join(STATE, name)


def read(name, default=""):
    try:
        with open(path(name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


def write(name, text):
    tmp = path(name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path(name))


def issued():
    return set(read("issued").split()) | set(read("static").split())


class Token(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        return {k: v[0] for k, v in urllib.parse.parse_qs(
            self.rfile.read(n).decode()).items()}

    def do_POST(self):
        f = self.form()
        with LOCK:
            write("requests", str(int(read("requests", "0")) + 1))
            grant = f.get("grant_type")
            if f.get("client_id") != "infolettre":
                return self.answer(401, {"error": "invalid_client"})
            extra = {}
            if grant == "client_credentials":
                if f.get("client_secret") != read("client_secret"):
                    return self.answer(401, {
                        "error": "invalid_client",
                        "error_description": "client authentication "
                        "failed"})
                if f.get("scope") != read("scope", f.get("scope")):
                    return self.answer(400, {"error": "invalid_scope"})
            elif grant == "refresh_token":
                if f.get("refresh_token") != read("refresh_token"):
                    return self.answer(400, {
                        "error": "invalid_grant",
                        "error_description": "the refresh token is "
                        "spent or unknown"})
                n = int(read("rotations", "0")) + 1
                write("rotations", str(n))
                extra["refresh_token"] = "rt-rotated-%04d" % n
                write("refresh_token", extra["refresh_token"])
            else:
                return self.answer(400, {"error": "unsupported_grant_type"})
            n = int(read("counter", "0")) + 1
            write("counter", str(n))
            tok = "at-%04d" % n
            write("issued", read("issued") + " " + tok)
        self.answer(200, dict({"access_token": tok, "token_type": "Bearer",
                               "expires_in": int(read("expires_in", "3600"))},
                              **extra))


class Introspect(Token):
    def check(self, tok):
        self.answer(200, {"active": True, "username": "reader"}
                    if tok and tok in issued() else {"active": False})

    def do_POST(self):
        self.check(self.form().get("token"))

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        tok = (q.get("token") or [None])[0]
        auth = self.headers.get("Authorization", "")
        if not tok and auth.startswith("Bearer "):
            tok = auth[7:]
        self.check(tok)


def main():
    https_port, cert, key, http_port = sys.argv[2:6]
    tls = http.server.ThreadingHTTPServer(("127.0.0.1", int(https_port)),
                                          Token)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", int(http_port)),
                                            Introspect)
    for s in (tls, plain):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("listening", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
