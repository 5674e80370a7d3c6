/* test_replies.c - keywords, quote and signature stripping, HTML to text,
 * DSN parsing and the classification of small messages */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "msg.h"
#include "replies.h"
#include "unit.h"
#include "util.h"

#define TOK "aaaaaaaaaaaaohjoh5afcyttqsk2nn6i"

static const struct replies_opts opts = {
	"infolettre-unsubscribe@ssphub.example.fr",
	"infolettre-bounces@ssphub.example.fr",
	NULL,
	0,
};

/* Classify a message given as a string; the caller frees r. */
static enum reply_class
classify(const char *msg, struct reply *r)
{
	return replies_classify(msg, strlen(msg), &opts, r);
}

static void
test_keyword_subject(void)
{
	CHECK_STR(replies_keyword("unsubscribe", true), "unsubscribe");
	CHECK_STR(replies_keyword("Re: Unsubscribe me", true), "unsubscribe");
	CHECK_STR(replies_keyword("RE : désinscription", true),
		"désinscription");
	CHECK_STR(replies_keyword("TR: DÉSINSCRIPTION", true),
		"désinscription");
	CHECK_STR(replies_keyword("Fwd: Re: desinscription", true),
		"désinscription");
	CHECK_STR(replies_keyword("Désabonnement", true), "désabonnement");
	CHECK_STR(replies_keyword("me désabonner", true), "désabonnement");
	CHECK_STR(replies_keyword("AW: me désinscrire", true),
		"désinscription");
	CHECK_STR(replies_keyword("Re: retirez-moi", true), "retirez-moi");
	CHECK_STR(replies_keyword("RETIREZ MOI de la liste", true),
		"retirez-moi");
	CHECK_STR(replies_keyword("STOP", true), "stop");
	CHECK_STR(replies_keyword("Re: stop svp", true), "stop");
	CHECK_STR(replies_keyword("RE: [SSP Hub] Stop !", true), "stop");
	CHECK(replies_keyword("Re: Stop aux silos de données", true) == NULL);
	CHECK(replies_keyword("Re: Infolettre du SSP Hub", true) == NULL);
	CHECK(replies_keyword("nonstop", true) == NULL);
	CHECK(replies_keyword("Question sur l'inscription", true) == NULL);
	CHECK(replies_keyword("", true) == NULL);
}

static void
test_keyword_text(void)
{
	CHECK_STR(replies_keyword("Bonjour,\nMerci de me désinscrire.\n",
		false), "désinscription");
	CHECK_STR(replies_keyword("STOP\n", false), "stop");
	CHECK_STR(replies_keyword("Hello\nplease remove me\n", false),
		"remove me");
	CHECK_STR(replies_keyword("Je souhaite me DESABONNER\n", false),
		"désabonnement");
	/* "stop" only counts as a line of its own */
	CHECK(replies_keyword("Bravo, stop aux silos !\n", false) == NULL);
	CHECK(replies_keyword("Merci pour l'article\n", false) == NULL);
}

