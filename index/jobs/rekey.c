#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/keystore.h"
#include "format/qs_err.h"
#include "index/tar/catalogue.h"
#include "index/store/container.h"
#include "index/store/chunk_reader.h"
#include "index/jobs/key_usage.h"
#include "index/jobs/rekey.h"
#include "index/jobs/reseal.h"
#include "index/jobs/rewrite.h"
#include "index/store/container_scan.h"
#include "index/store/store.h"
#include "index/store/manifest.h"


/**
 * rekey_rotate(s, now, rotated):
 * Rotate the content key if the period has elapsed.
 */
int
rekey_rotate(struct store *s, int64_t now, int *rotated)
{
	struct keystore *ks = store_keystore(s);
	int rc;

	*rotated = 0;
	if (ks == NULL)
		return (qs_error_set(QS_EINVAL, "%s: the store is not "
		    "encrypted", store_root(s)));
	rc = keystore_rotate_if_due(ks, now);
	if (rc == 1)
		return (QS_OK);
	if (rc == QS_ELIMIT)
		return (qs_error_set(QS_ELIMIT, "%s: the store has %d content "
		    "keys, the most it may hold; run 'qsarc clean' to retire "
		    "keys that protect no data", store_root(s),
		    KEYSTORE_MAX_KEYS));
	if (rc != QS_OK)
		return (rc);
	if ((rc = store_keystore_save(s, NULL, 0)) != QS_OK)
		return (rc);
	*rotated = 1;
	return (QS_OK);
}

/* The ids of containers that hold a record under another key. */
struct todo_ctx {
	struct store *s;
	uint16_t target;
	uint64_t *ids;
	size_t n, cap;
};

static int
todo_container(void *ctx, uint64_t container_id)
{
	struct todo_ctx *t = ctx;
	uint64_t *nids;
	int needs = 0, rc;

	if ((rc = key_usage_container(t->s, container_id, t->target, NULL,
	    NULL, &needs)) != QS_OK)
		return (rc);
	if (!needs)
		return (QS_OK);
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		if ((nids = realloc(t->ids, t->cap * sizeof(*nids))) == NULL)
			return (qs_error_set(QS_ENOMEM, "out of memory"));
		t->ids = nids;
	}
	t->ids[t->n++] = container_id;
	return (QS_OK);
}

/*
 * A STORE/rekey-pending file is never written by this version: the pending
 * state lives in the sealed keystore (keystore_pending).  The file is
 * either a marker left by 0.1.0 in the middle of a mode change or planted
 * by someone without the passphrase to make `rekey --mode` "resume"
 * instead of making a fresh key; neither can be told apart or trusted.
 */
static int
pending_legacy_check(struct store *s)
{
	char path[4096];
	int rc;

	if ((rc = store_path_rekey_pending(store_root(s), path,
	    sizeof(path))) != QS_OK)
		return (rc);
	if (access(path, F_OK) != 0)
		return (QS_OK);
	return (qs_error_set(QS_ECORRUPT, "%s: unauthenticated rekey marker "
	    "(planted, or left by qsarc 0.1.0 in an unfinished mode change); "
	    "refusing to resume from it: remove it and run 'qsarc rekey %s "
	    "--mode MODE' again, which starts a fresh change with a new key",
	    path, store_root(s)));
}

struct reseal_ctx {
	struct store *s;
	uint16_t target;
	struct rekey_result *res;
};

/* store_foreach_stream callback: reseal ${name} unless already done. */
static int
reseal_one(void *ctx, const char *name, int expired)
{
	struct reseal_ctx *r = ctx;
	uint16_t key_id;
	int rc;

	if ((rc = manifest_key_id(r->s, name, expired, &key_id)) != QS_OK)
		return (rc);
	/*
	 * An unencrypted manifest lists ids under the plain id key; clean
	 * converts such streams whole.
	 */
	if (key_id == r->target || key_id == 0)
		return (QS_OK);
	if ((rc = reseal_manifest(r->s, name, expired)) == QS_OK)
		r->res->manifests_rewritten++;
	return (rc);
}

static int
reseal_manifests(struct store *s, uint16_t target, struct rekey_result *res)
{
	struct reseal_ctx r = { s, target, res };

	return (store_foreach_stream(s, STORE_STREAMS_ALL, reseal_one, &r));
}

/**
 * rekey_change_mode(s, mode, rotation_secs, now, lock_timeout_ms,
 *     progress, ctx, res):
 * Switch key mode with a fresh key and re-encrypt all data under it.
 */
