/* test_markdown.c - site syntax cleaning, the HTML and text renderers, lint */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "markdown.h"
#include "unit.h"
#include "util.h"

#define BASE "https://ssphub.netlify.app/"

static char site[] = "/tmp/infolettre-md-XXXXXX";

/* md_clean(in) must be exactly want. */
static void
clean_is(const char *in, const char *want)
{
	char *got = md_clean(in);
	CHECK_STR(got, want);
	free(got);
}

static void
render(const char *md, const char *source, struct md_doc *d, struct diags *w)
{
	struct md_opts o = { .base_url = BASE, .site_root = site,
		.source = source, .file = "page.qmd", .first_line = 1 };
	md_render(md, &o, d, w);
}

/* The text rendering of md (a page at blog/x/index.qmd). */
static char *
text_of(const char *md)
{
	struct md_doc d;
	char *t;

	render(md, "blog/x/index.qmd", &d, NULL);
	t = d.text;
	d.text = NULL;
	md_doc_free(&d);
	return t;
}

static char *
html_of(const char *md)
{
	struct md_doc d;
	char *h;

	render(md, "blog/x/index.qmd", &d, NULL);
	h = d.html;
	d.html = NULL;
	md_doc_free(&d);
	return h;
}

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

static void
test_clean_shortcodes(void)
{
	clean_is("Le {{< abbr title=\"Service statistique public\" text=\"SSP\" >}} publie.\n",
		"Le SSP publie.\n");
	clean_is("{{< figure src=\"chart.png\" caption=\"Évolution [2026]\" >}}\n",
		"![Évolution \\[2026\\]](chart.png)\n");
	clean_is("{{< figure src=\"a b.png\" alt=\"A\" caption=\"C\" >}}",
		"![A](a%20b.png)");
	clean_is("{{< youtube dQw4w9WgXcQ >}}\n",
		"<https://www.youtube.com/watch?v=dQw4w9WgXcQ>\n");
	clean_is("{{< youtube id=\"dQw4w9WgXcQ\" >}}",
		"<https://www.youtube.com/watch?v=dQw4w9WgXcQ>");
	clean_is("{{< video https://www.youtube.com/embed/wo9vZccmqwc >}}",
		"<https://www.youtube.com/watch?v=wo9vZccmqwc>");
	/* paired ones keep what they enclose; the rest say nothing */
	clean_is("{{< callout note >}}\nDedans *gardé*.\n{{< /callout >}}\napres\n",
		"\nDedans *gardé*.\n\napres\n");
	clean_is("{{% notice info %}}texte{{% /notice %}}", "texte");
	clean_is("{{< include _partial.qmd >}}\nx\n", "\nx\n");
	clean_is("a {{< pagebreak >}} b {{< meta title >}}.", "a  b .");
	/* over several lines, the lines stay */
	clean_is("{{< figure\n  src=\"a.png\"\n  alt=\"A\" >}}\nsuite\n",
		"![A](a.png)\n\n\nsuite\n");
	clean_is("{{< abbr text=\"S\nS\" >}}\n", "S S\n\n");
	/* a quoted ">}}" does not end it */
	clean_is("{{< abbr title=\"a >}} b\" text=\"T\" >}}!", "T!");
	/* Hugo's way to show a shortcode */
	clean_is("{{</* figure src=\"x\" */>}}", "{{< figure src=\"x\" >}}");
	clean_is("{{</*\n figure\n*/>}}\n", "{{<\n figure\n>}}\n");
	/* unterminated: the rest of its line goes, nothing else */
	clean_is("a {{< figure src=\"x\"\nb\n", "a \nb\n");
	clean_is("x {{% y\n\nz", "x \n\nz");
}