static void
test_fresh_text(void)
{
	char *t;

	t = replies_fresh_text("Bonjour,\n> désinscription\n>> stop\nMerci\n",
		5);
	CHECK_STR(t, "Bonjour,\nMerci\n");
	free(t);

	t = replies_fresh_text("Oui\r\n-- \r\nJean\r\nunsubscribe\r\n", 5);
	CHECK_STR(t, "Oui\n");
	free(t);

	t = replies_fresh_text("Bien reçu\n\nLe mar. 2 juin 2026 à 09:00, "
		"SSP Hub <infolettre@ssphub.example.fr> a écrit :\n"
		"Pour vous désinscrire\n", 5);
	CHECK_STR(t, "Bien reçu\n");
	free(t);

	/* the attribution wrapped over two lines */
	t = replies_fresh_text("Thanks\nOn Tue, Jun 2, 2026 at 9:00 AM SSP Hub "
		"<infolettre@ssphub.example.fr>\nwrote:\nunsubscribe here\n", 5);
	CHECK_STR(t, "Thanks\n");
	free(t);

	t = replies_fresh_text("Très bien.\n\nDe : SSP Hub\nEnvoyé : mardi\n"
		"À : moi\nObjet : Infolettre\ndésinscription\n", 5);
	CHECK_STR(t, "Très bien.\n");
	free(t);

	/* the reply below the quote */
	t = replies_fresh_text("Le 02/06/2026 à 09:00, SSP Hub a écrit :\n"
		"> Bonjour,\n> Pour vous désinscrire\n\nstop\n", 5);
	CHECK_STR(t, "stop\n");
	free(t);
	t = replies_fresh_text("On Tue, Jun 2, 2026 at 9:00 AM SSP Hub\n"
		"<infolettre@ssphub.example.fr> wrote:\n> Hello\n\nunsubscribe\n"
		"On Wed, Jun 3, 2026, B wrote:\n> x\nmore\n", 5);
	CHECK_STR(t, "unsubscribe\n");
	free(t);

	t = replies_fresh_text("Ok\n-----Original Message-----\nstop\n", 5);
	CHECK_STR(t, "Ok\n");
	free(t);

	t = replies_fresh_text("  un  \n\n deux\ntrois\nquatre\ncinq\nsix\n", 3);
	CHECK_STR(t, "un\ndeux\ntrois\n");
	free(t);

	/* a sentence starting with "Le" is not a reply header */
	t = replies_fresh_text("Le lien ne marche pas.\nstop\n", 5);
	CHECK_STR(t, "Le lien ne marche pas.\nstop\n");
	free(t);

	t = replies_fresh_text("", 5);
	CHECK_STR(t, "");
	free(t);
}

static void
test_html_text(void)
{
	const char *h = "<html><head><title>unsubscribe</title><style>p{}"
		"</style></head><body><p>Please&nbsp;<b>unsubscribe</b> me"
		"</p><p>D&eacute;sinscription &amp; co&#233; &#xE9;</p>"
		"<!-- stop --><blockquote><p>quoted</p><blockquote>deeper"
		"</blockquote></blockquote><div>after</div></body></html>";
	char *t = msg_html_text(h, strlen(h));

	CHECK_STR(t, "Please unsubscribe me\nDésinscription & coé é\n"
		"> quoted\n> > deeper\nafter\n");
	free(t);
	/* unclosed constructs end the text, never read past it */
	t = msg_html_text("a<b", 3);
	CHECK_STR(t, "a<b\n");
	free(t);
	t = msg_html_text("x<!-- never closed", 18);
	CHECK_STR(t, "x\n");
	free(t);
	t = msg_html_text("<script>var a = 1;", 18);
	CHECK_STR(t, "");
	free(t);
	t = msg_html_text("&#0;&#xD800;&#99999999;&bogus;", 30);
	CHECK_STR(t, "???&bogus;\n");
	free(t);
}

