#!/bin/bash
# t_mime.sh - the messages of mime.c as Python's email package reads them:
# no defect anywhere, headers decode to the original strings (display
# names with their white space collapsed), for five messages written by
# hand and 300 with generated header texts, the exact structure, every cid: resolves, the text part is the original text with
# the token filled in, 7-bit, CRLF, no line over 998.
# time limit: 120 s
. "$(dirname "$0")/lib.sh"

PROG=$BUILD/tests/test_mime
if [ ! -x "$PROG" ]; then
	fail t_mime_build "no $PROG (make units)"
	exit 1
fi
if "$PROG" --eml "$TMP" > "$TMP/out" 2>&1; then
	ok t_mime_samples_written
else
	fail t_mime_samples_written "$(head -c 600 "$TMP/out")"
	exit 1
fi

$PY - "$TMP" <<'EOF'
import os, re, sys
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

d = sys.argv[1]
TOKEN = "abcdefghijklmnopqrstuvwxyz234567"
CASES = {  # name: (number of images, has an unsubscribe URL, recipient)
    "images": (2, True, "jean.dupont@example.fr"),
    "noimages": (0, False, "camille@example.fr"),
    "quotes": (1, True, "jd@example.fr"),
    "long": (1, True, "mtl@example.fr"),
    "emoji": (0, True, "zoe@example.fr"),
}
# and test_mime's generated header texts (write_generated)
for f in sorted(os.listdir(d)):
    if f.startswith("gen") and f.endswith(".eml"):
        CASES[f[:-4]] = (0, True, "gen@example.fr")

def read(name, ext):
    with open(os.path.join(d, name + "." + ext), encoding="utf-8") as f:
        return f.read()

def phrase(s):
    """A display name as mime.c writes it: runs of white space (a tab,
    U+0085, Unicode space separators, U+2028/9) as one space, the ends
    trimmed (RFC 5322 3.2.2)."""
    return re.sub("[ \t\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f"
                  "\u205f\u3000]+", " ", s).strip(" ")

def name_reads(raw, hname, addresses, want):
    """Does the one mailbox of header hname carry the display name want?
    Python 3.11 keeps the space between two adjacent encoded-words of a
    phrase, where RFC 2047 6.2 drops it (mime.c cuts a run too long for
    one encoded-word that way): then the raw phrase is read again with the
    package's RFC 2047 decoder, decode_header."""
    if len(addresses) != 1:
        return False
    if addresses[0].display_name == want:
        return True
    m = re.search(rb"^" + hname + rb": (.*?)\r\n(?! )", raw, re.M | re.S)
    value = m.group(1).replace(b"\r\n", b"").decode("ascii") if m else ""
    name = value[:value.rfind("<")].rstrip(" ")
    return re.search(r"\?= =\?", name) is not None and \
        str(make_header(decode_header(name))) == want

def crlf_to_lf(s):
    return s.replace("\r\n", "\n")

def check(case, what, cond, why=""):
    print(("ok " if cond else "FAIL ") + "t_mime_%s_%s" % (case, what)
          + ("" if cond else ": " + str(why)[:600]))

def raw_lines_ok(raw):
    if any(b >= 0x80 or b == 0 for b in raw):
        return "a byte that is not 7-bit ASCII"
    if raw.replace(b"\r\n", b"").find(b"\n") >= 0 or \
       raw.replace(b"\r\n", b"").find(b"\r") >= 0:
        return "a line end that is not CRLF"
    lines = raw.split(b"\r\n")
    if lines[-1] != b"":
        return "no final CRLF"
    for l in lines:
        if len(l) > 998:
            return "a line of %d" % len(l)
    # header lines of the message and of every part: 78 unless unbreakable
    in_header = True
    for l in lines:
        if l == b"":
            in_header = False
        elif l.startswith(b"--"):
            in_header = True
        elif in_header and len(l) > 78:
            body = l[1:] if l[:1] == b" " else l.split(b": ", 1)[1]
            if b" " in body:
                return "a foldable header line of %d: %r" % (len(l), l)
    return None

