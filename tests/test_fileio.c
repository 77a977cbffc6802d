/*
 * Tests for format/fileio.c: the temporary-file protocol, atomic writes,
 * reads, and the test-only fault injection.  Fault injection reads its
 * environment once per process, so those tests re-run this binary as a
 * child (QSARC_FILEIO_CHILD=scenario) with the variables set.
 *
 * Tests named test_regression_* pin bugs that were found in the code under
 * test and fixed; each fails on the code before its fix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/fileio.h"
#include "format/qs_err.h"

#include "testlib.h"

struct env {
	char dir[256];
	char path[300];
};

static int
setup(void **state)
{
	struct env *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return (-1);
	if (make_tmpdir(e->dir, sizeof(e->dir), "fileio") != 0) {
		free(e);
		return (-1);
	}
	snprintf(e->path, sizeof(e->path), "%s/target", e->dir);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env *e = *state;

	rm_tree(e->dir);
	free(e);
	return (0);
}

/* Count directory entries, and those that are temporary files. */
static void
count_entries(const char *dir, int *all, int *tmps)
{
	struct dirent *de;
	DIR *d;

	*all = *tmps = 0;
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		(*all)++;
		if (fileio_is_tmp_name(de->d_name))
			(*tmps)++;
	}
	closedir(d);
}

static void
expect_content(const char *path, const void *want, size_t wantlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	assert_int_equal(fileio_read_all(path, &buf, &len, 1 << 20), QS_OK);
	assert_int_equal(len, wantlen);
	if (wantlen > 0)
		assert_memory_equal(buf, want, wantlen);
	free(buf);
}

static void
write_plain(const char *path, const char *s)
{
	FILE *f;

	assert_non_null(f = fopen(path, "w"));
	fputs(s, f);
	fclose(f);
}

/* ---- tests --------------------------------------------------------- */

static void
test_write_atomic(void **state)
{
	struct env *e = *state;
	static const mode_t modes[] = { 0600, 0444, 0640, 0755 };
	struct stat st;
	int all, tmps;

	umask(022);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char content[64];

		unlink(e->path);
		snprintf(content, sizeof(content), "content %zu\n", i);
		assert_int_equal(fileio_write_atomic(e->path, content,
		    strlen(content), modes[i], 1), QS_OK);
		assert_int_equal(stat(e->path, &st), 0);
		assert_int_equal(st.st_mode & 07777, modes[i]);
		expect_content(e->path, content, strlen(content));
		count_entries(e->dir, &all, &tmps);
		assert_int_equal(all, 1);
		assert_int_equal(tmps, 0);
	}
	/* Replacing (noreplace = 0) an existing file, and an empty file. */
	assert_int_equal(fileio_write_atomic(e->path, "new", 3, 0644, 0),
	    QS_OK);
	expect_content(e->path, "new", 3);
	assert_int_equal(fileio_write_atomic(e->path, "", 0, 0644, 0), QS_OK);
	expect_content(e->path, "", 0);
	count_entries(e->dir, &all, &tmps);
	assert_int_equal(all, 1);
	assert_int_equal(tmps, 0);
}

static void
test_write_atomic_noreplace(void **state)
{
	struct env *e = *state;
	int all, tmps;

	write_plain(e->path, "original");
	qs_error_clear();
	assert_int_equal(fileio_write_atomic(e->path, "intruder", 8, 0644, 1),
	    QS_EEXIST);
	assert_non_null(strstr(qs_error_message(), e->path));
	expect_content(e->path, "original", 8);
	count_entries(e->dir, &all, &tmps);
	assert_int_equal(all, 1);
	assert_int_equal(tmps, 0);
	/* A missing directory is an error, not a crash. */
	assert_int_equal(fileio_write_atomic("/nonexistent-qsarc/x/y", "a", 1,
	    0644, 0), QS_ENOENT);
}

