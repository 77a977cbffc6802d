#ifndef QS_SCAN_H
#define QS_SCAN_H

/*
 * Walking a store's containers record by record, without the index: for
 * listing keys in use, re-encrypting, cleaning, verifying and rebuilding
 * the index.  Every header read from disk is validated before use.
 */

#include <stdint.h>

#include "format/container_fmt.h"

struct store;

struct scan_record {
	struct record_header h;
	uint64_t offset;	/* of the record header in the container */
	uint32_t length;	/* header + payload */
};

/**
 * container_scan_foreach(s, cb, ctx):
 * Call ${cb}(${ctx}, container_id) for every container file in data/, in
 * no particular order.  Temporary files are skipped.  Stops at the first
 * non-zero return of ${cb} and returns it.
 */
int container_scan_foreach(struct store *,
    int (*)(void *, uint64_t), void *);

/**
 * container_scan(s, container_id, cb, ctx):
 * Read the container's header, then every record header in order, calling
 * ${cb}(${ctx}, rec) for each, then check the trailer (record count, end
 * offset and the hash of all record headers).  Return QS_OK, the first
 * non-zero value of ${cb}, or QS_ECORRUPT / QS_ENOENT naming the file and
 * the offset of the damage.  Payloads are not read.
 */
int container_scan(struct store *, uint64_t,
    int (*)(void *, const struct scan_record *), void *);

#endif /* !QS_SCAN_H */