static void
test_dsn(void)
{
	const char *d =
		"Reporting-MTA: dns; mail.example.org\r\n"
		"Arrival-Date: Tue,  2 Jun 2026 09:00:00 +0200\r\n"
		"\r\n"
		"Final-Recipient: rfc822; Jean.Dupont@Example.ORG\r\n"
		"Action: failed\r\n"
		"Status: 5.1.1 (bad destination mailbox)\r\n"
		"Diagnostic-Code: smtp; 550 5.1.1 <jean.dupont@example.org>:\r\n"
		"    User unknown\r\n"
		"\r\n"
		"Final-Recipient: rfc822;<marie@example.com>\r\n"
		"Action: delayed\r\n"
		"Status: 4.2.2\r\n"
		"\r\n"
		"Original-Recipient: rfc822;paul@example.com\r\n"
		"Action: failed\r\n"
		"\r\n"
		"Final-Recipient: rfc822; ok@example.com\r\n"
		"Action: delivered\r\n"
		"Status: 2.0.0\r\n";
	struct reply r;

	memset(&r, 0, sizeof r);
	CHECK_INT(replies_parse_dsn(d, strlen(d), &r), 4);
	CHECK_INT(r.nrcpts, 4);
	if (r.nrcpts == 4) {
		CHECK_STR(r.rcpts[0].address, "Jean.Dupont@example.org");
		CHECK_STR(r.rcpts[0].status, "5.1.1");
		CHECK_STR(r.rcpts[0].action, "failed");
		CHECK_STR(r.rcpts[0].diagnostic,
			"smtp; 550 5.1.1 <jean.dupont@example.org>: User unknown");
		CHECK(r.rcpts[0].failed && r.rcpts[0].permanent);
		CHECK_STR(r.rcpts[1].address, "marie@example.com");
		CHECK_STR(r.rcpts[1].status, "4.2.2");
		CHECK(r.rcpts[1].failed && !r.rcpts[1].permanent);
		/* no Status: the Action decides */
		CHECK_STR(r.rcpts[2].address, "paul@example.com");
		CHECK_STR(r.rcpts[2].status, "");
		CHECK(r.rcpts[2].failed && r.rcpts[2].permanent);
		CHECK(!r.rcpts[3].failed);
	}
	reply_free(&r);

	/* bad status codes are not status codes; LF line ends; no blank
	 * line between two recipients */
	d = "Final-Recipient: rfc822; a@example.com\nStatus: 5.1\n"
		"Final-Recipient: rfc822; b@example.com\nStatus: 4.7.1234\n"
		"Action: delayed\n";
	CHECK_INT(replies_parse_dsn(d, strlen(d), &r), 2);
	if (r.nrcpts == 2) {
		CHECK_STR(r.rcpts[0].status, "");
		CHECK(!r.rcpts[0].failed);
		CHECK_STR(r.rcpts[1].status, "");
		CHECK(r.rcpts[1].failed && !r.rcpts[1].permanent);
	}
	reply_free(&r);

	CHECK_INT(replies_parse_dsn("", 0, &r), 0);
	CHECK_INT(replies_parse_dsn("garbage\n\n\n:::\n", 15, &r), 0);
	reply_free(&r);
}

static void
test_classify_tokens(void)
{
	struct reply r;

	CHECK_INT(classify("From: Jean <jean@Example.FR>\r\n"
		"To: infolettre-unsubscribe+" TOK "@ssphub.example.fr\r\n"
		"Subject: unsubscribe\r\nMessage-ID: <x1@example.fr>\r\n"
		"Date: Tue, 02 Jun 2026 14:00:00 +0200\r\n\r\n", &r),
		REPLY_UNSUBSCRIBE);
	CHECK(r.proof);
	CHECK_STR(r.from, "jean@example.fr");
	CHECK_STR(r.from_name, "Jean");
	CHECK_STR(r.message_id, "x1@example.fr");
	CHECK_STR(r.date, "2026-06-02 14:00:00 +0200");
	CHECK_INT(r.ntokens, 1);
	if (r.ntokens == 1) {
		CHECK_STR(r.tokens[0].token, TOK);
		CHECK_INT(r.tokens[0].kind, REPLY_TOKEN_UNSUBSCRIBE);
		CHECK_INT(r.tokens[0].where, REPLY_IN_TO);
	}
	{
		char *a = replies_addresses(&r);
		CHECK_STR(a, "jean@example.fr");
		free(a);
	}
	reply_free(&r);

	/* an issue's Message-ID proves who asks, not that they ask */
	CHECK_INT(classify("From: jean@example.fr\nSubject: Re: Infolettre\n"
		"In-Reply-To: <2026-06." TOK "@ssphub.example.fr>\n\nMerci !\n",
		&r), REPLY_OTHER);
	CHECK_INT(r.ntokens, 1);
	if (r.ntokens == 1) {
		CHECK_INT(r.tokens[0].kind, REPLY_TOKEN_ISSUE);
		CHECK_STR(r.tokens[0].issue, "2026-06");
	}
	reply_free(&r);
	CHECK_INT(classify("From: jean@example.fr\nSubject: Re: Infolettre\n"
		"References: <a@b> <2026-06." TOK "@ssphub.example.fr>\n\n"
		"stop\n", &r), REPLY_UNSUBSCRIBE);
	CHECK(r.proof);
	CHECK_STR(r.keyword, "stop");
	reply_free(&r);

	/* the domain of our Message-IDs, when given, must match */
	{
		struct replies_opts o = opts;
		const char *m = "From: jean@example.fr\nSubject: stop\n"
			"In-Reply-To: <2026-06." TOK "@evil.example.com>\n\n";

		o.msgid_domain = "ssphub.example.fr";
		CHECK_INT(replies_classify(m, strlen(m), &o, &r),
			REPLY_UNSUBSCRIBE);
		CHECK(!r.proof);
		CHECK_INT(r.ntokens, 0);
		reply_free(&r);
	}

	/* 31 characters, or a '1': not a token */
	CHECK_INT(classify("From: jean@example.fr\n"
		"To: infolettre-unsubscribe+aaaaaaaaaaaaohjoh5afcyttqsk2nn6@ssphub.example.fr\n"
		"Subject: hello\n\n", &r), REPLY_UNSUBSCRIBE);
	CHECK(!r.proof);
	CHECK_INT(r.ntokens, 0);
	reply_free(&r);
	CHECK_INT(classify("From: jean@example.fr\n"
		"To: infolettre+aaaaaaaaaaaaohjoh5afcyttqsk2nn6i@ssphub.example.fr\n"
		"Subject: hello\n\n", &r), REPLY_OTHER);
	CHECK_INT(r.ntokens, 0);
	reply_free(&r);
}

