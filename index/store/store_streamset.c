/*
 * The stream set (spec/FORMAT.md 14, spec/SECURITY.md 5.2): which streams
 * exist, in which state, with which manifest.  "STORE/streamset" holds the
 * set with a generation number, MACed under a key derived from the
 * chunk-id secret in an encrypted store (BLAKE2b-256 in a plain one); the
 * generation and hash of the latest set are also kept outside the store,
 * next to the backup keystore copy ("BACKUP.streams"), so that putting
 * back an older copy of the whole store is seen.
 *
 * Every change of the set is one pending write, the file operation, and a
 * settling write, all under an flock on streams/ (readers check under a
 * shared one, so a running change is never seen half done).  A crash
 * leaves a pending entry, which accepts either side and is settled by the
 * next change of that name or the next exclusive open.
 */

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/checksum.h"
#include "crypto/chunkid.h"
#include "crypto/keystore.h"
#include "crypto/secmem.h"
#include "format/endian.h"
#include "format/fileio.h"
#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "format/streamset_fmt.h"
#include "index/store/store.h"
#include "index/store/store_internal.h"

/* The set's lock: an flock on the streams/ directory. */
static int
set_lock(const struct store *s, int how, int *fdp)
{
	char path[4096];
	int fd, rc;

	if ((rc = store_path_streams(s->root, 0, path, sizeof(path))) != QS_OK)
		return (rc);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return (qs_error_errno(path, "open directory"));
	while (flock(fd, how) == -1) {
		if (errno != EINTR) {
			rc = qs_error_errno(path, "flock");
			close(fd);
			return (rc);
		}
	}
	*fdp = fd;
	return (QS_OK);
}

static void
set_unlock(int fd)
{

	if (fd != -1)
		close(fd);
}

/* The trailer: keyed in an encrypted store with its keys. */
static int
set_keyed(const struct store *s)
{

	return (s->cfg.encrypted && s->ks != NULL);
}

static void
set_trailer(const struct store *s, int keyed, const uint8_t *buf,
    size_t len, uint8_t out[32])
{
	uint8_t mackey[32];

	if (keyed) {
		chunkid_derive(keystore_idkey(s->ks), "qsarc-stream-set",
		    mackey);
		chunkid_compute(mackey, buf, len, out);
		secmem_wipe(mackey, sizeof(mackey));
	} else {
		checksum_blake2b256(buf, len, out);
	}
}

/*
 * Read the set: QS_OK, QS_ENOENT if there is none, or QS_ECORRUPT /
 * QS_EAUTH / QS_EVERSION naming the file.  ${hash} gets the BLAKE2b-256
 * of the whole file (what the generation record holds).
 */
static int
set_read(const struct store *s, struct streamset *set, uint8_t hash[32])
{
	char path[4096];
	uint8_t *buf = NULL;
	uint8_t t[32];
	size_t len;
	int rc, keyed;

	if ((rc = store_path_streamset(s->root, path, sizeof(path))) != QS_OK)
		return (rc);
	if ((rc = fileio_read_all(path, &buf, &len, 64U << 20)) != QS_OK)
		return (rc);
	if ((rc = streamset_fmt_decode(buf, len, set)) != QS_OK) {
		rc = qs_error_set(rc, "%s: %s", path, qs_error_message());
		goto out;
	}
	keyed = (set->flags & STREAMSET_FLAG_KEYED) != 0;
	if (memcmp(set->store_id, s->cfg.store_id, 16) != 0) {
		rc = qs_error_set(QS_ECORRUPT, "%s: belongs to another store",
		    path);
		goto fail;
	}
	if (!keyed && set_keyed(s) && !s->cfg.has_plain_keys) {
		rc = qs_error_set(QS_EAUTH, "%s: not authenticated (a plain "
		    "store's set in an encrypted store): replaced", path);
		goto fail;
	}
	if (keyed && !set_keyed(s)) {
		rc = qs_error_set(QS_EAUTH, "%s: MACed, but the store is %s",
		    path, s->cfg.encrypted ? "opened without its keys" :
		    "plain (was its config replaced?)");
		goto fail;
	}
	set_trailer(s, keyed, buf, len - 32, t);
	if (chunkid_equal(t, buf + len - 32) != 1) {
		rc = qs_error_set(QS_EAUTH, "%s: %s does not match: the set "
		    "was changed by someone without the store's keys", path,
		    keyed ? "MAC" : "checksum");
		goto fail;
	}
	checksum_blake2b256(buf, len, hash);
	goto out;

fail:
	streamset_fmt_clear(set);
out:
	free(buf);
	return (rc);
}

