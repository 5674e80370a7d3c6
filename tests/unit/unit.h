/* unit.h - a minimal unit test harness. RUN(fn) runs one test function and
 * prints one line, counted by tests/run.sh: "ok NAME", or "FAIL NAME:
 * file:line: what" for its first failed check, or "FAIL NAME: no check ran"
 * when it made no check at all (a test that cannot fail is a defect).
 * Lines that only inform (a rate measured) start with "# " and are not
 * counted. */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed_;
static long unit_checks_;
static const char *unit_name_;

#define CHECK(c) do { unit_checks_++; if (!(c)) { \
	if (!unit_failed_) printf("FAIL %s: %s:%d: %s\n", unit_name_, __FILE__, __LINE__, #c); \
	unit_failed_ = 1; } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); unit_checks_++; \
	if (!a_ || !b_ || strcmp(a_, b_) != 0) { \
	if (!unit_failed_) printf("FAIL %s: %s:%d: %s is [%s], expected [%s]\n", \
		unit_name_, __FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	unit_failed_ = 1; } } while (0)
#define CHECK_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	unit_checks_++; if (a_ != b_) { \
	if (!unit_failed_) printf("FAIL %s: %s:%d: %s is %lld, expected %lld\n", \
		unit_name_, __FILE__, __LINE__, #a, a_, b_); \
	unit_failed_ = 1; } } while (0)

#define RUN(fn) do { unit_failed_ = 0; unit_checks_ = 0; unit_name_ = #fn; \
	fn(); \
	if (!unit_failed_ && unit_checks_ == 0) \
		printf("FAIL %s: no check ran\n", #fn); \
	else if (!unit_failed_) \
		printf("ok %s\n", #fn); \
	fflush(stdout); } while (0)

#endif