static void
test_classify_precedence(void)
{
	struct reply r;

	/* a bounce that quotes our message is a bounce, not a request */
	CHECK_INT(classify("From: MAILER-DAEMON@example.com\n"
		"To: infolettre-bounces+" TOK "@ssphub.example.fr\n"
		"Subject: Undelivered Mail Returned to Sender\n\n"
		"<a@example.com>: 550 5.1.1 User unknown\n\n"
		"Subject: désinscription\n"
		"List-Unsubscribe: <mailto:infolettre-unsubscribe+" TOK
		"@ssphub.example.fr>\n", &r), REPLY_BOUNCE_PERMANENT);
	CHECK_INT(r.nrcpts, 1);
	if (r.nrcpts == 1)
		CHECK_STR(r.rcpts[0].status, "5.1.1");
	/* the envelope's token, and the returned List-Unsubscribe's (proof
	 * of which message bounced, never a request) */
	CHECK_INT(r.ntokens, 2);
	if (r.ntokens == 2) {
		CHECK_INT(r.tokens[0].kind, REPLY_TOKEN_BOUNCE);
		CHECK_INT(r.tokens[1].kind, REPLY_TOKEN_UNSUBSCRIBE);
		CHECK_INT(r.tokens[1].where, REPLY_IN_RETURNED);
	}
	reply_free(&r);

	/* an out-of-office that says "unsubscribe" */
	CHECK_INT(classify("From: a@example.com\nAuto-Submitted: auto-replied\n"
		"Subject: unsubscribe\n\nunsubscribe\n", &r), REPLY_AUTO_REPLY);
	CHECK_STR(r.detail, "Auto-Submitted: auto-replied");
	reply_free(&r);
	CHECK_INT(classify("From: a@example.com\nAuto-Submitted: no\n"
		"Subject: unsubscribe\n\n", &r), REPLY_UNSUBSCRIBE);
	reply_free(&r);
	CHECK_INT(classify("From: a@example.com\nPrecedence: junk\n"
		"Subject: x\n\n", &r), REPLY_AUTO_REPLY);
	reply_free(&r);
	CHECK_INT(classify("From: a@example.com\nReturn-Path: < >\n"
		"Subject: x\n\n", &r), REPLY_AUTO_REPLY);
	reply_free(&r);
	CHECK_INT(classify("From: a@example.com\n"
		"Subject: =?utf-8?q?R=C3=A9ponse_automatique?=\n\n", &r),
		REPLY_AUTO_REPLY);
	reply_free(&r);
}

