#!/usr/bin/python3
"""Send one newsletter-like message over SMTP to the MTA under test.
Usage: submit.py PORT SENDER RCPT[,RCPT...] [RET] [NOTIFY] [SUBJECT]
The bounce the MTA writes goes back to SENDER (a mailbox we read)."""
import smtplib, sys, email.utils, email.message

port, sender, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
ret = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
notify = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
subject = sys.argv[6] if len(sys.argv) > 6 else "Infolettre du SSP Hub - juin 2026"

m = email.message.EmailMessage()
m["From"] = "Infolettre <newsletter@lists.example.net>"
m["To"] = ", ".join(rcpts)
m["Subject"] = subject
m["Date"] = email.utils.formatdate(localtime=False)
m["Message-ID"] = email.utils.make_msgid(idstring="issue-2026-06", domain="lists.example.net")
m["List-Unsubscribe"] = "<mailto:unsubscribe+t0k3n@lists.example.net>"
m.set_content("Bonjour,\n\nVoici les nouvelles du mois.\n\n-- \nPour vous désinscrire : https://example.net/u/t0k3n\n")
with smtplib.SMTP("127.0.0.1", port) as s:
    s.ehlo("client.example.net")
    mopts = []
    if ret:
        mopts.append("RET=" + ret)
    ropts = ["NOTIFY=" + notify] if notify else []
    s.sendmail(sender, rcpts, m.as_bytes(), mail_options=mopts, rcpt_options=ropts)
