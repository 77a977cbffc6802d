#!/usr/bin/python3
"""gendata.py: deterministic input data for `make bench` (stdlib only).

Usage: gendata.py [--small] [--force] [--generations N] DATADIR GROUP...

GROUP is one of:
  image     image (1 GiB, 128 MiB with --small): a disk-image-like file made
            of 4 KiB-aligned regions: zero runs, incompressible random data,
            text, low-entropy "binary" and copies of earlier regions; then
            image-edited: the same bytes with 50 insertions (1..4000 bytes,
            shifting everything after them) and 30 overwrites (1..64 KiB).
  tree      tree-1.tar, tree-2.tar: GNU tar of a copy of /usr/include and
            /usr/share/perl (capped at 192 MiB, 32 MiB with --small), then of
            the same copy with 20 files changed (8 edited in place, 7 appended
            to, 2 deleted, 3 added).  This group depends on the machine's
            installed packages; all the others are byte-identical everywhere.
  versions  v00.tar .. v15.tar (v00..v04 with --small): 16 nightly snapshots
            of a synthetic ~14 MB C project (about 2600 files); each step
            edits a few files, adds, removes and renames some.
  generations  g000.tar .. (50 by default, --generations N; 10 with
            --small): a slowly changing tree, another synthetic C project
            (~13 MB, ~3 MB with --small); each generation edits about 1 %
            of the files, removes 0-3 and adds 1-4.

Each group is written to DATADIR/GROUP/ together with MANIFEST (the files in
ingest order, one per line) and .stamp (generator version + parameters).  A
group whose .stamp matches is left alone, so the data is generated once.

Determinism: all bulk bytes come from SHAKE-256 (a fixed standard), and all
scalar decisions from random.Random(int).random(), whose sequence Python
guarantees across versions.  No other random.* method is used, because their
algorithms may change between Python versions.
"""

import hashlib
import os
import random
import shutil
import subprocess
import sys
import tarfile
from array import array

VERSION = 2
KIB = 1024
MIB = 1024 * 1024


# --- deterministic sources -------------------------------------------------

def shake(label, n):
    """n pseudo-random bytes, a pure function of label (str) and n."""
    return hashlib.shake_256(("qsarc-bench/v%d/%s" % (VERSION, label))
                             .encode()).digest(n)


def u32s(label, n):
    """n pseudo-random 32-bit unsigned integers (little-endian decode)."""
    a = array("I")
    assert a.itemsize == 4
    a.frombytes(shake(label, 4 * n))
    if sys.byteorder == "big":
        a.byteswap()
    return a