static void
test_classify_malformed(void)
{
	static const struct {
		const char *msg;
		size_t len;
		const char *detail;
	} cases[] = {
		{ "", 0, "not a message: empty" },
		{ "\r\n", 2, "not a message: empty" },
		{ "hello world\n", 12, "not a message: no header section" },
		{ " From: a@b.c\n\n", 14, "not a message: no header section" },
		{ "From: a@b.c\nSub\0ject: x\n\n", 25,
		  "not a message: NUL byte in the header" },
		{ "Subject: x\n\nbody", 16, "not a message: no From header" },
		{ "From: a@b.c\n\x01\x02\n\x03\n\n", 19,
		  "not a message: more broken lines than fields in the header" },
	};
	struct reply r;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK_INT(replies_classify(cases[i].msg, cases[i].len, &opts, &r),
			REPLY_MALFORMED);
		CHECK_STR(r.detail, cases[i].detail);
		reply_free(&r);
	}
	/* NUL bytes in a body are fine */
	CHECK_INT(replies_classify("From: a@b.c\n\nun\0subscribe", 25, &opts,
		&r), REPLY_OTHER);
	reply_free(&r);
}

static void
test_classify_text(void)
{
	struct reply r;

	/* control characters and folding in the subject are cleaned */
	CHECK_INT(classify("From: a@example.com\nSubject: line\x1b[31m red\n"
		"\tcontinued\n\nHi\n", &r), REPLY_OTHER);
	CHECK_STR(r.subject, "line?[31m red continued");
	reply_free(&r);

	/* a charset libetpan does not know falls back to Latin-1 */
	CHECK_INT(classify("From: a@example.com\nSubject: x\n"
		"Content-Type: text/plain; charset=x-unknown\n\n"
		"d\xe9sinscription\n", &r), REPLY_UNSUBSCRIBE);
	reply_free(&r);

	/* multipart/alternative: the plain part is read */
	CHECK_INT(classify("From: a@example.com\nSubject: x\n"
		"Content-Type: multipart/alternative; boundary=\"b\"\n\n"
		"--b\nContent-Type: text/plain\n\nstop\n"
		"--b\nContent-Type: text/html\n\n<p>merci</p>\n--b--\n", &r),
		REPLY_UNSUBSCRIBE);
	reply_free(&r);

	/* boundary="" and other broken multiparts do not crash */
	CHECK_INT(classify("From: a@example.com\nSubject: x\n"
		"Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\nstop\n",
		&r), REPLY_OTHER);
	reply_free(&r);
	CHECK_INT(classify("From: a@example.com\nSubject: x\n"
		"Content-Type: multipart/mixed; boundary=\"\\\"\"\n\n"
		"--\"\n\nstop\n", &r), REPLY_UNSUBSCRIBE);
	reply_free(&r);
}

/* Bounce shapes from real servers (tests/corpus/sisimai-rb-*): the class
 * and the failed recipients. */
static void
bounce_is(const char *msg, enum reply_class want, const char *addrs)
{
	struct reply r;
	char *a;

	CHECK_INT(classify(msg, &r), want);
	a = replies_addresses(&r);
	CHECK_STR(a, addrs);
	free(a);
	reply_free(&r);
}

#define DSN_HEAD "From: MAILER-DAEMON@mx.example.org\n" \
	"Subject: Delivery Status Notification (Failure)\n" \
	"Content-Type: multipart/report; report-type=delivery-status; " \
	"boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n"

