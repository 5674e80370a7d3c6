/* csvimport.c - subscribers from CSV files as people really export them */
#include "csvimport.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <csv.h>

#include "buf.h"
#include "util.h"

#define BLOCK (64 * 1024)
#define MAX_FIELD (1024 * 1024)
#define MAX_COLUMNS 1000

/* libcsv's state between rows. Its states are not in csv.h but have not
 * changed since libcsv 2.0; we read it to know where a row starts. */
#define CSV_ROW_NOT_BEGUN 0
#define CSV_FIELD_BEGUN 2

/* The fields of a row that we keep, by enum csv_col. */
#define NKEPT (CSV_COL_STATUS + 1)

struct imp {
	const char *path;
	const struct csvimport_opts *o;
	struct store_import *im;
	csvimport_bad_fn bad;
	void *bad_ctx;
	struct csvimport_stats *stats;

	long line;     /* the physical line being read */
	long row_line; /* where the current row starts */
	size_t nfield; /* fields so far in the current row */
	bool blank;    /* only empty fields so far */
	bool after_cr; /* the last line fed ended with a CR */
	bool ends[256]; /* the bytes that end an unquoted field */

	bool header_done;
	unsigned char *cols; /* enum csv_col of each column */
	size_t ncols;
	bool has_first, has_last;
	struct strlist header; /* the header row, until it is understood */

	struct buf kept[NKEPT];
	struct buf full, name; /* a row's name, joined and cleaned */
	long nbad;
	int fatal;     /* a status that stops the import */
	char *err;
};

/* Fold a header to lowercase ASCII letters and digits: accents of
 * Latin-1 letters dropped, everything else left out. */
static void
fold(const char *s, size_t n, struct buf *out)
{
	static const char c3[65] =
		"aaaaaaaceeeeiiiidnooooo/ouuuuyts" /* C3 80..9F: À..ß */
		"aaaaaaaceeeeiiiidnooooo/ouuuuyty"; /* C3 A0..BF: à..ÿ */
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c >= 'A' && c <= 'Z')
			buf_putc(out, c + 'a' - 'A');
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			buf_putc(out, c);
		else if (c == 0xc3 && i + 1 < n && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0xbf) {
			char f = c3[p[i + 1] - 0x80];

			if (f >= 'a' && f <= 'z')
				buf_putc(out, f);
			i++;
		} else if (c == 0xc5 && i + 1 < n && (p[i + 1] == 0x92 ||
		    p[i + 1] == 0x93)) {
			buf_puts(out, "oe");
			i++;
		}
	}
}

static const struct {
	const char *name;
	enum csv_col col;
} header_names[] = {
	{ "email", CSV_COL_EMAIL }, { "mail", CSV_COL_EMAIL },
	{ "courriel", CSV_COL_EMAIL }, { "adresse", CSV_COL_EMAIL },
	{ "emailaddress", CSV_COL_EMAIL }, { "mailaddress", CSV_COL_EMAIL },
	{ "adressemail", CSV_COL_EMAIL }, { "adresseemail", CSV_COL_EMAIL },
	{ "adressecourriel", CSV_COL_EMAIL }, { "mel", CSV_COL_EMAIL },
	{ "adresseelectronique", CSV_COL_EMAIL },
	{ "courrielelectronique", CSV_COL_EMAIL },
	{ "name", CSV_COL_NAME }, { "nom", CSV_COL_NAME },
	{ "fullname", CSV_COL_NAME }, { "nomcomplet", CSV_COL_NAME },
	{ "displayname", CSV_COL_NAME }, { "nometprenom", CSV_COL_NAME },
	{ "prenometnom", CSV_COL_NAME }, { "prenomnom", CSV_COL_NAME },
	{ "nomprenom", CSV_COL_NAME },
	{ "prenom", CSV_COL_FIRST }, { "firstname", CSV_COL_FIRST },
	{ "givenname", CSV_COL_FIRST },
	{ "lastname", CSV_COL_LAST }, { "surname", CSV_COL_LAST },
	{ "familyname", CSV_COL_LAST }, { "nomdefamille", CSV_COL_LAST },
	{ "status", CSV_COL_STATUS },
};

