#ifndef QS_FUZZ_STORE_H
#define QS_FUZZ_STORE_H

/*
 * Shared by the store-level harnesses: set up a tiny plain store in a
 * temporary directory once (from LLVMFuzzerInitialize), with one stream
 * "F", and keep it open.  Test code only: it may abort on setup failures.
 */

#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/qs_err.h"
#include "index/stream/put.h"
#include "index/store/store.h"

static char fuzz_root[4096];

/* At exit: remove the temporary directory (fuzz_root without "/s"). */
static void
fuzz_cleanup(void)
{
	char cmd[4200];
	char *slash;

	if ((slash = strrchr(fuzz_root, '/')) == NULL)
		return;
	*slash = '\0';
	if (strchr(fuzz_root, '\'') == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_root);
		(void)!system(cmd);
	}
}

static void
fuzz_die(const char *what, int rc)
{

	fprintf(stderr, "fuzz setup: %s: %d %s\n", what, rc,
	    qs_error_message());
	abort();
}

/*
 * Build the store from scratch (when no template store is available): the
 * seeds then do not match it (they are bound to another store id), so
 * fuzzing stays shallow.
 */
static void
fuzz_store_create(void)
{
	struct store_init_opts o;
	struct put_opts po;
	struct put_result pr;
	struct store *s;
	char path[4200];
	uint8_t *buf;
	uint64_t x = 88172645463325252ULL;
	size_t n = 24 * 1024;
	int fd, rc;

	store_init_opts_default(&o);
	o.chunk_min = 1024;
	o.chunk_avg = 4096;
	o.chunk_max = 16384;
	o.container_size = 1U << 20;
	if ((rc = store_init(fuzz_root, &o, 1700000000)) != QS_OK)
		fuzz_die("store_init", rc);
	if ((rc = store_open(fuzz_root, STORE_LOCK_EXCLUSIVE, 0, NULL, 0,
	    &s)) != QS_OK)
		fuzz_die("store_open", rc);
	/* Random bytes, then a copy of the first half (duplicates). */
	if ((buf = malloc(n)) == NULL)
		fuzz_die("malloc", 0);
	for (size_t i = 0; i < n / 2; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	memcpy(buf + n / 2, buf, n - n / 2);
	snprintf(path, sizeof(path), "%s.in", fuzz_root);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    write(fd, buf, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) != 0)
		fuzz_die("input file", 0);
	free(buf);
	memset(&po, 0, sizeof(po));
	po.threads = 1;
	if ((rc = put_stream(s, "F", fd, &po, 1700000001, &pr)) != QS_OK)
		fuzz_die("put_stream", rc);
	close(fd);
	unlink(path);
	store_close(s);
}

/*
 * Make the harness's store in a new temporary directory and open it
 * exclusively (nothing else touches it).  It is a copy of the template
 * store $QSARC_FUZZ_STORE (default tests/fuzz/seedstore, relative to the
 * repository root where make runs), which tests/fuzz/make_seeds.sh makes
 * with build/qsarc together with the seeds, so that seed manifests and
 * containers belong to it; without a template it is built here.  The
 * template holds a plain stream "F".
 */
static struct store *
fuzz_store_build(const char *tag)
{
	const char *t = getenv("TMPDIR");
	const char *tmpl = getenv("QSARC_FUZZ_STORE");
	char cmd[9000], cfg[4200];
	struct store *s;
	int rc;

	if (tmpl == NULL)
		tmpl = "tests/fuzz/seedstore";
	snprintf(fuzz_root, sizeof(fuzz_root), "%s/qsarc-fuzz-%s-XXXXXX",
	    t != NULL ? t : "/tmp", tag);
	if (mkdtemp(fuzz_root) == NULL)
		fuzz_die("mkdtemp", 0);
	strcat(fuzz_root, "/s");
	atexit(fuzz_cleanup);
	snprintf(cfg, sizeof(cfg), "%s/config", tmpl);
	if (access(cfg, R_OK) == 0 && strchr(tmpl, '\'') == NULL) {
		snprintf(cmd, sizeof(cmd), "cp -R '%s' '%s' && "
		    "chmod -R u+w '%s'", tmpl, fuzz_root, fuzz_root);
		if (system(cmd) != 0)
			fuzz_die("copying the template store", 0);
	} else {
		fprintf(stderr, "fuzz: no template store at %s; building "
		    "one (seeds will not match it)\n", tmpl);
		fuzz_store_create();
	}
	if ((rc = store_open(fuzz_root, STORE_LOCK_EXCLUSIVE, 0, NULL, 0,
	    &s)) != QS_OK)
		fuzz_die("store_open", rc);
	return (s);
}

/*
 * Make ${size} bytes of ${data} the content of the file ${path}, in place
 * (the same inode, so descriptors the store caches see the new bytes).
 */
static void
fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd;

	(void)chmod(path, 0644);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		fuzz_die(path, 0);
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		fuzz_die(path, 0);
	close(fd);
}

#endif /* !QS_FUZZ_STORE_H */