static void
test_clean_attributes(void)
{
	clean_is("![Graphique](chart.png){width=600}\n", "![Graphique](chart.png)\n");
	clean_is("![a](b.png){width=\"50%\" fig-alt=\"x y\"} fin", "![a](b.png) fin");
	clean_is("Des [petites capitales]{.smallcaps} ici.",
		"Des petites capitales ici.");
	clean_is("[a [b]{#x} c]{.d}", "a b c");
	clean_is("# Titre {#intro .unnumbered}\n", "# Titre\n");
	clean_is("## Titre {-}", "## Titre");
	clean_is("[lien](https://x.org){target=\"_blank\"}", "[lien](https://x.org)");
	clean_is("Code `x`{.r} ici", "Code `x` ici");
	/* braces that are not attributes stay */
	clean_is("f(x){return 1} et {x} et [a]{b c}", "f(x){return 1} et {x} et [a]{b c}");
	clean_is("# Ensembles {a, b}", "# Ensembles {a, b}");
	clean_is("[a]{.b", "[a]{.b");
	/* past 256 open '[' or 64 '|' they are escaped (literal text then),
	 * as cmark-gfm 0.29 is quadratic on them */
	{
		struct buf in = BUF_INIT, want = BUF_INIT;
		char *got;
		for (int i = 0; i < 300; i++) {
			buf_puts(&in, "![[]()");
			/* the 256th open one is the 255th "![" */
			buf_puts(&want, i < 255 ? "![[]()" : i == 255 ?
				"![\\[]()" : "!\\[\\[]()");
		}
		clean_is(buf_str(&in), buf_str(&want));
		buf_reset(&in);
		buf_reset(&want);
		for (int i = 0; i < 70; i++) {
			buf_puts(&in, "|a");
			buf_puts(&want, i < 64 ? "|a" : "\\|a");
		}
		clean_is(buf_str(&in), buf_str(&want));
		buf_reset(&in);
		buf_reset(&want);
		for (int i = 0; i < 20; i++) {
			buf_puts(&in, "<http://a");
			buf_puts(&want, i < 16 ? "<http://a" : "<http\\://a");
		}
		buf_puts(&in, " http://b");
		buf_puts(&want, " http://b");
		clean_is(buf_str(&in), buf_str(&want));
		/* a paragraph break starts the count again */
		buf_reset(&in);
		for (int i = 0; i < 300; i++)
			buf_puts(&in, "[a\n\n");
		got = md_clean(buf_str(&in));
		CHECK(!strchr(got, '\\'));
		free(got);
		buf_free(&in);
		buf_free(&want);
	}
	/* inside a code span nothing is touched */
	clean_is("`[a]{.b} <!-- c -->` et ``{{x}}``", "`[a]{.b} <!-- c -->` et ``{{x}}``");
}

static void
test_clean_blocks(void)
{
	/* a Quarto callout: a block quote opened by a marker heading (one
	 * line for one: the line numbers stay) that markdown.c draws */
	clean_is("::: {.callout-note}\n## Note\nTexte\n:::\n",
		"> ###### [!callout-note]\n> ## Note\n> Texte\n\n");
	clean_is("::: {.callout-warning title=\"Attention\"}\nTexte\n:::\n",
		"> ###### [!callout-warning] Attention\n> Texte\n\n");
	clean_is("::: {.columns}\nTexte\n:::\n", "\nTexte\n\n");
	clean_is(":::: {.columns}\n::: {.column width=\"50%\"}\nA\n:::\n::::",
		"\n\nA\n\n");
	clean_is("> ::: callout\n> dedans\n> :::\n", "> \n> dedans\n> \n");
	clean_is("a <!-- x --> b\n<!-- sur\ndeux -->\nc\n", "a  b\n\n\nc\n");
	clean_is("x <!-- jamais fermé\ny\nz", "x \n\n");
	clean_is("```{r}\n#| echo: false\nplot(1)\n```\naprès\n", "\n\n\n\naprès\n");
	clean_is("```{python}\nprint(1)\n```\n", "\n\n\n");
	clean_is("```{ojs}\nviewof x = Inputs.range([0, 10])\n```\nfin", "\n\n\nfin");
	clean_is("```{=html}\n<b>x</b>\n```\n", "\n\n\n");
	clean_is("~~~~{r}\n```\nx\n~~~~\ny", "\n\n\n\ny");
	clean_is("```{r}\njamais fermé\n", "\n\n");
	/* code shown, not run: kept as code, untouched inside */
	clean_is("```python\nprint(\"{{< x >}}\")\n<!-- c -->\n:::\n```\n",
		"```python\nprint(\"{{< x >}}\")\n<!-- c -->\n:::\n```\n");
	clean_is("```{.python}\nx = 1\n```", "```python\nx = 1\n```");
	clean_is("  ```{.r .numberLines}\n  x\n  ```", "  ```r\n  x\n  ```");
	/* line endings and control characters */
	clean_is("a\r\nb\rc\x01\x1b\n", "a\nb\nc\n");
	clean_is("", "");
}

