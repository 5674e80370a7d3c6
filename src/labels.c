/* labels.c - the words a reader sees, one table per language. To add a
 * language: copy the "fr" table, translate the texts (keep the keys and
 * the {placeholders}), add it to tables[] and labels_languages[], and
 * accept its code in labels_lang. */
#include "labels.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "template.h"
#include "xalloc.h"

struct label {
	const char *key, *text;
};

static const struct label fr[] = {
	/* dates: "samedi 1er juin 2026, 14 h 30" */
	{ "MONTH_1", "janvier" }, { "MONTH_2", "février" },
	{ "MONTH_3", "mars" }, { "MONTH_4", "avril" }, { "MONTH_5", "mai" },
	{ "MONTH_6", "juin" }, { "MONTH_7", "juillet" },
	{ "MONTH_8", "août" }, { "MONTH_9", "septembre" },
	{ "MONTH_10", "octobre" }, { "MONTH_11", "novembre" },
	{ "MONTH_12", "décembre" },
	{ "WDAY_0", "dimanche" }, { "WDAY_1", "lundi" },
	{ "WDAY_2", "mardi" }, { "WDAY_3", "mercredi" },
	{ "WDAY_4", "jeudi" }, { "WDAY_5", "vendredi" },
	{ "WDAY_6", "samedi" },
	{ "DAY", "{weekday} {day} {month}" },
	{ "DAY_FIRST", "{weekday} 1er {month}" }, /* the first of a month */
	{ "TIME", "{hour} h {minute}" },
	{ "TIME_ON_THE_HOUR", "{hour} h" },

	/* the issue (compose) */
	{ "EVENTS_MONTH", "Les événements du mois" },
	{ "EVENTS_NEXT", "À venir" },
	{ "POSTS", "Les publications du mois" },
	{ "UNSUBSCRIBE", "Se désinscrire" },
	{ "VIEW_ONLINE", "Voir dans le navigateur" },
	{ "UNSUBSCRIBE_COLON", "Se désinscrire :" },
	{ "VIEW_ONLINE_COLON", "Voir dans le navigateur :" },
	{ "ISSUE_NUMBER", "Numéro {number} · {month}" },
	{ "ISSUE", "{month}" },
	{ "FOOTER", "Vous recevez « {title} » parce que vous y êtes "
	  "abonné·e." },
	{ "WEB_FOOTER", "{title} — {month}" },
	{ "EDITORIAL_STUB", "Bonjour à toutes et à tous,\n\nÉcrivez ici "
	  "l'éditorial du mois.\n" },
	{ "PREHEADER_STUB", "Les actualités du mois du réseau" },
	{ "TEST_PREFIX", "[ESSAI] " },
	{ "ADD_TO_CALENDAR", "Ajouter à mon agenda" },
	/* the editorial's footnotes and Quarto callouts */
	{ "NOTES", "Notes" },
	{ "CALLOUT_NOTE", "Note" }, { "CALLOUT_TIP", "Astuce" },
	{ "CALLOUT_WARNING", "Attention" },
	{ "CALLOUT_IMPORTANT", "Important" },
	{ "CALLOUT_CAUTION", "Prudence" },

	/* the unsubscribe pages (cgi) */
	{ "CONFIRM_HEADING", "Se désinscrire" },
	{ "CONFIRM_TEXT", "Désinscrire l'adresse {address} de « {title} » ?" },
	{ "CONFIRM_BUTTON", "Me désinscrire" },
	{ "CONFIRM_NOTE", "Rien ne change tant que vous n'avez pas cliqué "
	  "sur le bouton." },
	{ "DONE_HEADING", "Désinscription confirmée" },
	{ "DONE_TEXT", "L'adresse {address} ne recevra plus « {title} »." },
	{ "DONE_NOTE", "Vous pouvez fermer cette page." },
	{ "BAD_HEADING", "Lien non valide" },
	/* a web page: no "ce message" to answer */
	{ "BAD_TEXT", "Ce lien de désinscription n'est pas valide ; il a "
	  "peut-être été coupé. Utilisez le lien d'un message récent de la "
	  "liste, ou répondez à l'un de ses messages avec le mot "
	  "« désinscription »." },
	{ "REFUSED_HEADING", "Requête refusée" },
	{ "REFUSED_TEXT", "Cette requête ne peut pas être traitée." },
	{ "UNAVAILABLE_HEADING", "Service indisponible" },
	{ "UNAVAILABLE_TEXT", "Le service est momentanément indisponible. "
	  "Réessayez dans quelques minutes." },

	/* the subscribe form and its confirmation (cgi, form) */
	{ "SUB_HEADING", "S'abonner" },
	{ "SUB_INTRO", "Recevez « {title} » par courriel, une fois par mois." },
	{ "SUB_EMAIL", "Adresse électronique" },
	{ "SUB_NAME", "Nom (facultatif)" },
	{ "SUB_CONSENT", "En vous abonnant, vous acceptez de recevoir « {title} » "
	  "à cette adresse. Vous pourrez vous désinscrire à tout moment par le "
	  "lien présent dans chaque message." },
	{ "SUB_BUTTON", "M'abonner" },
	{ "SUB_HONEYPOT", "Laissez ce champ vide" },
	{ "SUB_INVALID", "Cette adresse électronique n'est pas valide." },
	{ "SUB_SENT_HEADING", "Vérifiez votre messagerie" },
	{ "SUB_SENT_TEXT", "Si cette adresse peut être abonnée, un message est "
	  "en route : ouvrez le lien qu'il contient, ou répondez-y simplement, "
	  "pour confirmer votre abonnement." },
	{ "SUB_SENT_NOTE", "Rien ne change tant que vous n'avez pas confirmé." },
	{ "SUB_CONFIRM_HEADING", "Confirmer l'abonnement" },
	{ "SUB_CONFIRM_TEXT", "Abonner l'adresse {address} à « {title} » ?" },
	{ "SUB_CONFIRM_BUTTON", "Confirmer mon abonnement" },
	{ "SUB_CONFIRM_NOTE", "Rien ne change tant que vous n'avez pas cliqué "
	  "sur le bouton." },
	{ "SUB_DONE_HEADING", "Abonnement confirmé" },
	{ "SUB_DONE_TEXT", "L'adresse {address} recevra « {title} » : un numéro "
	  "par mois, avec les publications et les événements du réseau." },
	{ "SUB_DONE_NOTE", "Pour vous désinscrire, utilisez le lien « Se "
	  "désinscrire » au bas de chaque message, ou répondez à l'un d'eux "
	  "avec le mot « désinscription »." },
	{ "SUB_BAD_TEXT", "Ce lien de confirmation n'est pas valide ou a "
	  "expiré. Remplissez à nouveau le formulaire d'abonnement : un "
	  "nouveau message vous sera envoyé." },
	{ "SUB_MAIL_SUBJECT", "Confirmez votre abonnement à « {title} »" },
	{ "SUB_MAIL_INTRO", "Nous avons reçu une demande d'abonnement à "
	  "« {title} » pour l'adresse {address}." },
	{ "SUB_MAIL_BUTTON", "Confirmer mon abonnement" },
	{ "SUB_MAIL_REPLY", "Ou répondez simplement à ce message." },
	{ "SUB_MAIL_IGNORE", "Ce lien est valable {days} jours. Si vous n'avez "
	  "rien demandé, ignorez ce message : vous ne recevrez rien d'autre." },
	{ "SUB_MAIL_TEXT", "Bonjour,\n\n{intro}\n\n"
	  "Pour la confirmer, ouvrez ce lien puis cliquez sur le bouton :\n"
	  "{link}\n\n{reply}\n\n{ignore}\n" },

	/* the confirmation request (replies) */
	{ "UNSUBSCRIBE_REQUEST", "Bonjour,\n\n"
	  "Nous avons reçu une demande de désinscription de l'infolettre\n"
	  "« {title} »\npour l'adresse {address}.\n\n"
	  "Si elle vient de vous, répondez à ce message pour confirmer :\n"
	  "une simple réponse suffit, quel que soit son texte.\n"
	  "Sinon, ignorez ce message : votre inscription ne change pas.\n\n"
	  "Référence : {reference}\n" },
	{ NULL, NULL }
};