class Rng:
    """Scalar decisions; only Random.random() is used (version-stable)."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def uniform(self):
        return self.r.random()

    def int(self, lo, hi):
        """Integer in [lo, hi], both inclusive."""
        return lo + min(int(self.r.random() * (hi - lo + 1)), hi - lo)

    def pick(self, seq):
        return seq[self.int(0, len(seq) - 1)]

    def sample(self, seq, k):
        """k distinct elements of seq, in pick order (partial Fisher-Yates)."""
        s = list(seq)
        for i in range(k):
            j = self.int(i, len(s) - 1)
            s[i], s[j] = s[j], s[i]
        return s[:k]


# --- words, text, code ------------------------------------------------------

SYLL = ("ka to ri en ma su de lo an vi ne gra pol st ter qu ix or ul be cha "
        "mon pre dis ion ath el ra co mi fa un se ta ble ing ver in ex al").split()


def make_words(seed, n):
    rng = Rng(seed)
    seen, out = set(), []
    while len(out) < n:
        w = "".join(rng.pick(SYLL) for _ in range(rng.int(1, 4)))
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


WORDS = make_words(1, 6000)


def zipf_word(rng):
    # Skewed towards the first words, like natural text.
    return WORDS[int(len(WORDS) * rng.uniform() ** 3)]


def make_sentence(rng):
    n = rng.int(4, 18)
    ws = [zipf_word(rng) for _ in range(n)]
    if rng.uniform() < 0.15:
        ws.insert(rng.int(0, n), str(rng.int(0, 99999)))
    s = " ".join(ws)
    s = s[0].upper() + s[1:] + rng.pick((".", ".", ".", "?", "!", ":"))
    s += "\n" if rng.uniform() < 0.3 else " "
    return s.encode()


_SENTENCES = None


def sentences():
    global _SENTENCES
    if _SENTENCES is None:
        rng = Rng(2)
        _SENTENCES = [make_sentence(rng) for _ in range(60000)]
    return _SENTENCES


def text_bytes(label, n):
    """About n bytes of prose (exactly n after the cut)."""
    pool = sentences()
    out, have, k = [], 0, 0
    while have < n:
        idx = u32s("%s/%d" % (label, k), n // 60 + 16)
        k += 1
        chunk = b"".join([pool[i % len(pool)] for i in idx])
        out.append(chunk)
        have += len(chunk)
    return b"".join(out)[:n]


# Low-entropy binary: each random byte is mapped onto a skewed alphabet
# (half of the values become 0x00, the rest 15 other symbols), roughly like
# executable code and structured records under a byte-level entropy coder.
_BIN_TABLE = bytes([0 if v < 128 else
                    (0xff, 0x01, 0x48, 0x89, 0x8b, 0xe8, 0x24, 0x0f,
                     0x85, 0xc3, 0x10, 0x20, 0x40, 0x04, 0x08)[v % 15]
                    for v in range(256)])


def binary_bytes(label, n):
    return shake(label, n).translate(_BIN_TABLE)


CTYPES = ("int", "size_t", "uint8_t *", "uint32_t", "uint64_t", "char *",
          "const char *", "struct %s *", "void *", "ssize_t")
OPS = ("==", "!=", "<", ">", "<=", ">=")


def ident(rng):
    w = zipf_word(rng)
    if rng.uniform() < 0.5:
        w += "_" + zipf_word(rng)
    return w


def code_line(rng, names=()):
    """One line of C-like code; identifiers mostly from the file's names."""
    def lid():
        if names and rng.uniform() < 0.85:
            return rng.pick(names)
        return ident(rng)
    t = rng.int(0, 19)
    a, b, c = lid(), lid(), lid()
    if t == 0:
        return "\tif (%s %s %s) {" % (a, rng.pick(OPS), b)
    if t == 1:
        return "\t\t%s = %s(%s, %s);" % (a, b, c, lid())
    if t == 2:
        return "\treturn (%s);" % a
    if t == 3:
        return "\t}"
    if t == 4:
        return ""
    if t == 5:
        return "/* %s */" % make_sentence(rng).decode().strip()
    if t == 6:
        return "\tfor (i = 0; i < %s->%s; i++) {" % (a, b)
    if t == 7:
        ty = rng.pick(CTYPES)
        if "%s" in ty:
            ty = ty % b
        return "\t%s %s;" % (ty, a)
    if t == 8:
        return "\t\tgoto err%d;" % rng.int(0, 3)
    if t == 9:
        return "\t%s->%s = %d;" % (a, b, rng.int(0, 4096))
    if t == 10:
        return "\tmemcpy(%s, %s->%s, sizeof(%s));" % (a, b, c, a)
    if t == 11:
        return "\t\t%s += %s;" % (a, b)
    if t == 12:
        return "\t} else {"
    if t == 13:
        return "\t/* %s */" % make_sentence(rng).decode().strip()
    if t == 14:
        return "#define %s_%s %d" % (a.upper(), b.upper(), rng.int(0, 65535))
    if t == 15:
        return "\tassert(%s != NULL);" % a
    if t == 16:
        return "\tif ((r = %s(%s, &%s)) != 0)" % (a, b, c)
    if t == 17:
        return "\t\tbreak;"
    if t == 18:
        return "\tcase %s_%s:" % (a.upper(), b.upper())
    return "\t%s(%s);" % (a, b)