static void
test_tmp_invisible_until_commit(void **state)
{
	struct env *e = *state;
	struct fileio_tmp *t = NULL;
	uint8_t big[100000];
	int all, tmps;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(fileio_tmp_open(e->path, 0600, &t), QS_OK);
	assert_non_null(t);
	assert_true(fileio_tmp_fd(t) >= 0);
	assert_true(fileio_tmp_offset(t) == 0);
	assert_int_equal(fileio_tmp_write(t, "HEADER--", 8), QS_OK);
	assert_int_equal(fileio_tmp_write(t, big, sizeof(big)), QS_OK);
	assert_true(fileio_tmp_offset(t) == 8 + sizeof(big));
	/* Not under the final name; one temporary file beside it. */
	assert_int_equal(access(e->path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	count_entries(e->dir, &all, &tmps);
	assert_int_equal(all, 1);
	assert_int_equal(tmps, 1);
	/* Fill in the header, within what was written. */
	assert_int_equal(fileio_tmp_pwrite(t, "header", 6, 0), QS_OK);
	assert_int_equal(fileio_tmp_pwrite(t, "!!", 2, 8 + sizeof(big) - 2),
	    QS_OK);
	assert_true(fileio_tmp_offset(t) == 8 + sizeof(big));
	/* Past the end is refused. */
	assert_int_equal(fileio_tmp_pwrite(t, "xx", 2, 8 + sizeof(big) - 1),
	    QS_EINVAL);
	assert_int_equal(fileio_tmp_commit(t, 1), QS_OK);
	big[sizeof(big) - 2] = '!';
	big[sizeof(big) - 1] = '!';
	{
		uint8_t *want = malloc(8 + sizeof(big));

		assert_non_null(want);
		memcpy(want, "header--", 8);
		memcpy(want + 8, big, sizeof(big));
		expect_content(e->path, want, 8 + sizeof(big));
		free(want);
	}
	count_entries(e->dir, &all, &tmps);
	assert_int_equal(all, 1);
	assert_int_equal(tmps, 0);
}

static void
test_tmp_commit_noreplace(void **state)
{
	struct env *e = *state;
	struct fileio_tmp *t;
	int all, tmps;

	write_plain(e->path, "first");
	assert_int_equal(fileio_tmp_open(e->path, 0644, &t), QS_OK);
	assert_int_equal(fileio_tmp_write(t, "second", 6), QS_OK);
	assert_int_equal(fileio_tmp_commit(t, 1), QS_EEXIST);
	expect_content(e->path, "first", 5);
	count_entries(e->dir, &all, &tmps);
	assert_int_equal(all, 1);
	assert_int_equal(tmps, 0);
	/* The final name appearing while the temp file is open. */
	unlink(e->path);
	assert_int_equal(fileio_tmp_open(e->path, 0644, &t), QS_OK);
	assert_int_equal(fileio_tmp_write(t, "late", 4), QS_OK);
	write_plain(e->path, "racer");
	assert_int_equal(fileio_tmp_commit(t, 1), QS_EEXIST);
	expect_content(e->path, "racer", 5);
	count_entries(e->dir, &all, &tmps);
	assert_int_equal(tmps, 0);
	/* Without noreplace it replaces. */
	assert_int_equal(fileio_tmp_open(e->path, 0644, &t), QS_OK);
	assert_int_equal(fileio_tmp_write(t, "third", 5), QS_OK);
	assert_int_equal(fileio_tmp_commit(t, 0), QS_OK);
	expect_content(e->path, "third", 5);
}

static void
test_tmp_abort(void **state)
{
	struct env *e = *state;
	struct fileio_tmp *t[3];
	int all, tmps;

	/* Several at once get distinct names. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fileio_tmp_open(e->path, 0644, &t[i]), QS_OK);
		assert_int_equal(fileio_tmp_write(t[i], "x", 1), QS_OK);
	}
	count_entries(e->dir, &all, &tmps);
	assert_int_equal(tmps, 3);
	for (int i = 0; i < 3; i++)
		fileio_tmp_abort(t[i]);
	fileio_tmp_abort(NULL);
	count_entries(e->dir, &all, &tmps);
	assert_int_equal(all, 0);
	assert_int_equal(access(e->path, F_OK), -1);
}

static void
test_is_tmp_name(void **state)
{
	static const char *yes[] = { ".tmp-", ".tmp-x", ".tmp-seg-1-123-abc",
	    ".tmp-.tmp-" };
	static const char *no[] = { "", ".", "..", ".tmp", ".tmpx", "tmp-x",
	    "x.tmp-", " .tmp-", ".TMP-x", "_tmp-x", "config", "x.qsm" };

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!fileio_is_tmp_name(yes[i]))
			fail_msg("\"%s\" not a tmp name", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (fileio_is_tmp_name(no[i]))
			fail_msg("\"%s\" taken for a tmp name", no[i]);
}

static void
test_read_all(void **state)
{
	struct env *e = *state;
	uint8_t *buf = NULL;
	size_t len = 0;

	write_plain(e->path, "0123456789");
	assert_int_equal(fileio_read_all(e->path, &buf, &len, 10), QS_OK);
	assert_int_equal(len, 10);
	assert_memory_equal(buf, "0123456789", 10);
	free(buf);
	buf = NULL;
	len = 77;
	qs_error_clear();
	assert_int_equal(fileio_read_all(e->path, &buf, &len, 9), QS_ECORRUPT);
	assert_non_null(strstr(qs_error_message(), e->path));
	assert_null(buf);
	assert_int_equal(len, 77);
	assert_int_equal(fileio_read_all(e->path, &buf, &len, 0), QS_ECORRUPT);
	/* Empty file. */
	write_plain(e->path, "");
	assert_int_equal(fileio_read_all(e->path, &buf, &len, 0), QS_OK);
	assert_int_equal(len, 0);
	free(buf);
	/* Missing file. */
	unlink(e->path);
	buf = NULL;
	assert_int_equal(fileio_read_all(e->path, &buf, &len, 100),
	    QS_ENOENT);
	assert_null(buf);
	/* A directory is not readable as a file. */
	assert_int_not_equal(fileio_read_all(e->dir, &buf, &len, 1 << 20),
	    QS_OK);
}

static void
test_pread_full(void **state)
{
	struct env *e = *state;
	uint8_t buf[32];
	int fd;

	write_plain(e->path, "abcdefghij");
	assert_true((fd = open(e->path, O_RDONLY)) >= 0);
	assert_int_equal(fileio_pread_full(fd, buf, 10, 0, e->path), QS_OK);
	assert_memory_equal(buf, "abcdefghij", 10);
	assert_int_equal(fileio_pread_full(fd, buf, 3, 7, e->path), QS_OK);
	assert_memory_equal(buf, "hij", 3);
	assert_int_equal(fileio_pread_full(fd, buf, 0, 100, e->path), QS_OK);
	/* Short reads: QS_ECORRUPT naming the path and the offset. */
	qs_error_clear();
	assert_int_equal(fileio_pread_full(fd, buf, 4, 7, e->path),
	    QS_ECORRUPT);
	assert_non_null(strstr(qs_error_message(), e->path));
	assert_non_null(strstr(qs_error_message(), "offset 10"));
	assert_int_equal(fileio_pread_full(fd, buf, 11, 0, e->path),
	    QS_ECORRUPT);
	assert_int_equal(fileio_pread_full(fd, buf, 1, 10, e->path),
	    QS_ECORRUPT);
	assert_int_equal(fileio_pread_full(fd, buf, 1, 1ULL << 40, e->path),
	    QS_ECORRUPT);
	close(fd);
	/* A bad descriptor is an I/O error. */
	assert_int_equal(fileio_pread_full(fd, buf, 1, 0, e->path), QS_EIO);
}

static void
test_misc_ops(void **state)
{
	struct env *e = *state;
	char other[400], sub[400];
	int fd;

	snprintf(other, sizeof(other), "%s/other", e->dir);
	snprintf(sub, sizeof(sub), "%s/sub", e->dir);
	assert_true((fd = open(e->path, O_WRONLY | O_CREAT | O_TRUNC, 0644))
	    >= 0);
	assert_int_equal(fileio_write_full(fd, "payload", 7, e->path), QS_OK);
	assert_int_equal(fileio_fsync(fd, e->path), QS_OK);
	close(fd);
	expect_content(e->path, "payload", 7);
	assert_int_equal(fileio_rename(e->path, other), QS_OK);
	assert_int_equal(access(e->path, F_OK), -1);
	expect_content(other, "payload", 7);
	assert_int_equal(fileio_rename(e->path, other), QS_ENOENT);
	assert_int_equal(fileio_unlink(other), QS_OK);
	assert_int_equal(access(other, F_OK), -1);
	assert_int_equal(fileio_unlink(other), QS_OK);	/* missing: fine */
	assert_int_equal(fileio_mkdir(sub, 0755), QS_OK);
	assert_int_equal(fileio_mkdir(sub, 0755), QS_OK);	/* exists */
	write_plain(other, "file");
	assert_int_not_equal(fileio_mkdir(other, 0755), QS_OK);
	assert_int_equal(fileio_fsync_dir(e->dir), QS_OK);
	assert_int_not_equal(fileio_fsync_dir(other), QS_OK);
	/* Temporary files in a subdirectory land in that subdirectory. */
	{
		char final[500];
		int all, tmps;
		struct fileio_tmp *t;

		snprintf(final, sizeof(final), "%s/inner", sub);
		assert_int_equal(fileio_tmp_open(final, 0644, &t), QS_OK);
		count_entries(sub, &all, &tmps);
		assert_int_equal(tmps, 1);
		assert_int_equal(fileio_tmp_commit(t, 1), QS_OK);
		expect_content(final, "", 0);
	}
}

/*
 * Bug: fileio.h says fileio_tmp_fd returns the descriptor "for reading back
 * what was written", but fileio_tmp_open opens it O_WRONLY, so reading it
 * back fails with EBADF (QS_EIO).
 */
static void
test_regression_tmp_fd_readable(void **state)
{
	struct env *e = *state;
	struct fileio_tmp *t;
	uint8_t buf[8];
	int rc;

	assert_int_equal(fileio_tmp_open(e->path, 0644, &t), QS_OK);
	assert_int_equal(fileio_tmp_write(t, "readback", 8), QS_OK);
	rc = fileio_pread_full(fileio_tmp_fd(t), buf, 8, 0, e->path);
	fileio_tmp_abort(t);
	assert_int_equal(rc, QS_OK);
	assert_memory_equal(buf, "readback", 8);
}

/* ---- fault injection (in a child process) --------------------------- */

/*
 * The child's scenario: replace ${path} (which holds "old") with the
 * 100000-byte "new" content by fileio_write_atomic, then exit with 0 on
 * QS_OK, 10 on QS_ENOSPC, 11 on any other error.
 */
static int
child_main(const char *path)
{
	static uint8_t content[100000];
	int rc;

	memset(content, 'N', sizeof(content));
	rc = fileio_write_atomic(path, content, sizeof(content), 0644, 0);
	if (rc == QS_OK)
		return (0);
	return (rc == QS_ENOSPC ? 10 : 11);
}

/* Run the child scenario with one fault variable; return its status. */
static int
run_child(const char *path, const char *var, long n, const char *countfile)
{
	char num[32];
	pid_t pid;
	int status;

	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		snprintf(num, sizeof(num), "%ld", n);
		setenv("QSARC_FILEIO_CHILD", path, 1);
		unsetenv("QSARC_CRASH_AT");
		unsetenv("QSARC_ENOSPC_AT");
		if (var != NULL)
			setenv(var, num, 1);
		if (countfile != NULL)
			setenv("QSARC_COUNT_FILE", countfile, 1);
		execl("/proc/self/exe", "test_fileio", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return (WEXITSTATUS(status));
}

/* ${path} holds either all of "old" or all of the new content. */
static int
whole_old_or_new(const char *path)
{
	uint8_t *buf;
	size_t len;
	int which = -1;

	assert_int_equal(fileio_read_all(path, &buf, &len, 1 << 20), QS_OK);
	if (len == 3 && memcmp(buf, "old", 3) == 0)
		which = 0;
	else if (len == 100000) {
		which = 1;
		for (size_t i = 0; i < len; i++)
			if (buf[i] != 'N')
				which = -1;
	}
	free(buf);
	return (which);
}

static void
test_fault_enospc(void **state)
{
	struct env *e = *state;
	int all, tmps;

	write_plain(e->path, "old");
	/* The first mutation point is the write. */
	assert_int_equal(run_child(e->path, "QSARC_ENOSPC_AT", 1, NULL), 10);
	assert_int_equal(whole_old_or_new(e->path), 0);
	count_entries(e->dir, &all, &tmps);
	assert_int_equal(tmps, 0);
	/* ENOSPC at a non-write point (the fsync) is not injected. */
	assert_int_equal(run_child(e->path, "QSARC_ENOSPC_AT", 2, NULL), 0);
	assert_int_equal(whole_old_or_new(e->path), 1);
}

static void
test_fault_crash_walk(void **state)
{
	struct env *e = *state;
	char countfile[400];
	long total = 0;
	FILE *f;
	int all, tmps, status;

	snprintf(countfile, sizeof(countfile), "%s.count", e->dir);
	write_plain(e->path, "old");
	assert_int_equal(run_child(e->path, NULL, 0, countfile), 0);
	assert_non_null(f = fopen(countfile, "r"));
	assert_int_equal(fscanf(f, "%ld", &total), 1);
	fclose(f);
	unlink(countfile);
	/* write, fsync, rename at least. */
	assert_true(total >= 3);
	for (long n = 1; n <= total + 1; n++) {
		write_plain(e->path, "old");
		status = run_child(e->path, "QSARC_CRASH_AT", n, NULL);
		if (n <= total) {
			assert_int_equal(status, 99);
		} else {
			assert_int_equal(status, 0);
		}
		/* Never a partial file under the final name. */
		if (whole_old_or_new(e->path) < 0)
			fail_msg("crash at point %ld left a partial file", n);
		/* Leftovers are recognisable temporary files. */
		count_entries(e->dir, &all, &tmps);
		assert_int_equal(all - tmps, 1);
		rm_tree(e->dir);
		assert_int_equal(mkdir(e->dir, 0700), 0);
	}
}

int
main(void)
{
	const char *child = getenv("QSARC_FILEIO_CHILD");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_atomic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_noreplace,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_tmp_invisible_until_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmp_commit_noreplace,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmp_abort, setup,
		    teardown),
		cmocka_unit_test(test_is_tmp_name),
		cmocka_unit_test_setup_teardown(test_read_all, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pread_full, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_misc_ops, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_regression_tmp_fd_readable,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_enospc, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fault_crash_walk, setup,
		    teardown),
	};

	if (child != NULL && *child != '\0')
		return (child_main(child));
	/* A fault variable in our own environment would break the tests. */
	unsetenv("QSARC_CRASH_AT");
	unsetenv("QSARC_ENOSPC_AT");
	unsetenv("QSARC_COUNT_FILE");
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