/* Read the generation record: QS_OK, QS_ENOENT, or an error. */
static int
record_read(const struct store *s, struct streamset_record *r, char *path,
    size_t pathlen)
{
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	if ((rc = store_streamset_record_path(s, path, pathlen)) != QS_OK)
		return (rc);
	if ((rc = fileio_read_all(path, &buf, &len, 4096)) != QS_OK)
		return (rc);
	if ((rc = streamset_fmt_record_decode(buf, len, r)) != QS_OK)
		rc = qs_error_set(rc, "%s: %s", path, qs_error_message());
	else if (memcmp(r->store_id, s->cfg.store_id, 16) != 0)
		rc = qs_error_set(QS_ECORRUPT, "%s: belongs to another store",
		    path);
	free(buf);
	return (rc);
}

/*
 * Write ${set} with the next generation, then the record outside the
 * store.  The record of a plain store is kept if its directory can be
 * made (it is only the default state directory); an encrypted store's
 * must be written, as the backup keystore copy is.
 */
static int
set_write(const struct store *s, struct streamset *set)
{
	struct streamset_record r;
	uint8_t rec[STREAMSET_RECORD_SIZE];
	char path[4096];
	uint8_t *buf = NULL;
	size_t len;
	int rc, keyed = set_keyed(s);

	set->generation++;
	memcpy(set->store_id, s->cfg.store_id, 16);
	set->flags = keyed ? STREAMSET_FLAG_KEYED : 0;
	if ((rc = store_path_streamset(s->root, path, sizeof(path))) != QS_OK ||
	    (rc = streamset_fmt_encode(set, &buf, &len)) != QS_OK)
		return (rc);
	set_trailer(s, keyed, buf, len - 32, buf + len - 32);
	rc = fileio_write_atomic(path, buf, len, STORE_MODE_FILE, 0);
	/*
	 * On a full disk the set (a few bytes a stream) comes out of the
	 * reserve, so that rm and expire work when they are most needed:
	 * before the clean that frees the space (store.h).
	 */
	if (rc == QS_ENOSPC) {
		struct qs_error full;

		qs_error_save(&full);
		if (store_reserve_borrow(s->root, len + 4096) == QS_OK) {
			qs_error_clear();
			rc = fileio_write_atomic(path, buf, len,
			    STORE_MODE_FILE, 0);
		} else
			qs_error_restore(&full);	/* the write's error */
	}
	if (rc != QS_OK)
		goto out;
	memcpy(r.store_id, s->cfg.store_id, 16);
	r.generation = set->generation;
	checksum_blake2b256(buf, len, r.set_hash);
	streamset_fmt_record_encode(&r, rec);
	if ((rc = store_streamset_record_path(s, path, sizeof(path))) != QS_OK)
		goto out;
	if ((rc = store_backup_dir_prepare(path)) == QS_OK)
		rc = fileio_write_atomic(path, rec, sizeof(rec),
		    STORE_MODE_FILE, 0);
	if (rc != QS_OK && !s->cfg.encrypted && rc != QS_ENOSPC) {
		qs_error_clear();
		rc = QS_OK;
	}
out:
	free(buf);
	return (rc);
}

/*
 * What the disk shows for ${name}: its state (STREAMSET_LIVE, _EXPIRED,
 * _ABSENT) and manifest file id (zero for a version 1 manifest).  The
 * same manifest (file id) in both directories is a move cut short by a
 * power loss: live (streams/ wins, FORMAT.md 2), with ${stalep} (if not
 * NULL) set to 1.  Two different manifests are damage (QS_ECORRUPT).
 */
