/* test_markdown_pathological.c - inputs built to make a Markdown
 * pre-processor or renderer quadratic, deep or looping (after cmark's
 * pathological_tests.py). Each must finish with an output; the run time is
 * not measured here, but a quadratic pass would make these take minutes. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "markdown.h"
#include "unit.h"
#include "util.h"

static char *
repeat(const char *s, size_t times, const char *tail)
{
	struct buf b = BUF_INIT;
	size_t n = strlen(s);

	buf_grow(&b, n * times + strlen(tail));
	for (size_t i = 0; i < times; i++)
		buf_put(&b, s, n);
	buf_puts(&b, tail);
	return buf_detach(&b);
}

static size_t
lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Render md; the text must hold want (when not NULL). md_clean must keep
 * the line count. Frees md. */
static void
survives(char *md, const char *want)
{
	struct md_opts o = { .base_url = "https://example.org/",
		.source = "blog/x/index.qmd", .file = "x.md", .first_line = 1 };
	struct md_doc d;
	struct diags w = { 0 };
	char *c = md_clean(md), *h = md_inline_html(md), *t = md_inline_text(md);

	CHECK_INT(lines(c), lines(md));
	CHECK(h != NULL && t != NULL);
	free(h);
	free(t);
	CHECK_INT(md_render(md, &o, &d, &w), 0);
	CHECK(d.html != NULL && d.text != NULL);
	if (want && d.text)
		CHECK(strstr(d.text, want) != NULL);
	md_doc_free(&d);
	diags_free(&w);
	free(c);
	free(md);
}

static void
test_nested_brackets(void)
{
	struct buf b = BUF_INIT;

	for (int i = 0; i < 50000; i++)
		buf_putc(&b, '[');
	buf_putc(&b, 'a');
	for (int i = 0; i < 50000; i++)
		buf_putc(&b, ']');
	survives(buf_detach(&b), "[[[a]]]");
	survives(repeat("[", 50000, "a"), "[[[a");
	survives(repeat("a]{.b} ", 50000, ""), "a]");
	survives(repeat("[a]{.b ", 50000, "}"), "[a]");
	survives(repeat("![x](y){width=\"", 50000, ""), NULL);
	{
		char *tail = repeat("){width=1}", 100000, "");
		struct buf b2 = BUF_INIT;
		buf_puts(&b2, "![a](b");
		buf_puts(&b2, tail);
		free(tail);
		survives(buf_detach(&b2), NULL);
	}
	/* quadratic in cmark-gfm 0.29.0.gfm.6 itself unless escaped */
	survives(repeat("![[]()", 50000, ""), "![");
}

static void
test_nested_quotes(void)
{
	survives(repeat(">", 50000, " a\n"), "> > > a");
	survives(repeat("> ", 50000, "a\n"), "> > > a");
}

static void
test_nested_lists(void)
{
	struct buf b = BUF_INIT;

	survives(repeat("- ", 50000, "a\n"), "  - ");
	survives(repeat("1. ", 50000, "a\n"), "  1. ");
	/* cmark's "deeply nested lists" */
	for (int i = 0; i < 1000; i++) {
		for (int j = 0; j < i; j++)
			buf_puts(&b, "  ");
		buf_puts(&b, "* a\n");
	}
	survives(buf_detach(&b), "      - a");
}

static void
test_unclosed_shortcodes(void)
{
	struct md_doc d;
	struct md_opts o = { .base_url = "https://example.org/" };
	char *md = repeat("{{<", (10u << 20) / 3, "");

	md_render(md, &o, &d, NULL);
	CHECK_STR(d.text, "");
	md_doc_free(&d);
	free(md);
	survives(repeat("{{%", (10u << 20) / 3, "\nfin\n"), "fin");
	survives(repeat("{{< x \"\n", 100000, "fin\n"), NULL);
	survives(repeat("a {{< b >}} ", 100000, ""), "a a a");
}

/* quadratic in cmark-gfm 0.29.0.gfm.6's autolink extension unless escaped */
static void
test_autolinks(void)
{
	survives(repeat("<http://a", 50000, ""), "<http://a<");
	survives(repeat("http://a.b/<", 50000, ""), "http://a.b/");
	survives(repeat("a@", 100000, ""), "a@a@");
	survives(repeat("www.a.b ", 100000, ""), "www.a.b");
}

static void
test_fenced_divs(void)
{
	survives(repeat(":::\n", 100000, "fin\n"), "fin");
	survives(repeat("::: {.callout-note}\ntexte\n", 50000, ""), "texte");
}

static void
test_long_lines(void)
{
	survives(repeat("*", 1u << 20, "\n"), "-----");
	survives(repeat("*a ", 1u << 18, "\n"), "*a");
	survives(repeat("_", 1u << 20, ""), NULL);
	survives(repeat("a", 1u << 20, ""), "aaaa");
	survives(repeat("`", 1u << 20, ""), NULL);
	survives(repeat("` `` ``` ", 100000, ""), NULL);
	survives(repeat("*a **a ", 30000, "b"), NULL);
}

static void
test_unclosed_comments_and_chunks(void)
{
	struct buf b = BUF_INIT;

	survives(repeat("<!--", 100000, "\nx"), NULL);
	survives(repeat("```{r}\n", 50000, ""), NULL);
	survives(repeat("```\n", 50000, ""), NULL);
	survives(repeat("| a ", 5000, "|\n|---|\n| b |\n"), NULL);
	survives(repeat("|a", 50000, "|\n"), "|a|a");
	b.len = 0;
	for (int i = 0; i < 5000; i++)
		buf_puts(&b, "|-");
	buf_puts(&b, "|\n");
	survives(repeat("|a", 5000, "|\n"), NULL);
	{
		char *tail = buf_detach(&b), *head = repeat("|a", 5000, "|\n");
		struct buf all = BUF_INIT;
		buf_puts(&all, head);
		buf_puts(&all, tail);
		for (int i = 0; i < 20; i++)
			buf_puts(&all, head);
		survives(buf_detach(&all), "|a|a");
		free(tail);
		free(head);
	}
	survives(repeat("[a](b) ", 100000, ""), "[1] https://example.org/blog/x/b\n");
	for (int i = 0; i < 100000; i++)
		buf_printf(&b, "[a](https://x.org/%d) ![i](https://x.org/i%d.png)\n", i, i);
	survives(buf_detach(&b), "[200000] https://x.org/i99999.png\n");
}

int
main(void)
{
	RUN(test_nested_brackets);
	RUN(test_nested_quotes);
	RUN(test_nested_lists);
	RUN(test_unclosed_shortcodes);
	RUN(test_autolinks);
	RUN(test_fenced_divs);
	RUN(test_long_lines);
	RUN(test_unclosed_comments_and_chunks);
	return 0;
}
