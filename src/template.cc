/* template.cc - Google ctemplate behind a C interface: the one C++ file */
#include <ctemplate/template.h>
#include <ctemplate/template_cache.h>
#include <ctemplate/template_dictionary.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

/* util.h is C11: give its _Noreturn a C++ spelling. */
#define _Noreturn [[noreturn]]
extern "C" {
#include "util.h"
}
#undef _Noreturn
#include "template.h"

using ctemplate::TemplateDictionary;

/* Templates larger than this are refused; the line search of a syntax
 * error (one parse per line) is skipped above TPL_SEARCH_LINES lines. */
#define TPL_MAX (4u << 20)
#define TPL_SEARCH_LINES 4000

/* A struct tpl_dict is a TemplateDictionary; the C side never looks in. */
static TemplateDictionary *
dict(struct tpl_dict *d)
{
	return reinterpret_cast<TemplateDictionary *>(d);
}

/* Only allocation can throw in the dictionary calls, and it cannot be
 * reported through a void function: it is fatal, as xmalloc is. */
#define GUARD(stmt) do { \
	try { stmt; } \
	catch (const std::exception &e_) { \
		die(EX_OSERR, "template: %s", e_.what()); \
	} \
	catch (...) { die(EX_OSERR, "template: unexpected exception"); } \
} while (0)

extern "C" struct tpl_dict *
tpl_dict_new(void)
{
	TemplateDictionary *d = NULL;

	GUARD(d = new TemplateDictionary("root"));
	return reinterpret_cast<struct tpl_dict *>(d);
}

extern "C" void
tpl_set(struct tpl_dict *d, const char *name, const char *value)
{
	/* SetValue copies both the name and the value. */
	GUARD(dict(d)->SetValue(name, value ? value : ""));
}

extern "C" void
tpl_show(struct tpl_dict *d, const char *section)
{
	GUARD(dict(d)->ShowSection(section));
}

extern "C" struct tpl_dict *
tpl_add(struct tpl_dict *d, const char *section)
{
	TemplateDictionary *sub = NULL;

	GUARD(sub = dict(d)->AddSectionDictionary(section));
	return reinterpret_cast<struct tpl_dict *>(sub);
}

extern "C" void
tpl_dict_free(struct tpl_dict *d)
{
	GUARD(delete dict(d));
}

/*
 * ctemplate reports syntax errors only on stderr (std::cerr), so fd 2 is
 * pointed at an anonymous file while it parses and restored afterwards.
 * When the capture cannot be set up the messages simply stay on stderr.
 */
class StderrCapture {
public:
	StderrCapture() : fd_(-1), saved_(-1), pos_(0)
	{
		std::cerr.flush();
		fflush(stderr);
		fd_ = memfd_create("infolettre-template", MFD_CLOEXEC);
		if (fd_ < 0)
			fd_ = open(P_tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd_ < 0)
			return;
		saved_ = dup(2);
		if (saved_ < 0 || dup2(fd_, 2) < 0) {
			if (saved_ >= 0)
				close(saved_);
			close(fd_);
			fd_ = saved_ = -1;
		}
	}

	~StderrCapture()
	{
		std::cerr.flush();
		fflush(stderr);
		if (saved_ >= 0) {
			dup2(saved_, 2);
			close(saved_);
		}
		if (fd_ >= 0)
			close(fd_);
	}

	/* What was written to stderr since the last call. */
	std::string take()
	{
		std::string s;
		char chunk[4096];
		ssize_t n;

		std::cerr.flush();
		fflush(stderr);
		if (fd_ < 0)
			return s;
		while ((n = pread(fd_, chunk, sizeof(chunk), pos_)) > 0) {
			s.append(chunk, (size_t)n);
			pos_ += n;
		}
		return s;
	}

private:
	StderrCapture(const StderrCapture &);
	void operator=(const StderrCapture &);
	int fd_, saved_;
	off_t pos_;
};

/*
 * ctemplate's message, e.g. "ERROR: Template KEY: ERROR: Unknown modifier
 * for variable X: 'bogus'\n", without its prefixes: "Unknown modifier for
 * variable X: 'bogus'". Several lines are joined with "; ".
 */
