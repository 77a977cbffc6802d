# Issue 14, item 12: strings from a tar, a store or another user never
# reach the terminal raw.  Attacks: a member named "x\n- etc/shadow" forges
# a "- etc/shadow" line in `diff`; escape sequences in a member name reach
# the terminal through an extraction error; a lock file whose text holds an
# escape sequence reaches it through the "busy" message; an alert log
# subject through `alerts show`.  Each output must hold no control byte and
# show the bytes escaped as `ls` does ("\n", "\033").
. "$CLI_DIR/lib.sh"

# no_controls FILE WHAT: FILE holds no control byte but newline.
no_controls() {
	if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$1"; then
		fail "$2: a control byte reached the terminal: $(od -c "$1" | head -n 5)"
	fi
}

expect_ok q init s

# ---- diff: a newline in a member name forges a line.
"$PY" - <<'EOF' || fail "making the tars failed"
import io, tarfile
def tar(path, names):
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as t:
        for n in names:
            data = b"x" * 10
            ti = tarfile.TarInfo(n)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
tar("v1.tar", ["etc/shadow", "a"])
tar("v2.tar", ["etc/shadow", "a", "x\n- etc/shadow"])
tar("esc.tar", ["../\033]0;owned\007", "ok.txt"])
EOF
expect_ok q put s v1 --input v1.tar
expect_ok q put s v2 --input v2.tar
expect_ok q diff s v1 v2
grep -qx -- '- etc/shadow' "$OUT" &&
	fail "diff: a member name forged the line '- etc/shadow': $(cat "$OUT")"
grep -qF -- '+ x\n- etc/shadow' "$OUT" ||
	fail "diff: the added member is not shown escaped: $(cat "$OUT")"
no_controls "$OUT" "diff"

# ---- an extraction error naming a member with an escape sequence.
expect_ok q put s esc --input esc.tar
rc=0
mkdir x
"$QSARC" get s esc --member '**' --extract-to x >"$OUT" 2>"$ERR" || rc=$?
[ $rc -ne 0 ] || fail "get --extract-to: a '../' member was not refused"
no_controls "$ERR" "extraction error"
grep -qF '\033]0;owned\a' "$ERR" ||
	fail "extraction error: the member name is not shown escaped: $(cat "$ERR")"

# ---- the lock text in the "busy" message.
printf 'pid 1, \033]0;owned\007, since 0\n' >s/lock
flock s/lock sleep 20 &
holder=$!
for i in $(seq 50); do
	flock -n s/lock true 2>/dev/null || break
	sleep 0.1
done
rc=0
"$QSARC" put s busy --input v1.tar --lock-timeout 1 >"$OUT" 2>"$ERR" || rc=$?
kill $holder 2>/dev/null
wait $holder 2>/dev/null
[ $rc -eq 4 ] || fail "put while the lock is held: exit $rc, expected 4: $(cat "$ERR")"
no_controls "$ERR" "busy message"
grep -qF '\033]0;owned\a' "$ERR" ||
	fail "busy message: the lock text is not shown escaped: $(cat "$ERR")"

# ---- alerts show: the subject of an unsent alert.
# (The log is outside the store since issue 14 item 6: alert_files.)
alert_files s
mkdir -p -m 700 "$(dirname "$ALOG")"
printf 'qsarc-alerts-log 1\n1700000000\tcommand-failed\t[qsarc] \033]0;owned\007 put failed\tbody\n' >"$ALOG"
rc=0
"$QSARC" alerts s show >"$OUT" 2>"$ERR" || rc=$?
grep -q 'put failed' "$OUT" || fail "alerts show does not list the planted unsent alert"
cat "$ERR" >>"$OUT"
no_controls "$OUT" "alerts show"
exit 0
