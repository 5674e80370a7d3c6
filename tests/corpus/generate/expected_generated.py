#!/usr/bin/python3
"""Print the expected.tsv lines of the generated reports (gen-*, derived-*)
from their own DSN fields: each recipient's Original-Recipient (else
Final-Recipient) and Status; permanent when any Status is 5.x.x, else
transient. The vacation replies are auto-replies. This is how their lines
were first written; each was then read against the message (README.md).
Usage: generate/expected_generated.py [CORPUS_DIR]"""
import email, email.policy, glob, os, sys

corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
paths = sorted(glob.glob(os.path.join(corpus, "gen-*.eml")) + glob.glob(os.path.join(corpus, "derived-*.eml")))
for path in paths:
    name = os.path.basename(path)
    if name.startswith("gen-vacation-"):
        print("%s\tauto-reply\t-" % name)
        continue
    msg = email.message_from_bytes(open(path, "rb").read(), policy=email.policy.compat32)
    recipients = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in part.get_payload()[1:]:
            addr = block.get("Original-Recipient") or block.get("Final-Recipient") or ""
            addr = addr.split(";", 1)[-1].strip().strip("<>").lower()
            recipients.append((addr, (block.get("Status") or "").strip()))
    if not recipients:
        sys.exit("%s: no DSN recipient" % name)
    cls = "bounce-permanent" if any(s.startswith("5") for _, s in recipients) else "bounce-transient"
    print("%s\t%s\t%s" % (name, cls, ",".join(sorted({a for a, _ in recipients}))))
