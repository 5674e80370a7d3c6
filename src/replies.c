/* replies.c - classification of one message: complaint, bounce,
 * mailing-list traffic, auto-reply, unsubscribe request, other, malformed
 *
 * One concern, over ~1,200 lines because each class has its own signs; in
 * order: tokens (ours, in addresses and Message-IDs), the reply's own
 * words (quoted text and signatures set aside), keywords, the header scan,
 * complaints (ARF, JMRP), delivery status notifications, then
 * replies_classify that puts them together. Reading the message is
 * msg.c's; reading a bounce's recipients, replies_bounce.c's. */
#include "replies.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "msg.h"
#include "replies_priv.h"
#include "util.h"

#define FRESH_LINES 5       /* "the first non-quoted lines" */
#define SUBJECT_MAX 300     /* bytes of a subject kept */

/* ---- small string helpers ---- */

static bool is_token_n(const char *s, size_t n, size_t want);

static bool
is_token(const char *s, size_t n)
{
	return is_token_n(s, n, TOKEN_LEN);
}

/* A token: TOKEN_LEN characters of [a-z2-7] in any case. */
static bool
is_token_char(int c)
{
	c = msg_lower(c);
	return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

static bool
is_token_n(const char *s, size_t n, size_t want)
{
	if (n != want)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_token_char((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * Fold text for matching: ASCII lowercased, the accented Latin letters
 * of U+00C0..U+00FF and œ/Œ to their base letters, no-break spaces to
 * spaces, typographic apostrophes to '\''. Other bytes are copied.
 */
static const char *const latin1_fold[64] = {
	"a", "a", "a", "a", "a", "a", "ae", "c", /* U+00C0 */
	"e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "x",
	"o", "u", "u", "u", "u", "y", "th", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c", /* U+00E0 */
	"e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "/",
	"o", "u", "u", "u", "u", "y", "th", "y",
};

void
fold(const char *s, size_t n, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;

	buf_grow(out, n + 1);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == 0xC3 && i + 1 < n && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0xBF) {
			buf_puts(out, latin1_fold[p[i + 1] - 0x80]);
			i++;
		} else if (p[i] == 0xC5 && i + 1 < n &&
		    (p[i + 1] == 0x92 || p[i + 1] == 0x93)) {
			buf_puts(out, "oe");
			i++;
		} else if (p[i] == 0xC2 && i + 1 < n && p[i + 1] == 0xA0) {
			buf_putc(out, ' ');
			i++;
		} else if (p[i] == 0xE2 && i + 2 < n && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0x99 || p[i + 2] == 0x98)) {
			buf_putc(out, '\'');
			i += 2;
		} else if (p[i] == 0xE2 && i + 2 < n && p[i + 1] == 0x80 &&
		    p[i + 2] == 0xAF) {
			buf_putc(out, ' ');
			i += 2;
		} else {
			buf_putc(out, msg_lower(p[i]));
		}
	}
	buf_put(out, "", 0);
}

/* The local part of an address before '+' and '@' (lowercased) into out. */
void
local_base(const char *addr, char *out, size_t outsz)
{
	size_t n = addr ? strcspn(addr, "+@") : 0;

	if (n >= outsz)
		n = outsz - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)msg_lower((unsigned char)addr[i]);
	out[n] = '\0';
}

/* ---- tokens ---- */

static void
token_add(struct reply *r, const char *tok, enum reply_token_kind kind,
	enum reply_where where, const char *issue)
{
	struct reply_token *t;

	size_t len = kind == REPLY_TOKEN_SUBSCRIBE ? TOKEN_CONFIRM_LEN :
		TOKEN_LEN;

	for (size_t i = 0; i < r->ntokens; i++)
		if (r->tokens[i].kind == kind && r->tokens[i].where == where &&
		    strncasecmp(r->tokens[i].token, tok, len) == 0)
			return;
	if (r->ntokens >= MAX_TOKENS)
		return;
	r->tokens = xreallocarray(r->tokens, r->ntokens + 1, sizeof *r->tokens);
	t = &r->tokens[r->ntokens++];
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < len; i++)
		t->token[i] = (char)msg_lower((unsigned char)tok[i]);
	t->kind = kind;
	t->where = where;
	if (issue)
		snprintf(t->issue, sizeof t->issue, "%s", issue);
}

/* The token of that kind found in the most telling place (To before
 * Delivered-To, In-Reply-To before References). */
static const struct reply_token *
token_find(const struct reply *r, enum reply_token_kind kind)
{
	const struct reply_token *best = NULL;

	for (size_t i = 0; i < r->ntokens; i++)
		if (r->tokens[i].kind == kind &&
		    (!best || r->tokens[i].where < best->where))
			best = &r->tokens[i];
	return best;
}

/*
 * Our Message-IDs: <YYYY-MM.TOKEN@domain> for an issue,
 * <confirm-UNIQUE.TOKEN@domain> for a confirmation request. id is without
 * the angle brackets. Adds the token and returns true when it is one.
 */
static bool
msgid_token(struct reply *r, const char *id, size_t n, const char *domain,
	enum reply_where where)
{
	const char *at = memchr(id, '@', n), *dot = NULL;
	size_t ln;

	if (!at)
		return false;
	if (domain && *domain &&
	    !msg_eq_ci(at + 1, n - (size_t)(at + 1 - id), domain))
		return false;
	for (const char *p = id; p < at; p++)
		if (*p == '.')
			dot = p;
	if (!dot)
		return false;
	ln = (size_t)(dot - id);
	if (msg_starts_ci(id, ln, REPLIES_SUBSCRIBE_MSGID_PREFIX) &&
	    is_token_n(dot + 1, (size_t)(at - dot - 1), TOKEN_CONFIRM_LEN)) {
		token_add(r, dot + 1, REPLY_TOKEN_SUBSCRIBE, where, NULL);
		return true;
	}
	if (!is_token(dot + 1, (size_t)(at - dot - 1)))
		return false;
	if (ln == 7 && msg_is_digit(id[0]) && msg_is_digit(id[1]) && msg_is_digit(id[2]) &&
	    msg_is_digit(id[3]) && id[4] == '-' && msg_is_digit(id[5]) &&
	    msg_is_digit(id[6])) {
		char issue[8];

		memcpy(issue, id, 7);
		issue[7] = '\0';
		token_add(r, dot + 1, REPLY_TOKEN_ISSUE, where, issue);
		return true;
	}
	if (msg_starts_ci(id, ln, REPLIES_CONFIRM_MSGID_PREFIX)) {
		token_add(r, dot + 1, REPLY_TOKEN_CONFIRM, where, NULL);
		return true;
	}
	return false;
}