enum csv_col
csvimport_column(const char *header, size_t len)
{
	struct buf b = BUF_INIT;
	enum csv_col c = CSV_COL_OTHER;

	fold(header, len, &b);
	for (size_t i = 0; i < sizeof(header_names) / sizeof(header_names[0]);
	    i++)
		if (strcmp(buf_str(&b), header_names[i].name) == 0) {
			c = header_names[i].col;
			break;
		}
	buf_free(&b);
	return c;
}

/* What a status column says: SUB_ACTIVE, SUB_UNSUBSCRIBED, SUB_BOUNCED,
 * or -1 for a value we do not know. */
static int
status_value(const char *v)
{
	static const char *const active[] = { "", "active", "enabled",
		"subscribed", "confirmed", "unconfirmed", "pending", "actif",
		"inscrit", NULL };
	static const char *const left[] = { "unsubscribed", "blocklisted",
		"blacklisted", "disabled", "desinscrit", NULL };
	struct buf b = BUF_INIT;
	int r = -1;

	if (!*v)
		return SUB_ACTIVE;
	fold(v, strlen(v), &b);
	for (int i = 0; r < 0 && active[i]; i++)
		if (strcmp(buf_str(&b), active[i]) == 0)
			r = SUB_ACTIVE;
	for (int i = 0; r < 0 && left[i]; i++)
		if (strcmp(buf_str(&b), left[i]) == 0)
			r = SUB_UNSUBSCRIBED;
	if (r < 0 && strcmp(buf_str(&b), "bounced") == 0)
		r = SUB_BOUNCED;
	buf_free(&b);
	return r;
}

static void
bad_row(struct imp *x, const char *fmt, ...) PRINTF(2, 3);

static void
bad_row(struct imp *x, const char *fmt, ...)
{
	va_list ap;
	char *msg, *clean;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	clean = sanitize(msg);
	x->nbad++;
	x->stats->rejected++;
	for (int i = 0; i < NKEPT; i++)
		if (!utf8_valid(x->kept[i].data ? x->kept[i].data : "",
		    x->kept[i].len, NULL)) {
			x->stats->not_utf8++;
			break;
		}
	if (x->bad)
		x->bad(x->bad_ctx, x->path, x->row_line, clean);
	free(clean);
	free(msg);
}

static void
set_fatal(struct imp *x, int status, char *err)
{
	if (x->fatal) {
		free(err);
		return;
	}
	x->fatal = status;
	x->err = err;
}

/* Trim ASCII blanks in place; returns s. */
static char *
trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return s;
}

/* "Name <addr>" → addr, with *display set to Name (quotes removed);
 * "mailto:addr" → addr. Works in place on s. */
static char *
unwrap_address(char *s, char **display)
{
	size_t n = strlen(s);
	char *lt;

	*display = NULL;
	if (n > 2 && s[n - 1] == '>' && (lt = strrchr(s, '<'))) {
		s[n - 1] = '\0';
		*lt = '\0';
		char *d = trim(s);
		size_t dn = strlen(d);
		if (dn >= 2 && d[0] == '"' && d[dn - 1] == '"') {
			d[dn - 1] = '\0';
			d++;
		}
		*display = d;
		s = trim(lt + 1);
	}
	if (strncasecmp(s, "mailto:", 7) == 0)
		s += 7;
	return s;
}

/* What a spreadsheet reads as the start of a formula, and the quote. */
static const char guarded[] = "=+-@\t\r'";

bool
csvimport_needs_guard(const char *f)
{
	return (f[0] && f[0] != '\'' && strchr(guarded, f[0])) ||
		(f[0] == '\'' && f[1] && strchr(guarded, f[1]));
}

void
csvimport_unguard(char *f)
{
	if (f[0] == '\'' && f[1] && strchr(guarded, f[1]))
		memmove(f, f + 1, strlen(f));
}

/* A kept field as a C string, ours to change in place, or NULL when it
 * holds a NUL byte. */
static char *
kept(struct imp *x, int col)
{
	struct buf *b = &x->kept[col];

	buf_grow(b, 0);
	b->data[b->len] = '\0';
	return memchr(b->data, '\0', b->len) ? NULL : b->data;
}

