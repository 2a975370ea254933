#!/usr/bin/env python3
"""A loopback SMTP server (aiosmtpd) for Herald's channel tests. It checks what it receives —
MIME structure, headers, encodings, CRLF line ends — and appends one JSON line per message to
--out, with any problems it found. Recipients containing "reject" get 550; those containing
"tempfail" get 451 on their first attempt. With --auth USER:PASSWORD, AUTH is required; with
--tls-cert/--tls-key, STARTTLS is offered and required.
Prints "READY <port>" once listening.
"""
import argparse
import asyncio
import email
import email.policy
import json
import sys
import warnings

warnings.filterwarnings("ignore")

from aiosmtpd.smtp import SMTP, AuthResult

tempfailed = set()
counter = [0]


def check_message(raw):
    problems = []
    if b"\n" in raw.replace(b"\r\n", b""):
        problems.append("bare LF line end")
    for line in raw.split(b"\r\n"):
        if len(line) > 998:
            problems.append("line longer than 998 octets")
            break
    try:
        raw.decode("ascii")
    except UnicodeDecodeError:
        problems.append("non-ASCII octets in the message (headers must be RFC 2047 encoded, bodies transfer-encoded)")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for header in ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version"]:
        if message[header] is None:
            problems.append(f"missing {header}")
    parts = []
    if message.is_multipart():
        if message.get_content_type() != "multipart/alternative":
            problems.append(f"expected multipart/alternative, got {message.get_content_type()}")
        for part in message.iter_parts():
            parts.append({"type": part.get_content_type(), "charset": part.get_content_charset(),
                          "encoding": part.get("Content-Transfer-Encoding"), "body": part.get_content()})
        types = [part["type"] for part in parts]
        if types != ["text/plain", "text/html"]:
            problems.append(f"expected text/plain then text/html, got {types}")
    else:
        parts.append({"type": message.get_content_type(), "charset": message.get_content_charset(),
                      "encoding": message.get("Content-Transfer-Encoding"), "body": message.get_content()})
    return message, parts, problems


class Handler:
    def __init__(self, out):
        self.out = out

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "reject" in address:
            return "550 5.1.1 mailbox unavailable"
        if "tempfail" in address and address not in tempfailed:
            tempfailed.add(address)
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message, parts, problems = check_message(envelope.original_content or envelope.content)
        counter[0] += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "peer": list(session.peer),
            "authenticated": bool(getattr(session, "authenticated", False)),
            "tls": bool(getattr(session, "ssl", None)),
            "from": str(message["From"]),
            "to": str(message["To"]),
            "reply_to": str(message["Reply-To"]) if message["Reply-To"] else None,
            "subject": str(message["Subject"]),
            "message_id": str(message["Message-ID"]),
            "list_unsubscribe": str(message["List-Unsubscribe"]) if message["List-Unsubscribe"] else None,
            "list_unsubscribe_post": str(message["List-Unsubscribe-Post"]) if message["List-Unsubscribe-Post"] else None,
            "content_type": message.get_content_type(),
            "parts": parts,
            "problems": problems,
        }
        with open(self.out, "a") as handle:
            handle.write(json.dumps(record) + "\n")
        return f"250 2.0.0 OK queued as Q{counter[0]}"


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


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--auth")
    parser.add_argument("--tls-cert", help="PEM certificate: offer STARTTLS and require it")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    exit_with_parent()
    handler = Handler(args.out)

    def authenticate(server, session, envelope, mechanism, auth_data):
        user, _, password = args.auth.partition(":")
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False)

    context = None
    if args.tls_cert:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)

    def factory():
        options = {"tls_context": context, "require_starttls": context is not None}
        if args.auth:
            return SMTP(handler, authenticator=authenticate, auth_required=True, auth_require_tls=context is not None, **options)
        return SMTP(handler, **options)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", 0)
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
