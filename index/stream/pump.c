#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/qs_err.h"
#include "index/stream/get.h"
#include "index/stream/pump.h"
#include "index/stream/put.h"

struct pump {
	struct store *s;
	char *name;
	int fd;
	int rc;
	struct qs_error error;
	pthread_t thread;
};

static void *
pump_main(void *arg)
{
	struct pump *p = arg;
	struct get_result gr;

	p->rc = get_stream(p->s, p->name, p->fd, NULL, &gr);
	if (p->rc != QS_OK)
		qs_error_save(&p->error);
	close(p->fd);
	return (NULL);
}

/**
 * pump_start(s, name, fd, pump):
 * Start a thread that writes stream ${name} into a pipe.
 */
int
pump_start(struct store *s, const char *name, int *fd,
    struct pump **pp)
{
	struct pump *p;
	int fds[2];

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->name = strdup(name)) == NULL) {
		free(p);
		return (qs_error_set(QS_ENOMEM, "out of memory"));
	}
	if (pipe(fds) != 0) {
		free(p->name);
		free(p);
		return (qs_error_errno("pipe", "create"));
	}
	p->s = s;
	p->fd = fds[1];
	if (pthread_create(&p->thread, NULL, pump_main, p) != 0) {
		close(fds[0]);
		close(fds[1]);
		free(p->name);
		free(p);
		return (qs_error_set(QS_ENOMEM, "cannot start a thread"));
	}
	*fd = fds[0];
	*pp = p;
	return (QS_OK);
}

/**
 * pump_join(pump):
 * Wait for the thread and return get_stream's result.
 */
int
pump_join(struct pump *p)
{
	int rc;

	pthread_join(p->thread, NULL);
	rc = p->rc;
	if (rc != QS_OK)
		qs_error_restore(&p->error);
	free(p->name);
	free(p);
	return (rc);
}

/* The new copy is committed only if reading the old one succeeded. */
static int
pump_join_hook(void *arg)
{
	struct pump **pp = arg;
	struct pump *p = *pp;

	*pp = NULL;
	return (pump_join(p));
}

/**
 * pump_copy(dst, src, name, opts, created, result):
 * Put stream ${name} of ${src} into ${dst}, read with every check.
 */
int
pump_copy(struct store *dst, struct store *src, const char *name,
    struct put_opts *po, int64_t created, struct put_result *res)
{
	struct pump *pump;
	struct qs_error saved;
	int fd, rc;

	if ((rc = pump_start(src, name, &fd, &pump)) != QS_OK)
		return (rc);
	po->before_commit = pump_join_hook;
	po->before_commit_ctx = &pump;
	rc = put_stream(dst, name, fd, po, created, res);
	/* Unblock and collect the reader if the put stopped early. */
	close(fd);
	if (pump != NULL) {
		/* The put's error is the one to report, not the reader's. */
		qs_error_save(&saved);
		(void)pump_join(pump);
		qs_error_restore(&saved);
	}
	po->before_commit = NULL;
	po->before_commit_ctx = NULL;
	return (rc);
}