for case, (nimages, has_url, email) in CASES.items():
    raw = open(os.path.join(d, case + ".eml"), "rb").read()
    why = raw_lines_ok(raw)
    check(case, "7bit_crlf_998_78", why is None, why)

    msg = BytesParser(policy=policy.default).parsebytes(raw)
    defects = []
    for part in msg.walk():
        defects += [(part.get_content_type(), x) for x in part.defects]
        for k, v in part.items():
            defects += [(k, x) for x in v.defects]
    check(case, "no_defects", not defects, defects)

    check(case, "subject", msg["Subject"] == read(case, "subject"),
          repr(str(msg["Subject"])))
    frm = msg["From"].addresses
    check(case, "from_name", name_reads(raw, b"From", frm,
                                        phrase(read(case, "from_name"))),
          [(a.display_name, a.addr_spec) for a in frm])
    to = msg["To"].addresses
    check(case, "to", len(to) == 1 and to[0].addr_spec == email and
          name_reads(raw, b"To", to, phrase(read(case, "to_name"))),
          [(a.display_name, a.addr_spec) for a in to])
    title = phrase(read(case, "list_title"))
    lid = str(msg["List-Id"])
    want = ("%s <infolettre.ssphub.example.fr>" % title) if title else \
        "<infolettre.ssphub.example.fr>"
    # the List-Id phrase decodes like a display name, quotes aside
    m = re.match(r'^"((?:[^"\\]|\\.)*)" (<[^<>]*>)$', lid)
    got = re.sub(r"\\(.)", r"\1", m.group(1)) + " " + m.group(2) if m else lid
    check(case, "list_id", got == want, repr(lid))
    check(case, "message_id", str(msg["Message-ID"]) ==
          "<2026-06.%s@ssphub.example.fr>" % TOKEN, msg["Message-ID"])
    check(case, "date", parsedate_to_datetime(str(msg["Date"])).timestamp()
          == 1781596800, msg["Date"])
    unsub = str(msg["List-Unsubscribe"])
    want = ("<https://ssphub.example.fr/desinscription?t=%s>, " % TOKEN
            if has_url else "") + \
        "<mailto:infolettre-unsubscribe+%s@ssphub.example.fr?subject=unsubscribe>" % TOKEN
    check(case, "list_unsubscribe", unsub == want, unsub)
    check(case, "one_click", (msg["List-Unsubscribe-Post"] ==
          "List-Unsubscribe=One-Click") == has_url, msg["List-Unsubscribe-Post"])
    check(case, "precedence", msg["Precedence"] == "bulk" and
          msg["MIME-Version"] == "1.0" and msg["List-Archive"] ==
          "<https://ssphub.netlify.app/infolettre/2026-06/>", "")

    # structure
    shape = [msg.get_content_type()] + \
        [p.get_content_type() for p in msg.iter_parts()]
    parts = list(msg.iter_parts())
    if nimages:
        want = ["multipart/alternative", "text/plain", "multipart/related"]
        inner = [p.get_content_type() for p in parts[1].iter_parts()] \
            if len(parts) == 2 else []
        ok = shape == want and inner == ["text/html"] + ["image/png"] * nimages \
            and parts[1].get_param("type") == "text/html"
        html_part = list(parts[1].iter_parts())[0] if ok else None
        images = list(parts[1].iter_parts())[1:] if ok else []
    else:
        ok = shape == ["multipart/alternative", "text/plain", "text/html"]
        html_part = parts[1] if ok else None
        images = []
    check(case, "structure", ok, (shape, [p.get_content_type()
          for p in msg.walk()]))
    if not ok:
        continue
    text_part = parts[0]
    for p in (text_part, html_part):
        check(case, p.get_content_subtype() + "_encoding",
              p["Content-Transfer-Encoding"] == "quoted-printable" and
              p.get_content_charset() == "utf-8",
              (p["Content-Type"], p["Content-Transfer-Encoding"]))
    check(case, "text", crlf_to_lf(text_part.get_content()) ==
          read(case, "text"), repr(text_part.get_content()[:300]))
    html = html_part.get_content()
    check(case, "html", crlf_to_lf(html) == read(case, "html"),
          repr(html[:300]))

    png = open(os.path.join(d, "image.png"), "rb").read()
    cids = {}
    for p in images:
        cids[str(p["Content-ID"]).strip("<>")] = p
        check(case, "image%d" % (len(cids)),
              p["Content-Transfer-Encoding"] == "base64" and
              p.get_content() == png and
              p.get_content_disposition() == "inline",
              (p["Content-Type"], p["Content-Disposition"]))
    refs = re.findall(r'cid:([^"\'\s>)]+)', html)
    check(case, "cids_resolve", all(r in cids for r in refs) and
          len(refs) <= len(cids), (refs, list(cids)))
EOF
