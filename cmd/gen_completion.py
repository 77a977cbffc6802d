#!/usr/bin/python3
"""Generate the bash completion of qsarc from the program's own help texts.

    gen_completion.py --qsarc build/qsarc \\
        --template cmd/qsarc.bash-completion.in -o build/qsarc.bash-completion

As for the man page (gen_manpage.py, whose help parser this uses), the
subcommands come from "qsarc --help" and each one's options and arguments
from "qsarc help SUB", which prints the commands[] table of cmd/cmd_help.c:
a new option shows in --help, the man page and the completion at once.
The template (the completion logic) holds one placeholder, @TABLES@, for
the shell functions written here:

    _qsarc_subcommands   the subcommands, one line
    _qsarc_options SUB   SUB's options
    _qsarc_optarg SUB OPT  what OPT of SUB takes: "" (nothing), file, dir,
                         arg (a value not completed) or words:A|B
    _qsarc_positional SUB I  what the I-th argument after SUB is (from 1):
                         store, name (a stream of the store), names (this
                         and every later one), new (a name not yet in the
                         store), words:A|B, or nothing
    _qsarc_names_from SUB  "--expired" where SUB reads removed streams
"""

import argparse
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_manpage  # noqa: E402  (the same help parser as the man page)

# The metavariables of the Usage lines, by what they name.
STORE_WORDS = {"STORE", "SOURCE", "TARGET"}
NAME_WORDS = {"NAME", "OLD", "NEW"}
# A NAME that creates a stream (completing existing ones would mislead),
# and the subcommands whose NAMEs are removed streams.
NEW_NAME = {"put"}
EXPIRED_NAMES = {"unexpire"}
# Option arguments that are paths.
FILE_ARGS = {"F", "FILE", "PATH"}
DIR_ARGS = {"DIR"}


def arg_kind(meta):
    """The completion of an option's argument, from its metavariable."""
    if meta is None:
        return ""
    if meta in FILE_ARGS:
        return "file"
    if meta in DIR_ARGS:
        return "dir"
    if re.fullmatch(r"[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)+", meta):
        return "words:" + meta
    return "arg"


def spec_options(spec, opts):
    """'--kdf-time N, --kdf-memory SIZE' or '--relay HOST[:PORT]' ->
    opts[option] = argument kind."""
    words = [w.rstrip(",") for w in spec.split()]
    for i, w in enumerate(words):
        w = w.strip("[]")
        if not w.startswith("--"):
            continue
        w, _, inline = w.partition("=")
        meta = None
        if inline:
            meta = inline
        elif i + 1 < len(words):
            nxt = words[i + 1].strip("[]")
            if not nxt.startswith("-") and gen_manpage.is_spec_token(nxt):
                meta = nxt
        if not re.fullmatch(r"--[a-z][a-z0-9-]*", w):
            continue
        opts.setdefault(w, arg_kind(meta))


def positional(syn_lines, sub):
    """The Usage lines of SUB -> {index: kind}, merging the lines."""
    pos = {}
    for line in syn_lines:
        words = line.split()
        if words[:2] != ["qsarc", sub]:
            continue
        i = 0
        for w in words[2:]:
            core = w.strip("[]")
            if core.startswith("-") or core in ("options", "settings",
                                                "ARGS..."):
                break
            i += 1
            repeat = core.endswith("...")
            core = core.rstrip(".")
            if core in STORE_WORDS:
                kind = "store"
            elif core in NAME_WORDS:
                kind = "new" if sub in NEW_NAME else (
                    "names" if repeat else "name")
            elif re.fullmatch(r"[a-z][a-z|-]*", core):
                kind = "words:" + core
            else:
                kind = ""
            old = pos.get(i)
            if old and old.startswith("words:") and kind.startswith("words:"):
                kind = old + "|" + kind[len("words:"):]
            elif old and old != kind:
                kind = old
            pos[i] = kind
    return pos


def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def tables(binary):
    top = gen_manpage.run(binary, "--help")
    block = top.split("\nSubcommands:\n", 1)
    if len(block) != 2:
        sys.exit("gen_completion: qsarc --help lists no subcommands")
    subs = []
    for l in block[1].split("\n"):
        if l.strip() == "":
            break
        subs.append(l.split()[0])
    if len(subs) < 2:
        sys.exit("gen_completion: qsarc --help lists too few subcommands")

    opts_of, pos_of = {}, {}
    for sub in subs:
        syn, body = gen_manpage.usage_lines(gen_manpage.run(binary, "help",
                                                            sub), sub)
        opts = {}
        for line in syn:
            spec_options(line, opts)
        for it in gen_manpage.parse_help(body):
            if it[0] == "opt":
                spec_options(it[1], opts)
        opts.setdefault("--help", "")
        opts_of[sub] = opts
        pos_of[sub] = positional(syn, sub)

    out = ["_qsarc_subcommands() {",
           "\techo %s" % sh_quote(" ".join(subs)), "}", "",
           "_qsarc_options() {", "\tcase $1 in"]
    for sub in subs:
        out.append("\t%s) echo %s ;;" % (sub, sh_quote(" ".join(
            sorted(opts_of[sub])))))
    out += ["\tesac", "}", "", "_qsarc_optarg() {", "\tcase $1:$2 in"]
    for sub in subs:
        for o, kind in sorted(opts_of[sub].items()):
            if kind:
                out.append("\t%s:%s) echo %s ;;" % (sub, o, sh_quote(kind)))
    out += ["\tesac", "}", "", "_qsarc_positional() {", "\tcase $1:$2 in"]
    for sub in subs:
        last = max(pos_of[sub]) if pos_of[sub] else 0
        for i, kind in sorted(pos_of[sub].items()):
            if not kind:
                continue
            pat = "%s:%d" % (sub, i)
            if kind == "names" and i == last:
                pat = "%s:%d|%s:[%d-9]|%s:[1-9][0-9]" % (sub, i, sub, i + 1,
                                                         sub)
                if i + 1 > 9:
                    sys.exit("gen_completion: too many arguments for %s" %
                             sub)
            out.append("\t%s) echo %s ;;" % (pat, sh_quote(kind)))
    out += ["\tesac", "}", "", "_qsarc_names_from() {", "\tcase $1 in"]
    for sub in sorted(EXPIRED_NAMES & set(subs)):
        out.append("\t%s) echo --expired ;;" % sub)
    out += ["\tesac", "}"]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qsarc", required=True, help="the qsarc binary")
    ap.add_argument("--template", required=True,
                    help="cmd/qsarc.bash-completion.in")
    ap.add_argument("-o", "--output", default="-", help="output file")
    a = ap.parse_args()

    with open(a.template) as f:
        tpl = f.read()
    if "@TABLES@" not in tpl:
        sys.exit("gen_completion: the template lacks @TABLES@")
    text = tpl.replace("@TABLES@", tables(a.qsarc))
    if a.output == "-":
        sys.stdout.write(text)
    else:
        tmp = a.output + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, a.output)


if __name__ == "__main__":
    main()