static int
disk_state_ex(const struct store *s, const char *name, uint8_t *state,
    uint8_t fid[16], int *stalep)
{
	struct manifest_header h;
	uint8_t hb[MANIFEST_HEADER_SIZE];
	char path[4096];
	int found = 0, fd, rc;

	*state = STREAMSET_ABSENT;
	memset(fid, 0, 16);
	if (stalep != NULL)
		*stalep = 0;
	for (int expired = 0; expired <= 1; expired++) {
		if ((rc = store_stream_path(s, name, expired, path,
		    sizeof(path))) != QS_OK)
			return (rc);
		if ((rc = fileio_open_regular(path, 0, &fd)) == QS_ENOENT) {
			qs_error_clear();
			continue;
		}
		if (rc != QS_OK)
			return (rc);
		rc = fileio_pread_full(fd, hb, sizeof(hb), 0, path);
		close(fd);
		if (rc == QS_OK && (rc = manifest_fmt_header_decode(hb,
		    sizeof(hb), &h)) != QS_OK)
			rc = qs_error_set(rc, "%s: %s", path,
			    qs_error_message());
		if (rc != QS_OK)
			return (rc);
		if (found++) {
			if (memcmp(fid, h.file_id, 16) != 0)
				return (qs_error_set(QS_ECORRUPT, "%s: stream "
				    "\"%s\" is both live and expired, with two "
				    "different manifests", s->root, name));
			if (stalep != NULL)
				*stalep = 1;
			break;
		}
		*state = expired ? STREAMSET_EXPIRED : STREAMSET_LIVE;
		memcpy(fid, h.file_id, 16);
	}
	return (QS_OK);
}

static int
disk_state(const struct store *s, const char *name, uint8_t *state,
    uint8_t fid[16])
{

	return (disk_state_ex(s, name, state, fid, NULL));
}

/*
 * Remove the stale expired/ copy of a live ${name} (disk_state_ex), under
 * the exclusive streams/ lock, so that the name is in one place again and
 * a later rm can move it.
 */
static int
stale_drop(const struct store *s, const char *name)
{
	char path[4096];
	uint8_t st, fid[16];
	int stale, rc;

	if ((rc = store_stream_path(s, name, 1, path, sizeof(path))) != QS_OK)
		return (rc);
	if (access(path, F_OK) != 0)
		return (QS_OK);
	if ((rc = disk_state_ex(s, name, &st, fid, &stale)) != QS_OK ||
	    !stale)
		return (rc);
	return (fileio_unlink(path));
}

/* store_foreach_stream callback of store_streamset_settle. */
static int
stale_drop_one(void *ctx, const char *name, int expired)
{
	int rc;

	(void)expired;
	if ((rc = stale_drop(ctx, name)) == QS_ECORRUPT) {
		/* Two different manifests: verify's to report. */
		qs_error_clear();
		rc = QS_OK;
	}
	return (rc);
}

static const char *
state_name(uint8_t st)
{

	return (st == STREAMSET_LIVE ? "live" : st == STREAMSET_EXPIRED ?
	    "expired" : "absent");
}

/* Does (state, fid) match one side the entry accepts?  1 new, 2 old. */
static int
entry_match(const struct streamset_entry *e, uint8_t st, const uint8_t *fid)
{

	if (e->state == st && (st == STREAMSET_ABSENT ||
	    memcmp(e->file_id, fid, 16) == 0))
		return (1);
	if ((e->flags & STREAMSET_ENTRY_PENDING) && e->old_state == st &&
	    (st == STREAMSET_ABSENT || memcmp(e->old_file_id, fid, 16) == 0))
		return (2);
	return (0);
}

/* Build a set from the directories (a store without one). */
static int
set_build_one(void *ctx, const char *name, int expired)
{
	struct store_build { const struct store *s; struct streamset *set; }
	    *b = ctx;
	struct streamset_entry e;
	int rc;

	(void)expired;
	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "%s", name);
	if ((rc = disk_state(b->s, name, &e.state, e.file_id)) != QS_OK)
		return (rc);
	if (e.state == STREAMSET_ABSENT)
		return (QS_OK);
	return (streamset_fmt_put(b->set, &e));
}