int
rekey_change_mode(struct store *s, int mode, uint64_t rotation_secs,
    int64_t now, int lock_timeout_ms,
    void (*progress)(void *, const struct rekey_progress *), void *pctx,
    struct rekey_result *res)
{
	struct keystore *ks = store_keystore(s);
	struct todo_ctx todo = { s, 0, NULL, 0, 0 };
	struct container_writer *cw = NULL;
	struct chunk_reader *r = NULL;
	struct rewrite_stats st;
	struct rekey_progress pr;
	struct keystore_key_info ki;
	uint16_t target;
	uint64_t dropped;
	size_t i;
	int rc;

	memset(res, 0, sizeof(*res));
	if (ks == NULL)
		return (qs_error_set(QS_EINVAL, "%s: the store is not "
		    "encrypted", store_root(s)));
	/*
	 * Step 1: resume a pending change, or start one: the new key is
	 * saved as current in the same keystore save that marks the change
	 * pending (in the sealed body), so only a passphrase holder can make
	 * a run resume, and a pending mark never names a key the keystore
	 * lacks.
	 */
	if ((rc = pending_legacy_check(s)) != QS_OK)
		return (rc);
	if ((target = keystore_pending(ks)) != 0) {
		res->resumed = 1;
	} else {
		if (rotation_secs == 0)
			rotation_secs = keystore_rotation(ks);
		if ((rc = keystore_set_mode(ks, mode, rotation_secs)) != QS_OK)
			return (qs_error_set(rc, "invalid key mode or "
			    "rotation period"));
		if ((rc = keystore_new_key(ks, now)) != QS_OK)
			return (qs_error_set(rc, "%s: cannot add a key: the "
			    "store holds the most keys it may (%d); run "
			    "'qsarc clean' first", store_root(s),
			    KEYSTORE_MAX_KEYS));
		/* The key and the pending mark reach the disk together. */
		keystore_set_pending(ks, 1);
		if ((rc = store_keystore_save(s, NULL, 0)) != QS_OK)
			return (rc);
		target = keystore_current_id(ks);
	}
	res->new_key_id = target;
	if (keystore_current_id(ks) != target)
		return (qs_error_set(QS_ECORRUPT, "%s: a mode change to key "
		    "%u is pending but key %u is current", store_root(s),
		    target, keystore_current_id(ks)));

	/* Step 2: the containers holding a record under another key. */
	todo.target = target;
	if ((rc = container_scan_foreach(s, todo_container, &todo)) != QS_OK)
		goto done;
	if ((rc = chunk_reader_new(s, &r)) != QS_OK ||
	    (rc = container_writer_new(s, target, keystore_key(ks, target),
	    &cw)) != QS_OK)
		goto done;
	/* Step 3: rewrite them, one at a time. */
	memset(&st, 0, sizeof(st));
	pr.containers_total = todo.n;
	for (i = 0; i < todo.n; i++) {
		/* Let readers and writers in between containers. */
		if (i > 0 && (rc = store_relock(s, STORE_LOCK_EXCLUSIVE,
		    lock_timeout_ms)) != QS_OK)
			goto done;
		if ((rc = rewrite_container(s, todo.ids[i], r, cw, NULL, NULL,
		    NULL, 1, &st)) != QS_OK) {
			if (rc != QS_ENOENT)
				goto done;
			/* Gone meanwhile (clean): nothing to re-encrypt. */
			qs_error_clear();
		}
		res->containers_rewritten++;
		pr.containers_done = i + 1;
		if (progress != NULL)
			progress(pctx, &pr);
	}
	res->records_rewritten = st.records_kept;
	res->bytes_rewritten = st.bytes_kept;
	/* Step 4: the manifests (and their catalogues). */
	if ((rc = reseal_manifests(s, target, res)) != QS_OK)
		goto done;
	/* The catalogues under the old keys are no longer named by anyone. */
	if ((rc = catalogue_remove_unreferenced(s, 0, &dropped)) != QS_OK)
		goto done;
	/* Nothing refers to the other keys any more: shred them. */
	for (i = keystore_key_count(ks); i-- > 0;) {
		if (keystore_key_info(ks, i, &ki) != QS_OK ||
		    ki.id == target)
			continue;
		if ((rc = keystore_retire(ks, ki.id)) != QS_OK)
			goto done;
		res->keys_retired++;
	}
	/*
	 * Step 5: done.  The same save retires the keys and clears the
	 * pending mark; saved even with nothing retired, as a resumed run may
	 * follow a crash between the primary and the backup write of the
	 * last save.
	 */
	keystore_set_pending(ks, 0);
	rc = store_keystore_save(s, NULL, 0);
done:
	free(todo.ids);
	container_writer_free(cw);
	chunk_reader_free(r);
	return (rc);
}