/* Every <…> of s[0..n) looked at as one of our Message-IDs. */
static void
msgids_scan(struct reply *r, const char *s, size_t n, const char *domain,
	enum reply_where where)
{
	for (size_t i = 0; i < n; i++) {
		const char *end;

		if (s[i] != '<')
			continue;
		end = memchr(s + i + 1, '>', n - i - 1 < 300 ? n - i - 1 : 300);
		if (!end)
			continue;
		msgid_token(r, s + i + 1, (size_t)(end - s - i - 1), domain,
			where);
		i = (size_t)(end - s);
	}
}

/* ---- the reply's own words ---- */

/* The line s[0..n) folded into f (reset first). */
static void
fold_line(const char *s, size_t n, struct buf *f)
{
	buf_reset(f);
	fold(s, n, f);
	while (f->len && msg_is_space((unsigned char)f->data[f->len - 1]))
		f->data[--f->len] = '\0';
}

static bool
ends_with(const struct buf *f, const char *t)
{
	size_t tl = strlen(t);

	return f->len >= tl && memcmp(f->data + f->len - tl, t, tl) == 0;
}

static const char *
skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The separators that start a quoted or forwarded message. */
static const char *const separators[] = {
	"-----original message-----", "----- original message -----",
	"-----message d'origine-----", "----- message d'origine -----",
	"-------- message original --------",
	"-------- original message --------",
	"---------- forwarded message ---------",
	"-------- message transfere --------", "-------- message transfere",
	"---------- message transfere ---------",
	"debut du message reexpedie", "begin forwarded message",
	"________________________________",
	NULL,
};

static bool
attribution_end(const struct buf *f)
{
	return ends_with(f, "a ecrit :") || ends_with(f, "a ecrit:") ||
		ends_with(f, "wrote:") || ends_with(f, "wrote :") ||
		ends_with(f, "schrieb:") || ends_with(f, "geschrieben:");
}