static int
set_load_or_build(const struct store *s, struct streamset *set)
{
	struct streamset_record r;
	struct { const struct store *s; struct streamset *set; } b = { s, set };
	char rpath[4096];
	uint8_t hash[32];
	int rc;

	rc = set_read(s, set, hash);
	if (rc == QS_OK) {
		if (record_read(s, &r, rpath, sizeof(rpath)) == QS_OK &&
		    (r.generation > set->generation ||
		    (r.generation == set->generation &&
		    memcmp(r.set_hash, hash, 32) != 0))) {
			uint64_t g = set->generation;

			streamset_fmt_clear(set);
			return (qs_error_set(QS_ECORRUPT, "%s/streamset: "
			    "generation %llu is older than (or differs from) "
			    "generation %llu recorded in %s: the store was "
			    "rolled back; refusing to change its streams (run "
			    "'qsarc verify %s'; if this older copy is the one "
			    "to keep, remove %s)", s->root,
			    (unsigned long long)g,
			    (unsigned long long)r.generation, rpath,
			    s->root, rpath));
		}
		qs_error_clear();
		return (QS_OK);
	}
	if (rc != QS_ENOENT)
		return (qs_error_set(rc, "%s (refusing to change the streams; "
		    "run 'qsarc verify %s')", qs_error_message(), s->root));
	qs_error_clear();
	/* No set yet, but a record: the set was deleted. */
	if (record_read(s, &r, rpath, sizeof(rpath)) == QS_OK)
		return (qs_error_set(QS_ECORRUPT, "%s/streamset is missing, "
		    "but %s records generation %llu: it was deleted (refusing "
		    "to change the streams; run 'qsarc verify %s')", s->root,
		    rpath, (unsigned long long)r.generation, s->root));
	qs_error_clear();
	memset(set, 0, sizeof(*set));
	if ((rc = store_foreach_stream(s, STORE_STREAMS_ALL, set_build_one,
	    &b)) != QS_OK)
		streamset_fmt_clear(set);
	return (rc);
}

/* No keys to MAC with: an encrypted store opened with STORE_OPEN_NOKEYS. */
static int
set_unusable(const struct store *s)
{

	return (s->cfg.encrypted && s->ks == NULL);
}

/**
 * store_streamset_change(s, name, new_state, file_id, op, ctx):
 * Change stream ${name} in the set around the file operation ${op}.
 */
int
store_streamset_change(struct store *s, const char *name, int new_state,
    const uint8_t *file_id, int (*op)(void *), void *ctx)
{
	struct streamset set;
	struct streamset_entry e, ne;
	char opmsg[4096] = "";
	uint8_t dst, dfid[16];
	long i;
	int lfd = -1, rc, oprc, m;

	if (set_unusable(s))
		return (op(ctx));
	if ((rc = set_lock(s, LOCK_EX, &lfd)) != QS_OK)
		return (rc);
	if ((rc = set_load_or_build(s, &set)) != QS_OK)
		goto out0;
	if ((rc = stale_drop(s, name)) != QS_OK ||
	    (rc = disk_state(s, name, &dst, dfid)) != QS_OK)
		goto out;
	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "%s", name);
	if ((i = streamset_fmt_find(&set, name)) >= 0)
		e = set.e[i];
	m = entry_match(&e, dst, dfid);
	if (m == 0) {
		rc = qs_error_set(QS_ECORRUPT, "%s/streamset: stream \"%s\" "
		    "is recorded %s but the disk shows it %s%s (refusing to "
		    "change it; run 'qsarc verify %s')", s->root, name,
		    state_name(e.state), state_name(dst), e.state == dst ?
		    " with another manifest" : "", s->root);
		goto out;
	}
	/* The pending change: from what the disk shows to the new side. */
	memset(&ne, 0, sizeof(ne));
	snprintf(ne.name, sizeof(ne.name), "%s", name);
	ne.state = (uint8_t)new_state;
	if (new_state != STREAMSET_ABSENT)
		memcpy(ne.file_id, file_id, 16);
	ne.old_state = dst;
	memcpy(ne.old_file_id, dfid, 16);
	ne.flags = STREAMSET_ENTRY_PENDING;
	if ((rc = streamset_fmt_put(&set, &ne)) != QS_OK ||
	    (rc = set_write(s, &set)) != QS_OK)
		goto out;
	oprc = op(ctx);
	if (oprc != QS_OK)
		snprintf(opmsg, sizeof(opmsg), "%s", qs_error_message());
	/* Settle to what the disk shows now (the op may fail half way). */
	i = streamset_fmt_find(&set, name);
	if ((rc = disk_state(s, name, &dst, dfid)) == QS_OK &&
	    entry_match(&set.e[i], dst, dfid) != 0) {
		if (dst == STREAMSET_ABSENT) {
			streamset_fmt_remove(&set, (size_t)i);
		} else {
			set.e[i].state = dst;
			memcpy(set.e[i].file_id, dfid, 16);
			set.e[i].flags = 0;
			set.e[i].old_state = 0;
			memset(set.e[i].old_file_id, 0, 16);
		}
		rc = set_write(s, &set);
	}
	/*
	 * The operation is done and durable: a settling write that failed
	 * (a full disk) leaves the entry pending, which accepts the new side
	 * and is settled later, as after a crash (FORMAT.md 14.3).
	 */
	if (oprc == QS_OK && rc != QS_OK && rc != QS_ENOMEM) {
		qs_error_clear();
		rc = QS_OK;
	}
	if (oprc != QS_OK) {
		/* The operation's error is the one to report. */
		rc = oprc;
		if (opmsg[0] != '\0')
			qs_error_set(rc, "%s", opmsg);
	}
