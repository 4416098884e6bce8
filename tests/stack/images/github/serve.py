"""The test stack's stand-in for github.com: a static file server over HTTPS.

    serve.py            serve ROOT on :443 with /run/secrets/github.{crt,key}
    serve.py --check    the HEALTHCHECK: a TLS handshake with 127.0.0.1:443 that
                        verifies the very certificate served, for github.com

Files are what the tests put under ROOT (/srv/github/<org>/<repo>/raw/<ref>/...);
anything else, directories included, is a 404 (no listing). One line per answered
request on stdout, ``REQUEST <method> <path> <status>`` (the fixture parses it);
everything else goes to stderr. Each connection gets its own thread, and its TLS
handshake happens there, not in the accept loop.
"""

import os
import pwd
import signal
import socket
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

ROOT = "/srv/github"
CERT, KEY = "/run/secrets/github.crt", "/run/secrets/github.key"
NAME, PORT, USER = "github.com", 443, "github"


def log(message):
    print(f"stack-github: {message}", file=sys.stderr, flush=True)


class Handler(BaseHTTPRequestHandler):
    server_version = "stack-github"
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.answer(body=True)

    def do_HEAD(self):
        self.answer(body=False)

    def answer(self, body):
        rel = unquote(urlsplit(self.path).path).lstrip("/")
        path = os.path.realpath(os.path.join(ROOT, rel))
        if not path.startswith(ROOT + os.sep) or not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            data = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_request(self, code="-", size="-"):
        print(f"REQUEST {self.command or '-'} {self.path or '-'} {int(code)}", flush=True)

    def log_message(self, format, *args):
        log(f"{self.client_address[0]} {format % args}")


class Server(ThreadingHTTPServer):
    def __init__(self, context):
        super().__init__(("0.0.0.0", PORT), Handler)
        self.context = context

    def finish_request(self, request, client_address):
        request.settimeout(30)  # a silent client holds its thread for 30 s at most
        try:
            conn = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log(f"TLS handshake with {client_address[0]} failed: {exc}")
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            conn.close()


def check():
    context = ssl.create_default_context(cafile=CERT)
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the served leaf is the anchor
    with socket.create_connection(("127.0.0.1", PORT), timeout=3) as sock:
        with context.wrap_socket(sock, server_hostname=NAME):
            pass


def main():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    server = Server(context)
    # Root only to bind 443 and read the key (a 0600 secret); then the server user.
    user = pwd.getpwnam(USER)
    os.setgroups([])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
    # PID 1 gets no default SIGTERM action: `docker stop` would wait for its kill.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log(f"serving {ROOT} on :{PORT} as {USER}")
    server.serve_forever()


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        check()
    else:
        main()
