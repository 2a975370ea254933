#!/usr/bin/env python3
"""A loopback HTTP server that plays email provider, SMS provider and webhook receiver for
Herald's channel tests.

The first path segment chooses the behaviour, counted per message (Idempotency-Key or
webhook-id header), so one server serves concurrent tests:

  /ok/...            200 {"id": "prov-<n>"}
  /fail500xN/...     500 for the first N attempts of a message, then 200
  /retry429xN/...    429 with Retry-After: 1 for the first N attempts, then 200
  /bad400/...        400 {"error": "invalid recipient"}
  /hangxN/...        holds the request 30 s (far past any client timeout the tests set, so a
                     test can cancel or time out at leisure) for the first N attempts, then 200
  /resetxN/...       resets the connection for the first N attempts, then 200
  /redirect/...      302 to http://127.0.0.1:9/
  GET /_received     every request so far, as JSON

Webhook signatures are verified independently of Herald (Standard Webhooks: HMAC-SHA256 of
"id.timestamp.body" keyed with the base64 after "whsec_") against every --secret.
Prints "READY <port>" once listening.
"""
import argparse
import base64
import hashlib
import hmac
import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
received = []
attempts = {}
counter = [0]
secrets = []


def verify_signature(headers, body):
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signature = headers.get("webhook-signature")
    if not (msg_id and timestamp and signature):
        return None
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = set()
    for secret in secrets:
        key = base64.b64decode(secret[len("whsec_"):])
        expected.add(base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode())
    offered = [part.split(",", 1)[1] for part in signature.split(" ") if part.startswith("v1,")]
    matches = [sig for sig in offered if sig in expected]
    fresh = abs(time.time() - int(timestamp)) < 300
    return {"valid": bool(matches) and fresh, "offered": len(offered), "matched": len(matches)}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, payload, extra=None):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_received":
            with lock:
                snapshot = list(received)
            self.send_json(200, snapshot)
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        key = headers.get("idempotency-key") or headers.get("webhook-id") or ""
        scenario = self.path.strip("/").split("/")[0]
        name, _, times = scenario.partition("x")
        with lock:
            counter[0] += 1
            attempt = attempts.get((scenario, key), 0) + 1
            attempts[(scenario, key)] = attempt
            received.append({
                "path": self.path,
                "method": self.command,
                "headers": headers,
                "body": body.decode("utf-8", "replace"),
                "attempt": attempt,
                "signature": verify_signature(headers, body),
            })
            number = counter[0]
        failing = attempt <= int(times) if times.isdigit() else False
        if name == "fail500" and failing:
            return self.send_json(500, {"error": "internal"})
        if name == "retry429" and failing:
            return self.send_json(429, {"error": "slow down"}, {"Retry-After": "1"})
        if name == "bad400":
            return self.send_json(400, {"error": "invalid recipient"})
        if name == "hang" and failing:
            time.sleep(30)
            return self.send_json(200, {"id": f"late-{number}"})
        if name == "reset" and failing:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if name == "redirect":
            return self.send_json(302, {}, {"Location": "http://127.0.0.1:9/"})
        self.send_json(200, {"id": f"prov-{number}"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        pass  # resets and client timeouts are part of the tests


def exit_with_parent():
    """The test process may block signals its children inherit and may die without stopping
    us: unblock them, and exit when standard input (a pipe from the test) closes."""
    import os
    import signal
    import threading
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch():
        try:
            while sys.stdin.buffer.read(1):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--secret", action="append", default=[])
    args = parser.parse_args()
    exit_with_parent()
    secrets.extend(args.secret)
    server = Server((args.host, 0), Handler)
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