/* Each row is checked and staged without allocating: the fields are
 * unwrapped in place, the key and the name built in reused buffers. */
static void
import_row(struct imp *x)
{
	char *e = kept(x, CSV_COL_EMAIL), *nm = kept(x, CSV_COL_NAME),
		*first = kept(x, CSV_COL_FIRST), *last = kept(x, CSV_COL_LAST),
		*st = kept(x, CSV_COL_STATUS);
	char *email, *display, key[STORE_KEY_SIZE], *err = NULL;
	const char *name;
	int status, rc;

	if (x->blank)
		return;
	if (!e || !nm || !first || !last || !st) {
		bad_row(x, "a field holds a NUL byte");
		return;
	}
	/* an export's guard against formulas (=HYPERLINK…) comes off */
	csvimport_unguard(e);
	csvimport_unguard(nm);
	csvimport_unguard(first);
	csvimport_unguard(last);
	csvimport_unguard(st);
	email = unwrap_address(trim(e), &display);
	if (!*email) {
		bad_row(x, "no address");
		return;
	}
	if (store_address_keybuf(email, key, &err) != 0) {
		bad_row(x, "%s", err);
		goto out;
	}
	/* the name: a full-name column, else first and last names joined,
	 * else the display name written with the address */
	if (x->has_first && !x->has_last && *nm) {
		last = nm;
		nm = "";
	}
	name = nm;
	if (!*nm && (*first || *last)) {
		buf_reset(&x->full);
		buf_puts(&x->full, first);
		if (*first && *last)
			buf_putc(&x->full, ' ');
		buf_puts(&x->full, last);
		name = x->full.data;
	} else if (!*nm && display) {
		name = display;
	}
	buf_reset(&x->name);
	if (store_name_cleanbuf(name, strlen(name), &x->name, &err) != 0) {
		bad_row(x, "%s", err);
		goto out;
	}
	if ((status = status_value(st)) < 0) {
		char *v = sanitize(st);

		bad_row(x, "unknown status \"%s\" (known: active, enabled, "
			"unsubscribed, blocklisted, disabled, bounced)", v);
		free(v);
		goto out;
	}
	/* after the first invalid row only the rest are checked */
	if (x->nbad && !x->o->skip_invalid)
		goto out;
	if ((rc = store_import_row(x->im, email, key, x->name.data, status,
	    &err))) {
		set_fatal(x, rc, err);
		err = NULL;
	}
out:
	free(err);
}

/* The header row is in x->header: decide what each column holds. A row
 * without any known column that holds an address is data: the file has
 * no header. Returns whether the row is data. */
static bool
read_header(struct imp *x)
{
	bool email = false;

	/* a header in another encoding would not be understood: its
	 * columns ("Pr\xe9nom") left out, their names lost in silence */
	for (size_t i = 0; i < x->header.n; i++)
		if (!utf8_valid(x->header.v[i], strlen(x->header.v[i]), NULL)) {
			set_fatal(x, EX_DATAERR, xasprintf("%s:%ld: the first "
				"row is not UTF-8; nothing imported: "
				CSVIMPORT_UTF8_ADVICE, x->path, x->row_line));
			return false;
		}
	x->ncols = x->header.n;
	x->cols = xcalloc(x->ncols, 1);
	for (size_t i = 0; i < x->ncols; i++) {
		const char *h = x->header.v[i];
		enum csv_col c = csvimport_column(h, strlen(h));

		/* the first column of each kind wins */
		for (size_t j = 0; j < i; j++)
			if (x->cols[j] == c)
				c = CSV_COL_OTHER;
		x->cols[i] = (unsigned char)c;
		email |= c == CSV_COL_EMAIL;
		x->has_first |= c == CSV_COL_FIRST;
		x->has_last |= c == CSV_COL_LAST;
	}
	x->header_done = true;
	if (email)
		return false;
	for (size_t i = 0; i < x->ncols; i++) {
		char *copy = xstrdup(x->header.v[i]), *d, *key = NULL;
		char *a = unwrap_address(trim(copy), &d);
		bool ok = store_address_key(a, &key, NULL) == 0;

		free(key);
		free(copy);
		if (ok) {
			memset(x->cols, CSV_COL_OTHER, x->ncols);
			x->cols[i] = CSV_COL_EMAIL;
			x->has_first = x->has_last = false;
			return true;
		}
	}
	set_fatal(x, EX_DATAERR, xasprintf("%s:%ld: no address column in the "
		"header (expected one of: email, e-mail, mail, courriel, "
		"adresse)", x->path, x->row_line));
	return false;
}