static void
test_render_table_strike_autolink(void)
{
	const char *md =
		"| Format | Taille (Mo) | Lecture |\n"
		"|--------|------------:|:-------:|\n"
		"| CSV    | 1 200       | lente   |\n"
		"| Parquet| 180         | ~~lente~~ rapide |\n"
		"\n"
		"~~barré~~ et https://example.org/a et www.example.com et "
		"contact@example.fr\n";
	struct md_doc d;

	render(md, "blog/x/index.qmd", &d, NULL);
	CHECK_STR(d.text,
		"Format   Taille (Mo)     Lecture\n"
		"-------  -----------  --------------\n"
		"CSV            1 200      lente\n"
		"Parquet          180  ~lente~ rapide\n"
		"\n"
		"~barré~ et https://example.org/a et www.example.com et\n"
		"contact@example.fr\n");
	CHECK(strstr(d.html, "<table cellpadding=\"0\" cellspacing=\"0\" style=\""
		"border-collapse:collapse;"));
	CHECK(strstr(d.html, "<th style=\"border:1px solid #d0d7de;padding:6px 10px;"
		"vertical-align:top;text-align:left;background-color:#f6f8fa;"
		"font-weight:bold;\">Format</th>"));
	CHECK(strstr(d.html, "text-align:right;\">1 200</td>"));
	CHECK(strstr(d.html, "text-align:center;\"><del>lente</del> rapide</td>"));
	CHECK_INT(count(d.html, "<tr>"), 3);
	CHECK(strstr(d.html, "<del>barré</del>"));
	CHECK(strstr(d.html, "<a href=\"https://example.org/a\" style=\"color:"
		"#1a5fb4;text-decoration:underline;\">https://example.org/a</a>"));
	CHECK(strstr(d.html, "<a href=\"http://www.example.com\""));
	CHECK(strstr(d.html, "<a href=\"mailto:contact@example.fr\""));
	md_doc_free(&d);
}

static void
test_render_wide_table(void)
{
	char *t = text_of(
		"| Nom | Description |\n|---|---|\n"
		"| Parquet | Un format de fichier en colonnes, compressé, typé, "
		"lisible par Arrow, DuckDB et Spark |\n"
		"| CSV | Du texte |\n");

	CHECK_STR(t,
		"Nom: Parquet\n"
		"Description: Un format de fichier en colonnes, compressé, typé, lisible\n"
		"par Arrow, DuckDB et Spark\n"
		"\n"
		"Nom: CSV\n"
		"Description: Du texte\n");
	free(t);
}

static void
test_render_links_resolved(void)
{
	struct md_doc d;
	struct diags w = { 0 };

	render("Voir les [Journées](../../event/2026-06-jdos/index.qmd), "
		"[ce billet](../y/) et [la page](#plan).\n",
		"blog/x/index.qmd", &d, &w);
	CHECK(strstr(d.html, "<a href=\"" BASE "event/2026-06-jdos/\""));
	CHECK(strstr(d.html, "<a href=\"" BASE "blog/y/\""));
	CHECK(strstr(d.html, "<a href=\"" BASE "blog/x/#plan\""));
	CHECK_STR(d.text,
		"Voir les Journées [1], ce billet [2] et la page [3].\n"
		"\n"
		"[1] " BASE "event/2026-06-jdos/\n"
		"[2] " BASE "blog/y/\n"
		"[3] " BASE "blog/x/#plan\n");
	CHECK_INT(w.n, 0);
	md_doc_free(&d);
	diags_free(&w);

	/* the same URL twice is one reference */
	char *t = text_of("[a](https://x.org/) et [b](https://x.org/) et "
		"[c](https://y.org/)");
	CHECK_STR(t, "a [1] et b [1] et c [2]\n\n[1] https://x.org/\n"
		"[2] https://y.org/\n");
	free(t);
}

