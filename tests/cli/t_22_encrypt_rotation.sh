# Encryption at rest: key rotation ("qsarc rekey" without options).
#  - not due: exit 0, "not due", no new key, keystore untouched;
#  - due exactly at last rotation + period: "rotated", one new key;
#  - 10 periods missed: exactly one new key;
#  - new puts use the newest key (keys --json bytes/records per key), old
#    data still restores;
#  - static mode: never due;
#  - --rotation-days bounds (6 and 25551 refused with exit 2, 7 and 25550
#    accepted) on init, encrypt and rekey --mode;
#  - the 1023-key limit: a keystore filled to 1022 keys with an independent
#    writer (spec/keystore.md) so it costs two rekeys, not 1022; the full
#    loop of real rotations is t_29 (QSARC_STRESS=1).
. "$CLI_DIR/lib.sh"
export QSARC_STATE_DIR=$PWD/state
enc_setup 'rotation test passphrase'

gen_file 2201 1M a.dat
gen_file 2202 700K b.dat
gen_file 2203 500K c.dat

at $T0 init s --encrypt $KDF $P
[ $LAST_RC -eq 0 ] || fail "init: exit $LAST_RC"
at $T0 put s a --input a.dat $P
[ $LAST_RC -eq 0 ] || fail "put a: exit $LAST_RC"
keys_json s k0.json $P
[ "$(kq k0.json 'len(d["keys"])')" = 1 ] || fail "new store: not one key"
[ "$(kq k0.json 'd["mode"], d["rotation_days"]')" = "('internal', 30)" ] ||
	fail "new store: mode/rotation $(kq k0.json 'd["mode"], d["rotation_days"]'), expected internal, 30"
[ "$(kq k0.json 'k[1]["records"] > 0 and k[1]["state"] == "active" and k[1]["created"]')" = "$(date -u -d @$T0 +%FT%TZ)" ] ||
	fail "key 1 does not hold a's records, or is not active, or was not created at QSARC_TEST_NOW"

# ---- not due: a day later, and one second before the period ends.
cp s/keystore ks.before
for t in $((T0 + DAY)) $((T0 + 30 * DAY - 1)); do
	at $t rekey s $P
	[ $LAST_RC -eq 0 ] || fail "rekey not due (at $t): exit $LAST_RC"
	grep -q '^not due' "$OUT" || fail "rekey at $t: output '$(cat "$OUT")', expected 'not due'"
done
grep -q "2023-12-14" "$OUT" || fail "not due: '$(cat "$OUT")' does not give the next rotation (T0 + 30 days = 2023-12-14)"
cmp -s s/keystore ks.before || fail "a rekey that was not due rewrote the keystore"

# ---- due exactly at the end of the period.
T1=$((T0 + 30 * DAY))
at $T1 rekey s $P
[ $LAST_RC -eq 0 ] || fail "rekey due: exit $LAST_RC"
grep -q '^rotated: new content key 2$' "$OUT" || fail "rekey due: output '$(cat "$OUT")', expected 'rotated: new content key 2'"
keys_json s k1.json $P
[ "$(kq k1.json '[(x["id"], x["state"]) for x in d["keys"]]')" = "[(1, 'retained'), (2, 'active')]" ] ||
	fail "after one rotation: keys $(kq k1.json '[(x["id"], x["state"]) for x in d["keys"]]')"
[ "$(kq k1.json 'k[2]["created"]')" = "$(date -u -d @$T1 +%FT%TZ)" ] || fail "key 2 not created at the rotation time"
[ "$(kq k1.json 'k[2]["records"], k[2]["bytes"]')" = "(0, 0)" ] || fail "fresh key 2 already protects records"
# Immediately again: not due.
at $T1 rekey s $P
grep -q '^not due' "$OUT" || fail "second rekey at the same time: '$(cat "$OUT")', expected 'not due'"

# ---- new puts use the newest key, old data untouched.
at $T1 put s b --input b.dat $P
[ $LAST_RC -eq 0 ] || fail "put b: exit $LAST_RC"
keys_json s k2.json $P
[ "$(kq k2.json 'k[1]["records"], k[1]["bytes"]')" = "$(kq k1.json 'k[1]["records"], k[1]["bytes"]')" ] ||
	fail "put b changed the records under key 1"
