/* csvimport.h - subscribers from CSV files as people really export them */
#ifndef INFOLETTRE_CSVIMPORT_H
#define INFOLETTRE_CSVIMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "store.h"

/*
 * What is read: comma, semicolon or tab delimiter (the most frequent one
 * outside quotes on the header line), UTF-8 with or without BOM, CRLF or
 * LF, quoted fields holding delimiters, quotes and line breaks (parsed by
 * libcsv). The header names the columns, in English or French, case and
 * accents ignored (csvimport_column). A file whose first row has no known
 * column but holds an address is taken as having no header. The address
 * may be written "Name <address>" or "mailto:address".
 */

struct csvimport_opts {
	bool resubscribe;  /* make unsubscribed, bounced, forgotten active */
	bool skip_invalid; /* import the valid rows, report the others */
	const char *source; /* consent source; NULL: "import FILE" */
	const char *consent; /* the consent's text or version (--consent);
	                      * NULL: none recorded */
};

struct csvimport_stats {
	long added, updated, unchanged, suppressed, rejected;
	long not_utf8; /* rejected rows with a field that is not UTF-8 */
};

/* What to do with a file that is not UTF-8, said after the count. */
#define CSVIMPORT_UTF8_ADVICE "save it as \"CSV UTF-8\" (Excel's \"CSV " \
	"(s\u00e9parateur: point-virgule)\" is Windows-1252, not UTF-8)"

/* Called once for each invalid row, as soon as it is found: line is the
 * physical line where the row starts, msg says why (printable). */
typedef void (*csvimport_bad_fn)(void *ctx, const char *file, long line,
	const char *msg);

/*
 * Import path ("-": standard input) into st in one transaction. Each
 * invalid row is passed to bad. Without skip_invalid, any invalid row
 * means nothing is imported: EX_DATAERR with *err counting them; with it,
 * the valid rows are imported and the invalid ones counted as rejected.
 * Rows merge by address key (within the file and with the store); the
 * decision for each is store_add's. A "status" column whose value
 * says the person left (unsubscribed, blocklisted, disabled, bounced …)
 * records that instead of subscribing.
 * Returns 0 and fills *stats, or: EX_NOINPUT when the file cannot be
 * opened, EX_IOERR on a read error, EX_DATAERR for a header without an
 * address column, a field over 1 MiB or invalid rows, the store's errors.
 * Memory does not grow with the file.
 */
int csvimport_run(struct store *st, const char *path,
	const struct csvimport_opts *o, csvimport_bad_fn bad, void *ctx,
	struct csvimport_stats *stats, char **err);

/* The same for the open file f, named name in messages and in the
 * default source; f is not closed. No EX_NOINPUT. */
int csvimport_file(struct store *st, FILE *f, const char *name,
	const struct csvimport_opts *o, csvimport_bad_fn bad, void *ctx,
	struct csvimport_stats *stats, char **err);

enum csv_col { CSV_COL_OTHER, CSV_COL_EMAIL, CSV_COL_NAME, CSV_COL_FIRST,
	CSV_COL_LAST, CSV_COL_STATUS };

/* What a header names: "E-mail", "Courriel", "Adresse" → CSV_COL_EMAIL;
 * "Nom", "Name", "Full name" → CSV_COL_NAME; "Prénom", "First name" →
 * CSV_COL_FIRST; "Last name", "Nom de famille" → CSV_COL_LAST ("Nom" is
 * the last name when there is a first-name column); "status" →
 * CSV_COL_STATUS. Case, accents, blanks and punctuation are ignored. */
enum csv_col csvimport_column(const char *header, size_t len);

/*
 * CSV injection (OWASP): a spreadsheet runs a cell starting with =, +, -,
 * @, a tab or a carriage return as a formula (=HYPERLINK(…) sends the
 * sheet's data away). An export prefixes such a field with a single
 * quote, and also a field starting with a quote followed by one of those
 * or another quote, so that the guard comes off unambiguously; an import
 * takes one leading quote off a field when one of those follows it. Every
 * field's text survives an export and an import unchanged.
 */
bool csvimport_needs_guard(const char *field);
/* Take the export's guard off field, in place. */
void csvimport_unguard(char *field);

#endif
