/* picture.c - pictures made fit for mail by libvips (picture.h)
 *
 * libvips is loaded (dlopen) the first time a picture is looked at, not
 * linked: it brings about seventy libraries of its own (Pango, Cairo, X11,
 * HDF5, OpenEXR, ...) whose loading cost every command, the CGI's answer
 * to each click among them, some 35 ms of CPU for nothing. The functions
 * used are looked up once by name, with the types of <vips/vips.h>. */
#include "picture.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <vips/vips.h>

#include "buf.h"
#include "util.h"

#ifndef VIPS_SONAME
#define VIPS_SONAME "libvips.so.42" /* the Makefile reads it off the library */
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char *init_error; /* why libvips cannot be used; NULL: it can */

/* What is used of libvips and of the GLib it loads. */
#define VIPS_FUNCTIONS(X) \
	X(vips_version) X(vips_init) X(vips_concurrency_set) \
	X(vips_cache_set_max) X(vips_shutdown) X(vips_error_buffer) \
	X(vips_error_clear) X(vips_image_new_from_buffer) \
	X(vips_avg) X(vips_image_get_width) \
	X(vips_image_get_height) X(vips_resize) X(vips_pngsave_buffer) \
	X(vips_jpegsave_buffer) X(vips_webpsave_buffer) \
	X(g_log_set_handler) X(g_object_ref) X(g_object_unref) X(g_free)

#define DECLARE(f) static __typeof__(f) *p_##f;
VIPS_FUNCTIONS(DECLARE)
#undef DECLARE

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
	void *h = dlopen(VIPS_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;
	int abi;

	if (!h) {
		const char *e = dlerror();

		init_error = xasprintf("libvips cannot be loaded: %s",
		    e ? e : VIPS_SONAME);
		return;
	}
#define LOOKUP(f) \
	if (!missing && !(*(void **)&p_##f = dlsym(h, #f))) \
		missing = #f;
	VIPS_FUNCTIONS(LOOKUP)
#undef LOOKUP
	if (missing) {
		init_error = xasprintf("libvips cannot be loaded: %s has no "
		    "%s", VIPS_SONAME, missing);
		return;
	}
	p_g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING |
		G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG,
		quiet, NULL);
	/* VIPS_INIT's check: the ABI this file was compiled for */
	abi = p_vips_version(3) - p_vips_version(5);
	if (abi != VIPS_LIBRARY_CURRENT - VIPS_LIBRARY_AGE) {
		init_error = xasprintf("libvips cannot start: %s has ABI "
		    "version %d, infolettre was built for %d", VIPS_SONAME,
		    abi, VIPS_LIBRARY_CURRENT - VIPS_LIBRARY_AGE);
		return;
	}
	if (p_vips_init("infolettre") != 0) {
		init_error = xstrdup("libvips cannot start");
		return;
	}
	/* one worker: the same bytes whatever the machine */
	p_vips_concurrency_set(1);
	p_vips_cache_set_max(0);
	atexit(p_vips_shutdown);
}

static int
vips_fail(char **err, const char *what)
{
	const char *e = p_vips_error_buffer();
	struct buf lines = BUF_INIT;
	char *clean;

	/* libvips's lines ("vipspng: libpng read error\nvips2png: unable
	 * to write to target\n") joined by "; " */
	for (const char *p = e ? e : ""; *p; ) {
		size_t n = strcspn(p, "\n");

		if (n) {
			if (lines.len)
				buf_puts(&lines, "; ");
			buf_put(&lines, p, n);
		}
		p += n + (p[n] == '\n');
	}
	clean = sanitize(lines.len ? buf_str(&lines) :
	    "libvips gives no reason: a damaged or truncated file?");
	fail(err, EX_DATAERR, "%s: %s", what, clean);
	free(clean);
	buf_free(&lines);
	p_vips_error_clear();
	return EX_DATAERR;
}

/* The picture in data, in *im (the caller unrefs it): 0, EX_DATAERR
 * when libvips cannot decode it, EX_SOFTWARE when libvips cannot be
 * used. */
static int
load(const void *data, size_t len, VipsImage **im, char **err)
{
	pthread_once(&once, start);
	*im = NULL;
	if (init_error)
		return fail(err, EX_SOFTWARE, "%s", init_error);
	*im = p_vips_image_new_from_buffer(data, len, "", "access",
		VIPS_ACCESS_SEQUENTIAL, "fail", TRUE, NULL);
	if (!*im)
		return vips_fail(err, "not a picture libvips can decode");
	return 0;
}

int
picture_dims(const void *data, size_t len, int *w, int *h, char **err)
{
	VipsImage *im;
	int rc;

	*w = *h = 0;
	if ((rc = load(data, len, &im, err)) != 0)
		return rc;
	*w = p_vips_image_get_width(im);
	*h = p_vips_image_get_height(im);
	p_g_object_unref(im);
	return 0;
}

int
picture_check(const void *data, size_t len, char **err)
{
	VipsImage *im;
	double avg;
	int rc;

	if ((rc = load(data, len, &im, err)) != 0)
		return rc;
	/* every pixel read, a few lines at a time (sequential access): a
	 * damaged file fails here, not in a mail client, and a picture of
	 * 30,000 x 30,000 costs no more memory than a small one */
	rc = p_vips_avg(im, &avg, NULL);
	p_g_object_unref(im);
	return rc != 0 ? vips_fail(err, "cannot be decoded") : 0;
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
	if ((rc = load(data, len, &im, err)) != 0)
		return rc;
	if (p_vips_image_get_width(im) > max_width) {
		rc = p_vips_resize(im, &scaled, (double)max_width /
			p_vips_image_get_width(im), "kernel", VIPS_KERNEL_LANCZOS3,
			NULL);
	} else {
		scaled = im;
		p_g_object_ref(scaled);
		rc = 0;
	}
	p_g_object_unref(im);
	if (rc != 0)
		return vips_fail(err, "cannot be scaled");
	if (strcmp(type, "image/png") == 0)
		rc = p_vips_pngsave_buffer(scaled, &buf, &n, "compression", 9,
			"strip", TRUE, NULL);
	else if (strcmp(type, "image/jpeg") == 0)
		rc = p_vips_jpegsave_buffer(scaled, &buf, &n, "Q", 85, "strip",
			TRUE, "optimize_coding", TRUE, "interlace", FALSE, NULL);
	else
		rc = p_vips_webpsave_buffer(scaled, &buf, &n, "Q", 85, "strip",
			TRUE, NULL);
	*w = p_vips_image_get_width(scaled);
	*h = p_vips_image_get_height(scaled);
	p_g_object_unref(scaled);
	if (rc != 0)
		return vips_fail(err, "cannot be decoded or re-encoded");
	*out = xmalloc(n ? n : 1);
	memcpy(*out, buf, n);
	*outlen = n;
	p_g_free(buf);
	return 0;
}