static const struct label en[] = {
	/* dates: "Saturday 1 June 2026, 14:30" */
	{ "MONTH_1", "January" }, { "MONTH_2", "February" },
	{ "MONTH_3", "March" }, { "MONTH_4", "April" }, { "MONTH_5", "May" },
	{ "MONTH_6", "June" }, { "MONTH_7", "July" },
	{ "MONTH_8", "August" }, { "MONTH_9", "September" },
	{ "MONTH_10", "October" }, { "MONTH_11", "November" },
	{ "MONTH_12", "December" },
	{ "WDAY_0", "Sunday" }, { "WDAY_1", "Monday" },
	{ "WDAY_2", "Tuesday" }, { "WDAY_3", "Wednesday" },
	{ "WDAY_4", "Thursday" }, { "WDAY_5", "Friday" },
	{ "WDAY_6", "Saturday" },
	{ "DAY", "{weekday} {day} {month}" },
	{ "DAY_FIRST", "{weekday} 1 {month}" },
	{ "TIME", "{hour}:{minute}" },
	{ "TIME_ON_THE_HOUR", "{hour}:00" },

	{ "EVENTS_MONTH", "Events this month" },
	{ "EVENTS_NEXT", "Coming up" },
	{ "POSTS", "Posts this month" },
	{ "UNSUBSCRIBE", "Unsubscribe" },
	{ "VIEW_ONLINE", "View in your browser" },
	{ "UNSUBSCRIBE_COLON", "Unsubscribe:" },
	{ "VIEW_ONLINE_COLON", "View in your browser:" },
	{ "ISSUE_NUMBER", "Issue {number} · {month}" },
	{ "ISSUE", "{month}" },
	{ "FOOTER", "You receive “{title}” because you subscribed to it." },
	{ "WEB_FOOTER", "{title} — {month}" },
	{ "EDITORIAL_STUB", "Hello everyone,\n\nWrite this month's editorial "
	  "here.\n" },
	{ "PREHEADER_STUB", "This month's news from the network" },
	{ "TEST_PREFIX", "[TEST] " },
	{ "ADD_TO_CALENDAR", "Add to calendar" },
	{ "NOTES", "Notes" },
	{ "CALLOUT_NOTE", "Note" }, { "CALLOUT_TIP", "Tip" },
	{ "CALLOUT_WARNING", "Warning" },
	{ "CALLOUT_IMPORTANT", "Important" },
	{ "CALLOUT_CAUTION", "Caution" },

	{ "CONFIRM_HEADING", "Unsubscribe" },
	{ "CONFIRM_TEXT", "Unsubscribe {address} from “{title}”?" },
	{ "CONFIRM_BUTTON", "Unsubscribe me" },
	{ "CONFIRM_NOTE", "Nothing changes until you press the button." },
	{ "DONE_HEADING", "You are unsubscribed" },
	{ "DONE_TEXT", "{address} will no longer receive “{title}”." },
	{ "DONE_NOTE", "You may close this page." },
	{ "BAD_HEADING", "This link is not valid" },
	{ "BAD_TEXT", "This unsubscribe link is not valid; it may have been "
	  "cut. Use the link in a recent message from the list, or reply to "
	  "one of its messages with the word “unsubscribe”." },
	{ "REFUSED_HEADING", "Request refused" },
	{ "REFUSED_TEXT", "This request cannot be handled." },
	{ "UNAVAILABLE_HEADING", "Service unavailable" },
	{ "UNAVAILABLE_TEXT", "The service is unavailable for a moment. "
	  "Please try again in a few minutes." },

	{ "SUB_HEADING", "Subscribe" },
	{ "SUB_INTRO", "Receive “{title}” by email, once a month." },
	{ "SUB_EMAIL", "Email address" },
	{ "SUB_NAME", "Name (optional)" },
	{ "SUB_CONSENT", "By subscribing, you agree to receive “{title}” at "
	  "this address. You can unsubscribe at any time with the link in "
	  "every message." },
	{ "SUB_BUTTON", "Subscribe" },
	{ "SUB_HONEYPOT", "Leave this field empty" },
	{ "SUB_INVALID", "This is not a valid email address." },
	{ "SUB_SENT_HEADING", "Check your mailbox" },
	{ "SUB_SENT_TEXT", "If this address can be subscribed, a message is on "
	  "its way: open the link it holds, or simply reply to it, to confirm "
	  "your subscription." },
	{ "SUB_SENT_NOTE", "Nothing changes until you confirm." },
	{ "SUB_CONFIRM_HEADING", "Confirm your subscription" },
	{ "SUB_CONFIRM_TEXT", "Subscribe {address} to “{title}”?" },
	{ "SUB_CONFIRM_BUTTON", "Confirm my subscription" },
	{ "SUB_CONFIRM_NOTE", "Nothing changes until you press the button." },
	{ "SUB_DONE_HEADING", "Subscription confirmed" },
	{ "SUB_DONE_TEXT", "{address} will receive “{title}”: one issue a month, "
	  "with the network's posts and events." },
	{ "SUB_DONE_NOTE", "To leave, use the “Unsubscribe” link at the bottom "
	  "of every message, or reply to one of them with the word "
	  "“unsubscribe”." },
	{ "SUB_BAD_TEXT", "This confirmation link is not valid or has expired. "
	  "Fill in the subscribe form again: a new message will be sent to "
	  "you." },
	{ "SUB_MAIL_SUBJECT", "Confirm your subscription to “{title}”" },
	{ "SUB_MAIL_INTRO", "We received a request to subscribe {address} to "
	  "“{title}”." },
	{ "SUB_MAIL_BUTTON", "Confirm my subscription" },
	{ "SUB_MAIL_REPLY", "Or simply reply to this message." },
	{ "SUB_MAIL_IGNORE", "This link is valid for {days} days. If you did "
	  "not ask for anything, ignore this message: you will receive nothing "
	  "else." },
	{ "SUB_MAIL_TEXT", "Hello,\n\n{intro}\n\n"
	  "To confirm, open this link and press the button:\n"
	  "{link}\n\n{reply}\n\n{ignore}\n" },

	{ "UNSUBSCRIBE_REQUEST", "Hello,\n\n"
	  "We received a request to unsubscribe\n{address} from\n"
	  "\"{title}\".\n\n"
	  "If it came from you, reply to this message to confirm:\n"
	  "a plain reply is enough, whatever it says.\n"
	  "If not, ignore this message: you stay subscribed.\n\n"
	  "Reference: {reference}\n" },
	{ NULL, NULL }
};

