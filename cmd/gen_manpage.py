#!/usr/bin/python3
"""Generate the qsarc(1) man page from the program's own help texts.

    gen_manpage.py --qsarc build/qsarc --template cmd/qsarc.1.in -o build/qsarc.1

The subcommands, their synopses, descriptions and options come from the
binary ("qsarc --help" lists the subcommands, "qsarc help SUB" prints each
one's --help text, which is the commands[] table of cmd/cmd_help.c), so the man
page and --help cannot drift apart.  The hand-written sections (description,
common options, passphrase sources, environment, files, exit status,
examples) are in the template, which holds these placeholders:

    @VERSION@        "0.1.0", from qsarc --version
    @FORMATS@        the "writes:"/"reads:" lines of qsarc --version
    @COMMANDS@       one .SS per subcommand, from its help text
    @JSON@           the --json shapes the help texts document
    @DOCDIR@         where the examples are installed (--docdir)

Help text conventions this relies on (all of cmd/cmd_help.c follows them):
"Usage: qsarc SUB ..." first, continued by lines indented to "qsarc";
paragraphs separated by blank lines; option lines start with two spaces
and a dash, the description after two spaces (or one, where the option
fills its column), and continue on lines indented further; "word: text" at column 0 introduces an
action of a subcommand with actions (keystore, alerts).
"""

import argparse
import os
import re
import subprocess
import sys

OPT_LINE = re.compile(r"^  (-\S.*)$")
TAG_LINE = re.compile(r"^([a-z][a-z|]*): (.*)$")


