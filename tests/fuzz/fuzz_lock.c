/*
 * libFuzzer harness: the store's lock file as others read it.  The lock
 * file STORE/lock carries advisory text ("pid N, COMMAND, since T") that
 * a command finding the store busy reads back into its message
 * (store_lock_holder); a store may be hostile, so any bytes must give a
 * NUL-terminated line that fits the buffer.  (STORE/rekey-pending is never
 * parsed: its existence alone is refused as damage, see index/jobs/rekey.c.)
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/qs_err.h"
#include "index/store/store.h"
#include "tests/fuzz/fuzz_store.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct store *store;
static char lpath[4200];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{

	(void)argc;
	(void)argv;
	store = fuzz_store_build("lock");
	if (store_path_lock(store_root(store), lpath, sizeof(lpath)) != QS_OK)
		abort();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[300];
	size_t sizes[] = { 1, 2, 17, sizeof(buf) };

	fuzz_write_file(lpath, data, size);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		store_lock_holder(store_root(store), buf, sizes[i]);
		if (memchr(buf, '\0', sizes[i]) == NULL ||
		    strchr(buf, '\n') != NULL)
			abort();
	}
	qs_error_clear();
	return (0);
}
