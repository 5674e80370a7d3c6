#!/usr/bin/python3
"""dkim_verify.py - verify the DKIM signatures of messages with Debian's
python3-dkim, the DNS answered by a stub from records given here.

usage: dkim_verify.py [--record LINE]... [--records FILE] FILE...

A record is what `infolettre dkim keygen` prints:
    SELECTOR._domainkey.DOMAIN IN TXT "v=DKIM1; k=…; p=…" ["…"]
For each FILE, one line: "FILE<TAB>RESULT<TAB>DETAIL" where RESULT is
"pass" when every DKIM-Signature verifies (there is at least one), else
"fail"; DETAIL is "N signatures", or why (each signature that fails,
separated by "; "). The message is also parsed with
the email package (policy.default): a defect is a failure.
Exit status: 0 when every file passes, 1 otherwise, 2 for a usage error.
"""
import re
import sys
from email import policy
from email.parser import BytesParser

import dkim

RECORD = re.compile(r'^\s*(\S+?)\.?\s+(?:\d+\s+)?(?:IN\s+)?TXT\s+(.*)$')


def parse_record(line):
    m = RECORD.match(line)
    if not m:
        raise ValueError("not a TXT record: %r" % line)
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))
    if not strings:
        raise ValueError("no character-string in %r" % line)
    for s in strings:
        if len(s.encode()) > 255:
            raise ValueError("a character-string of %d bytes" % len(s))
    return m.group(1).lower(), "".join(strings).encode()


def main(argv):
    records, files = {}, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--record", "--records") and i + 1 < len(argv):
            lines = [argv[i + 1]] if a == "--record" else \
                [l for l in open(argv[i + 1], encoding="utf-8")
                 if l.strip()]
            for l in lines:
                name, txt = parse_record(l)
                records[name] = txt
            i += 2
        elif a.startswith("--"):
            print(__doc__, file=sys.stderr)
            return 2
        else:
            files.append(a)
            i += 1
    if not files:
        print(__doc__, file=sys.stderr)
        return 2

    def dnsfunc(name, timeout=5):
        n = name.decode() if isinstance(name, bytes) else name
        return records.get(n.rstrip(".").lower())

    bad = 0
    for f in files:
        raw = open(f, "rb").read()
        why = None
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        defects = [d for part in msg.walk() for d in part.defects]
        if defects:
            why = "email defects: %r" % defects[:3]
        d = dkim.DKIM(raw, minkey=1024)
        n = len([1 for name, _ in d.headers
                 if name.lower() == b"dkim-signature"])
        if not why and n == 0:
            why = "no DKIM-Signature"
        failed = []
        for idx in range(n if not why else 0):
            try:
                if not d.verify(idx=idx, dnsfunc=dnsfunc):
                    failed.append("signature %d does not verify" % idx)
            except dkim.DKIMException as e:
                failed.append("signature %d: %s" % (idx, e))
        if failed:
            why = "; ".join(failed)
        if why:
            bad += 1
        print("%s\t%s\t%s" % (f, "fail" if why else "pass",
                              why or "%d signatures" % n))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
