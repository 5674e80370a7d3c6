/* strmap.c - a map of strings to numbers (open addressing) */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static size_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static size_t *
slot_of(const struct strmap *m, const char *k)
{
	size_t mask = m->nslot - 1, h = hash(k) & mask;

	while (m->slot[h] && strcmp(m->key[m->slot[h] - 1], k) != 0)
		h = (h + 1) & mask;
	return &m->slot[h];
}

size_t
strmap_find(const struct strmap *m, const char *k)
{
	size_t *s;

	if (!m->nslot)
		return SIZE_MAX;
	s = slot_of(m, k);
	return *s ? *s - 1 : SIZE_MAX;
}

size_t
strmap_add(struct strmap *m, const char *k, size_t v)
{
	size_t *s;

	if ((m->n + 1) * 2 > m->nslot) {
		m->nslot = m->nslot ? m->nslot * 2 : 64;
		free(m->slot);
		m->slot = xcalloc(m->nslot, sizeof(*m->slot));
		for (size_t i = 0; i < m->n; i++)
			*slot_of(m, m->key[i]) = i + 1;
	}
	s = slot_of(m, k);
	if (*s)
		return *s - 1;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->key = xreallocarray(m->key, m->cap, sizeof(*m->key));
		m->val = xreallocarray(m->val, m->cap, sizeof(*m->val));
	}
	m->key[m->n] = xstrdup(k);
	m->val[m->n] = v;
	*s = ++m->n;
	return m->n - 1;
}

void
strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->key[i]);
	free(m->key);
	free(m->val);
	free(m->slot);
	memset(m, 0, sizeof(*m));
}
