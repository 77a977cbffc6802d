#!/usr/bin/env python3
"""Power-loss simulation for qsarc, in the spirit of SQLite's crash-test VFS.

A SIGKILL keeps the page cache; a power cut does not.  This tool runs one
qsarc command (the test build) once with QSARC_POWERLOSS_LOG set, so that
format/fileio.c journals every store mutation (creates, writes with their
bytes, fsyncs of files and directories, renames, links, unlinks, mkdirs)
and every mutation point (P N: where QSARC_CRASH_AT=N would stop it).
From a snapshot of the directories taken before the command (the store or
stores and $QSARC_STATE_DIR) and the journal it rebuilds, for every crash
point, what a power cut there could leave:

  drop  every write not covered by a later fsync of its file is lost (a
        file never fsynced is empty), and every rename, link, unlink or
        create in a directory not fsynced since is undone;
  tear  the directories as in drop; a file's unsynced bytes survive up to
        a sector (512) boundary half way through them, the sectors after
        it read as zeros (the size reached the disk, the data did not);
  meta  every directory change persisted, the unsynced data lost (a
        file published before its data was fsynced shows up empty).

Each distinct state is written back in place (same absolute paths: the
store may record where its backup keystore is), and then the guarantees
after a kill are required of it:
  * verify of every store exits 0 (or, with --resume-hint, refuses with
    a message asking for the interrupted command to be run again);
  * every stream named with --stream restores byte-exact;
  * a stream named with --new is absent or restores byte-exact (never
    half visible); after the last crash point (the command had exited 0)
    it must be there;
  * a stream named with --gone is live or gone, and gone after the last
    crash point;
  * unless every --new stream is already there and every --gone one gone
    (a put or rm that is done would refuse the name), the command run again exits 0 (or the store is
    already done: see --done-pass), and then verify exits 0 and every
    --stream and --new stream restores.

  powerloss.py --qsarc BIN --label put --root STORE [--root STORE2]
      --state STATEDIR [--pass FILE ...] [--stream [R:]NAME=FILE ...]
      [--new [R:]NAME=FILE] [--gone [R:]NAME=FILE] [--variants drop,tear,meta] [--step K]
      -- ARGS...      (the qsarc arguments; @0, @1 stand for the roots)

Prints one line "LABEL: P crash points, S states tried (V variants), K
survived[, J known bug]" and the first failures; exits 1 if any state did
not survive (other than a --known one), 2 on a usage or setup error.
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys

SECTOR = 512


def die(msg):
    print("powerloss: " + msg, file=sys.stderr)
    sys.exit(2)


def under(path, roots):
    return any(path == r or path.startswith(r + "/") for r in roots)


class Model:
    """Files by model id (an inode may be reused after an unlink)."""

    def __init__(self, roots):
        self.roots = roots
        self.next_id = 0
        self.cur = {}        # id -> bytearray, what the page cache holds
        self.dur = {}        # id -> bytes, as of the file's last fsync
        self.ino = {}        # real inode -> id
        self.live = {}       # path -> id or "DIR"
        self.durable = {}    # dir -> {name: id or "DIR"} as of its fsync
        self.mode = {}       # id -> permission bits (0600 for new files)

    def new_id(self, ino, content, mode):
        i = self.next_id
        self.next_id += 1
        self.cur[i] = bytearray(content)
        self.dur[i] = bytes(content)
        self.mode[i] = mode
        if ino is not None:
            self.ino[ino] = i
        return i

    def snapshot(self):
        for r in self.roots:
            for d, dirs, files in os.walk(r):
                for n in dirs:
                    self.live[os.path.join(d, n)] = "DIR"
                for n in files:
                    p = os.path.join(d, n)
                    st = os.lstat(p)
                    with open(p, "rb") as f:
                        self.live[p] = self.new_id(st.st_ino, f.read(),
                                                   st.st_mode & 0o7777)
        for r in self.roots:
            self.sync_dir(r)
            for d, dirs, _ in os.walk(r):
                for n in dirs:
                    self.sync_dir(os.path.join(d, n))

    def children(self, d):
        pre = d + "/"
        return {p[len(pre):]: v for p, v in self.live.items()
                if p.startswith(pre) and "/" not in p[len(pre):]}

    def sync_dir(self, d):
        self.durable[d] = self.children(d)

    def apply(self, rec):
        op = rec[0]
        if op == "C":
            ino, path = int(rec[1]), rec[2]
            if under(path, self.roots):
                self.live[path] = self.new_id(ino, b"", 0o600)
        elif op == "W":
            i = self.ino.get(int(rec[1]))
            if i is not None:
                off, data = int(rec[2]), rec[4]
                c = self.cur[i]
                if len(c) < off:
                    c.extend(bytes(off - len(c)))
                c[off:off + len(data)] = data
        elif op == "F":
            i = self.ino.get(int(rec[1]))
            if i is not None:
                self.dur[i] = bytes(self.cur[i])
        elif op == "D":
            if under(rec[1], self.roots):
                self.sync_dir(rec[1])
        elif op == "R":
            if rec[1] in self.live:
                self.live[rec[2]] = self.live.pop(rec[1])
        elif op == "L":
            if rec[1] in self.live:
                self.live[rec[2]] = self.live[rec[1]]
        elif op == "U":
            self.live.pop(rec[1], None)
        elif op == "M":
            if under(rec[1], self.roots):
                self.live[rec[1]] = "DIR"

    def content(self, i, variant):
        if variant in ("drop", "meta"):
            return self.dur[i]
        cur, dur = bytes(self.cur[i]), self.dur[i]
        if cur == dur:
            return cur
        # tear: the first unsynced byte, then half of what follows.
        first = next((k for k in range(min(len(cur), len(dur)))
                      if cur[k] != dur[k]), min(len(cur), len(dur)))
        cut = first + ((len(cur) - first) // 2) // SECTOR * SECTOR
        out = bytearray(cur)
        out[cut:] = bytes(len(cur) - cut)
        return bytes(out)

    def state(self, variant):
        """{path: (mode, bytes) or "DIR"} under the roots."""
        out = {}

        def walk(d):
            ents = (self.children(d) if variant == "meta"
                    else self.durable.get(d, {}))
            for n, v in sorted(ents.items()):
                p = os.path.join(d, n)
                if v == "DIR":
                    out[p] = "DIR"
                    walk(p)
                else:
                    out[p] = (self.mode[v], self.content(v, variant))
        for r in self.roots:
            walk(r)
        return out


def read_log(path):
    recs = []
    with open(path, "rb") as f:
        d = f.read()
    i = 0
    while i < len(d):
        j = d.index(b"\n", i)
        line = d[i:j].decode("utf-8", "surrogateescape")
        i = j + 1
        if line[0] == "W":
            f = line.split(" ")
            n = int(f[3])
            recs.append(("W", f[1], f[2], f[3], d[i:i + n]))
            i += n
        elif line[0] in "CP":
            op, rest = line.split(" ", 1)
            recs.append((op,) + tuple(rest.split(" ", 1)))
        elif line[0] in "RL":
            # Store paths have no spaces (names are checked); split once.
            op, rest = line.split(" ", 1)
            a, b = rest.split(" ", 1)
            recs.append((op, a, b))
        else:
            recs.append((line[0], line[2:]))
    return recs


def write_state(roots, st):
    for r in roots:
        shutil.rmtree(r, ignore_errors=True)
        os.makedirs(r, mode=0o700)
    for p in sorted(st):
        v = st[p]
        if v == "DIR":
            os.makedirs(p, mode=0o700, exist_ok=True)
        else:
            with open(p, "wb") as f:
                f.write(v[1])
            os.chmod(p, v[0])


def digest(st):
    h = hashlib.sha256()
    for p in sorted(st):
        v = st[p]
        h.update(p.encode("utf-8", "surrogateescape") + b"\0")
        if v == "DIR":
            h.update(b"D")
        else:
            h.update(b"%o" % v[0] + hashlib.sha256(v[1]).digest())
    return h.hexdigest()


class Checker:
    def __init__(self, a):
        self.a = a
        self.env = dict(os.environ)
        for k in ("QSARC_POWERLOSS_LOG", "QSARC_CRASH_AT", "QSARC_ENOSPC_AT",
                  "QSARC_COUNT_FILE"):
            self.env.pop(k, None)
        self.env["QSARC_STATE_DIR"] = a.state
        self.po = {}

    def run(self, args, env=None):
        p = subprocess.run([self.a.qsarc] + args, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env or self.env, timeout=300)
        if p.returncode >= 128 or p.returncode < 0 or \
                b"Sanitizer" in p.stderr or b"runtime error:" in p.stderr:
            raise Failure("qsarc %s: died (%d): %s" % (
                " ".join(args), p.returncode, p.stderr.decode()[-300:]))
        return p

    def passopt(self, root):
        """The passphrase option that opens ${root}, or []."""
        if root in self.po:
            return self.po[root]
        self.po[root] = []
        for pw in self.a.passes:
            p = self.run(["keys", root, "--passphrase-file", pw])
            if p.returncode == 0:
                self.po[root] = ["--passphrase-file", pw]
                break
        return self.po[root]

    def verify(self, root, what):
        p = self.run(["verify", root] + self.passopt(root))
        if p.returncode != 0:
            raise Failure("%s: verify %s: exit %d: %s" % (
                what, root, p.returncode,
                (p.stdout + p.stderr).decode()[-400:]))

    def get(self, root, name, want, absent_ok, what):
        p = self.run(["get", root, name] + self.passopt(root))
        if p.returncode == 0:
            if p.stdout != want:
                raise Failure("%s: get %s %s: %d bytes, not the %d put "
                              "(half visible or damaged)" % (
                                  what, root, name, len(p.stdout), len(want)))
            return True
        if absent_ok and b"no stream named" in p.stderr:
            return False
        raise Failure("%s: get %s %s: exit %d: %s" % (
            what, root, name, p.returncode, p.stderr.decode()[-300:]))

    def streams(self, what, new_required):
        """Check the streams; return 1 if every --new stream is there."""
        for r, name, data in self.a.streams_:
            self.get(r, name, data, False, what)
        there = 1
        for r, name, data in self.a.new_:
            if not self.get(r, name, data, not new_required, what):
                there = 0
        for r, name, data in self.a.gone_:
            if self.get(r, name, data, True, what):
                if new_required:
                    raise Failure("%s: %s %s is still live after the "
                                  "command exited 0" % (what, r, name))
                there = 0
        return there

    def check(self, final, what):
        self.po = {}
        try:
            for r in self.a.root:
                self.verify(r, what)
            # A put whose stream is already there is done (run again, it
            # would refuse the name).
            if self.streams(what, final) and (self.a.new_ or
                                              self.a.gone_):
                return
        except Failure as e:
            # The store refuses to be read until the command is run again,
            # and says so (--resume-hint): what a kill leaves as well.
            if final or not self.a.resume_hint or \
                    not re.search(self.a.resume_hint, str(e)):
                raise
        p = self.run(self.a.cmd_)
        if p.returncode != 0:
            done = self.a.done_pass
            if not (done and all(
                    self.run(["keys", r, "--passphrase-file", done])
                    .returncode == 0 for r in self.a.root[:1])):
                raise Failure("%s: the command run again: exit %d: %s" % (
                    what, p.returncode, p.stderr.decode()[-400:]))
        self.po = {}
        for r in self.a.root:
            self.verify(r, what + ", after the rerun")
        self.streams(what + ", after the rerun", True)


class Failure(Exception):
    pass


def parse_streams(specs, roots):
    out = []
    for s in specs:
        r = 0
        if ":" in s.split("=", 1)[0]:
            rs, s = s.split(":", 1)
            r = int(rs)
        name, path = s.split("=", 1)
        with open(path, "rb") as f:
            out.append((roots[r], name, f.read()))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qsarc", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--root", action="append", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--pass", dest="passes", action="append", default=[])
    ap.add_argument("--done-pass", default=None,
                    help="a rerun that fails is accepted when the store "
                    "already opens with this passphrase (the change done)")
    ap.add_argument("--resume-hint", default=None,
                    help="before the rerun, a failure matching this regular "
                    "expression is accepted (the store asks for the "
                    "command to be run again); never after the exit")
    ap.add_argument("--stream", action="append", default=[])
    ap.add_argument("--new", action="append", default=[])
    ap.add_argument("--gone", action="append", default=[],
                    help="[R:]NAME=FILE: a stream the command removes "
                    "(rm, expire): live or gone before the exit, gone after")
    ap.add_argument("--variants", default="drop,tear,meta")
    ap.add_argument("--step", type=int, default=1,
                    help="try every K-th crash point (and the last)")
    ap.add_argument("--log", default=None, help="keep the journal here")
    ap.add_argument("--max-failures", type=int, default=3)
    ap.add_argument("--known", action="append", default=[],
                    help="a failure matching this regular expression is a "
                    "known bug: counted apart, not failed")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    a.root = [os.path.abspath(r) for r in a.root]
    a.state = os.path.abspath(a.state)
    roots = a.root + [a.state]
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        die("no command")
    a.cmd_ = [{"@0": a.root[0], "@1": a.root[-1]}.get(x, x) for x in cmd]
    a.streams_ = parse_streams(a.stream, a.root)
    a.new_ = parse_streams(a.new, a.root)
    a.gone_ = parse_streams(a.gone, a.root)
    variants = a.variants.split(",")

    m = Model(roots)
    m.snapshot()
    log = a.log or os.path.join(os.path.dirname(a.root[0]),
                                ".powerloss-%s.log" % a.label)
    if os.path.exists(log):
        os.unlink(log)
    ck = Checker(a)
    env = dict(ck.env)
    env["QSARC_POWERLOSS_LOG"] = log
    p = ck.run(a.cmd_, env)
    if p.returncode != 0:
        die("%s: the command failed (exit %d): %s" % (
            a.label, p.returncode, p.stderr.decode()[-400:]))
    if not os.path.exists(log):
        die("%s: no journal %s (not a test build with QSARC_POWERLOSS_LOG?)"
            % (a.label, log))
    recs = read_log(log)
    npoints = sum(1 for r in recs if r[0] == "P")
    if npoints == 0:
        die("%s: the journal has no mutation point (not a test build?)" %
            a.label)

    # The states: before each mutation point, and after the end.
    states, seen = [], set()
    k = 0
    for idx, r in enumerate(recs + [("END",)]):
        if r[0] in ("P", "END"):
            k += 1
            if r[0] == "END" or (k - 1) % a.step == 0:
                for v in variants:
                    st = m.state(v)
                    h = digest(st)
                    if h not in seen:
                        seen.add(h)
                        states.append((k, v, r[0] == "END", st))
        if r[0] != "END":
            m.apply(r)

    failures, known = [], []
    tried = 0
    for k, v, final, st in states:
        tried += 1
        what = "%s: power cut %s at point %d of %d (%s)" % (
            a.label, "after the exit" if final else "before mutation",
            k, npoints, v)
        write_state(roots, st)
        try:
            ck.check(final, what)
        except Failure as e:
            if any(re.search(x, str(e)) for x in a.known):
                known.append(str(e))
                continue
            failures.append(str(e))
            if len(failures) >= a.max_failures:
                break
    print("%s: %d crash points, %d states tried (%s), %d survived%s" % (
        a.label, npoints + 1, tried, "+".join(variants),
        tried - len(failures) - len(known),
        ", %d known bug" % len(known) if known else ""))
    for f in failures:
        print("  FAIL " + f)
    for f in known[:2]:
        print("  KNOWN " + f.split("\n")[0][:300])
    # Leave the store as the last state's rerun made it.
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
