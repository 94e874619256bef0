"""A real SMTP server for careaudit's tests (aiosmtpd): plain, STARTTLS or implicit TLS, with
optional AUTH, that stores every accepted message in a Maildir and refuses on demand.

Refusals: while the control file holds "<reply line>\n<count>", the next <count> messages are
answered with that reply (e.g. "451 4.3.0 try again later"); a count of -1 refuses until the
file is removed.
"""

import argparse
import mailbox
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--maildir", required=True)
parser.add_argument("--control", required=True)
parser.add_argument("--tls", choices=["none", "starttls", "implicit"], default="none")
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--auth", help="user:password required of every client")
args = parser.parse_args()


def refusal():
    try:
        with open(args.control) as control:
            lines = control.read().split("\n")
    except FileNotFoundError:
        return None
    reply, count = lines[0].strip(), int(lines[1]) if len(lines) > 1 and lines[1].strip() else -1
    if not reply or count == 0:
        return None
    if count > 0:
        with open(args.control, "w") as control:
            control.write(f"{reply}\n{count - 1}")
    return reply


class Handler:
    def __init__(self):
        self.box = mailbox.Maildir(args.maildir, create=True)

    async def handle_DATA(self, server, session, envelope):
        reply = refusal()
        if reply:
            return reply
        self.box.add(envelope.original_content or envelope.content)
        return "250 2.0.0 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    user, _, password = args.auth.partition(":")
    if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


options = {}
if args.tls != "none":
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    if args.tls == "starttls":
        options.update(tls_context=context, require_starttls=True)
    else:
        options.update(ssl_context=context)
if args.auth:
    # aiosmtpd only counts STARTTLS as TLS for AUTH; an implicit-TLS session is encrypted from
    # the first byte, so AUTH may be offered there too.
    options.update(authenticator=authenticator, auth_required=True, auth_require_tls=args.tls == "starttls")

controller = Controller(Handler(), hostname="127.0.0.1", port=args.port, **options)
controller.start()
print("ready", flush=True)
threading.Event().wait()
