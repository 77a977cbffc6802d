#ifndef QS_VERIFY_H
#define QS_VERIFY_H

/*
 * Checking a store for damage, and rebuilding what can be rebuilt.
 *
 * verify_store() runs these checks and reports every problem it finds as a
 * finding (a callback; nothing is printed at this layer):
 *
 *   index       every live segment is re-read: sorted entries, Bloom filter
 *               and trailer checksum (chunkindex_verify);
 *   containers  (whole-store runs) every container's header, record
 *               headers and trailer (container_scan);
 *   entries     (whole-store runs) every index entry points at a record in
 *               an existing container whose header is valid, names the
 *               same chunk and has the length the entry says;
 *   streams     every manifest (or the named ones) is read frame by frame
 *               (checks, authentication, summary, stream hash) and each of
 *               its chunks must be in the index and pass the entry check;
 *   stream set  (whole store) the set against streams/, expired/ and its
 *               generation record (store_streamset_check): a deleted,
 *               moved, replaced or planted manifest, a rolled back store;
 *   data        with read_data, chunks are read, authenticated,
 *               decompressed and re-hashed (chunk_reader_read): every chunk in the
 *               index for a whole-store run, each chunk the named streams
 *               use otherwise; read_percent < 100 picks that share of the
 *               chunks at random (a fresh random choice per run, decided by
 *               the chunk id so each chunk is read at most once).
 *
 * verify_keystores() compares the two keystore copies of an encrypted
 * store.  index/jobs/rebuild.h rebuilds the chunk index from the
 * containers.
 *
 * Memory: bounded by the damage found (56 bytes per damaged chunk, plus
 * the details of the first 1024), not by the store's size, except that
 * reading the data of named streams (or of a store whose index is damaged)
 * remembers the 32-byte id of each distinct chunk they use (about 40 bytes
 * per chunk), and the index rebuild holds one 56-byte entry per record of
 * every container (sorted in memory: 56 MiB per million chunks).
 */

#include <stddef.h>
#include <stdint.h>

struct store;

/* Kinds of findings. */
#define VERIFY_KIND_CONFIG	"config"
#define VERIFY_KIND_KEYSTORE	"keystore"
#define VERIFY_KIND_INDEX	"index"
#define VERIFY_KIND_CONTAINER	"container"
#define VERIFY_KIND_CHUNK	"chunk"
#define VERIFY_KIND_MANIFEST	"manifest"
#define VERIFY_KIND_CATALOGUE	"catalogue"
#define VERIFY_KIND_STREAMSET	"streamset"	/* spec/FORMAT.md 14 */

/* At most this many findings are reported per stream (then a summary). */
#define VERIFY_STREAM_FINDINGS_MAX	10
/* At most this many findings about index entries and chunks. */
#define VERIFY_STORE_FINDINGS_MAX	100

struct verify_finding {
	const char *kind;	/* VERIFY_KIND_* */
	const char *stream;	/* the damaged stream, or NULL */
	int expired;		/* the stream is an expired one */
	const char *path;	/* the damaged or missing file; "" unknown */
	int64_t offset;		/* of the damage in ${path}; -1 unknown */
	int code;		/* QS_ECORRUPT, QS_EAUTH, QS_EIO, ... */
	const char *message;	/* one line, naming the file */
};

struct verify_stream {
	const char *name;
	int expired;
	int intact;		/* no damage found in this stream */
	uint64_t references;	/* chunk references read from the manifest */
	uint64_t damaged;	/* problems found (references or manifest) */
};

struct verify_counts {
	uint64_t streams, streams_damaged;
	uint64_t containers, containers_damaged, records;
	uint64_t index_segments, index_entries, index_entries_bad;
	uint64_t references, references_damaged;
	uint64_t chunks_total;		/* chunks that read_data chose from */
	uint64_t chunks_read, chunks_damaged, bytes_read;
	uint64_t keystore_damaged;	/* keystore copies with a problem */
	uint64_t findings;		/* problems found, reported or not */
};

struct verify_opts {
	const char *const *names;	/* streams to check; NULL: all */
	size_t nnames;
	int read_data;			/* read and re-hash chunk data */
	unsigned read_percent;		/* 1..100: share of chunks read */
	uint64_t seed;			/* subset choice; 0: random */
	void (*on_finding)(void *, const struct verify_finding *);
	void (*on_stream)(void *, const struct verify_stream *);
	void *ctx;
	/*
	 * With read_data, called after each chunk read with the bytes and
	 * chunks read so far (progress); may be NULL.
	 */
	void (*on_progress)(void *, uint64_t, uint64_t);
	void *progress_ctx;
};

/**
 * verify_store(s, opts, counts):
 * Run the checks above on the store ${s} (opened with its keys, at least
 * shared-locked), calling ${opts->on_finding} for each problem (up to the
 * limits above; ${counts->findings} counts all of them) and
 * ${opts->on_stream} once per stream checked, in name order, live streams
 * first.  Without names, every live and expired stream is checked.  A
 * named stream that does not exist is QS_ENOENT before anything is
 * checked.  Return QS_OK when the checks ran to the end (whatever they
 * found), or QS_ENOMEM / QS_ENOENT / QS_EINVAL.
 */
int verify_store(struct store *, const struct verify_opts *,
    struct verify_counts *);

/**
 * verify_keystores(s, pass, passlen, on_finding, ctx, counts):
 * For an encrypted store, check that the primary and the backup keystore
 * are present, unlock with ${pass} and have the same generation; report
 * each copy that does not as a finding of kind "keystore", naming the file
 * and how to restore it from the other copy.  A plain store: nothing.
 * Return QS_OK, or QS_EPASS (nothing reported) if no copy opens and every
 * present copy fails only the passphrase check.
 */
int verify_keystores(struct store *, const uint8_t *, size_t,
    void (*)(void *, const struct verify_finding *), void *,
    struct verify_counts *);

/**
 * verify_error_finding(kind, stream, rc, on_finding, ctx):
 * Report this thread's error detail (recorded with code ${rc}) as one
 * finding of ${kind}, taking the file and offset from the detail where it
 * names them ("PATH: ..." and "offset N").
 */
void verify_error_finding(const char *, const char *, int,
    void (*)(void *, const struct verify_finding *), void *);

/**
 * verify_detail_location(msg, path, plen, off):
 * Take the file ("PATH: ..." where PATH has a '/') and the offset ("offset
 * N") out of the error detail ${msg}, where it names them: ${path} gets ""
 * and ${off} -1 otherwise.
 */
void verify_detail_location(const char *, char *, size_t, int64_t *);

#endif /* !QS_VERIFY_H */
