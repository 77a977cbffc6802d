#!/usr/bin/python3
"""A loopback TCP proxy in front of the test gateway that misbehaves on
purpose, for the S3 retry and fault tests.

    faultproxy.py --upstream 127.0.0.1:PORT --port-file F MODE:N [MODE:N ...]

It listens on a free loopback port (written to F once it listens) and
forwards each connection to the upstream, except that the first
connections, in the order of the MODE:N list, are spoiled:

  503:N    answer N connections with "503 Slow Down" (S3's SlowDown) and
           close them, without contacting the upstream;
  lost:N   forward N requests to the upstream, let the upstream answer in
           full, but close the client's connection without passing the reply
           on: the request took effect and the client cannot know it (a PUT
           that landed, its reply lost);
  reset:N  close N connections as soon as the request arrives (nothing
           reaches the upstream);
  stall:N  accept N connections and never answer (the client's stall
           timeout must fire).

After those, it forwards faithfully.  It counts connections on stderr.
"""

import argparse
import asyncio
import os
import sys

SLOWDOWN = (b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
            b"Content-Length: 96\r\nConnection: close\r\n\r\n"
            b"<?xml version=\"1.0\"?><Error><Code>SlowDown</Code>"
            b"<Message>test proxy</Message></Error>\n\n\n\n\n\n")


async def read_request(reader):
    """Read one HTTP request (headers and a Content-Length body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return head + body


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


class Proxy:
    def __init__(self, upstream, plan):
        self.host, port = upstream.rsplit(":", 1)
        self.port = int(port)
        self.plan = plan          # list of modes, one per spoiled connection
        self.n = 0

    async def handle(self, reader, writer):
        self.n += 1
        mode = self.plan.pop(0) if self.plan else "pass"
        print(f"faultproxy: connection {self.n}: {mode}", file=sys.stderr,
              flush=True)
        try:
            if mode == "stall":
                await asyncio.sleep(3600)
                return
            if mode in ("503", "reset", "lost"):
                req = await read_request(reader)
                if mode == "503":
                    writer.write(SLOWDOWN)
                    await writer.drain()
                elif mode == "lost":
                    ur, uw = await asyncio.open_connection(self.host,
                                                           self.port)
                    uw.write(req)
                    await uw.drain()
                    # Wait for the upstream's whole reply, then drop it.
                    await ur.readuntil(b"\r\n\r\n")
                    await asyncio.sleep(0.2)
                    uw.close()
                writer.close()
                return
            ur, uw = await asyncio.open_connection(self.host, self.port)
            await asyncio.gather(pipe(reader, uw), pipe(ur, writer))
        except (ConnectionError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError):
            writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("plan", nargs="*")
    a = ap.parse_args()
    plan = []
    for item in a.plan:
        mode, count = item.split(":")
        if mode not in ("503", "lost", "reset", "stall"):
            ap.error(f"unknown mode {mode}")
        plan += [mode] * int(count)
    p = Proxy(a.upstream, plan)
    server = await asyncio.start_server(p.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.rename(tmp, a.port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
