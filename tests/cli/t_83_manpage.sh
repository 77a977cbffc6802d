# The man page: generated from cmd/qsarc.1.in and the binary's help texts
# by cmd/gen_manpage.py; renders without warnings; documents every
# subcommand --help lists (and no other), every option of each, every
# long option the sources accept, every environment variable they read.
. "$CLI_DIR/lib.sh"

REPO=$(cd "$CLI_DIR/../.." && pwd)
command -v groff >/dev/null 2>&1 ||
	skip "groff is not installed (make deps installs groff-base)"

expect_ok "$PY" "$REPO/cmd/gen_manpage.py" --qsarc "$QSARC" \
    --template "$REPO/cmd/qsarc.1.in" -o "$PWD/qsarc.1"
[ -s qsarc.1 ] || fail "gen_manpage.py wrote nothing"
grep -q '@[A-Z_]*@' qsarc.1 && fail "placeholders left in the man page"

# Renders without a single warning, with groff and with man -l.
expect_ok groff -ww -z -man qsarc.1
[ -s "$ERR" ] && fail "groff -ww -z -man reports: $(head -n 5 "$ERR")"
if command -v man >/dev/null 2>&1; then
	LAST_RC=0
	MANWIDTH=80 man --warnings -l qsarc.1 >rendered.txt 2>"$ERR" ||
	    LAST_RC=$?
	[ "$LAST_RC" -eq 0 ] || fail "man -l qsarc.1: exit $LAST_RC"
	[ -s "$ERR" ] && fail "man --warnings -l reports: $(head -n 5 "$ERR")"
	grep -q 'QSARC(1)' rendered.txt || fail "man -l: no QSARC(1) header"
else
	note "man is not installed; checked with groff only"
fi
groff -man -Tascii -P-cbou qsarc.1 >plain.txt 2>/dev/null ||
	fail "groff -Tascii failed"