static const char *
cid_for(void *ctx, const struct md_image *img)
{
	(void)ctx;
	return img->local ? "cid:img1@infolettre" : NULL;
}

static void
test_render_images(void)
{
	struct md_opts o = { .base_url = BASE, .site_root = site,
		.source = "blog/x/index.qmd", .file = "page.qmd", .first_line = 1,
		.image_src = cid_for };
	struct md_doc d;

	md_render("![Un graphique](chart.png) ![Loin](https://cdn.example.org/a.jpg)"
		"{width=300}\n\n![Encore](chart.png)\n", &o, &d, NULL);
	CHECK_INT(d.nimages, 2);
	if (d.nimages == 2) {
		CHECK_STR(d.images[0].src, "chart.png");
		CHECK_STR(d.images[0].url, BASE "blog/x/chart.png");
		CHECK_STR(d.images[0].alt, "Un graphique");
		CHECK(d.images[0].local && str_ends(d.images[0].local,
			"/blog/x/chart.png"));
		CHECK_INT(d.images[0].width, 120); /* from the PNG header */
		CHECK(d.images[1].local == NULL);
		CHECK_INT(d.images[1].width, 300); /* from {width=300} */
	}
	CHECK(strstr(d.html, "<img src=\"cid:img1@infolettre\" alt=\"Un graphique\" "
		"width=\"120\" style=\"max-width:100%;height:auto;border:0;\">"));
	CHECK(strstr(d.html, "<img src=\"https://cdn.example.org/a.jpg\" alt=\"Loin\" "
		"width=\"300\""));
	CHECK_INT(count(d.html, "cid:img1@infolettre"), 2);
	CHECK_STR(d.text,
		"[image: Un graphique] [1] [image: Loin] [2]\n"
		"\n"
		"[image: Encore] [1]\n"
		"\n"
		"[1] " BASE "blog/x/chart.png\n"
		"[2] https://cdn.example.org/a.jpg\n");
	md_doc_free(&d);

	/* wider than the layout: 560 */
	char *h = html_of("![a](https://x.org/a.png){width=1200} "
		"{{< figure src=\"https://x.org/b.png\" alt=\"b\" >}}");
	CHECK_INT(count(h, "width=\"560\""), 2);
	free(h);
}

static void
test_render_unsafe_dropped(void)
{
	const char *md =
		"<script>alert(1)</script>\n\n"
		"<div onclick=\"x()\">bloc</div>\n\n"
		"Texte <b>gras</b> <img src=x onerror=alert(1)> "
		"[clic](javascript:alert(1)) [deux](JaVaScRiPt:alert(2)) "
		"[trois](vbscript:msgbox) [quatre](file:///etc/passwd) "
		"[cinq](<java\tscript:alert(5)>) "
		"![img](data:image/png;base64,AAAA) fin<br>suite\n";
	struct md_doc d;

	render(md, "blog/x/index.qmd", &d, NULL);
	CHECK_STR(d.html, "<p style=\"margin:0 0 16px 0;line-height:1.5;\">"
		"Texte gras  clic deux trois quatre cinq img fin<br>suite</p>\n");
	CHECK_STR(d.text, "Texte gras clic deux trois quatre cinq [image: img] fin\n"
		"suite\n");
	CHECK_INT(d.nimages, 0);
	md_doc_free(&d);
}

