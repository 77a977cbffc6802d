# Issue 16, item 10: the passphrase prompt and standard input.
# (a) Ctrl-C at the prompt used to leave the terminal with echo off; now
#     the terminal is restored on SIGINT/SIGTERM/SIGHUP/SIGQUIT (tested
#     here: Ctrl-C and SIGTERM), and on Ctrl-Z (echo back on while
#     stopped, off again after fg).
# (b) put --passphrase-fd 0 read the tar stream as the passphrase
#     ("more than 255 bytes"); now it is refused (exit 2) unless the stream
#     comes from --input.
. "$CLI_DIR/lib.sh"

printf 'tty passphrase\n' >pw
chmod 600 pw
expect_ok q init e --encrypt --kdf-time 1 --kdf-memory 8M --passphrase-file pw
gen_file 431 50K a.dat
expect_ok q put e a --input a.dat --passphrase-file pw

"$PY" - "$QSARC" e <<'PYEOF' || fail "the terminal test failed"
import os, select, signal, sys, termios, time
qsarc, store = sys.argv[1], sys.argv[2]

def run(steps):
    master, slave = os.openpty()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        import fcntl
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(master)
        env = {k: v for k, v in os.environ.items() if k != "QSARC_PASSPHRASE"}
        os.execve(qsarc, [qsarc, "ls", store], env)
    out = b""
    def read_until(pat, t=20):
        nonlocal out
        end = time.time() + t
        while pat not in out:
            r, _, _ = select.select([master], [], [], max(0, end - time.time()))
            if not r:
                sys.exit(f"no {pat!r} in {out!r}")
            try:
                out += os.read(master, 4096)
            except OSError:
                sys.exit(f"pty closed before {pat!r}: {out!r}")
    def echo():
        return bool(termios.tcgetattr(slave)[3] & termios.ECHO)
    read_until(b"Passphrase: ")
    time.sleep(0.3)
    if echo():
        sys.exit("echo is on while the passphrase is asked for")
    result = steps(master, pid, echo, read_until)
    os.close(master); os.close(slave)
    return result

def ctrl_c(master, pid, echo, read_until):
    os.write(master, b"\x03")
    _, st = os.waitpid(pid, 0)
    if not (os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGINT):
        sys.exit(f"Ctrl-C: wait status {st}")
    if not echo():
        sys.exit("Ctrl-C at the prompt left the terminal with echo off")

def term(master, pid, echo, read_until):
    os.kill(pid, signal.SIGTERM)
    _, st = os.waitpid(pid, 0)
    if not (os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGTERM):
        sys.exit(f"SIGTERM: wait status {st}")
    if not echo():
        sys.exit("SIGTERM at the prompt left the terminal with echo off")

# (Ctrl-Z is handled too, but a process group made with setsid here is
# orphaned, and the kernel does not stop those on SIGTSTP.)
for step in (ctrl_c, term):
    run(step)
PYEOF

# (b) --passphrase-fd 0 with the stream on standard input.
expect_fail 2 'passphrase-fd 0' q put e b --passphrase-fd 0 <a.dat
[ -z "$(ls_names e | grep '^b$')" ] || fail "put --passphrase-fd 0 stored a stream"
# With --input, fd 0 may carry the passphrase.
expect_ok q put e b --input a.dat --passphrase-fd 0 <pw
