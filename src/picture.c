/* picture.c - pictures made fit for mail by libvips (picture.h) */
#include "picture.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <vips/vips.h>

#include "util.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_failed;

/* libvips's warnings ("error in tile 0 x 0") would reach the terminal;
 * its errors are reported with the file and line instead. */
static void
quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg,
	gpointer data)
{
	(void)domain;
	(void)level;
	(void)msg;
	(void)data;
}

static void
start(void)
{
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE |
		G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG, quiet, NULL);
	if (VIPS_INIT("infolettre") != 0) {
		init_failed = 1;
		return;
	}
	/* one worker: the same bytes whatever the machine */
	vips_concurrency_set(1);
	vips_cache_set_max(0);
	atexit(vips_shutdown);
}

static int
vips_fail(char **err, const char *what)
{
	const char *e = vips_error_buffer();
	char *clean = sanitize(e && *e ? e : "unknown error");
	size_t n = strlen(clean);

	while (n && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
		clean[--n] = '\0';
	fail(err, EX_DATAERR, "%s: %s", what, clean);
	free(clean);
	vips_error_clear();
	return EX_DATAERR;
}

static VipsImage *
load(const void *data, size_t len, char **err)
{
	VipsImage *im;

	pthread_once(&once, start);
	if (init_failed) {
		fail(err, EX_SOFTWARE, "libvips cannot start");
		return NULL;
	}
	im = vips_image_new_from_buffer(data, len, "", "access",
		VIPS_ACCESS_SEQUENTIAL, "fail", TRUE, NULL);
	if (!im)
		vips_fail(err, "not a picture libvips can decode");
	return im;
}

int
picture_size(const void *data, size_t len, int *w, int *h, char **err)
{
	VipsImage *im = load(data, len, err);
	VipsImage *copy;

	*w = *h = 0;
	if (!im)
		return EX_DATAERR;
	/* decode it all, in memory: a damaged file fails here, not in a
	 * mail client */
	if (!(copy = vips_image_copy_memory(im))) {
		g_object_unref(im);
		return vips_fail(err, "cannot be decoded");
	}
	*w = vips_image_get_width(im);
	*h = vips_image_get_height(im);
	g_object_unref(copy);
	g_object_unref(im);
	return 0;
}

int
picture_fit(const void *data, size_t len, const char *type, int max_width,
	char **out, size_t *outlen, int *w, int *h, char **err)
{
	VipsImage *im, *scaled = NULL;
	void *buf = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	*outlen = 0;
	*w = *h = 0;
	if (strcmp(type, "image/png") != 0 && strcmp(type, "image/jpeg") != 0 &&
	    strcmp(type, "image/webp") != 0)
		return fail(err, EX_DATAERR, "%s is not re-encoded", type);
	if (!(im = load(data, len, err)))
		return EX_DATAERR;
	if (vips_image_get_width(im) > max_width) {
		rc = vips_resize(im, &scaled, (double)max_width /
			vips_image_get_width(im), "kernel", VIPS_KERNEL_LANCZOS3,
			NULL);
	} else {
		scaled = im;
		g_object_ref(scaled);
		rc = 0;
	}
	g_object_unref(im);
	if (rc != 0)
		return vips_fail(err, "cannot be scaled");
	if (strcmp(type, "image/png") == 0)
		rc = vips_pngsave_buffer(scaled, &buf, &n, "compression", 9,
			"strip", TRUE, NULL);
	else if (strcmp(type, "image/jpeg") == 0)
		rc = vips_jpegsave_buffer(scaled, &buf, &n, "Q", 85, "strip",
			TRUE, "optimize_coding", TRUE, "interlace", FALSE, NULL);
	else
		rc = vips_webpsave_buffer(scaled, &buf, &n, "Q", 85, "strip",
			TRUE, NULL);
	*w = vips_image_get_width(scaled);
	*h = vips_image_get_height(scaled);
	g_object_unref(scaled);
	if (rc != 0)
		return vips_fail(err, "cannot be encoded");
	*out = xmalloc(n ? n : 1);
	memcpy(*out, buf, n);
	*outlen = n;
	g_free(buf);
	return 0;
}