static void
on_field(void *s, size_t len, void *data)
{
	struct imp *x = data;

	if (x->fatal)
		return;
	if (!x->header_done) {
		if (x->header.n >= MAX_COLUMNS) {
			set_fatal(x, EX_DATAERR, xasprintf("%s:%ld: more than %d "
				"columns", x->path, x->row_line, MAX_COLUMNS));
			return;
		}
		strlist_push(&x->header, xstrndup(s ? s : "", len));
	} else if (x->nfield < x->ncols && x->cols[x->nfield] != CSV_COL_OTHER) {
		buf_put(&x->kept[x->cols[x->nfield]], s ? s : "", len);
	}
	for (size_t i = 0; i < len && x->blank; i++)
		if (((char *)s)[i] != ' ' && ((char *)s)[i] != '\t')
			x->blank = false;
	x->nfield++;
}

static void
on_row(int c, void *data)
{
	struct imp *x = data;

	(void)c;
	if (x->fatal)
		return;
	if (!x->header_done) {
		bool data_row = read_header(x);

		if (data_row && !x->fatal)
			for (size_t i = 0; i < x->header.n; i++)
				if (x->cols[i] == CSV_COL_EMAIL)
					buf_puts(&x->kept[CSV_COL_EMAIL],
						x->header.v[i]);
		strlist_free(&x->header);
		if (data_row && !x->fatal)
			import_row(x);
	} else {
		import_row(x);
	}
	for (int i = 0; i < NKEPT; i++)
		buf_reset(&x->kept[i]);
	x->nfield = 0;
	x->blank = true;
}

/* The delimiter: the most frequent of , ; TAB outside quotes on the first
 * line; a comma when none is there. */
static unsigned char
detect_delimiter(const char *s, size_t n)
{
	size_t comma = 0, semi = 0, tab = 0;
	bool quoted = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (s[i] == '\n' || s[i] == '\r')
			break;
		else if (s[i] == ',')
			comma++;
		else if (s[i] == ';')
			semi++;
		else if (s[i] == '\t')
			tab++;
	}
	if (semi > comma && semi >= tab)
		return ';';
	if (tab > comma && tab > semi)
		return '\t';
	return ',';
}

static int
is_blank(unsigned char c)
{
	return c == ' ';
}

/*
 * A line as libcsv would read it, without it, when that is plain: the
 * parser between rows, the line's end in it, a line no longer than the
 * parser's buffer (which would not grow), the parser's own blanks and
 * line ends, and fields that are unquoted without a quote, or quoted
 * whole without a quote inside (no "", no line end). An unquoted field is
 * trimmed of blanks at both ends, a quoted one is what is between its
 * quotes, as libcsv reads them, and they are handed to the same callbacks,
 * which see the same fields and rows; a blank line is no row. A line with
 * a quote is read twice: to see that it is plain (nothing handed yet),
 * then to hand its fields. Most lines of an export are plain, and this is
 * several times faster than libcsv's byte at a time.
 *
 * plain_fields() reads the line at u, whose first line end is at eol, and
 * with hand hands its fields; false when it is not plain.
 */
static bool
plain_fields(struct imp *x, struct csv_parser *p, const unsigned char *u,
	const unsigned char *eol, bool hand)
{
	unsigned char delim = csv_get_delim(p), quote = csv_get_quote(p);
	/* a tab is a blank, unless it is the delimiter (is_blank) */
	bool tab = !p->is_space;
	bool fields = false;

	for (;;) {
		const unsigned char *start, *end;

		while ((*u == ' ' || (*u == '\t' && tab)) && *u != delim)
			u++;
		if (*u == '\r' || *u == '\n') {
			if (fields && hand) {
				on_field((void *)u, 0, x);
				on_row(*u, x);
			}
			return true;
		}
		fields = true;
		if (*u == quote) {
			start = u + 1;
			if (!(end = memchr(start, quote, (size_t)(eol - start))))
				return false;
			for (u = end + 1; *u == ' ' || (*u == '\t' && tab); u++)
				;
			if (*u != delim && *u != '\r' && *u != '\n')
				return false;
		} else {
			start = u;
			while (!x->ends[*u])
				u++;
			if (!hand && memchr(start, quote, (size_t)(u - start)))
				return false;
			/* trailing blanks off */
			for (end = u; end > start && (end[-1] == ' ' ||
			    (end[-1] == '\t' && tab)); end--)
				;
		}
		if (hand)
			on_field((void *)start, (size_t)(end - start), x);
		if (*u != delim) {
			if (hand)
				on_row(*u, x);
			return true;
		}
		u++;
	}
}