static void
test_classify_bounce_shapes(void)
{
	struct reply r;

	/* SendGrid: Action "expired", an empty Status: it gave up */
	bounce_is(DSN_HEAD "not able to be delivered\n--b\n"
		"Content-Type: message/delivery-status\n\n"
		"Original-Recipient: rfc822; kijitora@example.org\n"
		"Action: expired\nStatus: \n"
		"Diagnostic-Code: Connection timed out\n--b--\n",
		REPLY_BOUNCE_PERMANENT, "kijitora@example.org");
	/* Exim: a Final-Recipient that is a file; X-Failed-Recipients */
	bounce_is("X-Failed-Recipients: nyaan%gol.com@q002.example.com\n"
		DSN_HEAD "mailbox is full: retry timeout exceeded\n--b\n"
		"Content-Type: message/delivery-status\n\n"
		"Final-Recipient: rfc822;/mail/spool/q002/n2.nyaan\n"
		"Action: failed\nStatus: 5.0.0\n--b--\n",
		REPLY_BOUNCE_PERMANENT, "nyaan%gol.com@q002.example.com");
	/* Sendmail: "@host" for a recipient; its address in the text */
	bounce_is(DSN_HEAD "   ----- The following addresses had permanent "
		"fatal errors -----\n<kijitora@example.org>\n"
		"    (reason: 550 Host unknown)\n--b\n"
		"Content-Type: message/delivery-status\n\n"
		"Final-Recipient: RFC822; @mx.example.org\n"
		"Action: failed\nStatus: 5.1.2\n--b--\n",
		REPLY_BOUNCE_PERMANENT, "kijitora@example.org");
	/* DSN fields in a text/plain part: the diagnostic's address is not
	 * a recipient */
	bounce_is("From: MAILER-DAEMON@example.jp\n"
		"Subject: Delivery Status Notification (Failure)\n\n"
		"An error occurred while trying to deliver the mail\n\n"
		"Final-Recipient: rfc822; sabineko@example.jp\nAction: failed\n"
		"Diagnostic-Code: smtp; 550 5.2.1 <filtered@example.jp>... "
		"User Unknown\nStatus: 5.2.1\n",
		REPLY_BOUNCE_PERMANENT, "sabineko@example.jp");
	/* a bulleted recipient; "Unable to deliver message to: <a@b>" */
	bounce_is("From: Mail Delivery Subsystem <mailer-daemon@example.net>\n"
		"Subject: Delivery Status Notification (Failure)\n\n"
		"Delivery to the following recipients failed permanently:\n\n"
		"     * kijitora@example.or.jp\n",
		REPLY_BOUNCE_PERMANENT, "kijitora@example.or.jp");
	bounce_is("From: postmaster@example.org\nSubject: failure notice\n\n"
		"Unable to deliver message to: <kijitora@example.org>\n"
		"552 sorry, mailbox kijitora@example.org is over quota "
		"temporarily (#5.1.1)\n",
		REPLY_BOUNCE_PERMANENT, "kijitora@example.org");
	bounce_is("From: mailer-daemon@example.jp\nSubject: Undeliverable\n\n"
		"Unable to deliver message to <kijitora@neko.example.jp> (and "
		"other recipients in the same domain).\n",
		REPLY_BOUNCE_PERMANENT, "kijitora@neko.example.jp");
	/* a reply-shaped report from post_master (Verizon, Apache James) */
	bounce_is("From: post_master@vtext.example.com\nSubject: Re:Nyaan\n"
		"In-Reply-To: <1@example.org>\n\n"
		"Error: Invalid user address\n\n"
		"Error Type: SMTP\n550 - Requested action not taken: no such "
		"user here\n\nMessage details:\n"
		"RCPT TO: straycat@vtext.example.com\n",
		REPLY_BOUNCE_PERMANENT, "straycat@vtext.example.com");
	/* qmail: the sender a server refused, named in its reply, is the
	 * report's own To, not a recipient; a recipient line stays one even
	 * when it is the same address */
	bounce_is("From: MAILER-DAEMON@nijo.example.jp\n"
		"To: root@nijo.example.jp\nSubject: failure notice\n\n"
		"Hi. This is the qmail-send program at nijo.example.jp.\n"
		"I'm afraid I wasn't able to deliver your message to the "
		"following addresses.\n\n<kijitora@example.org>:\n"
		"Connected to 192.0.2.225 but sender was rejected.\n"
		"Remote host said: 550 5.7.1 <root@nijo.example.jp>... Access "
		"denied\n", REPLY_BOUNCE_PERMANENT, "kijitora@example.org");
	bounce_is("From: MAILER-DAEMON@example.ad.jp\n"
		"To: shironeko@example.ad.jp\nSubject: failure notice\n\n"
		"Hi. This is the qmail-send program at example.ad.jp.\n"
		"This is a permanent error; I've given up.\n\n"
		"<shironeko@example.ad.jp>:\n"
		"192.0.2.1 does not like recipient.\n"
		"Remote host said: 552 Error: disk quota exceeded\n",
		REPLY_BOUNCE_PERMANENT, "shironeko@example.ad.jp");
	/* DETAIL names the software: Sendmail signs "Mail Delivery
	 * Subsystem" as Gmail does */
	CHECK_INT(classify("From: Mail Delivery Subsystem "
		"<MAILER-DAEMON@mx.example.com>\n"
		"Subject: Returned mail: see transcript for details\n\n"
		"   ----- Transcript of session follows -----\n"
		">>> RCPT To:<neko@example.org>\n"
		"<<< 550 5.1.1 <neko@example.org>... User unknown\n", &r),
		REPLY_BOUNCE_PERMANENT);
	CHECK(r.detail && strstr(r.detail, "Sendmail bounce text"));
	reply_free(&r);
	CHECK_INT(classify("From: Mail Delivery Subsystem "
		"<mailer-daemon@googlemail.com>\n"
		"Subject: Delivery Status Notification (Failure)\n\n"
		"Delivery to the following recipient failed permanently:\n\n"
		"     neko@example.org\n", &r), REPLY_BOUNCE_PERMANENT);
	CHECK(r.detail && strstr(r.detail, "Gmail bounce text"));
	reply_free(&r);
	/* Mailman's collection (tests/corpus/mailman2-*): NTMail's
	 * "Action: failure" with an SMTP reply for a Status */
	bounce_is(DSN_HEAD "Your message was not delivered\n--b\n"
		"Content-Type: message/delivery-status\n\n"
		"Final-Recipient: rfc822;userx@example.be\nAction: failure\n"
		"Status: 553 Exceeded maximum inbound message size\n--b--\n",
		REPLY_BOUNCE_PERMANENT, "userx@example.be");
	/* a telephone number is no SMTP reply; Sendmail's "expanded
	 * from" is the address we sent to */
	bounce_is("From: MAILER-DAEMON@example.net\nSubject: failure notice\n\n"
		"This is a permanent error. Call 480-624-2500.\n\n"
		"<user@example.net>:\nthe user's mailfolder is full.\n",
		REPLY_BOUNCE_PERMANENT, "user@example.net");
	bounce_is("From: Mail Delivery Subsystem <MAILER-DAEMON@coal.nl>\n"
		"Subject: Returned mail: Too many hops\n\n"
		"   ----- The following addresses had permanent fatal errors "
		"-----\nzzzzz@shaft.coal.nl\n    (expanded from: zzzzz@nfg.nl)\n",
		REPLY_BOUNCE_PERMANENT, "zzzzz@nfg.nl");
	/* recipients in words: "Local mailbox a@b", "addressed to 'a@b'",
	 * a "--" bullet */
	bounce_is("From: mailer-daemon@corp.mail.ru\nSubject: Undelivered "
		"Mail\n\nLocal mailbox userx@example.ru is unavailable: user "
		"not found\n", REPLY_BOUNCE_PERMANENT, "userx@example.ru");
	bounce_is("From: postmaster@example.uk\nSubject: Undeliverable\n\n"
		"The following message, addressed to 'userx@example.uk', "
		"failed because it has not been collected after 30 days\n",
		REPLY_BOUNCE_PERMANENT, "userx@example.uk");
	bounce_is("From: postmaster@mimecast.example\nSubject: Delayed Mail\n\n"
		"Your message addressed to email address :\n-- user@example.com"
		"\nhas been delayed. 4.4.4 Temporary server error\n",
		REPLY_BOUNCE_TRANSIENT, "user@example.com");
	/* a report relayed through a list is still a report */
	bounce_is("From: <MAILER-DAEMON@airmail.net>\nList-Id: <users.python.org>"
		"\nSubject: mail failed, returning to sender\n\n"
		" no valid recipients were found for this message\n"
		"|---- Failed addresses follow: ----|\n"
		" userx@example.com ... unknown host\n",
		REPLY_BOUNCE_PERMANENT, "userx@example.com");
	/* a delivery report without From is one: multipart/report says so */
	bounce_is("Subject: Utilisateur inconnu\n"
		"Content-Type: multipart/report; report-type=delivery-status; "
		"boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n"
		"A message could not be delivered to:\nuserx@example.fr\n--b\n"
		"Content-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mimesweeper.example.fr\n--b--\n",
		REPLY_BOUNCE_PERMANENT, "userx@example.fr");
	/* a filter that wrapped the whole report in a message/rfc822 */
	bounce_is("From: postmaster@example.com\nSubject: Delivery Status "
		"Notification (Failure)\nContent-Type: multipart/mixed; "
		"report-type=delivery-status; boundary=\"o\"\n\n--o\n"
		"Content-Type: text/plain\n\nDisclaimer.\n--o\n"
		"Content-Type: message/rfc822\n\n" DSN_HEAD
		"Delivery to the following recipients failed.\n--b\n"
		"Content-Type: message/delivery-status\n\n"
		"Final-Recipient: rfc822;userx@example.com\nAction: failed\n"
		"Status: 5.1.1\n--b--\n--o--\n",
		REPLY_BOUNCE_PERMANENT, "userx@example.com");
	/* Exim's "Mail failure" carries Auto-Submitted, still a bounce */
	bounce_is("From: Mail Delivery System <Mailer-Daemon@example.net>\n"
		"Auto-Submitted: auto-replied\n"
		"Subject: Mail failure - malformed recipient address\n\n"
		"A message that you sent contained one or more recipient "
		"addresses that were\nincorrectly constructed:\n\n"
		"  kijitora@example.com <neko@example.net>: malformed address: "
		"<neko@example.net> may not follow kijitora@example.com\n",
		REPLY_BOUNCE_PERMANENT, "kijitora@example.com");
}