def c_function(rng, names):
    ty = rng.pick(("int", "void", "size_t", "static int", "static void"))
    name = ident(rng)
    args = ", ".join("%s %s" % (rng.pick(("int", "size_t", "const uint8_t *",
                                           "void *", "uint64_t")), rng.pick(names))
                     for _ in range(rng.int(1, 4)))
    body = [code_line(rng, names) for _ in range(rng.int(4, 40))]
    return ["", "%s" % ty, "%s(%s)" % (name, args), "{"] + body + ["}"]


def c_file(rng, path, target):
    lines = ["/*", " * %s" % path,
             " * %s" % make_sentence(rng).decode().strip(), " */", ""]
    for _ in range(rng.int(2, 8)):
        lines.append("#include \"%s/%s.h\"" % (ident(rng), ident(rng)))
    names = [ident(rng) for _ in range(rng.int(12, 40))]
    size = sum(len(x) + 1 for x in lines)
    while size < target:
        f = c_function(rng, names)
        lines.extend(f)
        size += sum(len(x) + 1 for x in f)
    return lines


def doc_file(rng, path, target):
    lines = ["# %s" % path, ""]
    size = 0
    while size < target:
        para = "".join(make_sentence(rng).decode() for _ in range(rng.int(2, 8)))
        lines.extend([para.replace("\n", " ").strip(), ""])
        size += len(para) + 2
    return lines


# --- group: image -----------------------------------------------------------

# (kind, share of bytes); zstd -1 gives about 2x on the whole.
IMAGE_MIX = (("zero", 0.20), ("random", 0.30), ("text", 0.28),
             ("binary", 0.12), ("repeat", 0.10))