/* Read the len bytes at s, a line as feed() cuts them, when they are
 * plain; returns whether they were read. */
static bool
plain_line(struct imp *x, struct csv_parser *p, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s, *eol;

	if (p->pstate != CSV_ROW_NOT_BEGUN || len > csv_get_buffer_size(p) ||
	    p->is_term || (p->is_space && p->is_space != is_blank))
		return false;
	/* the line's first end: its last byte, or the CR of its CRLF */
	eol = u + len - 1;
	if (*eol != '\n' && *eol != '\r')
		return false;
	if (*eol == '\n' && len > 1 && eol[-1] == '\r')
		eol--;
	/* a line without quotes is plain */
	if (memchr(s, csv_get_quote(p), len) && !plain_fields(x, p, u, eol,
	    false))
		return false;
	return plain_fields(x, p, u, eol, true);
}

/* Feed a block to the parser one line at a time, to know on which line
 * each row starts. A line ends with LF, CRLF or a lone CR (old Mac files,
 * which libcsv reads too); a CR ending a block may be the first half of a
 * CRLF, whose LF then starts the next block. */
static void
feed(struct imp *x, struct csv_parser *p, const char *s, size_t n)
{
	while (n > 0 && !x->fatal) {
		const char *nl = memchr(s, '\n', n);
		size_t len = nl ? (size_t)(nl - s) + 1 : n;
		const char *cr = memchr(s, '\r', len);

		if (x->after_cr && *s == '\n') {
			len = 1; /* the line was counted at its CR */
			nl = NULL;
		} else if (cr && (cr + 1 == s + n || cr[1] != '\n')) {
			len = (size_t)(cr - s) + 1;
			nl = cr;
		}
		x->after_cr = nl && *nl == '\r';
		if (p->pstate == CSV_ROW_NOT_BEGUN)
			x->row_line = x->line;
		if (plain_line(x, p, s, len)) {
			/* read: libcsv's state and buffer are as they were */
		} else if (csv_parse(p, s, len, on_field, on_row, x) != len) {
			set_fatal(x, EX_SOFTWARE, xasprintf("%s:%ld: %s", x->path,
				x->line, csv_strerror(csv_error(p))));
			return;
		}
		if (csv_get_buffer_size(p) > MAX_FIELD) {
			set_fatal(x, EX_DATAERR, xasprintf("%s:%ld: a field "
				"longer than 1 MiB (a quote that is not closed?)",
				x->path, x->row_line));
			return;
		}
		if (nl)
			x->line++;
		s += len;
		n -= len;
	}
}

