#ifndef QS_FILEIO_H
#define QS_FILEIO_H

/*
 * Durable file operations.  Every byte qsarc writes into a store goes
 * through here, so that (1) each file appears under its final name only
 * when complete and synced (write a temporary name, fsync, rename, fsync the
 * directory), and (2) the test-only fault injection below sees every
 * mutation point.
 *
 * Temporary files are named ".tmp-<name>-<pid>-<random>" in the directory
 * of the final name; anything matching ".tmp-*" is a leftover of a process
 * that died and may be removed by clean.
 *
 * Fault injection (test only; documented in tests/README.md), compiled in
 * only with -DQSARC_TEST_HOOKS (build/qsarc-test and the unit tests; the
 * installed build/qsarc ignores these variables):
 *   QSARC_CRASH_AT=N   the N-th write/fsync/rename/unlink calls _exit(99)
 *                      before doing it (as if killed by SIGKILL).
 *   QSARC_ENOSPC_AT=N  the N-th write fails with ENOSPC.
 *   QSARC_COUNT_FILE=F on exit, the number of mutation points passed is
 *                      written to F (so a test can walk them all).
 *   QSARC_POWERLOSS_LOG=F  every mutation and mutation point is journalled
 *                      to F for tests/powerloss.py (format in fileio.c).
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fileio_tmp;

/**
 * fileio_tmp_open(final_path, mode, tmp):
 * Create a new temporary file beside ${final_path} with permissions ${mode}.
 * On success store a handle in ${tmp} and return QS_OK.
 */
int fileio_tmp_open(const char *, mode_t, struct fileio_tmp **);

/**
 * fileio_tmp_write(tmp, buf, len):
 * Append ${len} bytes to the temporary file.  Return QS_OK or an error
 * (QS_ENOSPC on a full disk).
 */
int fileio_tmp_write(struct fileio_tmp *, const void *, size_t);

/**
 * fileio_tmp_pwrite(tmp, buf, len, off):
 * Overwrite ${len} bytes at ${off}, within what was already written (to
 * fill in a header once the rest is known).
 */
int fileio_tmp_pwrite(struct fileio_tmp *, const void *, size_t, uint64_t);

/**
 * fileio_tmp_offset(tmp):
 * Return the number of bytes written so far.
 */
uint64_t fileio_tmp_offset(const struct fileio_tmp *);

/**
 * fileio_tmp_fd(tmp):
 * Return the file descriptor (for reading back what was written).
 */
int fileio_tmp_fd(const struct fileio_tmp *);

/**
 * fileio_tmp_commit(tmp, noreplace):
 * fsync the file, rename it to its final name, fsync the directory, and
 * free ${tmp}.  If ${noreplace} is non-zero and the final name exists,
 * fail with QS_EEXIST and remove the temporary file.  On any failure the
 * temporary file is removed and ${tmp} is freed all the same.
 */
int fileio_tmp_commit(struct fileio_tmp *, int);

/**
 * fileio_tmp_abort(tmp):
 * Remove the temporary file and free ${tmp}.  ${tmp} may be NULL.
 */
void fileio_tmp_abort(struct fileio_tmp *);

/**
 * fileio_write_atomic(path, buf, len, mode, noreplace):
 * Write ${buf} as the whole content of ${path} with the temporary-file
 * protocol above.
 */
int fileio_write_atomic(const char *, const void *, size_t, mode_t, int);

/**
 * fileio_open_regular(path, flags, fd):
 * Open ${path} for reading (${flags} 0) or, with O_RDWR, reading and
 * writing, never following a symbolic link in its last component and never
 * blocking on a FIFO or device, and require a regular file; one opened
 * for writing must also have one name (a hard link would let a store file
 * stand for any file of its owner; readers allow two, as a commit by
 * link(2) then unlink(2) has for a moment).  Every file of a store is opened this way: a store may be
 * hostile, and qsarc often runs as root.  Return QS_OK and the descriptor
 * in ${fd}; QS_ENOENT ("PATH: open: No such file or directory") if there
 * is no such file; QS_ECORRUPT naming the path and what it is instead
 * ("a symbolic link", "a FIFO", ...); QS_EIO.
 */
int fileio_open_regular(const char *, int, int *);

/**
 * fileio_read_all(path, buf, len, maxlen):
 * Read the whole of ${path} into a new malloc'd buffer (caller frees).
 * Files longer than ${maxlen} are QS_ECORRUPT.  A missing file is QS_ENOENT.
 */
int fileio_read_all(const char *, uint8_t **, size_t *, size_t);

/**
 * fileio_pread_full(fd, buf, len, off, path):
 * Read exactly ${len} bytes at ${off}.  A short read is QS_ECORRUPT naming
 * ${path} and the offset.
 */
int fileio_pread_full(int, void *, size_t, uint64_t, const char *);

/**
 * fileio_write_full(fd, buf, len, path):
 * Write all of ${buf} to ${fd} (a mutation point).
 */
int fileio_write_full(int, const void *, size_t, const char *);

/**
 * fileio_fsync(fd, path):
 * fsync ${fd} (a mutation point).
 */
int fileio_fsync(int, const char *);

/**
 * fileio_fsync_dir(dir):
 * fsync the directory ${dir}, so a rename or unlink in it is durable.
 */
int fileio_fsync_dir(const char *);

/**
 * fileio_rename(from, to):
 * rename(2) then fsync the directory of ${to} (a mutation point) and, if
 * ${from} is in another directory, that one too (both must be durable, or
 * a power cut can leave the name in its old place or in both).
 */
int fileio_rename(const char *, const char *);

/**
 * fileio_rename_noreplace(from, to):
 * As fileio_rename, but fail with QS_EEXIST if ${to} exists (atomically
 * where the file system supports it).
 */
int fileio_rename_noreplace(const char *, const char *);

/**
 * fileio_unlink(path):
 * unlink(2) then fsync the directory (a mutation point).  A missing file is
 * not an error.
 */
int fileio_unlink(const char *);

/**
 * fileio_mkdir(path, mode):
 * mkdir(2); an existing directory is not an error.
 */
int fileio_mkdir(const char *, mode_t);

/**
 * fileio_is_tmp_name(name):
 * Return non-zero if the directory entry ${name} is a temporary file left
 * by fileio_tmp_open.
 */
int fileio_is_tmp_name(const char *);

/**
 * fileio_flock_wait(fd, exclusive, timeout_ms, path):
 * Take a flock(2) on ${fd} (exclusive if ${exclusive}, else shared),
 * retrying every 50 ms for up to ${timeout_ms} ms.  Return QS_OK, QS_EBUSY
 * with no detail set when the time ran out (the caller says who is busy),
 * or QS_EIO naming ${path} if flock fails otherwise.
 */
int fileio_flock_wait(int, int, int, const char *);

/**
 * fileio_fault_point(what, path):
 * Count one mutation point and apply the test-only fault injection.
 * Return QS_OK, or QS_ENOSPC when an ENOSPC is injected for a write.
 */
int fileio_fault_point(int, const char *);

/**
 * fileio_test_hooks():
 * Return non-zero if this build was compiled with QSARC_TEST_HOOKS, i.e.
 * the fault-injection variables above (and QSARC_TEST_NOW in cmd/) are
 * live.  The release binary returns 0.
 */
int fileio_test_hooks(void);

#define FILEIO_OP_WRITE		1
#define FILEIO_OP_OTHER		2

#endif /* !QS_FILEIO_H */
