/*
 * Reading passphrases, and opening a store with one.
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd/alerts/alerts_raise.h"
#include "cmd/cmd_options.h"
#include "cmd/cmd_output.h"
#include "cmd/cmd_passphrase.h"
#include "crypto/secmem.h"
#include "format/qs_err.h"
#include "index/store/store.h"

#define PASS_MAX	255

/* What a passphrase command may print in all (a runaway is stopped). */
#define CMD_OUT_MAX	(64 * 1024)

extern char **environ;

/* Read at most PASS_MAX + 1 bytes of a passphrase from ${fd}. */
static int
read_pass_fd(int fd, const char *what, uint8_t *buf, size_t *len)
{
	ssize_t n;
	size_t got = 0;

	while (got < PASS_MAX + 2) {
		n = read(fd, buf + got, PASS_MAX + 2 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* No passphrase to be had: exit 5, as for a file. */
			qs_error_errno(what, "read passphrase");
			return (qs_error_set(QS_EPASS, "%s",
			    qs_error_message()));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	/* One trailing newline (as echo and editors leave) is not part. */
	if (got > 0 && buf[got - 1] == '\n')
		got--;
	if (got > 0 && buf[got - 1] == '\r')
		got--;
	*len = got;
	return (QS_OK);
}

/*
 * The environment for a passphrase command: ours without QSARC_PASSPHRASE
 * (a command that asks a vault has no use for a passphrase the user left
 * there, and no passphrase is ever put in a child's environment).  NULL
 * if out of memory.
 */
static char **
command_env(void)
{
	static const char drop[] = "QSARC_PASSPHRASE=";
	char **env;
	size_t n = 0, k = 0;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return (NULL);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], drop, sizeof(drop) - 1) != 0)
			env[k++] = environ[i];
	env[k] = NULL;
	return (env);
}

/*
 * Run ${cmd} with /bin/sh -c, its standard input /dev/null (qsarc's may be
 * the tar stream being put) and its standard error ours, and take the
 * first line of its standard output as the passphrase (into ${buf}, at
 * most PASS_MAX + 1 bytes: the caller refuses longer).  The rest of the
 * output is read and wiped, so the command never dies of SIGPIPE for
 * printing more.  A command that fails, or prints nothing, is QS_EPASS:
 * no passphrase to be had, exit 5.
 */
static int
read_pass_command(const char *cmd, const char *what, uint8_t *buf,
    size_t *len)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "sh", "-c", NULL, NULL };
	char **env = NULL;
	uint8_t *chunk = NULL;
	size_t got = 0, total = 0;
	int pfd[2] = { -1, -1 }, status, line_done = 0, fa_ok = 0, err, rc;
	pid_t pid = -1;
	ssize_t n;

	argv[2] = (char *)(uintptr_t)cmd;
	if ((chunk = secmem_alloc(4096)) == NULL ||
	    (env = command_env()) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		qs_error_errno(what, "pipe");
		rc = qs_error_set(QS_EPASS, "%s", qs_error_message());
		goto done;
	}
	/* The dup2 clears close-on-exec on the child's stdout only. */
	if ((err = posix_spawn_file_actions_init(&fa)) != 0 ||
	    (fa_ok = 1, err = posix_spawn_file_actions_addopen(&fa,
	    STDIN_FILENO, "/dev/null", O_RDONLY, 0)) != 0 ||
	    (err = posix_spawn_file_actions_adddup2(&fa, pfd[1],
	    STDOUT_FILENO)) != 0 ||
	    (err = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, env)) != 0) {
		pid = -1;
		errno = err;
		qs_error_errno(what, "run /bin/sh");
		rc = qs_error_set(QS_EPASS, "%s", qs_error_message());
		goto done;
	}
	close(pfd[1]);
	pfd[1] = -1;
	for (;;) {
		n = read(pfd[0], chunk, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			qs_error_errno(what, "read the passphrase command's "
			    "output");
			rc = qs_error_set(QS_EPASS, "%s", qs_error_message());
			goto done;
		}
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n && !line_done; i++) {
			if (chunk[i] == '\n')
				line_done = 1;
			else if (got < PASS_MAX + 1)
				buf[got++] = chunk[i];
		}
		secmem_wipe(chunk, (size_t)n);
		if ((total += (size_t)n) > CMD_OUT_MAX) {
			rc = qs_error_set(QS_EPASS, "%s printed more than "
			    "%d bytes; stopped it", what, CMD_OUT_MAX);
			goto done;
		}
	}
	close(pfd[0]);
	pfd[0] = -1;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			qs_error_errno(what, "wait for the passphrase command");
			rc = qs_error_set(QS_EPASS, "%s", qs_error_message());
			pid = -1;
			goto done;
		}
	}
	pid = -1;
	if (WIFSIGNALED(status)) {
		rc = qs_error_set(QS_EPASS, "%s was killed by signal %d; no "
		    "passphrase", what, WTERMSIG(status));
		goto done;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = qs_error_set(QS_EPASS, "%s failed (exit %d); no "
		    "passphrase", what, WIFEXITED(status) ?
		    WEXITSTATUS(status) : -1);
		goto done;
	}
	if (got > 0 && buf[got - 1] == '\r')
		got--;
	if (got == 0) {
		rc = qs_error_set(QS_EPASS, "%s printed %s; no passphrase",
		    what, total == 0 ? "nothing" : "an empty first line");
		goto done;
	}
	*len = got;
	rc = QS_OK;
done:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (pid > 0) {
		/* Stopped early: do not leave it running or a zombie. */
		(void)kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (rc != QS_OK)
		secmem_wipe(buf, PASS_MAX + 2);
	secmem_free(chunk, 4096);
	free(env);
	return (rc);
}

/*
 * While echo is off, a signal that stops or ends the process must not
 * leave the terminal that way (a Ctrl-C at the prompt used to leave the
 * shell without echo).  The handler restores the saved settings, then
 * lets the signal do what it would have done; after a stop (Ctrl-Z) and
 * SIGCONT, echo goes off again.  Only async-signal-safe calls in it.
 */
static volatile sig_atomic_t tty_fd = -1;
static struct termios tty_old, tty_quiet;
static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
    SIGTSTP, SIGTTIN, SIGTTOU };
#define TTY_NSIG	(sizeof(tty_signals) / sizeof(tty_signals[0]))
static struct sigaction tty_saved[TTY_NSIG];

static void tty_guard(void);

static void
tty_on_signal(int sig)
{
	struct sigaction dfl;
	int saved_errno = errno;

	if (tty_fd >= 0)
		(void)tcsetattr(tty_fd, TCSANOW, &tty_old);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	(void)sigaction(sig, &dfl, NULL);
	/* Delivered now (it is blocked inside its own handler). */
	sigemptyset(&dfl.sa_mask);
	sigaddset(&dfl.sa_mask, sig);
	(void)sigprocmask(SIG_UNBLOCK, &dfl.sa_mask, NULL);
	(void)raise(sig);
	/* Back here only after a stop signal and SIGCONT. */
	if (tty_fd >= 0) {
		(void)tcsetattr(tty_fd, TCSANOW, &tty_quiet);
		tty_guard();
	}
	errno = saved_errno;
}

/* Install tty_on_signal for the signals of tty_signals. */
static void
tty_guard(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < TTY_NSIG; i++)
		(void)sigaction(tty_signals[i], &sa, NULL);
}

static int
read_pass_tty(const char *prompt, uint8_t *buf, size_t *len)
{
	struct termios old, quiet;
	size_t got = 0;
	char c;
	int fd;
	ssize_t n;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return (qs_error_set(QS_EPASS, "the store is encrypted and "
		    "no passphrase was given: use --passphrase-file, "
		    "--passphrase-fd, --passphrase-command or "
		    "QSARC_PASSPHRASE_COMMAND (no terminal to ask on)"));
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		return (qs_error_set(QS_EINVAL, "cannot turn off echo on the "
		    "terminal"));
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	(void)!write(fd, prompt, strlen(prompt));
	tty_old = old;
	tty_quiet = quiet;
	for (size_t i = 0; i < TTY_NSIG; i++)
		(void)sigaction(tty_signals[i], NULL, &tty_saved[i]);
	tty_fd = fd;
	tty_guard();
	tcsetattr(fd, TCSAFLUSH, &quiet);
	while ((n = read(fd, &c, 1)) == 1 && c != '\n') {
		if (got < PASS_MAX + 1)
			buf[got++] = (uint8_t)c;
	}
	tcsetattr(fd, TCSAFLUSH, &old);
	tty_fd = -1;
	for (size_t i = 0; i < TTY_NSIG; i++)
		(void)sigaction(tty_signals[i], &tty_saved[i], NULL);
	(void)!write(fd, "\n", 1);
	close(fd);
	c = 0;
	*len = got;
	return (QS_OK);
}