static int
parse(struct imp *x, FILE *f, char **err)
{
	struct csv_parser p;
	char *block = xmalloc(BLOCK);
	bool first = true;
	size_t n;
	int rc = 0;

	csv_init(&p, 0);
	csv_set_blk_size(&p, 4096);
	while (!x->fatal && (n = fread(block, 1, BLOCK, f)) > 0) {
		const char *s = block;

		if (first) {
			if (n >= 2 && (memcmp(s, "\xff\xfe", 2) == 0 ||
			    memcmp(s, "\xfe\xff", 2) == 0)) {
				set_fatal(x, EX_DATAERR, xasprintf("%s: UTF-16 "
					"text (Excel's \"Unicode text\"?), not "
					"UTF-8: save it as \"CSV UTF-8\"", x->path));
				break;
			}
			if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
				s += 3;
				n -= 3;
			}
			csv_set_delim(&p, detect_delimiter(s, n));
			x->ends[csv_get_delim(&p)] = true;
			x->ends['\r'] = x->ends['\n'] = true;
			/* with a tab delimiter, tabs are not blanks to trim */
			if (csv_get_delim(&p) == '\t')
				csv_set_space_func(&p, is_blank);
			first = false;
		}
		feed(x, &p, s, n);
	}
	if (!x->fatal && ferror(f))
		rc = fail(err, EX_IOERR, "%s: %s", x->path, strerror(errno));
	if (!rc && !x->fatal) {
		if (p.pstate == CSV_FIELD_BEGUN && p.quoted) {
			/* the rest of the file went into one quoted field */
			bad_row(x, "a quoted field is not closed");
		} else {
			csv_fini(&p, on_field, on_row, x);
		}
		if (!x->header_done && !x->fatal)
			set_fatal(x, EX_DATAERR, xasprintf("%s: no header row "
				"(the file is empty)", x->path));
	}
	csv_free(&p);
	free(block);
	return rc;
}

int
csvimport_file(struct store *st, FILE *f, const char *name,
	const struct csvimport_opts *o, csvimport_bad_fn bad, void *ctx,
	struct csvimport_stats *stats, char **err)
{
	struct imp x;
	char *source = NULL;
	int rc;

	memset(stats, 0, sizeof(*stats));
	if (!o->source) {
		const char *base = strrchr(name, '/');

		source = xasprintf("import %s", base ? base + 1 : name);
	}
	memset(&x, 0, sizeof(x));
	x.path = name;
	x.o = o;
	x.bad = bad;
	x.bad_ctx = ctx;
	x.stats = stats;
	x.line = 1;
	x.row_line = 1;
	x.blank = true;

	rc = store_import_begin(st, o->source ? o->source : source,
		o->resubscribe, &x.im, err);
	if (rc == 0 && o->consent)
		store_import_consent(x.im, o->consent);
	if (rc == 0) {
		rc = parse(&x, f, err);
		if (!rc && x.fatal) {
			rc = x.fatal;
			fail(err, rc, "%s", x.err);
		}
		if (!rc && x.nbad && !o->skip_invalid && stats->not_utf8)
			rc = fail(err, EX_DATAERR, "%s: %ld invalid row%s, %ld "
				"of them not UTF-8; nothing imported: "
				CSVIMPORT_UTF8_ADVICE, name, x.nbad,
				x.nbad > 1 ? "s" : "", stats->not_utf8);
		else if (!rc && x.nbad && !o->skip_invalid)
			rc = fail(err, EX_DATAERR, "%s: %ld invalid row%s; nothing "
				"imported (--skip-invalid imports the valid rows)",
				name, x.nbad, x.nbad > 1 ? "s" : "");
		if (rc) {
			store_import_end(x.im, false, NULL, NULL);
		} else {
			struct store_import_counts c;

			rc = store_import_end(x.im, true, &c, err);
			stats->added = c.added;
			stats->updated = c.updated;
			stats->unchanged = c.unchanged;
			stats->suppressed = c.suppressed;
		}
	}
	free(source);
	free(x.err);
	free(x.cols);
	strlist_free(&x.header);
	for (int i = 0; i < NKEPT; i++)
		buf_free(&x.kept[i]);
	buf_free(&x.full);
	buf_free(&x.name);
	return rc;
}

int
csvimport_run(struct store *st, const char *path,
	const struct csvimport_opts *o, csvimport_bad_fn bad, void *ctx,
	struct csvimport_stats *stats, char **err)
{
	struct stat sb;
	FILE *f;
	bool is_stdin = strcmp(path, "-") == 0;
	int rc;

	memset(stats, 0, sizeof(*stats));
	if (is_stdin) {
		f = stdin;
		path = "(stdin)";
	} else if (!(f = fopen(path, "rb"))) {
		return fail(err, EX_NOINPUT, "%s: %s", path, strerror(errno));
	}
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fclose(f);
		return fail(err, EX_NOINPUT, "%s: is a folder", path);
	}
	rc = csvimport_file(st, f, path, o, bad, ctx, stats, err);
	if (!is_stdin)
		fclose(f);
	return rc;
}
