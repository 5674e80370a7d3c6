/* test_extsort.c - the external sort: order, stability, runs on disk */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extsort.h"
#include "unit.h"
#include "util.h"

/* Add n records with keys from a small alphabet (many equal keys, many
 * keys prefixes of others), value the sequence number; read them back and
 * check they come by key, equal keys in the order added. */
static int
roundtrip(size_t mem, size_t n, size_t maxkey, size_t *count)
{
	struct extsort *x = extsort_new(mem);
	unsigned long long r = 88172645463325252ull;
	char key[64], *prev = xmalloc(64), *err = NULL;
	size_t prevlen = 0, got = 0;
	uint32_t prevseq = 0;
	int bad = 0;

	for (uint32_t i = 0; i < n; i++) {
		size_t len;

		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		len = r % (maxkey + 1);
		for (size_t j = 0; j < len; j++)
			key[j] = "ab\0z\xff"[(r >> (8 + 2 * j)) % 5];
		if (extsort_add(x, key, len, &i, sizeof(i), &err) != 0)
			bad = 1;
	}
	if (extsort_sort(x, &err) != 0)
		bad = 1;
	for (;;) {
		const char *k, *v;
		size_t klen, vlen;
		uint32_t seq;
		int c;

		if (extsort_next(x, &k, &klen, &v, &vlen, &err) != 0) {
			bad = 1;
			break;
		}
		if (!k)
			break;
		memcpy(&seq, v, sizeof(seq));
		if (vlen != sizeof(seq) || klen > maxkey)
			bad = 1;
		if (got > 0) {
			c = memcmp(prev, k, prevlen < klen ? prevlen : klen);
			if (c > 0 || (c == 0 && prevlen > klen) ||
			    (c == 0 && prevlen == klen && prevseq >= seq))
				bad = 1;
		}
		memcpy(prev, k, klen);
		prevlen = klen;
		prevseq = seq;
		got++;
	}
	*count = got;
	if (extsort_count(x) != n)
		bad = 1;
	free(err);
	free(prev);
	extsort_free(x);
	return bad;
}

static void
in_memory(void)
{
	size_t got;

	CHECK_INT(roundtrip(1 << 20, 5000, 6, &got), 0);
	CHECK_INT(got, 5000);
}

static void
runs_on_disk(void)
{
	size_t got;

	/* 64 KiB of records at a time: some thirty runs */
	CHECK_INT(roundtrip(64 * 1024, 50000, 12, &got), 0);
	CHECK_INT(got, 50000);
}

static void
more_runs_than_merged_at_once(void)
{
	size_t got;

	/* over 64 runs: merged in two passes */
	CHECK_INT(roundtrip(64 * 1024, 300000, 12, &got), 0);
	CHECK_INT(got, 300000);
}

static void
empty(void)
{
	struct extsort *x = extsort_new(0);
	const char *k = "x", *v;
	size_t kl, vl;
	char *err = NULL;

	CHECK_INT(extsort_sort(x, &err), 0);
	CHECK_INT(extsort_next(x, &k, &kl, &v, &vl, &err), 0);
	CHECK(k == NULL);
	CHECK_INT(extsort_next(x, &k, &kl, &v, &vl, &err), 0);
	CHECK(k == NULL);
	extsort_free(x);
	extsort_free(NULL);
}

static void
big_records(void)
{
	struct extsort *x = extsort_new(64 * 1024);
	size_t n = 300 * 1024, kl, vl;
	char *big = xmalloc(n), *err = NULL;
	const char *k, *v;
	const char *order[] = { "a", "b", "c", "d" };
	int i = 0;

	/* records larger than the memory and than a read buffer */
	for (int j = 3; j >= 0; j--) {
		memset(big, 'a' + j, n);
		CHECK_INT(extsort_add(x, order[j], 1, big, n - (size_t)j,
			&err), 0);
	}
	CHECK_INT(extsort_sort(x, &err), 0);
	while (extsort_next(x, &k, &kl, &v, &vl, &err) == 0 && k) {
		CHECK(i < 4 && kl == 1 && *k == *order[i]);
		CHECK(vl == n - (size_t)i && v[0] == 'a' + i &&
			v[vl - 1] == 'a' + i);
		i++;
	}
	CHECK_INT(i, 4);
	free(big);
	free(err);
	extsort_free(x);
}

static void
no_tmpdir(void)
{
	struct extsort *x = extsort_new(0);
	char *err = NULL, rec[1000] = { 0 };
	int rc = 0;
	char *old = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;

	setenv("TMPDIR", "/nonexistent/folder", 1);
	for (int i = 0; i < 200 && rc == 0; i++)
		rc = extsort_add(x, "k", 1, rec, sizeof(rec), &err);
	CHECK_INT(rc, EX_CANTCREAT);
	CHECK(err && strstr(err, "/nonexistent/folder"));
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
	free(err);
	extsort_free(x);
}

int
main(void)
{
	RUN(in_memory);
	RUN(runs_on_disk);
	RUN(more_runs_than_merged_at_once);
	RUN(empty);
	RUN(big_records);
	RUN(no_tmpdir);
	return 0;
}