/**
 * cmd_passphrase_free(pass, len):
 * Wipe and free a passphrase.
 */
void
cmd_passphrase_free(uint8_t *pass, size_t len)
{

	(void)len;
	secmem_free(pass, PASS_MAX + 2);
}

/*
 * A passphrase file that group or others can read gives the store away to
 * them: say so (once per command, on stderr), as ssh does for a key file.
 * Only a regular file: a pipe or /dev/fd/N says nothing about who reads.
 */
static void
warn_if_readable(int fd, const char *file)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 077) == 0)
		return;
	fprintf(stderr, "qsarc: warning: the passphrase file ");
	cmd_output_text_str(stderr, file);
	fprintf(stderr, " can be read by group or others (mode %04o); "
	    "chmod 600 it\n", (unsigned int)(st.st_mode & 07777));
}

/**
 * cmd_passphrase_read(file, fd, command, prompt, confirm, pass, passlen):
 * Read a passphrase from ${file}, ${fd}, ${command},
 * QSARC_PASSPHRASE_COMMAND, QSARC_PASSPHRASE or the terminal.
 */
int
cmd_passphrase_read(const char *file, int fd, const char *command,
    const char *prompt, int confirm, uint8_t **passp, size_t *lenp)
{
	uint8_t *pass, *again = NULL;
	const char *env, *envcmd;
	const char *source;
	size_t len = 0, len2 = 0;
	int pfd, rc;

	if (secmem_init() != QS_OK)
		return (qs_error_set(QS_ENOMEM, "cannot initialise libsodium"));
	if ((pass = secmem_alloc(PASS_MAX + 2)) == NULL)
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	if (file != NULL) {
		source = file;
		if ((pfd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
			/* No passphrase to be had: exit 5, not "not found". */
			qs_error_errno(file, "open passphrase file");
			rc = qs_error_set(QS_EPASS, "%s", qs_error_message());
			goto err;
		}
		warn_if_readable(pfd, file);
		rc = read_pass_fd(pfd, file, pass, &len);
		close(pfd);
	} else if (fd >= 0) {
		source = "--passphrase-fd";
		rc = read_pass_fd(fd, "--passphrase-fd", pass, &len);
	} else if (command != NULL) {
		source = "--passphrase-command";
		rc = read_pass_command(command, "the --passphrase-command",
		    pass, &len);
	} else if ((envcmd = getenv("QSARC_PASSPHRASE_COMMAND")) != NULL) {
		source = "QSARC_PASSPHRASE_COMMAND";
		rc = read_pass_command(envcmd, "the QSARC_PASSPHRASE_COMMAND",
		    pass, &len);
	} else if ((env = getenv("QSARC_PASSPHRASE")) != NULL) {
		source = "QSARC_PASSPHRASE";
		len = strlen(env);
		if (len > PASS_MAX + 1)
			len = PASS_MAX + 1;
		memcpy(pass, env, len);
		rc = QS_OK;
	} else {
		source = "the terminal";
		rc = read_pass_tty(prompt, pass, &len);
		if (rc == QS_OK && confirm) {
			if ((again = secmem_alloc(PASS_MAX + 2)) == NULL) {
				rc = qs_error_set(QS_ENOMEM, "out of memory");
				goto err;
			}
			rc = read_pass_tty("Repeat the passphrase: ", again,
			    &len2);
			if (rc == QS_OK && (len2 != len ||
			    secmem_equal(again, pass, len) == 0))
				rc = qs_error_set(QS_EINVAL, "the two "
				    "passphrases differ");
			secmem_free(again, PASS_MAX + 2);
		}
	}
	if (rc != QS_OK)
		goto err;
	if (len == 0 || len > PASS_MAX) {
		rc = qs_error_set(QS_EINVAL, "the passphrase from %s is %s%zu "
		    "bytes; it must be 1 to %d bytes", source,
		    len > PASS_MAX ? "more than " : "", len > PASS_MAX ?
		    (size_t)PASS_MAX : len, PASS_MAX);
		goto err;
	}
	*passp = pass;
	*lenp = len;
	return (QS_OK);

err:
	secmem_free(pass, PASS_MAX + 2);
	return (rc);
}

/**
 * cmd_passphrase_hint(c):
 * Add to the recorded error where the passphrase was read from.
 */
void
cmd_passphrase_hint(const struct cmd_options *c)
{
	const char *from = c->passphrase_file ? c->passphrase_file :
	    c->passphrase_fd >= 0 ? "--passphrase-fd" :
	    c->passphrase_command ? "--passphrase-command" :
	    getenv("QSARC_PASSPHRASE_COMMAND") ? "QSARC_PASSPHRASE_COMMAND" :
	    getenv("QSARC_PASSPHRASE") ? "QSARC_PASSPHRASE" : "the terminal";
	char msg[QS_ERROR_MSG_MAX];

	snprintf(msg, sizeof(msg), "%s", qs_error_message());
	qs_error_set(QS_EPASS, "%s (passphrase read from %s)", msg, from);
}

/**
 * cmd_passphrase_open(root, lockmode, c, side, s):
 * Open the store: refuse a passphrase given for a plain store, read it for
 * an encrypted one.
 */
int
cmd_passphrase_open(const char *root, int lockmode,
    const struct cmd_options *c, const struct cmd_passphrase_side *side,
    struct store **s)
{
	const char *file = side != NULL ? side->file : c->passphrase_file;
	int fd = side != NULL ? side->fd : c->passphrase_fd;
	const char *command = side != NULL ? side->command :
	    c->passphrase_command;
	uint8_t *pass = NULL;
	size_t passlen = 0;
	char prompt[64];
	int encrypted, given, rc;

	if ((rc = store_peek_encrypted(root, &encrypted)) != QS_OK)
		return (rc);
	/*
	 * Someone who can write the store but lacks the passphrase could
	 * replace the config with a plain one; a job that brings a
	 * passphrase expects encryption and must not write in the clear.
	 * For one side of two, only a passphrase given for that very side
	 * says it is encrypted.
	 */
	given = side != NULL ? side->given : (file != NULL || fd >= 0 ||
	    command != NULL || getenv("QSARC_PASSPHRASE_COMMAND") != NULL ||
	    getenv("QSARC_PASSPHRASE") != NULL);
	if (!encrypted && given && side != NULL)
		return (qs_error_set(QS_EPASS, "%s: a %s passphrase was given "
		    "but the store is not encrypted; refusing, in case its "
		    "config was replaced", root, side->name));
	if (!encrypted && given)
		return (qs_error_set(QS_EPASS, "%s: a passphrase was given "
		    "but the store is not encrypted; refusing, in case its "
		    "config was replaced (drop the passphrase option for a "
		    "plain store)", root));
	if (encrypted) {
		if (side != NULL)
			snprintf(prompt, sizeof(prompt), "Passphrase of the "
			    "%s: ", side->name);
		else
			snprintf(prompt, sizeof(prompt), "Passphrase: ");
		if ((rc = cmd_passphrase_read(file, fd, command, prompt, 0,
		    &pass, &passlen)) != QS_OK)
			return (rc);
	}
	rc = store_open(root, lockmode, side != NULL ? side->timeout_ms :
	    c->lock_timeout * 1000, pass, passlen, s);
	/* (the sides of replicate are named in its messages instead) */
	if (rc == QS_EPASS && side == NULL)
		cmd_passphrase_hint(c);
	/*
	 * A reader may go on with a stale primary keystore, or with the keys
	 * of the backup copy where the primary is damaged; say so, and make
	 * the damage an alert (sent by the command's alerts_raise_after).
	 */
	if (rc == QS_OK && store_warning(*s) != NULL) {
		fprintf(stderr, "qsarc: warning: ");
		cmd_output_text_str(stderr, store_warning(*s));
		fputc('\n', stderr);
		if (store_keystore_damaged(*s))
			alerts_raise_event(ALERTS_RAISE_CORRUPTION,
			    store_warning(*s));
	}
	cmd_passphrase_free(pass, passlen);
	return (rc);
}