def gen_image(path, size):
    rng = Rng(10)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        off, k = 0, 0
        while off < size:
            u = rng.uniform()
            for kind, share in IMAGE_MIX:
                u -= share
                if u < 0:
                    break
            # Region length: 4 KiB .. 4 MiB, log-uniform, 4 KiB aligned.
            n = int(4 * KIB * 1024 ** rng.uniform()) // (4 * KIB) * (4 * KIB)
            n = max(4 * KIB, min(n, size - off))
            lab = "image/%d" % k
            if kind == "zero":
                data = bytes(n)
            elif kind == "random":
                data = shake(lab, n)
            elif kind == "text":
                data = text_bytes(lab, n)
            elif kind == "binary":
                data = binary_bytes(lab, n)
            else:
                if off == 0:
                    data = bytes(n)
                else:
                    src = rng.int(0, off // (4 * KIB) - 1) * 4 * KIB
                    data = os.pread(fd, min(n, off - src), src)
            os.pwrite(fd, data, off)
            off += len(data)
            k += 1
    finally:
        os.close(fd)


def gen_image_edited(src, dst, size):
    rng = Rng(11)
    edits = []
    for i in range(50):
        pos = rng.int(0, size - 1)
        n = rng.int(1, 4000)
        data = shake("edit/ins/%d" % i, n) if rng.uniform() < 0.5 \
            else text_bytes("edit/ins/%d" % i, n)
        edits.append((pos, 0, data))
    for i in range(30):
        pos = rng.int(0, size - 1)
        n = rng.int(1, 64 * KIB)
        edits.append((pos, 1, shake("edit/ovw/%d" % i, n)))
    edits.sort(key=lambda e: (e[0], e[1]))
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        def copy_to(cur, end):
            fi.seek(cur)
            while cur < end:
                b = fi.read(min(8 * MIB, end - cur))
                if not b:
                    raise IOError("short read from " + src)
                fo.write(b)
                cur += len(b)
        cur = 0
        for pos, kind, data in edits:
            pos = max(pos, cur)
            copy_to(cur, pos)
            cur = pos
            if kind == 0:
                fo.write(data)
            else:
                data = data[:size - pos]
                fo.write(data)
                cur = pos + len(data)
        copy_to(cur, size)


def group_image(d, small):
    size = (128 if small else 1024) * MIB
    gen_image(os.path.join(d, "image"), size)
    gen_image_edited(os.path.join(d, "image"), os.path.join(d, "image-edited"),
                     size)
    return ["image", "image-edited"], "size=%d" % size


# --- group: tree ------------------------------------------------------------

TREE_SOURCES = ("/usr/include", "/usr/share/perl")
# Used, in order, only while the copy is still below half the cap.
TREE_FALLBACKS = ("/usr/share/perl5", "/usr/lib/python3", "/usr/share/doc",
                  "/usr/lib/gcc")


def tar_dir(parent, name, out):
    env = dict(os.environ, LC_ALL="C")
    subprocess.run(["tar", "--sort=name", "--mtime=@0", "--owner=0",
                    "--group=0", "--numeric-owner", "--format=gnu",
                    "-C", parent, "-cf", out, name], check=True, env=env)


def copy_capped(work, cap):
    """Copy the source trees (sorted walk, up to cap bytes) under work/."""
    total = 0
    used = []
    full = False
    for src in TREE_SOURCES + TREE_FALLBACKS:
        if full or (src in TREE_FALLBACKS and total >= cap // 2):
            break
        if not os.path.isdir(src):
            continue
        used.append(src)
        dst_root = os.path.join(work, src.strip("/").replace("/", "_"))
        for root, dirs, files in os.walk(src):
            dirs.sort()
            rel = os.path.relpath(root, src)
            droot = os.path.normpath(os.path.join(dst_root, rel))
            os.makedirs(droot, exist_ok=True)
            for f in sorted(files):
                sp, dp = os.path.join(root, f), os.path.join(droot, f)
                try:
                    if os.path.islink(sp):
                        os.symlink(os.readlink(sp), dp)
                        continue
                    if not os.path.isfile(sp):
                        continue
                    sz = os.path.getsize(sp)
                    if full or total + sz > cap:
                        full = True     # a sorted prefix of the sources
                        continue
                    shutil.copyfile(sp, dp)
                    os.chmod(dp, os.stat(sp).st_mode & 0o777)
                    total += sz
                except OSError:
                    pass            # unreadable file: skip it
    return total, used


def group_tree(d, small):
    cap = (32 if small else 192) * MIB
    work = os.path.join(d, "work")
    shutil.rmtree(work, ignore_errors=True)
    src = os.path.join(work, "tree")
    os.makedirs(src)
    total, used = copy_capped(src, cap)
    if total < MIB:
        raise SystemExit("gendata: no usable source tree among %s"
                         % (TREE_SOURCES,))
    tar_dir(work, "tree", os.path.join(d, "tree-1.tar"))

    files = []
    for root, dirs, fs in os.walk(src):
        dirs.sort()
        for f in sorted(fs):
            p = os.path.join(root, f)
            if os.path.isfile(p) and not os.path.islink(p) \
                    and os.path.getsize(p) > 64:
                files.append(p)
    files.sort()
    rng = Rng(20)
    chosen = rng.sample(files, 17)
    for i, p in enumerate(chosen[:8]):           # edit some bytes in place
        with open(p, "r+b") as f:
            b = bytearray(f.read())
            at = rng.int(0, len(b) - 16)
            b[at:at + 16] = shake("tree/edit/%d" % i, 16)
            f.seek(0)
            f.write(b)
    for i, p in enumerate(chosen[8:15]):         # append lines
        with open(p, "ab") as f:
            f.write(text_bytes("tree/append/%d" % i, rng.int(20, 2000)) + b"\n")
    for p in chosen[15:17]:                      # delete two
        os.unlink(p)
    dirs = sorted({os.path.dirname(p) for p in files})
    for i in range(3):                           # add three
        p = os.path.join(rng.pick(dirs), "added-%d.txt" % i)
        with open(p, "wb") as f:
            f.write(text_bytes("tree/add/%d" % i, rng.int(2 * KIB, 40 * KIB)))
    tar_dir(work, "tree", os.path.join(d, "tree-2.tar"))
    shutil.rmtree(work)
    return ["tree-1.tar", "tree-2.tar"], "cap=%d sources=%s bytes=%d" % (
        cap, ",".join(used), total)


# --- group: versions --------------------------------------------------------

def new_project_file(rng, dirs, idx):
    d = rng.pick(dirs)
    kind = rng.uniform()
    if kind < 0.70:
        name = "%s/%s_%d.c" % (d, ident(rng), idx)
        target = int(800 * 40 ** rng.uniform())      # 0.8 KB .. 32 KB
        return name, c_file(rng, name, target)
    if kind < 0.85:
        name = "%s/%s_%d.h" % (d, ident(rng), idx)
        return name, c_file(rng, name, int(400 * 20 ** rng.uniform()))
    name = "%s/%s_%d.md" % (d, ident(rng), idx)
    return name, doc_file(rng, name, int(500 * 30 ** rng.uniform()))


def write_project_tar(path, files, mtimes):
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tf:
        for name in sorted(files):
            data = ("\n".join(files[name]) + "\n").encode()
            ti = tarfile.TarInfo("project/" + name)
            ti.size = len(data)
            ti.mtime = mtimes[name]
            ti.mode = 0o644
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            tf.addfile(ti, _BytesReader(data))


class _BytesReader:
    def __init__(self, b):
        self.b, self.o = b, 0

    def read(self, n=-1):
        if n is None or n < 0:
            n = len(self.b) - self.o
        r = self.b[self.o:self.o + n]
        self.o += len(r)
        return r


def edit_lines(rng, lines):
    names = [ident(rng) for _ in range(8)]
    for _ in range(rng.int(1, 3)):
        at = rng.int(0, len(lines))
        op = rng.int(0, 2)
        n = rng.int(1, 10)
        new = [code_line(rng, names) for _ in range(n)]
        if op == 0:
            lines[at:at] = new
        elif op == 1:
            lines[at:at + n] = new
        else:
            del lines[at:at + n]
    return lines


def group_versions(d, small):
    steps = 5 if small else 16
    rng = Rng(30)
    top = ["src", "lib", "include", "tests", "docs", "tools", "contrib"]
    dirs = []
    for t in top:
        for _ in range(rng.int(3, 9)):
            dirs.append("%s/%s" % (t, ident(rng)))
    base_mtime = 1700000000
    files, mtimes = {}, {}
    idx = 0
    size = 0
    while size < 13 * MIB:
        name, lines = new_project_file(rng, dirs, idx)
        idx += 1
        files[name] = lines
        mtimes[name] = base_mtime - rng.int(0, 86400 * 365)
        size += sum(len(x) + 1 for x in lines)
    names = []
    for step in range(steps):
        if step > 0:
            now = base_mtime + step * 86400
            cur = sorted(files)
            for p in rng.sample(cur, rng.int(4, 10)):          # edit
                files[p] = edit_lines(rng, files[p])
                mtimes[p] = now
            cur = sorted(files)
            for p in rng.sample(cur, rng.int(0, 2)):           # remove
                del files[p], mtimes[p]
            for _ in range(rng.int(1, 4)):                     # add
                name, lines = new_project_file(rng, dirs, idx)
                idx += 1
                files[name], mtimes[name] = lines, now
            if rng.uniform() < 0.5:                            # rename
                p = rng.pick(sorted(files))
                q = "%s/%s" % (rng.pick(dirs), os.path.basename(p))
                if q not in files:
                    files[q], mtimes[q] = files.pop(p), mtimes.pop(p)
            ch = "docs/CHANGES.md"                             # changelog
            files.setdefault(ch, ["# Changes", ""])
            files[ch][2:2] = ["## step %d" % step, "",
                              make_sentence(rng).decode().strip(), ""]
            mtimes[ch] = now
        name = "v%02d.tar" % step
        write_project_tar(os.path.join(d, name), files, mtimes)
        names.append(name)
    return names, "steps=%d" % steps


# --- group: generations -----------------------------------------------------

GENERATIONS = None   # --generations N; None: 50, or 10 with --small


def gen_count(small):
    if GENERATIONS is not None:
        return GENERATIONS
    return 10 if small else 50


def group_generations(d, small):
    """Nightly tars of a slowly changing tree: each generation edits ~1 % of
    the files (1-3 hunks each), removes 0-3 and adds 1-4.  Seeded apart
    from `versions`, so the two groups share no content."""
    count = gen_count(small)
    rng = Rng(40)
    top = ["src", "lib", "include", "tests", "docs", "tools"]
    dirs = []
    for t in top:
        for _ in range(rng.int(3, 9)):
            dirs.append("%s/%s" % (t, ident(rng)))
    base_mtime = 1710000000
    files, mtimes = {}, {}
    idx = 0
    size = 0
    while size < (3 if small else 13) * MIB:
        name, lines = new_project_file(rng, dirs, idx)
        idx += 1
        files[name] = lines
        mtimes[name] = base_mtime - rng.int(0, 86400 * 365)
        size += sum(len(x) + 1 for x in lines)
    names = []
    for gen in range(count):
        if gen > 0:
            now = base_mtime + gen * 86400
            cur = sorted(files)
            nedit = max(1, (len(cur) + 50) // 100)
            for p in rng.sample(cur, nedit):                   # edit ~1 %
                files[p] = edit_lines(rng, files[p])
                mtimes[p] = now
            cur = sorted(files)
            for p in rng.sample(cur, rng.int(0, 3)):           # remove
                del files[p], mtimes[p]
            for _ in range(rng.int(1, 4)):                     # add
                name, lines = new_project_file(rng, dirs, idx)
                idx += 1
                files[name], mtimes[name] = lines, now
        name = "g%03d.tar" % gen
        write_project_tar(os.path.join(d, name), files, mtimes)
        names.append(name)
    return names, "generations=%d" % count


# --- driver ------------------------------------------------------------------

GROUPS = {"image": group_image, "tree": group_tree, "versions": group_versions,
          "generations": group_generations}


def stamp_of(group, small):
    extra = ""
    if group == "generations":
        extra = " generations=%d" % gen_count(small)
    return "gendata v%d group=%s small=%d%s\n" % (VERSION, group, int(small),
                                                  extra)


def main(argv):
    global GENERATIONS
    small = force = False
    args = []
    it = iter(argv[1:])
    for a in it:
        if a == "--small":
            small = True
        elif a == "--force":
            force = True
        elif a == "--generations":
            GENERATIONS = int(next(it, "0"))
            if GENERATIONS < 2:
                sys.stderr.write("gendata: --generations needs N >= 2\n")
                return 2
        else:
            args.append(a)
    if len(args) < 2 or any(g not in GROUPS for g in args[1:]):
        sys.stderr.write(__doc__)
        return 2
    root = args[0]
    for g in args[1:]:
        d = os.path.join(root, g)
        stamp = os.path.join(d, ".stamp")
        want = stamp_of(g, small)
        try:
            with open(stamp) as f:
                have = f.readline() + ""
        except OSError:
            have = ""
        if have == want and not force:
            print("gendata: %s: cached in %s" % (g, d))
            continue
        print("gendata: %s: generating into %s ..." % (g, d), flush=True)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        names, params = GROUPS[g](d, small)
        with open(os.path.join(d, "MANIFEST"), "w") as f:
            for n in names:
                h = hashlib.sha256()
                with open(os.path.join(d, n), "rb") as fi:
                    for b in iter(lambda: fi.read(8 * MIB), b""):
                        h.update(b)
                f.write("%s %d %s\n" % (n, os.path.getsize(os.path.join(d, n)),
                                        h.hexdigest()))
        with open(stamp + ".tmp", "w") as f:
            f.write(want + params + "\n")
        os.rename(stamp + ".tmp", stamp)
        print("gendata: %s: done (%s)" % (g, params), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