# The man page source with the markup stripped, and its sections.
"$PY" - qsarc.1 >plain.src <<'EOF' || fail "cannot strip the man page"
import re, sys
s = open(sys.argv[1]).read()
s = s.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "").replace("\\%", "")
s = re.sub(r"\\f[BIRP]", "", s)
s = re.sub(r"\\\(aq", "'", s)
print(s)
EOF
for sec in NAME SYNOPSIS DESCRIPTION COMMANDS '"COMMON OPTIONS"' \
    '"PASSPHRASE SOURCES"' '"JSON OUTPUT"' ENVIRONMENT FILES '"EXIT STATUS"' \
    EXAMPLES '"SEE ALSO"'; do
	name=${sec//\"/}
	grep -qE "^\.SH \"?$name\"?\$" plain.src ||
		fail "no section $name in the man page"
done

# section_of TITLE: the lines of subcommand section .SS "TITLE".
section_of() {
	awk -v t=".SS \"$1\"" '$0 == t { on = 1; next }
	    on && /^\.S[SH] / { exit } on { print }' plain.src
}

# The subcommands: --help and the man page list the same set.
expect_ok q --help
subs=$(sed -n '/^Subcommands:/,/^$/p' "$OUT" | awk 'NF >= 2 { print $1 }' |
    grep -v '^Subcommands:')
[ "$(echo "$subs" | wc -l)" -ge 10 ] || fail "--help lists too few subcommands"
man_subs=$(awk '/^\.SH COMMANDS/ { on = 1; next } on && /^\.SH / { exit }
    on && /^\.SS / { gsub(/"/, "", $2); print $2 }' plain.src)
for s in $subs; do
	echo "$man_subs" | grep -qxF "$s" ||
		fail "subcommand $s (in --help) has no section in the man page"
done
for s in $man_subs; do
	echo "$subs" | grep -qxF "$s" ||
		fail "the man page documents subcommand $s, which --help does not list"
	expect_ok q help "$s"
done

# Every option of each subcommand's help is in that subcommand's section,
# and in the rendered page.
tr '\n' ' ' <plain.txt | tr -s ' ' >plain.flat
nopts=0
for s in $subs; do
	expect_ok q help "$s"
	section_of "$s" >sec.txt
	[ -s sec.txt ] || fail "empty man page section for $s"
	grep -q "^qsarc $s" sec.txt || fail "section $s has no synopsis"
	for o in $(grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' "$OUT" | sort -u); do
		nopts=$((nopts + 1))
		grep -qF -- "$o" sec.txt ||
			fail "option $o of '$s --help' is not in the man page section $s"
		grep -qF -- "$o" plain.flat ||
			fail "option $o of '$s --help' does not show in the rendered page"
	done
done
[ $nopts -ge 60 ] || fail "only $nopts options found in the help texts"

# Every long option in the sources' option tables is documented, and so is
# every shared one (CMD_COMMON_OPTIONS) under COMMON OPTIONS.
src_opts=$(cat "$REPO"/cmd/*.c "$REPO"/cmd/*.h |
    grep -oE '\{ *"[a-z][a-z0-9-]*", *(no|required|optional)_argument' |
    sed -E 's/\{ *"([^"]*)".*/\1/' | sort -u)
[ "$(echo "$src_opts" | wc -l)" -ge 30 ] ||
	fail "found too few option tables in cmd/ (parser out of date?)"
for o in $src_opts; do
	grep -qF -- "--$o" plain.src ||
		fail "option --$o is accepted (cmd/ option tables) but not documented in the man page"
done
common=$(sed -n '/define CMD_OPTIONS_COMMON/,/^$/p' "$REPO/cmd/cmd_options.h" |
    grep -oE '"[a-z][a-z-]*"' | tr -d '"')
[ -n "$common" ] || fail "cannot read CMD_OPTIONS_COMMON from cmd/cmd_options.h"
awk '/^\.SH "?COMMON OPTIONS/ { on = 1; next } on && /^\.SH / { exit } on' plain.src >common.txt
for o in $common; do
	grep -qF -- "--$o" common.txt ||
		fail "shared option --$o is not under COMMON OPTIONS"
done

# Every environment variable the sources read is under ENVIRONMENT.
sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' plain.src >env.txt
for v in QSARC_PASSPHRASE QSARC_STATE_DIR QSARC_TEST_NOW QSARC_CRASH_AT \
    QSARC_ENOSPC_AT QSARC_COUNT_FILE; do
	grep -qF "$v" env.txt || fail "$v is not under ENVIRONMENT"
done
for v in $(grep -rhoE 'getenv\("[A-Z_]+"\)' "$REPO"/cmd "$REPO"/index \
    "$REPO"/crypto "$REPO"/format | sed -E 's/getenv\("(.*)"\)/\1/' |
    sort -u); do
	if ! grep -qF "$v" env.txt; then
		case $v in
		QSARC_*) fail "the sources read $v, which is not under ENVIRONMENT" ;;
		*) fail "the sources read the undocumented environment variable $v ($(grep -rlF "getenv(\"$v\")" "$REPO"/cmd "$REPO"/index "$REPO"/crypto "$REPO"/format | sed "s|$REPO/||" | tr '\n' ' '))" ;;
		esac
	fi
done
grep -qF '/var/lib/qsarc' plain.src || fail "FILES: no default state dir"
grep -qF 'keys/STOREID.qsk' plain.src || fail "FILES: no keystore backup path"

# --version: the format versions it writes and reads, also in the page.
expect_ok q --version
grep -qE '^qsarc [0-9]+\.[0-9]+' "$OUT" || fail "--version: no version line"
for w in writes reads; do
	line=$(grep -E "^$w: *config v[0-9]+, container v[0-9]+, manifest v[0-9]+\$" "$OUT") ||
		fail "--version: no '$w:' line with the config, container and manifest versions"
	grep -qF "$line" plain.src || fail "the man page lacks '$line'"
done
ver=$(head -n 1 "$OUT" | awk '{ print $2 }')
grep -qF "qsarc $ver" plain.src || fail "the man page header lacks version $ver"

# The generator fails loudly rather than writing a broken page.
sed 's/@COMMANDS@//' "$REPO/cmd/qsarc.1.in" >broken.in
expect_exit 1 "$PY" "$REPO/cmd/gen_manpage.py" --qsarc "$QSARC" \
    --template broken.in -o broken.1
[ -e broken.1 ] && fail "gen_manpage.py wrote a page from a template without @COMMANDS@"
exit 0
