#!/usr/bin/python3
"""Check a composed issue folder with independent parsers.

usage: check_newsletter.py LABEL DIR SUBJECT COLLECT.tsv

Prints one "ok NAME" or "FAIL NAME: why" line per check. The message is
parsed with Python's email package (policy.default): no defect may appear
on the message, on any part or on any header.
"""
import email
import html.parser
import re
import sys
from email import policy

label, folder, subject, collect = sys.argv[1:5]
results = []


def check(name, cond, why=""):
    print(("ok %s: %s" % (label, name)) if cond else
          ("FAIL %s: %s: %s" % (label, name, why)))


raw = open(folder + "/newsletter.eml", "rb").read()
msg = email.message_from_bytes(raw, policy=policy.default)

defects = list(msg.defects)
for part in msg.walk():
    defects += part.defects
    for k in part.keys():
        for v in part.get_all(k):
            defects += getattr(v, "defects", [])
check("no defects", not defects, repr(defects))
check("subject decodes", str(msg["subject"]) == subject,
      "%r != %r" % (str(msg["subject"]), subject))
check("7-bit", all(b < 128 for b in raw), "8-bit bytes")
lines = raw.split(b"\r\n")
check("CRLF only", b"\n" not in raw.replace(b"\r\n", b""), "bare LF")
check("lines <= 998", max(len(l) for l in lines) <= 998, "long line")
head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
long_headers = [h for h in head if len(h) > 78 and b" " in h.strip()[h.find(b":") + 2:]]
check("header lines folded at 78", not long_headers, repr(long_headers[:2]))
for h in ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
          "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
          "Precedence"]:
    check("header " + h, msg[h] is not None, "missing")
check("one-click", str(msg["List-Unsubscribe-Post"]) ==
      "List-Unsubscribe=One-Click", str(msg["List-Unsubscribe-Post"]))
lu = str(msg["List-Unsubscribe"])
check("List-Unsubscribe https and mailto",
      re.search(r"<https://[^>]*\?t=[a-z2-7]{32}>", lu) and
      re.search(r"<mailto:[^>]*\+[a-z2-7]{32}@[^>]*\?subject=unsubscribe>", lu),
      lu)

# structure: the alternative, inside a multipart/mixed when the issue's
# calendar is attached after it
alt = msg
if msg.get_content_type() == "multipart/mixed":
    mixed = list(msg.iter_parts())
    alt = mixed[0]
    for p in mixed[1:]:
        check("attachment " + str(p.get_filename()),
              p.get_content_type() == "text/calendar" and
              p.get_content_disposition() == "attachment" and
              p.get_param("method") == "PUBLISH", p.get_content_type())
check("multipart/alternative", alt.get_content_type() == "multipart/alternative",
      alt.get_content_type())
parts = list(alt.iter_parts())
check("text first", parts[0].get_content_type() == "text/plain",
      parts[0].get_content_type())
text = parts[0].get_content()
second = parts[1]
images = {}
if second.get_content_type() == "multipart/related":
    sub = list(second.iter_parts())
    htmlpart = sub[0]
    for p in sub[1:]:
        images[str(p["Content-ID"]).strip("<>")] = p
        check("image base64 " + str(p["Content-ID"]),
              p["Content-Transfer-Encoding"] == "base64", "")
else:
    htmlpart = second
check("html part", htmlpart.get_content_type() == "text/html",
      htmlpart.get_content_type())
check("text qp", parts[0]["Content-Transfer-Encoding"] == "quoted-printable", "")
check("html qp", htmlpart["Content-Transfer-Encoding"] == "quoted-printable", "")
body = htmlpart.get_content()
cids = re.findall(r'src="cid:([^"]+)"', body)
check("every cid resolves", all(c in images for c in cids),
      "%r vs %r" % (cids, list(images)))
check("every image part used", all(c in cids for c in images), "unused part")

# every item's title and URL in the text part
items = [l.rstrip("\n").split("\t") for l in open(collect, encoding="utf-8") if l.strip()]
for it in items:
    check("text has title %s" % it[2][:30], it[2] in " ".join(text.split()),
          "missing")
    check("text has URL %s" % it[3], it[3] in text, "missing")
    check("html has URL %s" % it[3], it[3] in body, "missing")


class Scan(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def html_checks(name, doc, personal):
    s = Scan()
    s.feed(doc)
    tags = s.tags
    html_tag = [a for t, a in tags if t == "html"]
    check(name + " lang", html_tag and html_tag[0].get("lang") in ("fr", "en"), "")
    for bad in ("script", "form", "link", "iframe", "object", "embed"):
        check(name + " no <%s>" % bad, not [t for t, a in tags if t == bad], "")
    check(name + " no data: URIs", "data:" not in " ".join(
        v or "" for t, a in tags for k, v in a.items() if k in ("src", "href")), "")
    check(name + " no @import / web fonts", "@import" not in doc and
          "@font-face" not in doc, "")
    imgs = [a for t, a in tags if t == "img"]
    check(name + " every img has alt and width",
          all("alt" in a and a.get("width") for a in imgs), repr(imgs))
    links = [a.get("href", "") for t, a in tags if t == "a"]
    check(name + " no javascript: links",
          not [l for l in links if l.lower().startswith("javascript:")], "")
    if personal:
        check(name + " no <style> block", "<style" not in doc, "")
        check(name + " hidden preheader", "display:none" in doc, "")
        check(name + " unsubscribe link",
              [l for l in links if re.search(r"\?t=[a-z2-7]{32}$", l)], "")
        check(name + " view-in-browser link", any(
            "/{}/".format(folder.rstrip("/").split("/")[-1]) in l for l in links), "")
        check(name + " table layout, 600 px", 'width="600"' in doc and
              "max-width:600px" in doc, "")
    else:
        check(name + " no personal links", "?t=" not in doc and
              "placeholdertoken" not in doc, "")


html_checks("html part", body, True)
html_checks("newsletter.html", open(folder + "/newsletter.html", encoding="utf-8").read(), True)
html_checks("web.html", open(folder + "/web.html", encoding="utf-8").read(), False)
txt = open(folder + "/newsletter.txt", encoding="utf-8").read()
wide = [l for l in txt.split("\n") if len(l) > 72 and " " in l.strip() and
        not re.search(r"https?://\S{20,}", l)]
check("newsletter.txt wrapped at 72", not wide, repr(wide[:3]))