static void
test_classify_limits(void)
{
	struct buf b = BUF_INIT;
	struct replies_opts o = opts;
	struct reply r;

	/* over max_size: the first bytes only */
	o.max_size = 200;
	buf_puts(&b, "From: a@example.com\nSubject: x\n\nmerci\n");
	for (int i = 0; i < 100; i++)
		buf_puts(&b, "line of text\n");
	buf_puts(&b, "stop\n");
	CHECK_INT(replies_classify(b.data, b.len, &o, &r), REPLY_OTHER);
	CHECK(r.truncated);
	CHECK(strstr(r.detail, "only the first 200 bytes read") != NULL);
	reply_free(&r);
	buf_free(&b);

	/* deep comments in a header: libetpan would recurse */
	buf_puts(&b, "From: a@example.com (");
	for (int i = 0; i < 100000; i++)
		buf_putc(&b, '(');
	buf_puts(&b, "\nTo: (((((((((((((((((((((((((((((((((((((((((((\n"
		"Subject: stop\n\n");
	CHECK_INT(replies_classify(b.data, b.len, &opts, &r),
		REPLY_UNSUBSCRIBE);
	CHECK(r.from != NULL);
	reply_free(&r);
	buf_free(&b);

	/* 10,000 nested multiparts: bounded, and quick */
	{
		clock_t t0 = clock();

		buf_puts(&b, "From: a@example.com\nSubject: x\n"
			"Content-Type: multipart/mixed; boundary=b0\n\n");
		for (int i = 1; i < 10000; i++)
			buf_printf(&b, "--b%d\nContent-Type: multipart/mixed; "
				"boundary=b%d\n\n", i - 1, i);
		buf_puts(&b, "--b9999\n\nstop\n");
		CHECK_INT(replies_classify(b.data, b.len, &opts, &r),
			REPLY_OTHER);
		CHECK(strstr(r.detail, "over 24 levels") != NULL);
		CHECK((clock() - t0) / CLOCKS_PER_SEC < 5);
		reply_free(&r);
		buf_free(&b);
	}
}

int
main(void)
{
	RUN(test_keyword_subject);
	RUN(test_keyword_text);
	RUN(test_fresh_text);
	RUN(test_html_text);
	RUN(test_dsn);
	RUN(test_classify_tokens);
	RUN(test_classify_precedence);
	RUN(test_classify_malformed);
	RUN(test_classify_text);
	RUN(test_classify_bounce_shapes);
	RUN(test_classify_limits);
	return 0;
}