[ "$(kq k2.json 'k[2]["records"] > 0 and k[2]["bytes"] >= 700 * 1024 and k[2]["manifests"] == 1')" = True ] ||
	fail "put b after the rotation: key 2 holds $(kq k2.json 'k[2]'), expected b's records, >= 700K bytes and 1 manifest"
[ "$(kq k2.json 'k[1]["manifests"]')" = 1 ] || fail "key 1 should still hold a's manifest"
get_cmp s a a.dat "$P"
get_cmp s b b.dat "$P"

# ---- ten periods missed: exactly one new key.
T2=$((T1 + 300 * DAY + 5))
at $T2 rekey s $P
grep -q '^rotated: new content key 3$' "$OUT" || fail "rekey after 10 missed periods: '$(cat "$OUT")'"
keys_json s k3.json $P
[ "$(kq k3.json '[x["id"] for x in d["keys"]]')" = "[1, 2, 3]" ] ||
	fail "10 periods missed: keys $(kq k3.json '[x["id"] for x in d["keys"]]'), expected exactly one new key [1, 2, 3]"
[ "$(kq k3.json 'k[3]["created"]')" = "$(date -u -d @$T2 +%FT%TZ)" ] || fail "key 3 not created at the rekey time"
at $((T2 + 29 * DAY)) rekey s $P
grep -q '^not due' "$OUT" || fail "29 days after the catch-up rotation: '$(cat "$OUT")', expected not due (the period restarts at the rotation)"
at $((T2 + 30 * DAY)) rekey s $P
grep -q '^rotated: new content key 4$' "$OUT" || fail "30 days after the catch-up rotation: '$(cat "$OUT")'"
at $((T2 + 30 * DAY)) put s c --input c.dat $P
keys_json s k4.json $P
[ "$(kq k4.json '(k[3]["records"], k[4]["records"] > 0, k[4]["manifests"])')" = "(0, True, 1)" ] ||
	fail "put c: expected all of it under key 4, got key 3 $(kq k4.json 'k[3]') key 4 $(kq k4.json 'k[4]')"
get_cmp s a a.dat "$P"
get_cmp s b b.dat "$P"
get_cmp s c c.dat "$P"
# Dedup across keys: the same data again adds nothing.
at $((T2 + 30 * DAY)) put s a2 --input a.dat $P --json
[ "$(json_get new_bytes 2>/dev/null || echo x)" = 0 ] ||
	note "re-putting a's data after rotations: $(tr -d '\n' <"$OUT")"

# ---- a clock that goes backwards: not due, nothing added.
at $T0 rekey s $P
[ $LAST_RC -eq 0 ] && grep -q '^not due' "$OUT" || fail "rekey with the clock before the last rotation: exit $LAST_RC, '$(cat "$OUT")'"

# ---- static mode is never due.
at $T0 init st --encrypt --mode static $KDF $P
[ $LAST_RC -eq 0 ] || fail "init --mode static: exit $LAST_RC"
at $((T0 + 100000 * DAY)) rekey st $P
[ $LAST_RC -eq 0 ] || fail "rekey on a static store: exit $LAST_RC"
grep -q '^not due: static' "$OUT" || fail "rekey on a static store: '$(cat "$OUT")', expected 'not due: static ...'"
keys_json st kst.json $P
[ "$(kq kst.json 'd["mode"], len(d["keys"])')" = "('static', 1)" ] || fail "static store: $(kq kst.json 'd["mode"], len(d["keys"])')"

# ---- --rotation-days bounds.
for n in 6 25551 0 -7 abc 7x ""; do
	expect_exit 2 q init "bad$n" --encrypt $KDF --rotation-days "$n" $P
	err_matches "rotation-days" || fail "init --rotation-days '$n': message does not name the option"
	[ ! -e "bad$n/config" ] || fail "init --rotation-days '$n' was refused but made a store"
	expect_exit 2 q rekey s --mode internal --rotation-days "$n" $P
done
expect_ok q init plain
for n in 6 25551; do
	expect_exit 2 q encrypt plain --rotation-days "$n" $KDF $P
