#!/usr/bin/env python3
"""Checks the layer rules of README.md ("Source layout"); run by `make check`.

Rooms form one stack, lowest first.  A source file may include the headers of
its own room and of the rooms below it, never above:

    format < crypto < index/chunk < index/store < index/stream < index/tar
           < index/jobs < cmd/alerts < cmd

Each outside library has its homes, and its headers are included nowhere
else.  Only cmd/ (the program) prints to the terminal.  No two modules may
include each other, directly or through others (a module is a .h/.c pair).
tests/, bench/ and examples/ may include anything.

Prints one line per violation, naming the file and line, and exits 1 if
there was any; prints a one-line summary and exits 0 otherwise.

    tests/check_layers.py [ROOT]
"""

import os
import re
import sys

ROOMS = ["format", "crypto", "index/chunk", "index/store", "index/stream",
         "index/tar", "index/jobs", "cmd/alerts", "cmd"]

# library header (prefix) -> the rooms or files where it may be included
LIBRARIES = {
    "archive.h": ["index/tar/"],
    "archive_entry.h": ["index/tar/"],
    "curl/": ["cmd/alerts/alerts_send.c", "index/store/s3.c"],
    "zstd.h": ["index/store/chunk_compressor.c", "index/tar/catalogue.c"],
    "sodium.h": ["crypto/"],
    "argon2.h": ["crypto/kdf.c"],
}

# printing to the terminal: only cmd/ may
PRINT_RE = re.compile(
    r"\b(printf|puts|perror|putchar|vprintf)\s*\(|"
    r"\b(fprintf|fputs|fputc|vfprintf|fwrite)\s*\(\s*(stdout|stderr)\b")
# a function definition in this tree's style: the return type on the line
# before, the name at the start of the line
DEFN_RE = re.compile(r"^([A-Za-z_]\w*)\(")


def exported_name_ok(root, path, name):
    """Whether ${path} may export the function ${name}."""
    base = os.path.basename(path)[:-2]
    if name.startswith(base) or name == "main":
        return True
    # A module split over files sharing MODULE_internal.h exports MODULE_*.
    parts = base.split("_")
    for i in range(1, len(parts)):
        module = "_".join(parts[:i])
        internal = os.path.join(root, os.path.dirname(path),
                                module + "_internal.h")
        if name.startswith(module + "_") and os.path.exists(internal):
            return True
    return False


INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def room_of(path):
    """The room of a file: the longest room that is a prefix of its path."""
    best = None
    for r in ROOMS:
        if path == r or path.startswith(r + "/"):
            if best is None or len(r) > len(best):
                best = r
    return best


def strip_comments(text):
    """Blank out /* */ and // comments, keeping line numbers."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    text = re.sub(r"/\*.*?\*/", blank, text, flags=re.S)
    return re.sub(r"//[^\n]*", blank, text)


def sources(root):
    for top in ("format", "crypto", "index", "cmd"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in sorted(names):
                if n.endswith((".c", ".h")):
                    full = os.path.join(dirpath, n)
                    yield os.path.relpath(full, root)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    errors = []
    graph = {}          # module -> set of modules it includes
    nfiles = 0
    for path in sorted(sources(root)):
        nfiles += 1
        room = room_of(path)
        if room is None:
            errors.append(f"{path}: in no room of the layer stack "
                          f"({', '.join(ROOMS)})")
            continue
        level = ROOMS.index(room)
        with open(os.path.join(root, path), encoding="utf-8",
                  errors="replace") as f:
            text = f.read()
        code = strip_comments(text)
        module = path[:-2]
        graph.setdefault(module, set())
        for lineno, line in enumerate(code.split("\n"), 1):
            m = INCLUDE_RE.match(line)
            if m:
                kind, name = m.groups()
                if kind == '"':
                    target = room_of(name)
                    if target is None:
                        errors.append(f"{path}:{lineno}: includes \"{name}\", "
                                      "which is in no room")
                    elif ROOMS.index(target) > level:
                        errors.append(
                            f"{path}:{lineno}: {room} may not include "
                            f"\"{name}\" ({target} is above {room})")
                    if name.endswith(".h") and name[:-2] != module:
                        graph[module].add(name[:-2])
                else:
                    for lib, homes in LIBRARIES.items():
                        if name == lib or (lib.endswith("/") and
                                           name.startswith(lib)):
                            if not any(path == h or (h.endswith("/") and
                                       path.startswith(h)) for h in homes):
                                errors.append(
                                    f"{path}:{lineno}: <{name}> may be "
                                    f"included only in {', '.join(homes)}")
            if not room.startswith("cmd") and PRINT_RE.search(line):
                errors.append(f"{path}:{lineno}: prints to the terminal; "
                              "only cmd/ may")
        if path.endswith(".c"):
            lines = code.split("\n")
            for i in range(1, len(lines)):
                m = DEFN_RE.match(lines[i])
                prev = lines[i - 1].strip()
                if (not m or m.group(1) == "_Static_assert" or not prev or
                        prev.startswith(("static", "#")) or
                        prev.endswith((";", "{", "}", ",", ")"))):
                    continue
                if not exported_name_ok(root, path, m.group(1)):
                    errors.append(
                        f"{path}:{i + 1}: exports {m.group(1)}(), which "
                        f"does not start with the file's name")
    # Module-level include cycles (depth-first search, reported once each).
    state = {}
    stack = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if n not in graph:
                continue
            if state.get(n) == 1:
                cyc = stack[stack.index(n):] + [n]
                errors.append("include cycle: " + " -> ".join(cyc))
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    for e in errors:
        print("check-layers: " + e)
    if errors:
        print(f"check-layers: {len(errors)} violation(s) in {nfiles} files")
        return 1
    print(f"check-layers: {nfiles} files in {len(ROOMS)} rooms, "
          "no violation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
