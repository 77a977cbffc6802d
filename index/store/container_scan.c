#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/checksum.h"
#include "format/fileio.h"
#include "format/qs_err.h"
#include "format/container_fmt.h"
#include "index/store/container_scan.h"
#include "index/store/store.h"

/**
 * container_scan_foreach(s, cb, ctx):
 * Call ${cb}(${ctx}, container_id) for every container file in data/.
 */
int
container_scan_foreach(struct store *s, int (*cb)(void *, uint64_t),
    void *ctx)
{
	char dpath[4096], spath[4096 + 260];	/* dpath, "/", a d_name */
	struct dirent *de, *fe;
	unsigned long long id;
	DIR *d, *sub;
	char *end;
	size_t len;
	int rc = QS_OK;

	(void)store_path_data(store_root(s), dpath, sizeof(dpath));
	if ((d = opendir(dpath)) == NULL)
		return (qs_error_errno(dpath, "open directory"));
	while (rc == QS_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strlen(de->d_name) != 2)
			continue;
		snprintf(spath, sizeof(spath), "%s/%s", dpath, de->d_name);
		if ((sub = opendir(spath)) == NULL)
			continue;
		while (rc == QS_OK && (fe = readdir(sub)) != NULL) {
			len = strlen(fe->d_name);
			if (fe->d_name[0] == '.' || len != 20 ||
			    strcmp(fe->d_name + 16, ".qsc") != 0)
				continue;
			errno = 0;
			id = strtoull(fe->d_name, &end, 16);
			if (errno != 0 || end != fe->d_name + 16)
				continue;
			rc = cb(ctx, (uint64_t)id);
		}
		closedir(sub);
	}
	closedir(d);
	return (rc);
}

/**
 * container_scan(s, container_id, cb, ctx):
 * Walk the record headers of a container and check its trailer.
 */
int
container_scan(struct store *s, uint64_t container_id,
    int (*cb)(void *, const struct scan_record *), void *ctx)
{
	uint8_t hbuf[CONTAINER_HEADER_SIZE > RECORD_HEADER_SIZE ?
	    CONTAINER_HEADER_SIZE : RECORD_HEADER_SIZE];
	uint8_t tbuf[CONTAINER_TRAILER_SIZE], sum[CHECKSUM_BYTES];
	struct container_header ch;
	struct container_trailer t;
	struct checksum_state st;
	struct scan_record rec;
	char path[4096];
	struct stat sb;
	uint64_t off, size, count = 0;
	int fd, rc;

	/* Open the file; it must hold at least a header and a trailer. */
	if ((rc = store_container_path(store_root(s), container_id, path,
	    sizeof(path))) != QS_OK)
		return (rc);
	if ((rc = fileio_open_regular(path, 0, &fd)) != QS_OK)
		return (rc);
	if (fstat(fd, &sb) != 0) {
		rc = qs_error_errno(path, "stat");
		goto done;
	}
	size = (uint64_t)sb.st_size;
	if (size < CONTAINER_HEADER_SIZE + CONTAINER_TRAILER_SIZE) {
		rc = qs_error_set(QS_ECORRUPT, "%s: truncated (%llu bytes)",
		    path, (unsigned long long)size);
		goto done;
	}
	/* The header must name this container of this store. */
	if ((rc = fileio_pread_full(fd, hbuf, CONTAINER_HEADER_SIZE, 0, path))
	    != QS_OK)
		goto done;
	if ((rc = container_fmt_header_decode(hbuf, CONTAINER_HEADER_SIZE, &ch))
	    != QS_OK) {
		qs_error_set(rc, "%s: offset 0: %s", path, rc == QS_EVERSION ?
		    "container written by a newer qsarc" :
		    "damaged container header");
		goto done;
	}
	if (ch.container_id != container_id ||
	    memcmp(ch.store_id, store_config(s)->store_id, 16) != 0) {
		rc = qs_error_set(QS_ECORRUPT, "%s: offset 0: the header "
		    "names another container or store", path);
		goto done;
	}
	/* The trailer says where the records end. */
	if ((rc = fileio_pread_full(fd, tbuf, sizeof(tbuf),
	    size - CONTAINER_TRAILER_SIZE, path)) != QS_OK)
		goto done;
	if (container_fmt_trailer_decode(tbuf, sizeof(tbuf), &t) != QS_OK ||
	    t.records_end != size - CONTAINER_TRAILER_SIZE) {
		rc = qs_error_set(QS_ECORRUPT, "%s: offset %llu: damaged or "
		    "missing trailer (truncated file?)", path,
		    (unsigned long long)(size - CONTAINER_TRAILER_SIZE));
		goto done;
	}
	/* Walk the record headers, hashing them as the trailer did. */
	checksum_init(&st);
	for (off = CONTAINER_HEADER_SIZE; off < t.records_end;) {
		if (t.records_end - off < RECORD_HEADER_SIZE) {
			rc = qs_error_set(QS_ECORRUPT, "%s: offset %llu: "
			    "partial record header", path,
			    (unsigned long long)off);
			goto done;
		}
		if ((rc = fileio_pread_full(fd, hbuf, RECORD_HEADER_SIZE, off,
		    path)) != QS_OK)
			goto done;
		if (container_fmt_record_decode(hbuf, RECORD_HEADER_SIZE, &rec.h) !=
		    QS_OK || rec.h.stored_len > t.records_end - off -
		    RECORD_HEADER_SIZE) {
			rc = qs_error_set(QS_ECORRUPT, "%s: offset %llu: "
			    "damaged record header", path,
			    (unsigned long long)off);
			goto done;
		}
		checksum_update(&st, hbuf, RECORD_HEADER_SIZE);
		rec.offset = off;
		rec.length = RECORD_HEADER_SIZE + rec.h.stored_len;
		count++;
		if ((rc = cb(ctx, &rec)) != QS_OK)
			goto done;
		off += rec.length;
	}
	/* The trailer's count and hash must match what the walk saw. */
	checksum_final(&st, sum);
	if (count != t.record_count || memcmp(sum, t.headers_hash, 32) != 0)
		rc = qs_error_set(QS_ECORRUPT, "%s: the trailer does not match "
		    "the records (count or header hash)", path);
done:
	close(fd);
	return (rc);
}