static bool
header_block_line(const char *l)
{
	static const char *const names[] = {
		"envoye :", "envoye:", "sent:", "date :", "date:", "a :", "a:",
		"to:", "objet :", "objet:", "subject:", "cc :", "cc:", NULL,
	};

	for (size_t i = 0; names[i]; i++)
		if (strncmp(l, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/*
 * Does a reply header start at the line folded in f (the next lines folded
 * in f1 and f2)? Returns 0 if not; 1 or 2 for an attribution ("Le … a
 * écrit :", "On … wrote:") over that many lines; 3 for a separator or an
 * Outlook "De : … Envoyé : …" block.
 */
static int
reply_header(const struct buf *f, const struct buf *f1, const struct buf *f2)
{
	const char *l = skip_ws(buf_str(f));

	for (size_t i = 0; separators[i]; i++)
		if (strncmp(l, separators[i], strlen(separators[i])) == 0)
			return 3;
	if (strncmp(l, "le ", 3) == 0 || strncmp(l, "on ", 3) == 0 ||
	    strncmp(l, "am ", 3) == 0) {
		if (attribution_end(f))
			return 1;
		if (f1->len && attribution_end(f1))
			return 2;
		return 0;
	}
	if ((strncmp(l, "de :", 4) == 0 || strncmp(l, "de:", 3) == 0 ||
	    strncmp(l, "from:", 5) == 0 || strncmp(l, "from :", 6) == 0) &&
	    (header_block_line(skip_ws(buf_str(f1))) ||
	    header_block_line(skip_ws(buf_str(f2)))))
		return 3;
	return 0;
}

/* Line n of text: [*s, *e) (without the line end); false past the end. */
bool
next_line(struct lines *it, const char **s, size_t *n)
{
	const char *nl;

	if (it->p >= it->end)
		return false;
	nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	*s = it->p;
	*n = (size_t)((nl ? nl : it->end) - it->p);
	it->p = nl ? nl + 1 : it->end;
	if (*n && (*s)[*n - 1] == '\r')
		(*n)--;
	return true;
}

char *
replies_fresh_text(const char *text, size_t maxlines)
{
	struct buf out = BUF_INIT, f = BUF_INIT, f1 = BUF_INIT, f2 = BUF_INIT;
	struct lines it = { text, text + strlen(text) };
	const char *s, *s1 = NULL, *s2 = NULL;
	size_t n, n1 = 0, n2 = 0, count = 0, skip = 0;
	bool have, have1, have2;
	int kind;

	buf_puts(&out, "");
	have = next_line(&it, &s, &n);
	have1 = have && next_line(&it, &s1, &n1);
	have2 = have1 && next_line(&it, &s2, &n2);
	while (have && count < maxlines) {
		size_t tn = n;
		const char *t = msg_trim(s, &tn);

		fold_line(s, n, &f);
		fold_line(have1 ? s1 : "", have1 ? n1 : 0, &f1);
		fold_line(have2 ? s2 : "", have2 ? n2 : 0, &f2);
		/* "-- " is the signature separator; some clients drop the space */
		if ((n == 3 && memcmp(s, "-- ", 3) == 0) ||
		    (n == 2 && memcmp(s, "--", 2) == 0))
			break;
		/* an attribution before any word of the reply: the reply is
		 * below the quote */
		if (!skip && (kind = reply_header(&f, &f1, &f2)) != 0) {
			if (count > 0 || kind == 3)
				break;
			skip = (size_t)kind;
		}
		if (skip)
			skip--;
		else if (tn && t[0] != '>') {
			buf_put(&out, t, tn);
			buf_putc(&out, '\n');
			count++;
		}
		s = s1;
		n = n1;
		have = have1;
		s1 = s2;
		n1 = n2;
		have1 = have2;
		have2 = have1 && next_line(&it, &s2, &n2);
	}
	buf_free(&f);
	buf_free(&f1);
	buf_free(&f2);
	return buf_detach(&out);
}

/* ---- keywords ---- */

static const struct {
	const char *stem;
	const char *name;
} stems[] = {
	{ "unsubscrib", "unsubscribe" },
	{ "desinscri", "désinscription" },
	{ "desincri", "désinscription" },
	{ "desabonn", "désabonnement" },
	{ "retirez-moi", "retirez-moi" },
	{ "retirez moi", "retirez-moi" },
	{ "remove me", "remove me" },
};

/* Words that may follow "stop" in a line that only says stop. */
static const char *const polite[] = {
	"svp", "stp", "merci", "please", "pls", "thanks", "thank", "you",
	"s", "il", "vous", "plait", "te", "thx", NULL,
};

static bool
only_stop(const char *s, size_t n)
{
	size_t i = 0, words = 0;

	while (i < n) {
		size_t w;

		while (i < n && !msg_is_alnum((unsigned char)s[i]))
			i++;
		if (i >= n)
			break;
		for (w = i; w < n && msg_is_alnum((unsigned char)s[w]); w++)
			;
		if (words == 0) {
			if (w - i != 4 || memcmp(s + i, "stop", 4) != 0)
				return false;
		} else {
			size_t k;

			for (k = 0; polite[k]; k++)
				if (w - i == strlen(polite[k]) &&
				    memcmp(s + i, polite[k], w - i) == 0)
					break;
			if (!polite[k])
				return false;
		}
		if (++words > 6)
			return false;
		i = w;
	}
	return words > 0;
}

/* The keyword in one folded line, or NULL. */
static const char *
line_keyword(const char *s, size_t n)
{
	for (size_t k = 0; k < sizeof stems / sizeof stems[0]; k++) {
		const char *st = stems[k].stem;
		size_t sl = strlen(st);

		for (size_t i = 0; i + sl <= n; i++)
			if (memcmp(s + i, st, sl) == 0 &&
			    (i == 0 || !msg_is_alnum((unsigned char)s[i - 1])))
				return stems[k].name;
	}
	return only_stop(s, n) ? "stop" : NULL;
}

/* Skip the reply and forward prefixes of a folded subject. */
static const char *
skip_prefixes(const char *s)
{
	static const char *const pre[] = {
		"re", "fwd", "fw", "tr", "aw", "wg", "ref", "antw", "sv", "vs",
		"rif", "r", NULL,
	};
	bool again = true;

	while (again) {
		again = false;
		s = skip_ws(s);
		if (*s == '[') {
			const char *e = strchr(s, ']');

			if (e && e - s < 40) {
				s = e + 1;
				again = true;
				continue;
			}
		}
		for (size_t i = 0; pre[i]; i++) {
			size_t l = strlen(pre[i]);
			const char *p = s + l;

			if (strncmp(s, pre[i], l) != 0)
				continue;
			if (*p == '[' || *p == '(') {
				while (*p && *p != ']' && *p != ')')
					p++;
				if (*p)
					p++;
			}
			p = skip_ws(p);
			if (*p == ':') {
				s = p + 1;
				again = true;
				break;
			}
		}
	}
	return s;
}

const char *
replies_keyword(const char *s, bool subject)
{
	struct buf f = BUF_INIT;
	const char *kw = NULL;

	fold(s, strlen(s), &f);
	if (subject) {
		const char *p = skip_prefixes(f.data);

		kw = line_keyword(p, strlen(p));
	} else {
		struct lines it = { f.data, f.data + f.len };
		const char *l;
		size_t n;

		while (!kw && next_line(&it, &l, &n))
			kw = line_keyword(l, n);
	}
	buf_free(&f);
	return kw;
}

/* ---- classification ---- */

const char *
cls_text(struct cls *m)
{
	bool leaves = false;

	if (m->text)
		return m->text;
	for (size_t i = 0; i < m->w.n; i++)
		if (!m->w.v[i].in_message && strcmp(m->w.v[i].type, "text") == 0)
			leaves = true;
	if (leaves || !m->body) {
		m->text = msg_walk_text(&m->w);
	} else {
		/* a multipart whose boundaries are missing (old report
		 * writers): the body read as plain text */
		struct msg_leaf l;

		memset(&l, 0, sizeof l);
		snprintf(l.type, sizeof l.type, "text");
		snprintf(l.subtype, sizeof l.subtype, "plain");
		l.enc = MAILMIME_MECHANISM_8BIT;
		l.body = m->body;
		l.len = m->bodylen;
		m->text = msg_leaf_text(&l, false);
	}
	return m->text;
}

static void
set_auto(struct cls *m, const char *name, const char *value)
{
	if (!m->auto_why)
		m->auto_why = msg_clean(value, strlen(value), 40);
	if (name) {
		char *v = m->auto_why;

		m->auto_why = xasprintf("%s: %s", name, v);
		free(v);
	}
}

/* The addresses a message was sent to: tokens and "to the unsubscribe
 * address". */
static void
recipients_scan(struct cls *m, struct reply *r, const struct msg_field *f,
	enum reply_where where)
{
	struct strlist l = { NULL, 0, 0 };

	msg_addr_list(f->val, f->vallen, &l);
	for (size_t i = 0; i < l.n; i++) {
		char base[128];
		const char *plus = strchr(l.v[i], '+');
		const char *at = strrchr(l.v[i], '@');

		local_base(l.v[i], base, sizeof base);
		if (m->unsub[0] && strcmp(base, m->unsub) == 0) {
			m->to_unsub = true;
			if (plus && plus < at &&
			    is_token(plus + 1, (size_t)(at - plus - 1)))
				token_add(r, plus + 1, REPLY_TOKEN_UNSUBSCRIBE,
					where, NULL);
		} else if (m->bounce[0] && strcmp(base, m->bounce) == 0 &&
		    plus && plus < at &&
		    is_token(plus + 1, (size_t)(at - plus - 1))) {
			token_add(r, plus + 1, REPLY_TOKEN_BOUNCE, where, NULL);
		}
	}
	strlist_free(&l);
}

static void
msgid_list(struct cls *m, struct reply *r, const struct msg_field *f,
	enum reply_where where)
{
	struct mailimf_fields *fs = msg_imf_parse(f);
	struct mailimf_field *x = msg_imf_first(fs);
	clist *ids = NULL;
	const char *dom = m->o ? m->o->msgid_domain : NULL;

	if (x && x->fld_type == MAILIMF_FIELD_IN_REPLY_TO)
		ids = x->fld_data.fld_in_reply_to->mid_list;
	else if (x && x->fld_type == MAILIMF_FIELD_REFERENCES)
		ids = x->fld_data.fld_references->mid_list;
	if (ids) {
		for (clistiter *c = clist_begin(ids); c; c = clist_next(c)) {
			const char *id = clist_content(c);

			msgid_token(r, id, strlen(id), dom, where);
		}
	} else {
		msgids_scan(r, f->val, f->vallen, dom, where);
	}
	if (fs)
		mailimf_fields_free(fs);
}

static void
from_field(struct reply *r, const struct msg_field *f)
{
	struct mailimf_fields *fs = msg_imf_parse(f);
	struct mailimf_field *x = msg_imf_first(fs);

	if (x && x->fld_type == MAILIMF_FIELD_FROM &&
	    x->fld_data.fld_from->frm_mb_list) {
		clistiter *c = clist_begin(
			x->fld_data.fld_from->frm_mb_list->mb_list);
		struct mailimf_mailbox *mb = c ? clist_content(c) : NULL;

		if (mb && mb->mb_addr_spec) {
			r->from = msg_addr_norm(mb->mb_addr_spec,
				strlen(mb->mb_addr_spec));
			if (mb->mb_display_name) {
				char *d = msg_decode_words(mb->mb_display_name,
					strlen(mb->mb_display_name));
				r->from_name = msg_clean(d, strlen(d), 100);
				free(d);
			}
		}
	} else {
		struct strlist l = { NULL, 0, 0 };

		msg_addr_list(f->val, f->vallen, &l);
		if (l.n) {
			r->from = l.v[0];
			l.v[0] = NULL;
		}
		strlist_free(&l);
	}
	if (fs)
		mailimf_fields_free(fs);
}

static void
date_field(struct reply *r, const struct msg_field *f)
{
	struct mailimf_fields *fs = msg_imf_parse(f);
	struct mailimf_field *x = msg_imf_first(fs);

	if (x && x->fld_type == MAILIMF_FIELD_ORIG_DATE) {
		const struct mailimf_date_time *d =
			x->fld_data.fld_orig_date->dt_date_time;
		int z = d->dt_zone < 0 ? -d->dt_zone : d->dt_zone;

		if (d->dt_year >= 1900 && d->dt_year <= 9999 &&
		    d->dt_month >= 1 && d->dt_month <= 12 && d->dt_day >= 1 &&
		    d->dt_day <= 31 && d->dt_hour >= 0 && d->dt_hour < 24 &&
		    d->dt_min >= 0 && d->dt_min < 60 && d->dt_sec >= 0 &&
		    d->dt_sec <= 60 && z < 10000)
			r->date = xasprintf("%04d-%02d-%02d %02d:%02d:%02d %c%04d",
				d->dt_year, d->dt_month, d->dt_day, d->dt_hour,
				d->dt_min, d->dt_sec,
				d->dt_zone < 0 ? '-' : '+', z);
	}
	if (!r->date)
		r->date = msg_clean(f->val, f->vallen, 60);
	if (fs)
		mailimf_fields_free(fs);
}

static void
message_id_field(struct reply *r, const struct msg_field *f)
{
	struct mailimf_fields *fs = msg_imf_parse(f);
	struct mailimf_field *x = msg_imf_first(fs);

	if (x && x->fld_type == MAILIMF_FIELD_MESSAGE_ID &&
	    x->fld_data.fld_message_id->mid_value) {
		const char *v = x->fld_data.fld_message_id->mid_value;

		r->message_id = msg_clean(v, strlen(v), 250);
	} else {
		size_t n = f->vallen;
		const char *v = msg_trim(f->val, &n);

		if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
			v++;
			n -= 2;
		}
		if (n)
			r->message_id = msg_clean(v, n, 250);
	}
	if (fs)
		mailimf_fields_free(fs);
}

/* The auto-reply subjects (folded). */
static const char *const auto_subjects[] = {
	"reponse automatique", "absence du bureau", "absent du bureau",
	"absente du bureau", "absent(e) du bureau", "message d'absence",
	"out of office", "out of the office", "automatic reply",
	"auto-reply", "autoreply", "auto reply", "auto-response",
	"automatische antwort", "abwesenheitsnotiz", "respuesta automatica",
	"risposta automatica", "vacation reply", "away from the office",
	/* helpdesks' acknowledgements: never a person confirming */
	"accuse de reception", "accuse reception", "[ticket #", "ticket #",
	"request received", "demande recue", "we have received your",
	"nous avons bien recu", "automatic acknowledgement",
	"acknowledgement of receipt", "eingangsbestatigung",
	NULL,
};

static void
header_scan(struct cls *m, struct reply *r)
{
	const struct msg_header *h = &m->h;
	bool seen_from = false;

	for (size_t i = 0; i < h->n; i++) {
		const struct msg_field *f = &h->v[i];
		const char *nm = f->name;
		size_t nl = f->namelen;

		if (msg_eq_ci(nm, nl, "From")) {
			if (!seen_from)
				from_field(r, f);
			seen_from = true;
		} else if (msg_eq_ci(nm, nl, "Subject") && !r->subject) {
			char *s = msg_decode_words(f->val, f->vallen);

			r->subject = msg_clean(s, strlen(s), SUBJECT_MAX);
			free(s);
		} else if (msg_eq_ci(nm, nl, "Date") && !r->date) {
			date_field(r, f);
		} else if (msg_eq_ci(nm, nl, "Message-ID") && !r->message_id) {
			message_id_field(r, f);
		} else if (msg_eq_ci(nm, nl, "To")) {
			recipients_scan(m, r, f, REPLY_IN_TO);
		} else if (msg_eq_ci(nm, nl, "Cc")) {
			recipients_scan(m, r, f, REPLY_IN_CC);
		} else if (msg_eq_ci(nm, nl, "Delivered-To")) {
			recipients_scan(m, r, f, REPLY_IN_DELIVERED_TO);
		} else if (msg_eq_ci(nm, nl, "X-Original-To")) {
			recipients_scan(m, r, f, REPLY_IN_X_ORIGINAL_TO);
		} else if (msg_eq_ci(nm, nl, "In-Reply-To")) {
			msgid_list(m, r, f, REPLY_IN_IN_REPLY_TO);
		} else if (msg_eq_ci(nm, nl, "References")) {
			msgid_list(m, r, f, REPLY_IN_REFERENCES);
		} else if (msg_eq_ci(nm, nl, "X-Failed-Recipients")) {
			msg_addr_list(f->val, f->vallen, &m->failed);
		} else if (msg_eq_ci(nm, nl, "Return-Path")) {
			size_t n = f->vallen, in;
			const char *v = msg_trim(f->val, &n);

			in = n >= 2 ? n - 2 : 0;
			if (n >= 2 && v[0] == '<' && v[n - 1] == '>' &&
			    (msg_trim(v + 1, &in), in == 0))
				m->rp_empty = true;
		} else if (!m->list_why && (msg_eq_ci(nm, nl, "List-Id") ||
		    msg_eq_ci(nm, nl, "List-Post"))) {
			m->list_why = xstrndup(nm, nl);
		} else if (!m->list_why && msg_eq_ci(nm, nl, "Precedence") &&
		    msg_find_ci(f->val, f->vallen, "list")) {
			m->list_why = xstrdup("Precedence: list");
		} else if (!m->list_why && msg_eq_ci(nm, nl, "Content-Type") &&
		    msg_find_ci(f->val, f->vallen, "multipart/digest")) {
			m->list_why = xstrdup("a digest (multipart/digest)");
		} else if (!m->auto_why) {
			char *v = msg_field_value(f);
			size_t vn = strcspn(v, " \t;(");

			if (msg_eq_ci(nm, nl, "Auto-Submitted")) {
				if (vn && !msg_eq_ci(v, vn, "no"))
					set_auto(m, "Auto-Submitted", v);
			} else if (msg_eq_ci(nm, nl, "X-Autoreply") ||
			    msg_eq_ci(nm, nl, "X-Autorespond") ||
			    msg_eq_ci(nm, nl, "X-Autoresponder")) {
				if (vn && !msg_eq_ci(v, vn, "no") &&
				    !msg_eq_ci(v, vn, "false") && !msg_eq_ci(v, vn, "0")) {
					char *name = xstrndup(nm, nl);

					set_auto(m, name, v);
					free(name);
				}
			} else if (msg_eq_ci(nm, nl, "Precedence")) {
				if (msg_eq_ci(v, vn, "auto_reply") ||
				    msg_eq_ci(v, vn, "auto-reply") ||
				    msg_eq_ci(v, vn, "bulk") || msg_eq_ci(v, vn, "junk"))
					set_auto(m, "Precedence", v);
			} else if (msg_eq_ci(nm, nl, "X-Auto-Response-Suppress")) {
				set_auto(m, "X-Auto-Response-Suppress",
					*v ? v : "(empty)");
			}
			free(v);
		}
	}
	if (!r->subject)
		r->subject = xstrdup("");
}

/* ---- putting it together ---- */

static void
tokens_detail(struct cls *m, const struct reply *r, enum reply_token_kind kind)
{
	const struct reply_token *t = token_find(r, kind);

	if (!t)
		return;
	/* one mention of the returned message is enough */
	if (t->where == REPLY_IN_RETURNED && kind != REPLY_TOKEN_ISSUE &&
	    token_find(r, REPLY_TOKEN_ISSUE) &&
	    token_find(r, REPLY_TOKEN_ISSUE)->where == REPLY_IN_RETURNED)
		return;
	buf_printf(&m->detail, "; token in %s", replies_where_name(t->where));
	if (t->issue[0])
		buf_printf(&m->detail, " (issue %s)", t->issue);
}

/* The tokens of one header field of a returned message: its Message-ID
 * (the issue), List-Unsubscribe (the mailto MAILTO_LOCAL+TOKEN@ or the
 * URL's t=TOKEN), Return-Path (BOUNCE_LOCAL+TOKEN@). */
static void
returned_field(struct cls *m, struct reply *r, const char *name, size_t nl,
	const char *v, size_t vn)
{
	const char *dom = m->o ? m->o->msgid_domain : NULL;

	if (msg_eq_ci(name, nl, "Message-ID")) {
		msgids_scan(r, v, vn, dom, REPLY_IN_RETURNED);
	} else if (msg_eq_ci(name, nl, "List-Unsubscribe")) {
		for (size_t i = 0; i + 2 < vn; i++) {
			/* "?t=TOKEN" or "&t=TOKEN" */
			if ((v[i] == '?' || v[i] == '&') && v[i + 1] == 't' &&
			    v[i + 2] == '=' && i + 3 + TOKEN_LEN <= vn &&
			    is_token(v + i + 3, TOKEN_LEN) &&
			    (i + 3 + TOKEN_LEN == vn ||
			    !msg_is_alnum((unsigned char)v[i + 3 + TOKEN_LEN])))
				token_add(r, v + i + 3, REPLY_TOKEN_UNSUBSCRIBE,
					REPLY_IN_RETURNED, NULL);
			/* "mailto:LOCAL+TOKEN@" */
			if (v[i] == '+' && i + 1 + TOKEN_LEN < vn &&
			    v[i + 1 + TOKEN_LEN] == '@' &&
			    is_token(v + i + 1, TOKEN_LEN))
				token_add(r, v + i + 1, REPLY_TOKEN_UNSUBSCRIBE,
					REPLY_IN_RETURNED, NULL);
		}
	} else if (msg_eq_ci(name, nl, "Return-Path")) {
		char *a = msg_addr_norm(v, vn), base[128];
		const char *plus, *at;

		if (a && m->bounce[0] && (plus = strchr(a, '+')) &&
		    (at = strrchr(a, '@')) && plus < at &&
		    is_token(plus + 1, (size_t)(at - plus - 1))) {
			local_base(a, base, sizeof base);
			if (strcmp(base, m->bounce) == 0)
				token_add(r, plus + 1, REPLY_TOKEN_BOUNCE,
					REPLY_IN_RETURNED, NULL);
		}
		free(a);
	}
}

/* The returned message in a report: the tokens of its header, which
 * prove that the report concerns a message we sent (and to whom). */
static void
returned_tokens(struct cls *m, struct reply *r)
{
	if (m->w.returned) {
		struct msg_header h;

		memset(&h, 0, sizeof h);
		msg_header_split(m->w.returned, m->w.returnedlen, &h);
		for (size_t i = 0; i < h.n; i++)
			returned_field(m, r, h.v[i].name, h.v[i].namelen,
				h.v[i].val, h.v[i].vallen);
		free(h.v);
	} else {
		/* a report that pastes the returned header into its text */
		const char *t = cls_text(m);
		struct lines it = { t, t + strlen(t) };
		const char *l, *colon;
		size_t n;

		while (next_line(&it, &l, &n))
			if ((colon = memchr(l, ':', n)) != NULL)
				returned_field(m, r, l, (size_t)(colon - l),
					colon + 1, n - (size_t)(colon + 1 - l));
	}
}

/* The value of field name in a header block h[0..n) (first one; caller
 * frees), or NULL. */
static char *
block_field(const char *h, size_t n, const char *name)
{
	struct msg_header mh;
	const struct msg_field *f;
	char *v = NULL;

	memset(&mh, 0, sizeof mh);
	msg_header_split(h, n, &mh);
	if ((f = msg_header_get(&mh, name)) != NULL)
		v = msg_field_value(f);
	free(mh.v);
	return v;
}

static void
complaint_rcpt(struct reply *r, char *addr)
{
	struct reply_recipient *rc;

	if (!addr)
		return;
	if (replies_has_rcpt(r, addr)) {
		free(addr);
		return;
	}
	if (r->nrcpts >= MAX_RCPTS) {
		free(addr);
		return;
	}
	r->rcpts = xreallocarray(r->rcpts, r->nrcpts + 1, sizeof *r->rcpts);
	rc = &r->rcpts[r->nrcpts++];
	memset(rc, 0, sizeof *rc);
	rc->address = addr;
	rc->action = xstrdup("complaint");
}

/*
 * A spam complaint: a feedback report (RFC 5965: a message/feedback-report
 * part, or a multipart/report of report-type feedback-report) of any
 * Feedback-Type but auth-failure (a DMARC failure report is no person's
 * complaint), or a Hotmail JMRP report (the returned message carries
 * X-HmXmrOriginalRecipient). The complainants: Original-Rcpt-To and
 * Removal-Recipient fields, else the returned message's
 * X-HmXmrOriginalRecipient, else its To when it is one address.
 */
static bool
classify_complaint(struct cls *m, struct reply *r)
{
	const struct msg_leaf *fb = NULL;
	const struct msg_field *ct = msg_header_get(&m->h, "Content-Type");
	char *type = NULL, *v;
	bool arf;

	for (size_t i = 0; i < m->w.n && !fb; i++)
		if (!m->w.v[i].in_message &&
		    strcmp(m->w.v[i].type, "message") == 0 &&
		    strcmp(m->w.v[i].subtype, "feedback-report") == 0)
			fb = &m->w.v[i];
	arf = fb || (ct && msg_find_ci(ct->val, ct->vallen, "multipart/report") &&
	    msg_find_ci(ct->val, ct->vallen, "feedback-report"));
	if (fb) {
		char *body = msg_leaf_text(fb, false);
		struct lines it = { body, body + strlen(body) };
		const char *l, *colon;
		size_t n;

		while (next_line(&it, &l, &n)) {
			size_t vn;
			const char *val;

			if (!(colon = memchr(l, ':', n)))
				continue;
			vn = n - (size_t)(colon + 1 - l);
			val = msg_trim(colon + 1, &vn);
			if (msg_eq_ci(l, (size_t)(colon - l), "Feedback-Type") &&
			    !type) {
				size_t tn = 0;

				while (tn < vn && val[tn] != ' ' &&
				    val[tn] != '\t' && val[tn] != ';')
					tn++;
				type = msg_clean(val, tn, 30);
			}
			else if (msg_eq_ci(l, (size_t)(colon - l),
			    "Original-Rcpt-To") || msg_eq_ci(l,
			    (size_t)(colon - l), "Removal-Recipient"))
				complaint_rcpt(r, msg_addr_norm(val, vn));
		}
		free(body);
	}
	if (type && msg_eq_ci(type, strlen(type), "auth-failure")) {
		free(type);
		replies_rcpts_drop(r, 0);
		return false;
	}
	v = m->w.returned ? block_field(m->w.returned, m->w.returnedlen,
	    "X-HmXmrOriginalRecipient") : NULL;
	if (!arf && !v) {
		free(type);
		return false;
	}
	if (v && !r->nrcpts)
		complaint_rcpt(r, msg_addr_norm(v, strlen(v)));
	free(v);
	if (!r->nrcpts && m->w.returned &&
	    (v = block_field(m->w.returned, m->w.returnedlen, "To")) != NULL) {
		struct strlist l = { NULL, 0, 0 };

		msg_addr_list(v, strlen(v), &l);
		if (l.n == 1) {
			complaint_rcpt(r, l.v[0]);
			l.v[0] = NULL;
		}
		strlist_free(&l);
		free(v);
	}
	r->cls = REPLY_COMPLAINT;
	buf_printf(&m->detail, "%s (%s)", arf ? "feedback report" :
		"Hotmail JMRP report", type ? type : "abuse");
	free(type);
	returned_tokens(m, r);
	return true;
}

static bool
classify_dsn(struct cls *m, struct reply *r)
{
	const struct msg_leaf *st = NULL;
	size_t added;
	char *body;
	bool perm = false, fail = false;

	const struct msg_field *ct = msg_header_get(&m->h, "Content-Type");
	/* a filter (InterScan) may wrap the whole report as a message/rfc822
	 * part, saying report-type=delivery-status outside: then the first
	 * report inside is the report */
	bool wrapped = ct && msg_find_ci(ct->val, ct->vallen, "delivery-status");

	for (int pass = 0; pass < (wrapped ? 2 : 1) && !st; pass++)
		for (size_t i = 0; i < m->w.n && !st; i++)
			if (m->w.v[i].in_message == (pass == 1) &&
			    strcmp(m->w.v[i].type, "message") == 0 &&
			    (strcmp(m->w.v[i].subtype, "delivery-status") == 0 ||
			    strcmp(m->w.v[i].subtype,
			    "global-delivery-status") == 0))
				st = &m->w.v[i];
	if (!st)
		return false;
	body = msg_leaf_text(st, false);
	added = replies_parse_dsn(body, strlen(body), r);
	free(body);
	if (!added)
		return false;
	bounce_fill_addresses(m, r);
	for (size_t i = 0; i < r->nrcpts; i++) {
		fail |= r->rcpts[i].failed;
		perm |= r->rcpts[i].failed && r->rcpts[i].permanent;
	}
	if (!fail) {
		r->cls = REPLY_AUTO_REPLY;
		buf_printf(&m->detail, "delivery report without failure (%s)",
			r->rcpts[0].action ? r->rcpts[0].action : "no action");
		return true;
	}
	r->cls = perm ? REPLY_BOUNCE_PERMANENT : REPLY_BOUNCE_TRANSIENT;
	buf_puts(&m->detail, "DSN");
	for (size_t i = 0, shown = 0; i < r->nrcpts && shown < 3; i++) {
		const struct reply_recipient *rc = &r->rcpts[i];

		if (!rc->failed)
			continue;
		buf_printf(&m->detail, "%s %s%s%s", shown ? "," : ":",
			rc->status[0] ? rc->status : "",
			rc->status[0] && rc->action ? " " : "",
			rc->action ? rc->action : "");
		shown++;
	}
	return true;
}

/* A reply to a subscription confirmation message confirms it, unless
 * its words ask to leave (then it is read as a request to leave). */
static bool
classify_subscribe(struct cls *m, struct reply *r)
{
	const struct reply_token *t = token_find(r, REPLY_TOKEN_SUBSCRIBE);
	const char *kw;

	if (!t) {
		/* the marker quoted in the body */
		const char *text = cls_text(m), *p = text;
		const char *end = text + strlen(text);
		size_t ml = strlen(REPLIES_SUBSCRIBE_MARKER);

		while ((p = msg_find_ci(p, (size_t)(end - p),
		    REPLIES_SUBSCRIBE_MARKER))) {
			if ((p == text || !msg_is_alnum((unsigned char)p[-1])) &&
			    (size_t)(end - p) >= ml + TOKEN_CONFIRM_LEN &&
			    is_token_n(p + ml, TOKEN_CONFIRM_LEN,
			    TOKEN_CONFIRM_LEN) &&
			    !msg_is_alnum((unsigned char)p[ml +
			    TOKEN_CONFIRM_LEN])) {
				token_add(r, p + ml, REPLY_TOKEN_SUBSCRIBE,
					REPLY_IN_BODY, NULL);
				break;
			}
			p += ml;
		}
		if (!(t = token_find(r, REPLY_TOKEN_SUBSCRIBE)))
			return false;
	}
	kw = replies_keyword(r->subject, true);
	if (!kw) {
		char *fresh = replies_fresh_text(cls_text(m), FRESH_LINES);

		kw = replies_keyword(fresh, false);
		free(fresh);
	}
	if (kw)
		return false;
	r->cls = REPLY_SUBSCRIBE;
	r->proof = true;
	buf_printf(&m->detail, "confirms a subscription: token in %s",
		replies_where_name(t->where));
	return true;
}

static void
classify_unsubscribe(struct cls *m, struct reply *r)
{
	const struct reply_token *t;
	const char *kw = replies_keyword(r->subject, true);
	const char *kwwhere = "subject";

	if ((t = token_find(r, REPLY_TOKEN_UNSUBSCRIBE))) {
		r->cls = REPLY_UNSUBSCRIBE;
		r->proof = true;
		r->keyword = kw;
		buf_printf(&m->detail, "token in %s",
			replies_where_name(t->where));
		return;
	}
	if (!(t = token_find(r, REPLY_TOKEN_CONFIRM))) {
		/* the marker of a confirmation request quoted in the body */
		const char *text = cls_text(m), *p = text;
		const char *end = text + strlen(text);
		size_t ml = strlen(REPLIES_CONFIRM_MARKER);

		while ((p = msg_find_ci(p, (size_t)(end - p), REPLIES_CONFIRM_MARKER))) {
			if ((p == text || !msg_is_alnum((unsigned char)p[-1])) &&
			    (size_t)(end - p) >= ml + TOKEN_LEN &&
			    is_token(p + ml, TOKEN_LEN) &&
			    !msg_is_alnum((unsigned char)p[ml + TOKEN_LEN])) {
				token_add(r, p + ml, REPLY_TOKEN_CONFIRM,
					REPLY_IN_BODY, NULL);
				break;
			}
			p += ml;
		}
		t = token_find(r, REPLY_TOKEN_CONFIRM);
	}
	if (t) {
		r->cls = REPLY_UNSUBSCRIBE;
		r->proof = true;
		r->keyword = kw;
		buf_printf(&m->detail, "confirmation: token in %s",
			replies_where_name(t->where));
		return;
	}
	if (!kw) {
		char *fresh = replies_fresh_text(cls_text(m), FRESH_LINES);

		kw = replies_keyword(fresh, false);
		kwwhere = "text";
		free(fresh);
	}
	if (kw) {
		r->cls = REPLY_UNSUBSCRIBE;
		r->keyword = kw;
		t = token_find(r, REPLY_TOKEN_ISSUE);
		if (t && (t->where == REPLY_IN_IN_REPLY_TO ||
		    t->where == REPLY_IN_REFERENCES)) {
			r->proof = true;
			buf_printf(&m->detail, "asks \"%s\" in %s; token in %s "
				"(issue %s)", kw, kwwhere,
				replies_where_name(t->where), t->issue);
		} else {
			buf_printf(&m->detail, "asks \"%s\" in %s; no token: "
				"From must confirm", kw, kwwhere);
		}
		return;
	}
	if (m->to_unsub) {
		r->cls = REPLY_UNSUBSCRIBE;
		buf_puts(&m->detail, "sent to the unsubscribe address without "
			"a valid token: From must confirm");
	}
}

static void
malformed(struct reply *r, const char *why)
{
	r->cls = REPLY_MALFORMED;
	free(r->detail);
	r->detail = xasprintf("not a message: %s", why);
	if (!r->subject)
		r->subject = xstrdup("");
}

enum reply_class
replies_classify(const char *data, size_t len, const struct replies_opts *o,
	struct reply *r)
{
	struct cls m;
	size_t max = o && o->max_size ? o->max_size : REPLIES_MAX_SIZE;
	size_t skip = 0;
	bool perm;

	memset(r, 0, sizeof *r);
	memset(&m, 0, sizeof m);
	m.o = o;
	r->cls = REPLY_OTHER;
	if (len > max) {
		len = max;
		r->truncated = true;
	}
	if (o) {
		local_base(o->unsub_mailto, m.unsub, sizeof m.unsub);
		local_base(o->bounce, m.bounce, sizeof m.bounce);
	}
	/* an mbox "From " line before the header */
	if (len > 5 && memcmp(data, "From ", 5) == 0) {
		const char *nl = memchr(data, '\n', len);

		skip = nl ? (size_t)(nl - data) + 1 : len;
	}
	data += skip;
	len -= skip;
	if (len == 0 || (len <= 2 && (data[0] == '\r' || data[0] == '\n'))) {
		malformed(r, "empty");
		return r->cls;
	}
	msg_header_split(data, len, &m.h);
	if (m.h.first_bad || m.h.n == 0) {
		malformed(r, "no header section");
	} else if (m.h.nul) {
		malformed(r, "NUL byte in the header");
	} else if (m.h.bad > m.h.n) {
		malformed(r, "more broken lines than fields in the header");
	}
	if (r->cls == REPLY_MALFORMED) {
		free(m.h.v);
		return r->cls;
	}

	header_scan(&m, r);
	m.body = data + (m.h.end < len ? m.h.end : len);
	m.bodylen = len - (size_t)(m.body - data);
	fold(r->subject, strlen(r->subject), &m.fsubj);
	msg_walk(&m.w, data, len, &m.h);

	if (classify_complaint(&m, r)) {
		tokens_detail(&m, r, REPLY_TOKEN_ISSUE);
		tokens_detail(&m, r, REPLY_TOKEN_UNSUBSCRIBE);
		tokens_detail(&m, r, REPLY_TOKEN_BOUNCE);
	} else if (classify_dsn(&m, r)) {
		if (r->cls != REPLY_AUTO_REPLY) {
			returned_tokens(&m, r);
			tokens_detail(&m, r, REPLY_TOKEN_BOUNCE);
			tokens_detail(&m, r, REPLY_TOKEN_ISSUE);
		}
	} else if (bounce_by_text(&m, r, &perm)) {
		r->cls = perm ? REPLY_BOUNCE_PERMANENT : REPLY_BOUNCE_TRANSIENT;
		returned_tokens(&m, r);
		tokens_detail(&m, r, REPLY_TOKEN_BOUNCE);
		tokens_detail(&m, r, REPLY_TOKEN_ISSUE);
	} else {
		/* not a bounce: what the text above set is dropped */
		replies_rcpts_drop(r, 0);
		buf_reset(&m.detail);
		if (m.list_why) {
			/* list traffic and digests: never a request, whatever
			 * their footers say */
			r->cls = REPLY_OTHER;
			buf_printf(&m.detail, "mailing-list message (%s)",
				m.list_why);
		} else if (m.auto_why || m.rp_empty ||
		    any_of(m.fsubj.data, m.fsubj.len, auto_subjects)) {
			r->cls = REPLY_AUTO_REPLY;
			if (m.auto_why)
				buf_puts(&m.detail, m.auto_why);
			else if (m.rp_empty)
				buf_puts(&m.detail, "empty Return-Path without "
					"a delivery report");
			else
				buf_printf(&m.detail, "subject \"%s\"",
					r->subject);
		} else if (!classify_subscribe(&m, r)) {
			classify_unsubscribe(&m, r);
			if (r->cls == REPLY_OTHER) {
				const struct reply_token *t =
					token_find(r, REPLY_TOKEN_ISSUE);

				if (t)
					buf_printf(&m.detail, "reply to issue %s, ",
						t->issue);
				if (r->subject[0])
					buf_printf(&m.detail, "subject \"%s\"",
						r->subject);
				else
					buf_puts(&m.detail, "no subject");
			}
		}
	}
	/* a delivery report without a From line is still one (RFC 3464 does
	 * not need it); anything else without From is not a message */
	if (!msg_header_get(&m.h, "From") && r->cls != REPLY_BOUNCE_PERMANENT &&
	    r->cls != REPLY_BOUNCE_TRANSIENT && r->cls != REPLY_COMPLAINT) {
		replies_rcpts_drop(r, 0);
		r->proof = false;
		buf_free(&m.detail);
		buf_free(&m.fsubj);
		free(m.h.v);
		msg_walk_free(&m.w);
		free(m.text);
		free(m.auto_why);
		free(m.list_why);
		strlist_free(&m.failed);
		malformed(r, "no From header");
		return r->cls;
	}
	if (r->cls == REPLY_UNSUBSCRIBE && r->proof)
		buf_puts(&m.detail, " (not yet checked against the store)");
	if (r->cls == REPLY_UNSUBSCRIBE && !r->from)
		buf_puts(&m.detail, "; no usable From address");
	if (r->truncated)
		buf_printf(&m.detail, "; only the first %zu bytes read", max);
	if (m.w.deep)
		buf_printf(&m.detail, "; MIME structure over %d levels, partly "
			"read", MSG_MAX_DEPTH);
	else if (m.w.wide)
		buf_printf(&m.detail, "; over %d MIME parts, partly read",
			MSG_MAX_PARTS);
	r->detail = msg_clean(buf_str(&m.detail), m.detail.len, 400);

	buf_free(&m.detail);
	buf_free(&m.fsubj);
	free(m.h.v);
	msg_walk_free(&m.w);
	free(m.text);
	free(m.auto_why);
	free(m.list_why);
	strlist_free(&m.failed);
	return r->cls;
}

void
reply_free(struct reply *r)
{
	if (!r)
		return;
	free(r->message_id);
	free(r->from);
	free(r->from_name);
	free(r->subject);
	free(r->date);
	free(r->tokens);
	replies_rcpts_drop(r, 0);
	free(r->rcpts);
	free(r->detail);
	memset(r, 0, sizeof *r);
}

const char *
replies_class_name(enum reply_class c)
{
	switch (c) {
	case REPLY_MALFORMED: return "malformed";
	case REPLY_OTHER: return "other";
	case REPLY_AUTO_REPLY: return "auto-reply";
	case REPLY_UNSUBSCRIBE: return "unsubscribe";
	case REPLY_BOUNCE_PERMANENT: return "bounce-permanent";
	case REPLY_BOUNCE_TRANSIENT: return "bounce-transient";
	case REPLY_COMPLAINT: return "complaint";
	case REPLY_SUBSCRIBE: return "subscribe";
	}
	return "other";
}

const char *
replies_where_name(enum reply_where w)
{
	switch (w) {
	case REPLY_IN_TO: return "To";
	case REPLY_IN_CC: return "Cc";
	case REPLY_IN_DELIVERED_TO: return "Delivered-To";
	case REPLY_IN_X_ORIGINAL_TO: return "X-Original-To";
	case REPLY_IN_IN_REPLY_TO: return "In-Reply-To";
	case REPLY_IN_REFERENCES: return "References";
	case REPLY_IN_BODY: return "body";
	case REPLY_IN_RETURNED: return "returned message";
	}
	return "?";
}

char *
replies_addresses(const struct reply *r)
{
	struct buf b = BUF_INIT;

	if (r->cls == REPLY_UNSUBSCRIBE && r->from) {
		buf_puts(&b, r->from);
	} else if (r->cls == REPLY_BOUNCE_PERMANENT ||
	    r->cls == REPLY_BOUNCE_TRANSIENT || r->cls == REPLY_COMPLAINT) {
		bool all = r->cls == REPLY_COMPLAINT;

		for (size_t i = 0; i < r->nrcpts; i++) {
			const char *a = r->rcpts[i].address;
			bool seen = false;

			if (!a || (!r->rcpts[i].failed && !all))
				continue;
			for (size_t j = 0; j < i; j++)
				if (r->rcpts[j].address &&
				    (r->rcpts[j].failed || all) &&
				    strcmp(r->rcpts[j].address, a) == 0)
					seen = true;
			if (seen)
				continue;
			if (b.len)
				buf_putc(&b, ',');
			buf_puts(&b, a);
		}
	}
	if (!b.len)
		buf_puts(&b, "-");
	return buf_detach(&b);
}