static void
test_render_wrap(void)
{
	char *t = text_of(
		"Le format Parquet est devenu un standard de fait pour les données "
		"de la statistique publique, voir "
		"https://example.org/un/tres/long/chemin/qui/ne/doit/jamais/etre/coupe/en/deux/morceaux "
		"pour les détails.\n");

	CHECK_STR(t,
		"Le format Parquet est devenu un standard de fait pour les données de la\n"
		"statistique publique, voir\n"
		"https://example.org/un/tres/long/chemin/qui/ne/doit/jamais/etre/coupe/en/deux/morceaux\n"
		"pour les détails.\n");
	free(t);

	/* a narrower text on request */
	struct md_opts o = { .base_url = BASE, .wrap = 20 };
	struct md_doc d;
	md_render("Un deux trois quatre cinq six sept huit neuf dix.", &o, &d, NULL);
	CHECK_STR(d.text, "Un deux trois quatre\ncinq six sept huit\nneuf dix.\n");
	md_doc_free(&d);

	/* 71 characters of accented words are 131 bytes: still one line */
	struct buf in = BUF_INIT, want = BUF_INIT;
	for (int i = 0; i < 12; i++)
		buf_puts(&in, i ? " àéèçù" : "àéèçù");
	buf_printf(&want, "%s\n", buf_str(&in));
	t = text_of(buf_str(&in));
	CHECK_STR(t, buf_str(&want));
	free(t);
	buf_puts(&in, " à");
	buf_reset(&want);
	buf_put(&want, in.data, in.len - 3);
	buf_puts(&want, "\nà\n");
	t = text_of(buf_str(&in));
	CHECK_STR(t, buf_str(&want));
	free(t);
	buf_free(&in);
	buf_free(&want);
}

static void
test_render_text_blocks(void)
{
	char *t = text_of(
		"# Été à Paris\n\n"
		"## Les *rendez-vous*\n\n"
		"### Détails\n\n"
		"- un élément assez long pour passer à la ligne dans une liste à puces "
		"quand on le rend\n"
		"- deux\n"
		"  - trois\n\n"
		"1. premier\n"
		"2. second\n\n"
		"> Une citation\n> sur deux lignes.\n>\n> Et un second paragraphe.\n\n"
		"```\ncode  aligné\n  indenté\n```\n\n"
		"Ligne forcée  \nsuivante, **gras** et `code`.\n\n"
		"---\n");

	CHECK_STR(t,
		"Été à Paris\n"
		"===========\n"
		"\n"
		"Les *rendez-vous*\n"
		"-----------------\n"
		"\n"
		"Détails\n"
		"~~~~~~~\n"
		"\n"
		"  - un élément assez long pour passer à la ligne dans une liste à puces\n"
		"    quand on le rend\n"
		"  - deux\n"
		"      - trois\n"
		"\n"
		"  1. premier\n"
		"  2. second\n"
		"\n"
		"> Une citation sur deux lignes.\n"
		">\n"
		"> Et un second paragraphe.\n"
		"\n"
		"    code  aligné\n"
		"      indenté\n"
		"\n"
		"Ligne forcée\n"
		"suivante, *gras* et code.\n"
		"\n"
		"------------------------------------------------------------------------\n");
	free(t);

	/* loose lists keep blank lines; ordered lists keep their start */
	t = text_of("3. a\n\n4. b\n");
	CHECK_STR(t, "  3. a\n\n  4. b\n");
	free(t);
	t = text_of("");
	CHECK_STR(t, "");
	free(t);
}