const char *const labels_languages[] = { "fr", "en", NULL };
static const struct label *const tables[] = { fr, en };

const char *
labels_lang(const char *lang)
{
	return lang && strcmp(lang, "en") == 0 ? "en" : "fr";
}

static const struct label *
table(const char *lang)
{
	const char *l = labels_lang(lang);

	for (size_t i = 0; labels_languages[i]; i++)
		if (strcmp(labels_languages[i], l) == 0)
			return tables[i];
	return fr;
}

static const char *
find(const char *lang, const char *key)
{
	for (const struct label *l = table(lang); l->key; l++)
		if (strcmp(l->key, key) == 0)
			return l->text;
	return NULL;
}

bool
label_exists(const char *lang, const char *key)
{
	return find(lang, key) != NULL;
}

const char *
label(const char *lang, const char *key)
{
	const char *s = find(lang, key);

	if (!s)
		die(EX_SOFTWARE, "no label %s in language %s", key,
			labels_lang(lang));
	return s;
}

char *
label_fill(const char *lang, const char *key, ...)
{
	const char *s = label(lang, key), *name, *value, *close;
	struct buf b = BUF_INIT;
	va_list ap;

	while (*s) {
		if (*s != '{' || !(close = strchr(s, '}'))) {
			buf_putc(&b, *s++);
			continue;
		}
		value = NULL;
		va_start(ap, key);
		while ((name = va_arg(ap, const char *)) != NULL) {
			const char *v = va_arg(ap, const char *);

			if (strlen(name) == (size_t)(close - s - 1) &&
			    memcmp(name, s + 1, (size_t)(close - s - 1)) == 0) {
				value = v ? v : "";
				break;
			}
		}
		va_end(ap);
		if (!value)
			die(EX_SOFTWARE, "label %s: no value for %.*s", key,
				(int)(close - s + 1), s);
		buf_puts(&b, value);
		s = close + 1;
	}
	return buf_detach(&b);
}

void
labels_each(const char *lang,
	void (*fn)(void *arg, const char *key, const char *text), void *arg)
{
	for (const struct label *l = table(lang); l->key; l++)
		fn(arg, l->key, l->text);
}

static void
set_one(void *arg, const char *key, const char *text)
{
	char *name = xasprintf("L_%s", key);

	tpl_set(arg, name, text);
	free(name);
}

void
labels_set(struct tpl_dict *d, const char *lang)
{
	labels_each(lang, set_one, d);
}