def run(binary, *args):
    """Stdout of binary ARGS; fail loudly on a non-zero exit."""
    p = subprocess.run([binary] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode != 0:
        sys.exit("gen_manpage: %s %s: exit %d: %s" %
                 (binary, " ".join(args), p.returncode, p.stderr.strip()))
    return p.stdout


def esc(text):
    """Escape plain text for roff: backslashes, and a leading . or '."""
    text = text.replace("\\", "\\e")
    return text


def line_start(text):
    """Protect a line that would start with a control character."""
    if text[:1] in (".", "'"):
        return "\\&" + text
    return text


def dashes(word):
    """Option dashes as minus signs, so that they copy and search right."""
    return word.replace("-", "\\-")


OPT_IN_TEXT = re.compile(r"(?<![\w\-'\"])(--?[a-z][a-z0-9\-]*)")


def text(s):
    """Running text: escaped, option names in bold with real minus signs
    and never hyphenated (\\%)."""
    s = esc(s)
    return OPT_IN_TEXT.sub(lambda m: "\\fB\\%" + dashes(m.group(1)) +
                           "\\fR", s)


def optspec(spec):
    """'--passphrase-file F, --passphrase-fd N' -> bold options, italic
    arguments."""
    out = []
    for part in re.split(r"(,\s*|\s+)", spec):
        if part == "" or re.fullmatch(r",\s*|\s+", part):
            out.append(part)
        elif part.startswith("-"):
            out.append("\\fB\\%" + dashes(esc(part)) + "\\fR")
        else:
            out.append("\\fI" + esc(part) + "\\fR")
    return "".join(out)


def is_spec_token(tok):
    """An option name or a metavariable (N, SIZE, HOST[:PORT],
    internal|static), as opposed to the first word of a description."""
    tok = tok.rstrip(",")
    return (tok.startswith("-") or "|" in tok or
            not re.search(r"[a-z]", tok))


def split_option(line):
    """An option line (without its two-space indent) -> (spec, desc).
    The description follows two or more spaces; where the spec fills its
    column there is only one, and the description starts at the first
    word that is neither an option nor a metavariable."""
    m = re.match(r"^(.*?\S)\s{2,}(\S.*)$", line)
    if m:
        return m.group(1), m.group(2)
    words = line.split(" ")
    for i, w in enumerate(words):
        if not is_spec_token(w):
            return " ".join(words[:i]), " ".join(words[i:])
    return line, ""


def parse_help(body):
    """The help text after the Usage lines -> list of items:
    ("para", text), ("opt", spec, desc), ("tag", word, text),
    ("heading", text)."""
    items = []
    cur = None
    for raw in body.split("\n"):
        line = raw.rstrip()
        if line == "":
            cur = None
            continue
        m_opt = OPT_LINE.match(line)
        m_tag = TAG_LINE.match(line)
        indent = len(line) - len(line.lstrip())
        if m_opt:
            spec, desc = split_option(m_opt.group(1))
            cur = ["opt", spec, desc]
            items.append(cur)
        elif line == "Options:":
            cur = None
            items.append(["heading", "Options"])
        elif m_tag and indent == 0:
            cur = ["tag", m_tag.group(1), m_tag.group(2)]
            items.append(cur)
        elif cur is not None and (indent > 0 or cur[0] != "opt"):
            cur[-1] = (cur[-1] + " " + line.strip()).strip()
        else:
            cur = ["para", line.strip()]
            items.append(cur)
    return items


def usage_lines(helptext, sub):
    """Split a help text into its synopsis lines and the rest."""
    lines = helptext.split("\n")
    syn = []
    i = 0
    while i < len(lines):
        l = lines[i]
        if l.startswith("Usage: "):
            syn.append(l[len("Usage: "):].strip())
        elif syn and l.startswith(" ") and l.strip().startswith("qsarc "):
            syn.append(l.strip())
        else:
            break
        i += 1
    if not syn:
        sys.exit("gen_manpage: help for %s has no Usage line" % sub)
    return syn, "\n".join(lines[i:])


def synopsis_roff(line):
    """'qsarc put STORE NAME [options]' -> bold words, italic
    metavariables."""
    out = []
    for w in line.split(" "):
        core = w.strip("[].")
        if w.startswith("qsarc") or re.fullmatch(r"[a-z][a-z|\-]*", core) \
                or core.startswith("-"):
            out.append("\\fB" + dashes(esc(w)) + "\\fR")
        else:
            out.append("\\fI" + esc(w) + "\\fR")
    return " ".join(out)


def commands_section(binary, subs):
    out = []
    json_items = []
    for sub, summary in subs:
        helptext = run(binary, "help", sub)
        syn, body = usage_lines(helptext, sub)
        out.append('.SS "%s"' % sub)
        out.append(".nf")
        for s in syn:
            out.append(line_start(synopsis_roff(s)))
        out.append(".fi")
        out.append(".PP")
        out.append(line_start(text(summary[:1].upper() + summary[1:] + ".")))
        for it in parse_help(body):
            kind = it[0]
            if kind == "para":
                out.append(".PP")
                out.append(line_start(text(it[1])))
            elif kind == "heading":
                out.append(".PP")
                out.append(it[1] + ":")
            elif kind == "tag":
                out.append(".TP")
                out.append("\\fB" + esc(it[1]) + "\\fR")
                out.append(line_start(text(it[2])))
                if "--json" in it[2] and "{" in it[2]:
                    json_items.append((sub + " " + it[1].split("|")[0],
                                       it[2]))
            elif kind == "opt":
                out.append(".TP")
                out.append(line_start(optspec(it[1])))
                out.append(line_start(text(it[2])) if it[2] else
                           "(see \\fBCOMMON OPTIONS\\fR)")
                if "--json" in it[1] and "{" in it[2]:
                    json_items.append((sub, it[2]))
    return out, json_items


def json_section(json_items):
    out = []
    for who, desc in json_items:
        out.append(".TP")
        out.append("\\fBqsarc %s \\-\\-json\\fR" % esc(who))
        out.append(line_start(text(desc)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qsarc", required=True, help="the qsarc binary")
    ap.add_argument("--template", required=True, help="cmd/qsarc.1.in")
    ap.add_argument("--docdir", default="/usr/local/share/doc/qsarc",
                    help="installed documentation directory")
    ap.add_argument("-o", "--output", default="-", help="output file")
    a = ap.parse_args()

    top = run(a.qsarc, "--help")
    block = top.split("\nSubcommands:\n", 1)
    if len(block) != 2:
        sys.exit("gen_manpage: qsarc --help lists no subcommands")
    subs = []
    for l in block[1].split("\n"):
        if l.strip() == "":
            break
        name, _, summary = l.strip().partition(" ")
        subs.append((name, summary.strip()))

    ver = run(a.qsarc, "--version").split("\n")
    m = re.match(r"qsarc (\S+)", ver[0])
    if not m:
        sys.exit("gen_manpage: cannot read the version from --version")
    formats = [l.strip() for l in ver[1:] if l.strip()]

    commands, json_items = commands_section(a.qsarc, subs)
    with open(a.template) as f:
        tpl = f.read()
    repl = {
        "@VERSION@": m.group(1),
        "@FORMATS@": "\n.br\n".join(esc(l) for l in formats),
        "@COMMANDS@": "\n".join(commands),
        "@JSON@": "\n".join(json_section(json_items)),
        "@DOCDIR@": dashes(esc(a.docdir)),
    }
    for k, v in repl.items():
        if k not in tpl:
            sys.exit("gen_manpage: the template lacks %s" % k)
        tpl = tpl.replace(k, v)
    left = re.findall(r"@[A-Z_]+@", tpl)
    if left:
        sys.exit("gen_manpage: unknown placeholders %s" % " ".join(left))
    if a.output == "-":
        sys.stdout.write(tpl)
    else:
        tmp = a.output + ".tmp"
        with open(tmp, "w") as f:
            f.write(tpl)
        os.replace(tmp, a.output)


if __name__ == "__main__":
    main()