static void
test_render_html_blocks(void)
{
	struct md_opts o = { .base_url = BASE, .heading_shift = 1 };
	struct md_doc d;

	md_render("# Titre\n\n##### Petit\n\nUn *mot* & <b>x</b>.\n\n- a\n- b\n\n"
		"3. c\n\n   d\n\n> q\n\n```c\nint a<b;\n```\n\n***\n", &o, &d, NULL);
	CHECK_STR(d.html,
		"<h2 style=\"margin:24px 0 12px 0;line-height:1.3;font-weight:bold;"
		"font-size:22px;\">Titre</h2>\n"
		"<h6 style=\"margin:24px 0 12px 0;line-height:1.3;font-weight:bold;"
		"font-size:14px;\">Petit</h6>\n"
		"<p style=\"margin:0 0 16px 0;line-height:1.5;\">Un <em>mot</em> &amp; x.</p>\n"
		"<ul style=\"margin:0 0 16px 0;padding:0 0 0 24px;\">\n"
		"<li style=\"margin:0 0 4px 0;line-height:1.5;\">a\n</li>\n"
		"<li style=\"margin:0 0 4px 0;line-height:1.5;\">b\n</li>\n"
		"</ul>\n"
		"<ol start=\"3\" style=\"margin:0 0 16px 0;padding:0 0 0 24px;\">\n"
		"<li style=\"margin:0 0 4px 0;line-height:1.5;\">"
		"<p style=\"margin:0 0 16px 0;line-height:1.5;\">c</p>\n"
		"<p style=\"margin:0 0 16px 0;line-height:1.5;\">d</p>\n</li>\n"
		"</ol>\n"
		"<blockquote style=\"margin:0 0 16px 0;padding:0 0 0 12px;"
		"border-left:4px solid #d0d7de;color:#57606a;\">\n"
		"<p style=\"margin:0 0 16px 0;line-height:1.5;\">q</p>\n"
		"</blockquote>\n"
		"<pre style=\"margin:0 0 16px 0;padding:12px;background-color:#f6f8fa;"
		"font-family:Menlo,Consolas,'Courier New',monospace;font-size:13px;"
		"line-height:1.4;white-space:pre-wrap;word-wrap:break-word;\"><code>"
		"int a&lt;b;</code></pre>\n"
		"<hr style=\"border:0;border-top:1px solid #d0d7de;margin:24px 0;\">\n");
	CHECK(!strstr(d.html, "class="));
	md_doc_free(&d);
}

static void
test_render_site_syntax_never_leaks(void)
{
	struct md_doc d;

	render("Le {{< abbr title=\"Service statistique public\" text=\"SSP\" >}}.\n\n"
		"::: {.callout-note}\nNote.\n:::\n\n"
		"![Graphique](chart.png){width=600}\n\n"
		"<!-- brouillon -->\n\n"
		"```{ojs}\nviewof x = 1\n```\n\n"
		"[Texte]{.smallcaps}\n",
		"blog/x/index.qmd", &d, NULL);
	CHECK(!strstr(d.html, "{{") && !strstr(d.text, "{{"));
	CHECK(!strstr(d.html, ":::") && !strstr(d.text, ":::"));
	CHECK(!strstr(d.html, "width=600") && !strstr(d.text, "width"));
	CHECK(!strstr(d.html, "brouillon") && !strstr(d.text, "brouillon"));
	CHECK(!strstr(d.html, "viewof") && !strstr(d.text, "viewof"));
	CHECK(!strstr(d.html, "smallcaps") && !strstr(d.text, "smallcaps"));
	CHECK_STR(d.text, "Le SSP.\n\nNOTE\n    Note.\n\n[image: Graphique] [1]\n\nTexte\n\n"
		"[1] " BASE "blog/x/chart.png\n");
	md_doc_free(&d);
}

static void
test_lint(void)
{
	struct md_opts o = { .base_url = BASE, .site_root = site,
		.source = "blog/x/index.qmd", .file = "issues/2026-06/issue.md",
		.first_line = 6 };
	struct md_doc d;
	struct diags w = { 0 };

	md_render("Intro.\n\n"
		"![](chart.png)\n"                              /* line 3 → 8 */
		"[ok](../../event/2026-06-jdos/index.qmd)\n"
		"[absent](../../event/2026-06-absent/index.qmd)\n" /* 5 → 10 */
		"[dossier](../y/) [rapport](rapport.pdf)\n"    /* 6 → 11 */
		"![Manque](manque.png)\n"                       /* 7 → 12 */
		"[web](https://example.org/absent.pdf) [page](/about/)\n"
		"Texte\n![](https://x.org/sans-alt.png)\n",      /* 10 → 15 */
		&o, &d, &w);
	CHECK_INT(w.n, 5);
	if (w.n == 5) {
		CHECK_STR(w.v[0].file, "issues/2026-06/issue.md");
		CHECK_INT(w.v[0].line, 8);
		CHECK_STR(w.v[0].msg, "image without alt text: chart.png");
		CHECK_INT(w.v[1].line, 10);
		CHECK_STR(w.v[1].msg, "link to a file that does not exist: "
			"../../event/2026-06-absent/index.qmd");
		CHECK_INT(w.v[2].line, 11);
		CHECK_STR(w.v[2].msg, "link to a file that does not exist: rapport.pdf");
		CHECK_INT(w.v[3].line, 12);
		CHECK_STR(w.v[3].msg, "image file does not exist: manque.png");
		CHECK_INT(w.v[4].line, 15);
		CHECK_STR(w.v[4].msg, "image without alt text: https://x.org/sans-alt.png");
	}
	/* the image without alt text still has an alt attribute */
	CHECK(strstr(d.html, "alt=\"\" width=\"120\""));
	md_doc_free(&d);
	diags_free(&w);

	/* no site root: nothing to check against, no noise */
	o.site_root = NULL;
	md_render("[absent](nulle-part.md)\n", &o, &d, &w);
	CHECK_INT(w.n, 0);
	md_doc_free(&d);
	diags_free(&w);
}

