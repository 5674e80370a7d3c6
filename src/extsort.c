/* extsort.c - records sorted by key in bounded memory (an external sort) */
#include "extsort.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define MIN_MEM (64 * 1024)
#define FANIN 64               /* runs merged at once */
#define READBUF (32 * 1024)    /* for each run being merged */
#define WRITEBUF (64 * 1024)
#define HDR 8                  /* a record: u32 klen, u32 vlen, key, value */
#define MAX_RECORD (1u << 30)

/* A record in memory. Most comparisons end at pre, without reading the
 * record (a cache miss): keys often share their first 8 bytes, and
 * their first 16 too (first and last names). */
#define PRE 3
struct ent {
	uint64_t pre[PRE]; /* the key's first 24 bytes, big-endian, 0-padded */
	size_t off;        /* of the record in the arena */
};

struct run {
	off_t start, end; /* in the temporary file */
};

/* A sorted run being read: from the file, or the entries in memory. */
struct src {
	size_t order;     /* earlier runs first on equal keys */
	bool mem;
	size_t i;         /* mem: the next entry */
	off_t pos, end;   /* file: what is left to read */
	char *buf;        /* file: bytes read, buf[at..len) not yet used */
	size_t cap, len, at;
	const char *key, *val; /* the current record; key NULL at the end */
	size_t klen, vlen;
	uint64_t pre[PRE];     /* its key's first bytes, as in struct ent */
};

struct extsort {
	size_t mem, count;
	char *arena;
	size_t used, acap;
	struct ent *ents, *tmp;
	size_t n, ecap, tcap;

	int fd;           /* the temporary file, -1 until a run is spilled */
	off_t fsize;
	char *wbuf;
	size_t wlen;
	struct run *runs;
	size_t nruns, rcap;

	struct src *srcs; /* while reading */
	size_t nsrcs;
	struct src **heap;
	size_t nheap;
	struct src *last; /* whose record was returned last */
};

struct extsort *
extsort_new(size_t mem)
{
	struct extsort *x = xcalloc(1, sizeof(*x));

	x->mem = mem < MIN_MEM ? MIN_MEM : mem;
	x->fd = -1;
	return x;
}

size_t
extsort_count(const struct extsort *x)
{
	return x->count;
}

