#include <stdlib.h>

#include "format/manifest_fmt.h"
#include "format/qs_err.h"
#include "index/jobs/reseal.h"
#include "index/store/manifest.h"
#include "index/tar/catalogue.h"

/**
 * reseal_catalogue(s, sum):
 * Copy the catalogue ${sum} names under the current key; update ${sum}.
 */
int
reseal_catalogue(struct store *s, struct manifest_summary *sum)
{
	struct catalogue_reader *cr = NULL;
	struct catalogue_writer *cw = NULL;
	struct catalogue_member m;
	int rc;

	if ((rc = catalogue_reader_open(s, sum, &cr)) != QS_OK)
		return (rc);
	if ((rc = catalogue_writer_new(s, &cw)) != QS_OK)
		goto done;
	while ((rc = catalogue_reader_next(cr, &m)) == QS_OK)
		if ((rc = catalogue_writer_add(cw, &m)) != QS_OK)
			goto done;
	if (rc != 1)
		goto done;
	rc = catalogue_writer_commit(cw, catalogue_reader_end(cr),
	    sum->catalogue_id, sum->catalogue_hash);
	cw = NULL;
done:
	catalogue_writer_free(cw);
	catalogue_reader_free(cr);
	return (rc);
}

/**
 * reseal_manifest(s, name, expired):
 * Rewrite the manifest of ${name} under the store's current key.
 */
int
reseal_manifest(struct store *s, const char *name, int expired)
{
	struct manifest_reader *mr = NULL;
	struct manifest_writer *mw = NULL;
	struct manifest_summary *sum = NULL;
	const uint8_t *id;
	uint32_t raw_len;
	uint64_t off;
	int rc;

	if ((rc = manifest_reader_open(s, name, expired, &mr)) != QS_OK)
		return (rc);
	if ((rc = manifest_writer_replace(s, name, expired, &mw)) != QS_OK)
		goto done;
	while ((rc = manifest_reader_next(mr, &id, &raw_len, &off)) == QS_OK)
		if ((rc = manifest_writer_add(mw, id, raw_len)) != QS_OK)
			goto done;
	if (rc != 1)
		goto done;
	if ((sum = malloc(sizeof(*sum))) == NULL) {
		rc = qs_error_set(QS_ENOMEM, "out of memory");
		goto done;
	}
	*sum = *manifest_reader_summary(mr);
	/* Its tar catalogue moves to the current key with it. */
	if ((sum->features & MANIFEST_FEATURE_CATALOGUE) &&
	    (rc = reseal_catalogue(s, sum)) != QS_OK)
		goto done;
	rc = manifest_writer_commit(mw, sum);
	mw = NULL;
done:
	free(sum);
	manifest_writer_free(mw);
	manifest_reader_free(mr);
	return (rc);
}