out:
	streamset_fmt_clear(&set);
out0:
	set_unlock(lfd);
	return (rc);
}

/**
 * store_streamset_settle(s):
 * Create the set if missing and settle pending entries.
 */
int
store_streamset_settle(struct store *s)
{
	struct streamset set;
	char path[4096];
	uint8_t dst, dfid[16];
	int lfd = -1, rc, changed = 0, m;

	if (set_unusable(s) || s->lock_readonly)
		return (QS_OK);
	if ((rc = store_path_streamset(s->root, path, sizeof(path))) != QS_OK)
		return (rc);
	if ((rc = set_lock(s, LOCK_EX, &lfd)) != QS_OK)
		return (rc);
	if (access(path, F_OK) != 0)
		changed = 1;
	if ((rc = store_foreach_stream(s, STORE_STREAMS_LIVE, stale_drop_one,
	    s)) != QS_OK)
		goto out0;
	if ((rc = set_load_or_build(s, &set)) != QS_OK) {
		/* Damage is verify's to report; this open goes on. */
		qs_error_clear();
		rc = QS_OK;
		goto out0;
	}
	/* A plain set in a store encrypted since: MAC it now. */
	if (set_keyed(s) && !(set.flags & STREAMSET_FLAG_KEYED))
		changed = 1;
	for (size_t i = 0; i < set.count; i++) {
		struct streamset_entry *e = &set.e[i];

		if (!(e->flags & STREAMSET_ENTRY_PENDING))
			continue;
		if ((rc = disk_state(s, e->name, &dst, dfid)) != QS_OK)
			goto out;
		if ((m = entry_match(e, dst, dfid)) == 0)
			continue;
		changed = 1;
		if (dst == STREAMSET_ABSENT) {
			streamset_fmt_remove(&set, i--);
			continue;
		}
		e->state = dst;
		memcpy(e->file_id, dfid, 16);
		e->flags = 0;
		e->old_state = 0;
		memset(e->old_file_id, 0, 16);
	}
	if (changed)
		rc = set_write(s, &set);
out:
	streamset_fmt_clear(&set);
out0:
	set_unlock(lfd);
	return (rc);
}

struct check_ctx {
	struct store *s;
	struct streamset *set;
	unsigned char *seen;
	void (*fn)(void *, const char *, const char *, const char *);
	void *ctx;
	int rc;
};

static int
check_one(void *arg, const char *name, int expired)
{
	struct check_ctx *c = arg;
	char path[4096], msg[16384];
	uint8_t dst, dfid[16];
	long i;
	int rc;

	(void)expired;
	if ((rc = store_stream_path(c->s, name, expired, path,
	    sizeof(path))) != QS_OK)
		return (rc);
	if ((rc = disk_state(c->s, name, &dst, dfid)) != QS_OK) {
		c->fn(c->ctx, name, path, qs_error_message());
		qs_error_clear();
		return (QS_OK);
	}
	if (expired && dst == STREAMSET_LIVE)
		return (QS_OK);		/* reported once, as live */
	if ((i = streamset_fmt_find(c->set, name)) < 0) {
		snprintf(msg, sizeof(msg), "%s: stream \"%s\" is not in the "
		    "stream set %s/streamset (generation %llu): a manifest put "
		    "back or planted", path, name, c->s->root,
		    (unsigned long long)c->set->generation);
		c->fn(c->ctx, name, path, msg);
		return (QS_OK);
	}
	c->seen[i] = 1;
	if (entry_match(&c->set->e[i], dst, dfid) != 0)
		return (QS_OK);
	if (c->set->e[i].state == dst)
		snprintf(msg, sizeof(msg), "%s: not the manifest the stream "
		    "set records for \"%s\" (another or older copy)", path,
		    name);
	else
		snprintf(msg, sizeof(msg), "%s: stream \"%s\" is %s here, but "
		    "the stream set records it %s (a manifest moved between "
		    "streams/ and expired/)", path, name, state_name(dst),
		    state_name(c->set->e[i].state));
	c->fn(c->ctx, name, path, msg);
	return (QS_OK);
}

