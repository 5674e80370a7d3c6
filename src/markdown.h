/* markdown.h - site syntax cleaned, cmark-gfm tree, HTML and text renderers */
#ifndef INFOLETTRE_MARKDOWN_H
#define INFOLETTRE_MARKDOWN_H

/* The plain text of a line of inline Markdown ("Journées *open-source* "
 * → "Journées open-source"): markup removed, blanks collapsed to one
 * space, trimmed. The caller frees it. */
char *md_inline_text(const char *md);

#endif
