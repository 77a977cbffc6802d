#!/usr/bin/python3
"""A loopback SMTP server for the alert tests (Debian's python3-aiosmtpd).

Every message it accepts is written as one JSON file into OUTDIR:
  {"mail_from": ..., "rcpt_tos": [...], "data": raw message text,
   "auth_user": user name or null}
named msg-<sequence>.json (numbered on from the files already there) (written to a temporary name, then renamed, so a
reader never sees half a file).

  smtp_sink.py OUTDIR --port-file F [--port N] [--lifetime S]
               [--auth USER:PASSWORD] [--reject]

--port 0 (the default) binds a free port; the port is written to
--port-file once the server listens.  --auth requires AUTH PLAIN/LOGIN
with that user and password (allowed without TLS: loopback only).
--reject answers every DATA with 554.  The server exits by itself after
--lifetime seconds (default 300) or on SIGTERM/SIGINT.
"""

import argparse
import asyncio
import itertools
import json
import os
import signal
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, outdir, reject):
        self.outdir = outdir
        self.reject = reject
        # Continue the numbering of an earlier sink in the same directory.
        done = [int(f[4:8]) for f in os.listdir(outdir)
                if f.startswith("msg-") and f.endswith(".json")]
        self.seq = itertools.count(max(done, default=0) + 1)

    async def handle_DATA(self, server, session, envelope):
        if self.reject:
            return "554 5.7.1 rejected by the test sink"
        n = next(self.seq)
        user = None
        if isinstance(session.auth_data, LoginPassword):
            user = session.auth_data.login.decode("utf-8", "replace")
        rec = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": envelope.original_content.decode("utf-8", "replace"),
            "auth_user": user,
        }
        tmp = os.path.join(self.outdir, ".tmp-msg-%d.json" % n)
        with open(tmp, "w") as f:
            json.dump(rec, f)
        os.rename(tmp, os.path.join(self.outdir, "msg-%04d.json" % n))
        return "250 2.0.0 OK"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=300)
    ap.add_argument("--auth")
    ap.add_argument("--reject", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    sink = Sink(a.outdir, a.reject)

    kw = {}
    if a.auth:
        want_user, _, want_pass = a.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and
                  data.login.decode() == want_user and
                  data.password.decode() == want_pass)
            return AuthResult(success=ok, auth_data=data if ok else None)

        kw = dict(authenticator=authenticator, auth_required=True,
                  auth_require_tls=False)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", loop=loop, **kw),
        host="127.0.0.1", port=a.port))
    port = server.sockets[0].getsockname()[1]
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, a.port_file)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    loop.call_later(a.lifetime, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