static void
prefix(uint64_t pre[PRE], const unsigned char *k, size_t n)
{
	unsigned char b[8 * PRE] = { 0 };

	memcpy(b, k, n < sizeof(b) ? n : sizeof(b));
	for (size_t j = 0; j < PRE; j++) {
		uint64_t p;

		memcpy(&p, b + 8 * j, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		p = __builtin_bswap64(p);
#endif
		pre[j] = p;
	}
}

static uint32_t
get32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Keys a and b, of which the first skip bytes are known equal. */
static int
key_cmp(const char *a, size_t an, const char *b, size_t bn, size_t skip)
{
	size_t n = an < bn ? an : bn;
	int c = n > skip ? memcmp(a + skip, b + skip, n - skip) : 0;

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

static int
ent_cmp(const void *pa, const void *pb, void *arena)
{
	const struct ent *a = pa, *b = pb;
	const char *ra, *rb;
	size_t an, bn, skip;
	int c;

	for (size_t j = 0; j < PRE; j++)
		if (a->pre[j] != b->pre[j])
			return a->pre[j] < b->pre[j] ? -1 : 1;
	ra = (const char *)arena + a->off;
	rb = (const char *)arena + b->off;
	an = get32(ra);
	bn = get32(rb);
	/* equal prefixes: the first min(8 * PRE, an, bn) bytes are equal */
	skip = an < bn ? an : bn;
	if (skip > 8 * PRE)
		skip = 8 * PRE;
	if ((c = key_cmp(ra + HDR, an, rb + HDR, bn, skip)) != 0)
		return c;
	/* added earlier, placed earlier in the arena */
	return a->off < b->off ? -1 : a->off > b->off;
}

static inline bool
ent_less(const struct ent *a, const struct ent *b, const char *arena)
{
	if (a->pre[0] != b->pre[0])
		return a->pre[0] < b->pre[0];
	return ent_cmp(a, b, (void *)arena) < 0;
}

/* Sort the entries in memory, with x->tmp as large: a merge sort with
 * the comparison inline, twice as fast as qsort and its callbacks. */
static void
sort_ents(struct extsort *x)
{
	enum { RUN = 16 };
	struct ent *src = x->ents, *dst, *t;
	size_t n = x->n;

	if (x->tcap < n) {
		x->tcap = x->ecap;
		free(x->tmp);
		x->tmp = xreallocarray(NULL, x->tcap, sizeof(*x->tmp));
	}
	dst = x->tmp;
	for (size_t i = 0; i < n; i += RUN) {
		size_t end = i + RUN < n ? i + RUN : n;

		for (size_t j = i + 1; j < end; j++) {
			struct ent e = src[j];
			size_t k = j;

			for (; k > i && ent_less(&e, &src[k - 1], x->arena); k--)
				src[k] = src[k - 1];
			src[k] = e;
		}
	}
	for (size_t w = RUN; w < n; w *= 2) {
		for (size_t i = 0; i < n; i += 2 * w) {
			size_t a = i, am = i + w < n ? i + w : n, b = am;
			size_t bm = i + 2 * w < n ? i + 2 * w : n, o = i;

			while (a < am && b < bm)
				dst[o++] = ent_less(&src[b], &src[a], x->arena) ?
				    src[b++] : src[a++];
			while (a < am)
				dst[o++] = src[a++];
			while (b < bm)
				dst[o++] = src[b++];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != x->ents)
		memcpy(x->ents, src, n * sizeof(*src));
}

static int
tmp_fail(char **err, int status, const char *what)
{
	return fail(err, status, "sorting in a temporary file: %s: %s", what,
		strerror(errno));
}

static int
open_tmp(struct extsort *x, char **err)
{
	const char *dir = getenv("TMPDIR");
	char *path;

	if (!dir || !*dir)
		dir = "/tmp";
	path = xasprintf("%s/infolettre-sort.XXXXXX", dir);
	x->fd = mkstemp(path);
	if (x->fd < 0) {
		int rc = tmp_fail(err, EX_CANTCREAT, path);

		free(path);
		return rc;
	}
	unlink(path);
	free(path);
	x->wbuf = xmalloc(WRITEBUF);
	return 0;
}

static int
flush(struct extsort *x, char **err)
{
	size_t done = 0;

	while (done < x->wlen) {
		ssize_t w = write(x->fd, x->wbuf + done, x->wlen - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return tmp_fail(err, EX_IOERR, "writing");
		done += (size_t)w;
	}
	x->fsize += (off_t)x->wlen;
	x->wlen = 0;
	return 0;
}

static int
put(struct extsort *x, const void *p, size_t n, char **err)
{
	int rc;

	while (n > 0) {
		size_t k = WRITEBUF - x->wlen;

		if (k > n)
			k = n;
		memcpy(x->wbuf + x->wlen, p, k);
		x->wlen += k;
		p = (const char *)p + k;
		n -= k;
		if (x->wlen == WRITEBUF && (rc = flush(x, err)) != 0)
			return rc;
	}
	return 0;
}

/* Append a record to the file; ends with the run (end_run). */
static int
put_record(struct extsort *x, const char *key, size_t klen, const char *val,
	size_t vlen, char **err)
{
	uint32_t h[2] = { (uint32_t)klen, (uint32_t)vlen };
	int rc;

	if ((rc = put(x, h, HDR, err)) != 0 ||
	    (rc = put(x, key, klen, err)) != 0)
		return rc;
	return put(x, val, vlen, err);
}

static int
end_run(struct extsort *x, off_t start, char **err)
{
	int rc;

	if ((rc = flush(x, err)) != 0)
		return rc;
	if (x->nruns == x->rcap) {
		x->rcap = x->rcap ? 2 * x->rcap : 16;
		x->runs = xreallocarray(x->runs, x->rcap, sizeof(*x->runs));
	}
	x->runs[x->nruns].start = start;
	x->runs[x->nruns].end = x->fsize;
	x->nruns++;
	return 0;
}

/* Write the records in memory, sorted, as a run of the file. */
static int
spill(struct extsort *x, char **err)
{
	off_t start;
	int rc;

	if (x->fd < 0 && (rc = open_tmp(x, err)) != 0)
		return rc;
	sort_ents(x);
	start = x->fsize;
	for (size_t i = 0; i < x->n; i++) {
		const char *r = x->arena + x->ents[i].off;
		size_t klen = get32(r), vlen = get32(r + 4);

		if ((rc = put(x, r, HDR + klen + vlen, err)) != 0)
			return rc;
	}
	x->n = 0;
	x->used = 0;
	return end_run(x, start, err);
}

int
extsort_add(struct extsort *x, const void *key, size_t klen, const void *val,
	size_t vlen, char **err)
{
	size_t need = HDR + klen + vlen;
	uint32_t h[2] = { (uint32_t)klen, (uint32_t)vlen };
	int rc;

	if (klen >= MAX_RECORD || vlen >= MAX_RECORD || need >= MAX_RECORD)
		die(EX_SOFTWARE, "extsort: a record over 1 GiB");
	if (x->n > 0 && x->used + need + (x->n + 1) * 2 * sizeof(struct ent) >
	    x->mem && (rc = spill(x, err)) != 0)
		return rc;
	/* grown by doubling, but not past mem unless one record needs it */
	if (x->used + need > x->acap) {
		size_t cap = x->acap ? x->acap : 16 * 1024;

		while (cap < x->used + need)
			cap *= 2;
		if (cap > x->mem)
			cap = x->used + need > x->mem ? x->used + need : x->mem;
		x->arena = xrealloc(x->arena, cap);
		x->acap = cap;
	}
	if (x->n == x->ecap) {
		size_t cap = x->ecap ? 2 * x->ecap : 1024;

		if (cap > x->mem / (2 * sizeof(struct ent)) + 1)
			cap = x->mem / (2 * sizeof(struct ent)) + 1;
		x->ecap = cap > x->n ? cap : x->n + 1;
		x->ents = xreallocarray(x->ents, x->ecap, sizeof(*x->ents));
	}
	memcpy(x->arena + x->used, h, HDR);
	memcpy(x->arena + x->used + HDR, key, klen);
	memcpy(x->arena + x->used + HDR + klen, val, vlen);
	prefix(x->ents[x->n].pre, key, klen);
	x->ents[x->n].off = x->used;
	x->n++;
	x->used += need;
	x->count++;
	return 0;
}

/* Make buf[at..len) hold at least need bytes, unless the run ends. */
static int
fill(struct extsort *x, struct src *s, size_t need, char **err)
{
	if (s->len - s->at >= need)
		return 0;
	memmove(s->buf, s->buf + s->at, s->len - s->at);
	s->len -= s->at;
	s->at = 0;
	if (need > s->cap) {
		s->cap = need;
		s->buf = xrealloc(s->buf, s->cap);
	}
	while (s->len < need && s->pos < s->end) {
		size_t want = s->cap - s->len;
		ssize_t r;

		if ((off_t)want > s->end - s->pos)
			want = (size_t)(s->end - s->pos);
		r = pread(x->fd, s->buf + s->len, want, s->pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return tmp_fail(err, EX_IOERR, "reading");
		}
		s->len += (size_t)r;
		s->pos += r;
	}
	return 0;
}

/* Move s to its next record (s->key NULL at the end). */
static int
advance(struct extsort *x, struct src *s, char **err)
{
	const char *r;
	int rc;

	s->key = NULL;
	if (s->mem) {
		if (s->i == x->n)
			return 0;
		memcpy(s->pre, x->ents[s->i].pre, sizeof(s->pre));
		r = x->arena + x->ents[s->i++].off;
	} else {
		if (s->at == s->len && s->pos == s->end)
			return 0;
		if ((rc = fill(x, s, HDR, err)) != 0)
			return rc;
		s->klen = get32(s->buf + s->at);
		s->vlen = get32(s->buf + s->at + 4);
		if ((rc = fill(x, s, HDR + s->klen + s->vlen, err)) != 0)
			return rc;
		if (s->len - s->at < HDR + s->klen + s->vlen) {
			errno = EIO;
			return tmp_fail(err, EX_IOERR, "reading");
		}
		r = s->buf + s->at;
		s->at += HDR + s->klen + s->vlen;
	}
	s->klen = get32(r);
	s->vlen = get32(r + 4);
	s->key = r + HDR;
	s->val = r + HDR + s->klen;
	if (!s->mem)
		prefix(s->pre, (const unsigned char *)s->key, s->klen);
	return 0;
}

static inline bool
src_less(const struct src *a, const struct src *b)
{
	size_t skip;
	int c;

	for (size_t j = 0; j < PRE; j++)
		if (a->pre[j] != b->pre[j])
			return a->pre[j] < b->pre[j];
	/* the first min(8 * PRE, a->klen, b->klen) bytes are equal */
	skip = a->klen < b->klen ? a->klen : b->klen;
	if (skip > 8 * PRE)
		skip = 8 * PRE;
	c = key_cmp(a->key, a->klen, b->key, b->klen, skip);

	return c < 0 || (c == 0 && a->order < b->order);
}

static void
sift_down(struct src **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct src *t;

		if (l < n && src_less(h[l], h[m]))
			m = l;
		if (l + 1 < n && src_less(h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* Start reading runs[first .. first + n) and, with mem, the entries in
 * memory (the latest records); the heap holds those not at their end. */
static int
start(struct extsort *x, size_t first, size_t n, bool mem, char **err)
{
	size_t k = n + (mem ? 1 : 0);
	int rc;

	for (size_t i = 0; i < k; i++) {
		struct src *s = &x->srcs[i];

		s->order = i;
		s->mem = mem && i == n;
		s->i = 0;
		s->at = s->len = 0;
		if (!s->mem) {
			s->pos = x->runs[first + i].start;
			s->end = x->runs[first + i].end;
			if (!s->buf) {
				s->cap = READBUF;
				s->buf = xmalloc(s->cap);
			}
		}
		if ((rc = advance(x, s, err)) != 0)
			return rc;
	}
	x->nheap = 0;
	for (size_t i = 0; i < k; i++)
		if (x->srcs[i].key)
			x->heap[x->nheap++] = &x->srcs[i];
	for (size_t i = x->nheap / 2; i-- > 0;)
		sift_down(x->heap, x->nheap, i);
	x->last = NULL;
	return 0;
}

/* Advance the source of the record returned last and restore the heap. */
static int
step(struct extsort *x, char **err)
{
	int rc;

	if (!x->last)
		return 0;
	if ((rc = advance(x, x->last, err)) != 0)
		return rc;
	if (!x->last->key)
		x->heap[0] = x->heap[--x->nheap];
	sift_down(x->heap, x->nheap, 0);
	x->last = NULL;
	return 0;
}

int
extsort_sort(struct extsort *x, char **err)
{
	int rc;

	sort_ents(x);
	x->nsrcs = x->nruns < FANIN ? x->nruns + 1 : FANIN;
	x->srcs = xcalloc(x->nsrcs, sizeof(*x->srcs));
	x->heap = xcalloc(x->nsrcs, sizeof(*x->heap));
	/* too many runs to read at once: merge the oldest into one, which
	 * stays first */
	while (x->nruns >= FANIN) {
		off_t at = x->fsize;

		if ((rc = start(x, 0, FANIN, false, err)) != 0)
			return rc;
		while (x->nheap > 0) {
			struct src *s = x->heap[0];

			if ((rc = put_record(x, s->key, s->klen, s->val, s->vlen,
			    err)) != 0)
				return rc;
			x->last = s;
			if ((rc = step(x, err)) != 0)
				return rc;
		}
		if ((rc = end_run(x, at, err)) != 0)
			return rc;
		x->runs[0] = x->runs[x->nruns - 1];
		memmove(x->runs + 1, x->runs + FANIN,
			(x->nruns - 1 - FANIN) * sizeof(*x->runs));
		x->nruns -= FANIN;
	}
	free(x->wbuf);
	x->wbuf = NULL;
	return start(x, 0, x->nruns, true, err);
}

int
extsort_next(struct extsort *x, const char **key, size_t *klen,
	const char **val, size_t *vlen, char **err)
{
	int rc;

	*key = NULL;
	if ((rc = step(x, err)) != 0)
		return rc;
	if (x->nheap == 0)
		return 0;
	x->last = x->heap[0];
	*key = x->last->key;
	*klen = x->last->klen;
	*val = x->last->val;
	*vlen = x->last->vlen;
	return 0;
}

void
extsort_free(struct extsort *x)
{
	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd);
	for (size_t i = 0; i < x->nsrcs; i++)
		free(x->srcs[i].buf);
	free(x->srcs);
	free(x->heap);
	free(x->runs);
	free(x->wbuf);
	free(x->ents);
	free(x->tmp);
	free(x->arena);
	free(x);
}
