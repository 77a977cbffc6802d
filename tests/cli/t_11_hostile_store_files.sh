# Issue 14, item 2: a store's files are opened as regular files only.
# Attacks: STORE/lock replaced by a symbolic link or a hard link to a file
# of the victim (qsarc used to truncate it and write "pid N, ls, since T"
# into it), and a FIFO in place of the config, a manifest or a container
# (every command used to hang on it).  Each must end in exit 6 naming the
# file, leave the victim's file as it was, and leave the store usable once
# the planted file is gone.
. "$CLI_DIR/lib.sh"

T=10	# seconds a command may take before we call it a hang

gen_file 11 300K data.bin
expect_ok q init s
expect_ok q put s a --input data.bin
cp -p s/lock lock.orig
printf 'precious contents\n' >victim
cp victim victim.orig

# expect_refused WHAT REGEX CMD...: exit 6 within $T s, stderr matches.
expect_refused() {
	local what=$1 re=$2
	shift 2
	rc=0
	timeout -k 2 $T "$QSARC" "$@" >"$OUT" 2>"$ERR" || rc=$?
	[ $rc -ne 124 ] && [ $rc -ne 137 ] ||
		fail "$what: '$*' hung (killed after $T s)"
	[ $rc -eq 6 ] || fail "$what: '$*' exited $rc, expected 6: $(cat "$ERR")"
	grep -qE -- "$re" "$ERR" || fail "$what: stderr does not match '$re': $(cat "$ERR")"
	cmp -s victim victim.orig || fail "$what: the victim file was written: $(head -c 100 victim)"
}

# A symbolic link as the lock, for a reader and for a writer.
rm s/lock
ln -s "$PWD/victim" s/lock
expect_refused "symlinked lock (ls)" 's/lock: is a symbolic link' ls s
expect_refused "symlinked lock (put)" 's/lock: is a symbolic link' put s b --input data.bin
expect_refused "symlinked lock (verify --rebuild-index)" 's/lock: is a symbolic link' verify s --rebuild-index

# A hard link to the victim's file as the lock.
rm s/lock
ln victim s/lock
expect_refused "hard-linked lock" 's/lock: has 2 names' ls s
rm s/lock
cp -p lock.orig s/lock

# A FIFO as the config.
mv s/config config.orig
mkfifo s/config
expect_refused "FIFO config" 's/config: is a FIFO' ls s
rm s/config
mv config.orig s/config

# A FIFO as a manifest (reading its summary) and as a container (get).
mkfifo s/streams/fifo.qsm
expect_refused "FIFO manifest" 's/streams/fifo.qsm: is a FIFO' get s fifo --output out.bin
rm s/streams/fifo.qsm
c=$(find s/data -name '*.qsc' | head -n1)
mv "$c" container.orig
mkfifo "$c"
expect_refused "FIFO container" "$(basename "$c"): is a FIFO" get s a --output out.bin
rm "$c"
mv container.orig "$c"

# A symbolic link as a manifest, pointing at a real manifest elsewhere.
mv s/streams/a.qsm a.qsm
ln -s "$PWD/a.qsm" s/streams/a.qsm
expect_refused "symlinked manifest" 's/streams/a.qsm: is a symbolic link' get s a --output out.bin
rm s/streams/a.qsm
mv a.qsm s/streams/a.qsm

# With every planted file gone the store is as it was.
expect_ok q verify s --read-data
rm -f out.bin
expect_ok q get s a --output out.bin
cmp -s out.bin data.bin || fail "stream a does not restore after the attacks"
exit 0
