#ifndef QS_KEY_USAGE_H
#define QS_KEY_USAGE_H

/*
 * Which content keys are in use, and by how much: records in containers,
 * manifests and tar catalogues sealed under each key id (0: unencrypted
 * data).  For 'qsarc keys' and for a mode change, which must find every
 * container holding a record under another key.
 */

#include <stdint.h>

struct store;

/**
 * key_usage_collect(s, bytes, records, count):
 * For each key id 0..1023, the record bytes and records sealed under it
 * in all containers (arrays of 1024 entries; id 0 is unencrypted data),
 * and the number of manifests per key in ${count}.
 */
int key_usage_collect(struct store *, uint64_t *, uint64_t *, uint64_t *);

/**
 * key_usage_container(s, container_id, target, bytes, records, other):
 * Add the record bytes and records of container ${container_id} per key id
 * to ${bytes} and ${records} (both NULL: count nothing), and set ${other}
 * if a record is sealed under a key other than ${target} and 0
 * (unencrypted records keep their ids until clean converts them).
 */
int key_usage_container(struct store *, uint64_t, uint16_t, uint64_t *,
    uint64_t *, int *);

#endif /* !QS_KEY_USAGE_H */
