/* markdown.c - Markdown through cmark-gfm */
#include "markdown.h"

#include <cmark-gfm.h>
#include <string.h>

#include "buf.h"
#include "util.h"

static void
put_collapsed(struct buf *b, const char *s, bool *space)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			*space = true;
			continue;
		}
		if (*space && b->len)
			buf_putc(b, ' ');
		*space = false;
		buf_putc(b, *s);
	}
}

char *
md_inline_text(const char *md)
{
	cmark_node *doc = cmark_parse_document(md, strlen(md), CMARK_OPT_DEFAULT);
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	struct buf b = BUF_INIT;
	bool space = false;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			put_collapsed(&b, cmark_node_get_literal(n), &space);
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
			space = true;
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	return buf_detach(&b);
}