static std::string
reason_of(const std::string &msg, const std::string &key)
{
	std::string out, line;
	size_t start = 0;

	while (start < msg.size()) {
		size_t end = msg.find('\n', start);
		if (end == std::string::npos)
			end = msg.size();
		line = msg.substr(start, end - start);
		start = end + 1;
		for (bool again = true; again; ) {
			again = false;
			static const char *const pre[] = { "ERROR: ", "WARNING: " };
			for (size_t i = 0; i < 2; i++) {
				size_t n = strlen(pre[i]);
				if (line.compare(0, n, pre[i]) == 0) {
					line.erase(0, n);
					again = true;
				}
			}
			/* a string template is named "" in the message */
			const std::string names[] = { "Template " + key + ": ",
			    "Template : " };
			for (size_t i = 0; i < 2; i++)
				if (line.compare(0, names[i].size(), names[i]) == 0) {
					line.erase(0, names[i].size());
					again = true;
				}
		}
		while (!line.empty() && (line[line.size() - 1] == ' ' ||
		    line[line.size() - 1] == '\r'))
			line.erase(line.size() - 1);
		if (line.empty())
			continue;
		if (!out.empty())
			out += "; ";
		out += line;
	}
	return out;
}

/* Parse text as a template under key; "" when it parses, else the
 * message ctemplate printed (or a placeholder when it printed none). */
static std::string
parse_message(const std::string &key, const std::string &text,
	ctemplate::Strip strip, StderrCapture &cap, bool *ok)
{
	ctemplate::TemplateCache cache;

	cap.take();
	*ok = cache.StringToTemplateCache(key, text, strip);
	std::string msg = cap.take();
	if (!*ok && msg.empty())
		msg = "?";
	return *ok ? std::string() : msg;
}

/*
 * The line of a syntax error, which ctemplate does not give: parse the
 * prefixes of the file that end at each line. The first prefix that
 * fails with the whole file's message holds the culprit, unless that
 * message is about the end of the file ("File ended before all sections
 * were closed"), which a prefix also gets while it stops inside a section
 * that is closed later: then a prefix that parses comes after it, and the
 * culprit is the line after the last prefix that parses. 0 when unknown.
 */
static int
error_line(const std::string &key, const std::string &text,
	ctemplate::Strip strip, const std::string &whole, StderrCapture &cap)
{
	std::vector<size_t> ends;
	size_t first = 0, lastok = 0;
	bool ok;

	for (size_t i = 0; i < text.size(); i++)
		if (text[i] == '\n')
			ends.push_back(i + 1);
	if (ends.empty() || ends.back() != text.size())
		ends.push_back(text.size());
	if (ends.size() > TPL_SEARCH_LINES)
		return 0;
	for (size_t k = 0; k < ends.size(); k++) {
		std::string msg = parse_message(key, text.substr(0, ends[k]),
		    strip, cap, &ok);
		if (ok)
			lastok = k + 1;
		else if (!first && msg == whole)
			first = k + 1;
	}
	if (lastok >= ends.size())
		return 0; /* every prefix parses: not a syntax error */
	if (first && lastok < first)
		return (int)first;
	return (int)lastok + 1;
}

static int
expand(const char *path, const struct tpl_dict *d, char **out, char **err)
{
	char *data = NULL;
	size_t len = 0;
	int e;

	if ((e = read_file(path, TPL_MAX, &data, &len)) != 0) {
		if (e == EFBIG)
			return fail(err, EX_DATAERR, "%s: template too large",
			    path);
		return fail(err, EX_NOINPUT, "%s: %s", path, strerror(e));
	}
	std::string text(data, len);
	free(data);

	ctemplate::Strip strip = str_ends(path, ".txt.tpl") ?
	    ctemplate::DO_NOT_STRIP : ctemplate::STRIP_BLANK_LINES;
	std::string key(path);

	StderrCapture cap;
	ctemplate::TemplateCache cache;
	if (!cache.StringToTemplateCache(key, text, strip)) {
		std::string whole = cap.take();
		if (whole.empty())
			whole = "?";
		std::string reason = reason_of(whole, key);
		if (reason.empty() || reason == "?")
			reason = "template syntax error";
		int line = error_line(key, text, strip, whole, cap);
		if (line > 0)
			return fail(err, EX_DATAERR, "%s:%d: %s", path, line,
			    reason.c_str());
		return fail(err, EX_DATAERR, "%s: %s", path, reason.c_str());
	}

	std::string result;
	const TemplateDictionary *td =
	    reinterpret_cast<const TemplateDictionary *>(d);
	if (!cache.ExpandWithData(key, strip, td, NULL, &result)) {
		std::string reason = reason_of(cap.take(), key);
		return fail(err, EX_DATAERR, "%s: %s", path,
		    reason.empty() ? "cannot expand the template" :
		    reason.c_str());
	}
	*out = xstrndup(result.data(), result.size());
	return 0;
}

extern "C" int
tpl_expand(const char *path, const struct tpl_dict *d, char **out,
	char **err)
{
	*out = NULL;
	/* No C++ exception may unwind into C. */
	try {
		return expand(path, d, out, err);
	} catch (const std::exception &e) {
		return fail(err, EX_SOFTWARE, "%s: %s", path, e.what());
	} catch (...) {
		return fail(err, EX_SOFTWARE, "%s: template expansion failed",
		    path);
	}
}
