/* fuzz_markdown.c - libFuzzer target for the Markdown pre-processor and
 * renderers: no crash, no leak, no hang, and these hold on any input:
 * md_clean keeps the line count, no link or image URL in the HTML has a
 * dangerous scheme, no raw tag from the input reaches the HTML. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "markdown.h"
#include "util.h"

/* Line endings as cmark counts them: LF, CRLF and a lone CR. */
static size_t
line_ends(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (*s == '\n' || (*s == '\r' && s[1] != '\n'))
			n++;
	return n;
}

static const char *
src_for(void *ctx, const struct md_image *img)
{
	(void)ctx;
	return img->local ? "cid:fuzz@infolettre" : NULL;
}

/* Is there an href="…" or src="…" whose scheme is one we drop? */
static int
bad_attr(const char *html)
{
	static const char *const attrs[] = { "href=\"", "src=\"", NULL };
	static const char *const bad[] = { "javascript:", "vbscript:", "data:",
		"file:", NULL };

	for (int a = 0; attrs[a]; a++)
		for (const char *p = html; (p = strstr(p, attrs[a])); p++) {
			const char *v = p + strlen(attrs[a]);
			for (int b = 0; bad[b]; b++)
				if (strncasecmp(v, bad[b], strlen(bad[b])) == 0)
					return 1;
		}
	return 0;
}

/* Tags the renderer writes; anything else after a '<' came from the input. */
static int
foreign_tag(const char *html)
{
	static const char *const ok[] = { "p ", "p>", "h1", "h2", "h3", "h4",
		"h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code", "table",
		"tr", "th", "td", "hr", "a ", "a>", "img", "em>", "strong>", "del>",
		"br>", NULL };

	for (const char *p = html; (p = strchr(p, '<')); p++) {
		const char *t = p[1] == '/' ? p + 2 : p + 1;
		int known = 0;
		for (int i = 0; ok[i] && !known; i++)
			known = strncmp(t, ok[i], strlen(ok[i])) == 0;
		if (!known)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *md = malloc(size + 1);
	struct md_opts o = { .base_url = "https://example.org/",
		.site_root = "tests/site", .source = "blog/2026-06-parquet/index.qmd",
		.file = "fuzz.md", .first_line = 1, .heading_shift = 1,
		.image_src = src_for };
	struct md_doc d;
	struct diags w = { 0 };
	char *c, *h, *t;

	if (!md)
		return 0;
	memcpy(md, data, size);
	md[size] = '\0';

	c = md_clean(md);
	if (line_ends(c) != line_ends(md))
		abort();
	md_render(md, &o, &d, &w);
	if (!d.html || !d.text || bad_attr(d.html) || foreign_tag(d.html))
		abort();
	h = md_inline_html(md);
	t = md_inline_text(md);
	if (foreign_tag(h) || strchr(t, '\n'))
		abort();

	free(h);
	free(t);
	md_doc_free(&d);
	diags_free(&w);
	free(c);
	free(md);
	return 0;
}