done
at $T0 init r7 --encrypt $KDF --rotation-days 7 $P
[ $LAST_RC -eq 0 ] || fail "init --rotation-days 7: exit $LAST_RC"
at $((T0 + 7 * DAY - 1)) rekey r7 $P
grep -q '^not due' "$OUT" || fail "7-day period: rotated too early"
at $((T0 + 7 * DAY)) rekey r7 $P
grep -q '^rotated' "$OUT" || fail "7-day period: not rotated after 7 days: '$(cat "$OUT")'"
at $T0 init r25550 --encrypt $KDF --rotation-days 25550 $P
[ $LAST_RC -eq 0 ] || fail "init --rotation-days 25550: exit $LAST_RC"
keys_json r25550 kr.json $P
[ "$(json_get rotation_days kr.json)" = 25550 ] || fail "rotation_days $(json_get rotation_days kr.json), expected 25550"
at $((T0 + 25549 * DAY)) rekey r25550 $P
grep -q '^not due' "$OUT" || fail "25550-day period: rotated after 25549 days"
expect_ok q encrypt plain --rotation-days 7 $KDF $P
keys_json plain kp.json $P
[ "$(json_get rotation_days kp.json)" = 7 ] || fail "encrypt --rotation-days 7: rotation_days $(json_get rotation_days kp.json)"

# ---- the 1023-key limit.
cat >fill.py <<'EOF'
# fill.py KEYSTORE PASSFILE N OUT...: unlock KEYSTORE (spec/keystore.md),
# add retained random keys (ids after the highest) up to N keys, make the
# last one active, bump the generation, reseal under the same passphrase
# and KDF parameters with a fresh salt and nonce, write to every OUT.
import hashlib, os, struct, sys
from argon2.low_level import Type, hash_secret_raw
import nacl.bindings as nb
pw = open(sys.argv[2], "rb").read().rstrip(b"\n")
want = int(sys.argv[3])
d = open(sys.argv[1], "rb").read()
t, m, p = struct.unpack_from("<III", d, 16)
def kek_of(salt):
    return hash_secret_raw(pw, salt, time_cost=t, memory_cost=m,
                           parallelism=p, hash_len=32, type=Type.ID,
                           version=19)
def check_of(kek):
    return hashlib.blake2b(b"qsarc-kek-check", key=kek,
                           digest_size=32).digest()[:16]
kek = kek_of(d[28:44])
assert check_of(kek) == d[68:84], "wrong passphrase"
body = nb.crypto_aead_xchacha20poly1305_ietf_decrypt(d[112:], d[:112],
                                                      d[84:108], kek)
(n,) = struct.unpack_from("<H", body, 108)
ents = []
for i in range(n):
    o = 112 + 44 * i
    kid, st, _, created = struct.unpack_from("<HBBq", body, o)
    ents.append([kid, 2, created, body[o + 12:o + 44]])
top, created = ents[-1][0], ents[-1][2]
while len(ents) < want:
    top += 1
    ents.append([top, 2, created, os.urandom(32)])
ents[-1][1] = 1
(gen,) = struct.unpack_from("<Q", d, 60)
gen += 1
fixed = bytearray(body[:112])
struct.pack_into("<Q", fixed, 20, gen)
struct.pack_into("<H", fixed, 108, len(ents))
nb_ = bytes(fixed) + b"".join(struct.pack("<HBBq", e[0], e[1], 0, e[2]) +
                              e[3] for e in ents)
hdr = bytearray(d[:112])
hdr[28:44] = os.urandom(16)
kek = kek_of(bytes(hdr[28:44]))
struct.pack_into("<Q", hdr, 60, gen)
hdr[68:84] = check_of(kek)
hdr[84:108] = os.urandom(24)
struct.pack_into("<I", hdr, 108, len(nb_))
ct = nb.crypto_aead_xchacha20poly1305_ietf_encrypt(nb_, bytes(hdr),
                                                   bytes(hdr[84:108]), kek)
for out in sys.argv[4:]:
    with open(out, "r+b") as f:
        f.truncate(0)
        f.write(bytes(hdr) + ct)
EOF
at $T0 init lim --encrypt $KDF $P
at $T0 put lim a --input a.dat $P
limbk=$(awk '/backup:/ { print $2 }' <("$QSARC" keystore lim check $P 2>/dev/null) | sed 's/:$//')
[ -f "$limbk" ] || fail "cannot find the backup keystore of lim ('$limbk')"
"$PY" fill.py lim/keystore pw 1022 lim/keystore "$limbk" || fail "fill.py failed"
expect_ok q keystore lim check $P
keys_json lim kl.json $P
[ "$(kq kl.json 'len(d["keys"]), d["keys"][-1]["id"], d["keys"][-1]["state"]')" = "(1022, 1022, 'active')" ] ||
	fail "filled keystore: $(kq kl.json 'len(d["keys"]), d["keys"][-1]')"