static void
test_inline(void)
{
	char *s;

	s = md_inline_html("Le *format* **Parquet** & <b>co</b> [lien](javascript:x) ~~x~~");
	CHECK_STR(s, "Le <em>format</em> <strong>Parquet</strong> &amp; co lien "
		"<del>x</del>");
	free(s);
	s = md_inline_html("  Titre <script>alert(1)</script>\n  sur deux lignes \"q\" ");
	CHECK_STR(s, "Titre alert(1) sur deux lignes &quot;q&quot;");
	free(s);
	s = md_inline_html("Le `code` ici");
	CHECK(str_starts(s, "Le <code style=\"") && str_ends(s, "\">code</code> ici"));
	free(s);
	s = md_inline_html("1. Pas une liste");
	CHECK_STR(s, "1. Pas une liste");
	free(s);

	s = md_inline_text("Journées *open-source* ");
	CHECK_STR(s, "Journées open-source");
	free(s);
	s = md_inline_text("# Pas un titre");
	CHECK_STR(s, "# Pas un titre");
	free(s);
	s = md_inline_text("2026. Une année [de](http://x) `code`");
	CHECK_STR(s, "2026. Une année de code");
	free(s);
	s = md_inline_text("");
	CHECK_STR(s, "");
	free(s);
	/* site syntax does not leak into titles either */
	s = md_inline_text("Le {{< abbr title=\"x\" text=\"SSP\" >}} <!-- c -->[recrute]{.b}");
	CHECK_STR(s, "Le SSP recrute");
	free(s);
}

static void
put_file(const char *rel, const void *data, size_t n)
{
	char *p = xasprintf("%s/%s", site, rel), *dir = path_dirname(p);
	char *cmd = xasprintf("mkdir -p '%s'", dir);

	if (system(cmd) != 0 || write_file_atomic(p, data, n, 0644) != 0)
		printf("FAIL setup: cannot write %s\n", p);
	free(cmd);
	free(dir);
	free(p);
}

int
main(void)
{
	/* a PNG header says 120 x 80 */
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n',
		0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 120, 0, 0, 0,
		80, 8, 2, 0, 0, 0 };
	char *cmd;

	if (!mkdtemp(site)) {
		printf("FAIL setup: mkdtemp\n");
		return 1;
	}
	put_file("blog/x/index.qmd", "x\n", 2);
	put_file("blog/x/chart.png", png, sizeof(png));
	put_file("blog/y/index.qmd", "y\n", 2);
	put_file("event/2026-06-jdos/index.qmd", "e\n", 2);

	RUN(test_clean_shortcodes);
	RUN(test_clean_attributes);
	RUN(test_clean_blocks);
	RUN(test_render_table_strike_autolink);
	RUN(test_render_wide_table);
	RUN(test_render_links_resolved);
	RUN(test_render_images);
	RUN(test_render_unsafe_dropped);
	RUN(test_render_wrap);
	RUN(test_render_text_blocks);
	RUN(test_render_html_blocks);
	RUN(test_render_site_syntax_never_leaks);
	RUN(test_lint);
	RUN(test_inline);

	cmd = xasprintf("rm -rf '%s'", site);
	if (system(cmd) != 0)
		printf("FAIL cleanup: %s\n", site);
	free(cmd);
	return 0;
}
