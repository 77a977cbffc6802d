#!/usr/bin/env python3
"""Checks the error-code and exit-code tables of spec/README.md against the
code; run by tests/cli/t_87_spec_tables.sh.

- spec/README.md "Error codes and exit codes", first table: one row per
  QS_E* code, `| `NAME` | VALUE | TEXT | EXIT | meaning |`.  It must list
  exactly the enum of format/qs_err.h with the same values, the texts of
  qs_err_string (format/qs_err.c), and the exit codes of
  cmd_output_exit_code (cmd/cmd_output.c; its default branch covers the
  codes it does not name).
- the second table: `| EXIT | `EXIT_NAME` | meaning |`, exactly the enum of
  cmd/cmd_output.h.
- README.md "## Exit codes": the same codes and meanings as that second
  table.

Prints one line per mismatch and exits 1 if there was any; prints a
one-line summary and exits 0 otherwise.

    tests/check_spec_tables.py [ROOT]
"""

import os
import re
import sys


def read(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


def enum_values(text, prefix):
    """NAME = VALUE pairs of a C enum whose names start with prefix."""
    out = {}
    for m in re.finditer(r"\b(%s\w*)\s*=\s*(-?\d+)" % prefix, text):
        out[m.group(1)] = int(m.group(2))
    return out


def section(text, heading):
    """The lines of the markdown section that starts with heading."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == heading:
            level = len(line) - len(line.lstrip("#"))
            out = []
            for nxt in lines[i + 1:]:
                if nxt.startswith("#") and \
                        len(nxt) - len(nxt.lstrip("#")) <= level:
                    break
                out.append(nxt)
            return out
    return None


def tables(lines):
    """The markdown tables in lines: lists of rows (lists of cells)."""
    out, cur = [], []
    for line in lines + [""]:
        s = line.strip()
        if s.startswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                cur.append(cells)
        elif cur:
            out.append(cur[1:])  # without the heading row
            cur = []
    return out


def unquote(cell):
    return cell.strip("`")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    bad = []
    qs = enum_values(read(root, "format/qs_err.h"), "QS_")
    exits = enum_values(read(root, "cmd/cmd_output.h"), "EXIT_")
    errc = read(root, "format/qs_err.c")
    texts = dict(re.findall(r"case (QS_\w+):\s*return \(\"([^\"]*)\"\);",
                            errc))
    outc = read(root, "cmd/cmd_output.c")
    body = outc[outc.index("cmd_output_exit_code(int rc)"):]
    body = body[:body.index("\n}\n")]
    mapping, pending, default = {}, [], None
    for m in re.finditer(r"case (QS_\w+):|default:|return \((EXIT_\w+)\)",
                         body):
        if m.group(1):
            pending.append(m.group(1))
        elif m.group(0) == "default:":
            pending.append(None)
        else:
            for name in pending:
                if name is None:
                    default = m.group(2)
                else:
                    mapping[name] = m.group(2)
            pending = []
    if not qs or not exits or default is None:
        print("check_spec_tables: cannot parse the code (%d QS_ codes, "
              "%d exit codes, default %s)" % (len(qs), len(exits), default))
        return 1

    spec = section(read(root, "spec/README.md"),
                   "## Error codes and exit codes")
    if spec is None:
        print("spec/README.md: no section \"## Error codes and exit codes\"")
        return 1
    t = tables(spec)
    if len(t) != 2:
        print("spec/README.md: the error-code section has %d tables, not 2"
              % len(t))
        return 1
    seen = set()
    for row in t[0]:
        if len(row) != 5:
            bad.append("spec/README.md: error row %r has %d cells, not 5"
                       % (row, len(row)))
            continue
        name, value, text, ex = unquote(row[0]), row[1], row[2], row[3]
        seen.add(name)
        if name not in qs:
            bad.append("spec/README.md: %s is not in format/qs_err.h" % name)
            continue
        if value != str(qs[name]):
            bad.append("spec/README.md: %s is %s, format/qs_err.h says %d"
                       % (name, value, qs[name]))
        if texts.get(name) != text:
            bad.append("spec/README.md: %s text \"%s\", qs_err_string says "
                       "\"%s\"" % (name, text, texts.get(name)))
        want = exits[mapping.get(name, default)]
        if ex != str(want):
            bad.append("spec/README.md: %s exits %s, cmd_output_exit_code "
                       "gives %d" % (name, ex, want))
    for name in sorted(set(qs) - seen, key=lambda n: -qs[n]):
        bad.append("spec/README.md: %s (%d) is missing from the error table"
                   % (name, qs[name]))

    spec_exits = {}
    for row in t[1]:
        if len(row) != 3:
            bad.append("spec/README.md: exit row %r has %d cells, not 3"
                       % (row, len(row)))
            continue
        code, name, meaning = row[0], unquote(row[1]), row[2]
        spec_exits[code] = meaning
        if exits.get(name) is None or str(exits[name]) != code:
            bad.append("spec/README.md: exit %s %s, cmd/cmd_output.h says "
                       "%s" % (code, name, exits.get(name)))
    for name, v in exits.items():
        if str(v) not in spec_exits:
            bad.append("spec/README.md: exit %d (%s) is missing" % (v, name))

    top = section(read(root, "README.md"), "## Exit codes")
    rt = tables(top) if top is not None else []
    if not rt:
        bad.append("README.md: no exit-code table under \"## Exit codes\"")
    else:
        readme = {r[0]: r[1] for r in rt[0] if len(r) == 2}
        if readme != spec_exits:
            for code in sorted(set(readme) | set(spec_exits), key=int):
                if readme.get(code) != spec_exits.get(code):
                    bad.append("README.md exit %s \"%s\" but spec/README.md "
                               "\"%s\"" % (code, readme.get(code),
                                           spec_exits.get(code)))
    for line in bad:
        print(line)
    if bad:
        return 1
    print("check_spec_tables: %d error codes, %d exit codes, spec and "
          "README agree with the code" % (len(qs), len(exits)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