get_cmp lim a a.dat "$P"
TL=$((T0 + 31 * DAY))
at $TL rekey lim $P
[ $LAST_RC -eq 0 ] && grep -q '^rotated: new content key 1023$' "$OUT" ||
	fail "rotation to the 1023rd key: exit $LAST_RC, '$(cat "$OUT")'"
at $TL put lim b --input b.dat $P
[ $LAST_RC -eq 0 ] || fail "put with key 1023: exit $LAST_RC"
cp lim/keystore lim.ks
cp "$limbk" lim.bk
at $((TL + 31 * DAY)) rekey lim $P
[ $LAST_RC -eq 1 ] || fail "rotation past 1023 keys: exit $LAST_RC, expected 1"
err_matches "1023" || fail "rotation past 1023 keys: message does not give the limit"
err_matches "most" || fail "rotation past 1023 keys: message does not say it is the most"
cmp -s lim/keystore lim.ks && cmp -s "$limbk" lim.bk || fail "a refused rotation changed a keystore copy"
note "limit message: $(head -n1 "$ERR")"
# A mode change needs a new key too: refused the same way, nothing changed.
at $((TL + 31 * DAY)) rekey lim --mode static $P
[ $LAST_RC -eq 1 ] && err_matches "1023" || fail "rekey --mode at 1023 keys: exit $LAST_RC, expected 1 naming the limit"
cmp -s lim/keystore lim.ks && cmp -s "$limbk" lim.bk || fail "a refused mode change changed a keystore copy"
[ ! -e lim/rekey-pending ] || fail "a refused mode change left lim/rekey-pending"
keys_json lim kl2.json $P
[ "$(kq kl2.json 'len(d["keys"]), d["mode"], k[1023]["records"] > 0')" = "(1023, 'internal', True)" ] ||
	fail "after the refusals: $(kq kl2.json 'len(d["keys"]), d["mode"]')"
get_cmp lim a a.dat "$P"
get_cmp lim b b.dat "$P"
# The remedy the message gives: clean retires the keys protecting nothing
# (here all but 1 and 1023); the next new key then reuses the lowest free
# id (spec/keystore.md 3.4).
clean_ok=0
if "$QSARC" help clean >/dev/null 2>&1; then
	# Not through at(): a sanitizer report inside clean (another module)
	# is reported as a known bug here rather than failing this scenario.
	LAST_RC=0
	QSARC_TEST_NOW=$((TL + 31 * DAY)) "$QSARC" clean lim $P >"$OUT" 2>"$ERR" || LAST_RC=$?
	if grep -qE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$ERR"; then
		known_bug "qsarc clean (at 1023 keys) under the sanitizers: $(grep -m1 -E 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$ERR") (exit $LAST_RC); the clean/id-reuse checks are skipped"
	else
		clean_ok=1
	fi
else
	note "no 'qsarc clean' in this binary: the limit's remedy is not tested"
fi
if [ $clean_ok = 1 ]; then
	[ $LAST_RC -eq 0 ] || fail "clean at 1023 keys: exit $LAST_RC"
	keys_json lim kl3.json $P
	[ "$(kq kl3.json '[x["id"] for x in d["keys"]]')" = "[1, 1023]" ] ||
		fail "after clean: keys $(kq kl3.json '[x["id"] for x in d["keys"]]'), expected [1, 1023] (the only ones protecting data)"
	at $((TL + 31 * DAY)) rekey lim $P
	[ $LAST_RC -eq 0 ] && grep -q '^rotated: new content key 2$' "$OUT" ||
		fail "rotation after clean: exit $LAST_RC, '$(cat "$OUT")', expected the lowest free id 2"
	at $((TL + 31 * DAY)) put lim c --input c.dat $P
	keys_json lim kl4.json $P
	[ "$(kq kl4.json 'k[2]["records"] > 0, k[2]["state"]')" = "(True, 'active')" ] || fail "put after the id reuse: key 2 $(kq kl4.json 'k[2]')"
	get_cmp lim a a.dat "$P"
	get_cmp lim b b.dat "$P"
	get_cmp lim c c.dat "$P"
	expect_ok q keystore lim check $P
fi
exit 0