/**
 * store_streamset_check(s, fn, ctx):
 * Compare the set with the directories and the generation record.
 */
int
store_streamset_check(struct store *s,
    void (*fn)(void *, const char *, const char *, const char *), void *ctx)
{
	struct streamset set;
	struct streamset_record r;
	struct check_ctx c;
	char spath[4096], rpath[4096], msg[16384];
	uint8_t hash[32];
	int lfd = -1, rc, rrc;

	if (set_unusable(s))
		return (QS_OK);
	if ((rc = store_path_streamset(s->root, spath, sizeof(spath))) !=
	    QS_OK)
		return (rc);
	if ((rc = set_lock(s, LOCK_SH, &lfd)) != QS_OK)
		return (rc);
	memset(&set, 0, sizeof(set));
	rrc = record_read(s, &r, rpath, sizeof(rpath));
	/*
	 * A record this user may not read (another user's state directory,
	 * a read-only check by someone else) is no record: nothing to
	 * compare with, which is not damage.
	 */
	if (rrc == QS_EIO)
		rrc = QS_ENOENT;
	if (rrc != QS_OK && rrc != QS_ENOENT) {
		fn(ctx, NULL, rpath, qs_error_message());
		rrc = QS_ENOENT;
	}
	qs_error_clear();
	rc = set_read(s, &set, hash);
	if (rc == QS_ENOENT) {
		qs_error_clear();
		rc = QS_OK;
		if (rrc == QS_OK) {
			snprintf(msg, sizeof(msg), "%s: missing, but %s "
			    "records generation %llu: the stream set was "
			    "deleted", spath, rpath,
			    (unsigned long long)r.generation);
			fn(ctx, NULL, spath, msg);
		}
		goto out;
	}
	if (rc != QS_OK) {
		fn(ctx, NULL, spath, qs_error_message());
		qs_error_clear();
		rc = QS_OK;
		goto out;
	}
	if (rrc == QS_OK && r.generation > set.generation) {
		snprintf(msg, sizeof(msg), "%s: generation %llu is older than "
		    "generation %llu recorded in %s: the store (or the set) "
		    "was put back from an older copy", spath,
		    (unsigned long long)set.generation,
		    (unsigned long long)r.generation, rpath);
		fn(ctx, NULL, spath, msg);
	} else if (rrc == QS_OK && r.generation == set.generation &&
	    memcmp(r.set_hash, hash, 32) != 0) {
		snprintf(msg, sizeof(msg), "%s: generation %llu differs from "
		    "the one recorded in %s", spath,
		    (unsigned long long)set.generation, rpath);
		fn(ctx, NULL, spath, msg);
	}
	c.s = s;
	c.set = &set;
	c.fn = fn;
	c.ctx = ctx;
	c.rc = QS_OK;
	if ((c.seen = calloc(set.count + 1, 1)) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = store_foreach_stream(s, STORE_STREAMS_ALL, check_one, &c)) !=
	    QS_OK)
		goto out1;
	for (size_t i = 0; i < set.count; i++) {
		const struct streamset_entry *e = &set.e[i];
		char ppath[4096];

		if (c.seen[i] || entry_match(e, STREAMSET_ABSENT, NULL) != 0)
			continue;
		(void)store_stream_path(s, e->name,
		    e->state == STREAMSET_EXPIRED, ppath, sizeof(ppath));
		snprintf(msg, sizeof(msg), "%s: missing: the stream set "
		    "(generation %llu) records \"%s\" as %s: its manifest was "
		    "deleted", ppath, (unsigned long long)set.generation,
		    e->name, state_name(e->state));
		fn(ctx, e->name, ppath, msg);
	}
out1:
	free(c.seen);
out:
	streamset_fmt_clear(&set);
	set_unlock(lfd);
	return (rc);
}
