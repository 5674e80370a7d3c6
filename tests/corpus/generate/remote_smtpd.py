#!/usr/bin/python3
"""A stand-in remote mail server for the corpus generators: it answers each
RCPT TO with the reply its local part asks for, so the MTA under test writes
the bounce (or the delay warning) that a real remote refusal would cause.
Usage: remote_smtpd.py PORT HOSTNAME [CAPTURE_DIR]
With CAPTURE_DIR, mail for bounces+TOKEN@lists.example.net is accepted and
written there as TOKEN.N.eml: the reports an MTA sends back over SMTP."""
import asyncio, os, sys
from aiosmtpd.controller import Controller

CAPTURE = None
REPLIES = {
    "unknown": "550 5.1.1 <{a}>: Recipient address rejected: User unknown in local recipient table",
    "nosuchuser": "550 5.1.1 No such user here",
    "unavailable": "550 Requested action not taken: mailbox unavailable",
    "notexist": "550 The email account that you tried to reach does not exist",
    "disabled": "550 5.2.1 The email account that you tried to reach is disabled",
    "full": "552 5.2.2 Mailbox full: {a} has exceeded its storage allocation",
    "overquota": "452 4.2.2 Over quota, please try again later",
    "greylist": "451 4.7.1 Greylisted, please try again in 5 minutes",
    "tempfail": "450 4.2.0 Mailbox temporarily unavailable",
    "relay": "554 5.7.1 <{a}>: Relay access denied",
    "policy": "550 5.7.1 Message rejected by policy: sender not authorized",
    "nocode": "550 Recipient rejected",
    "moved": "551 User not local; please try <moved@elsewhere.example.org>",
    # the wording of big mailbox providers, as their servers answer RCPT TO
    "gmailnouser": "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n"
                   "550-5.1.1 double-checking the recipient's email address for typos or\r\n"
                   "550 5.1.1 unnecessary spaces. For more information, go to https://support.google.com/mail/?p=NoSuchUser",
    "gmailquota": "452-4.2.2 The recipient's inbox is out of storage space. Please direct the\r\n"
                  "452 4.2.2 recipient to https://support.google.com/mail/?p=OverQuotaTemp",
    "yahoonouser": "554 delivery error: dd This user doesn't have a yahoo.com account ({a}) [0] - mta1001.mail.gq1.yahoo.com",
    "o365nouser": "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient {a} not found by SMTP address lookup",
    "outlooknouser": "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302) [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]",
    "mailrunouser": "550 Message was not accepted -- invalid mailbox.  Local mailbox {a} is unavailable: user not found",
    "yandexnouser": "550 5.7.1 No such user!",
    "gmxnouser": "550 Requested action not taken: mailbox unavailable",
    "mimecastnouser": "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 [vU2r1wGjNDeOg0xZnYgDoQ.uk12]",
    "comcastnouser": "550 5.1.1 Not our Customer",
    "icloudnouser": "550 5.1.1 <{a}>: user does not exist",
    "zohonouser": "550 5.1.1 User does not exist - <{a}>",
    "o365blocked": "550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from this list please visit https://sender.office.com/",
    "o365edge": "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [AM4PEPF00025F9B.EURPRD83.prod.outlook.com]",
    "gmaildisabled": "550-5.2.1 The email account that you tried to reach is disabled. Learn more at\r\n"
                     "550 5.2.1 https://support.google.com/mail/?p=DisabledUser",
    "gmailinactive": "552-5.2.2 The email account that you tried to reach is over quota and inactive.\r\n"
                     "552 5.2.2 Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm",
    "yahoodeferred": "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
    "orangenouser": "550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]",
    "gmxnotfound": "550 5.1.1 Mailbox not found",
    "protonnouser": "550 5.1.1 Address does not exist",
    "sfrnouser": "550 5.1.1 <{a}> recipient rejected",
    "barracudanouser": "550 No such user ({a})",
    "disabledmailbox": "550 5.2.1 Mailbox disabled, not accepting messages",
    "quotaexceeded": "552 5.2.2 Quota exceeded (mailbox for user is full)",
    "hostunknown": "550 5.1.2 Host unknown: domain remote.example.org has no mail exchanger",
    "toobig": "552 5.3.4 Message size exceeds fixed maximum message size",
    "relaytemp": "454 4.7.1 <{a}>: Relay access denied, please try again later",
    "mailboxbusy": "450 4.2.1 Mailbox busy, try again later",
    "spam": "550 5.7.1 Our system has detected that this message is likely unsolicited mail",
    "ratelimit": "421 4.7.0 Try again later, closing connection.",
}

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if CAPTURE and local.startswith("bounces+"):
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"
        keys = [k for k in REPLIES if local.startswith(k)]
        if keys:  # the longest prefix: "relaytemp" is not "relay"
            return REPLIES[max(keys, key=len)].format(a=address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        caught = [r for r in envelope.rcpt_tos if r.lower().startswith("bounces+")]
        if CAPTURE and caught:
            tok = caught[0].split("@")[0][len("bounces+"):]
            n = 1
            while os.path.exists(os.path.join(CAPTURE, "%s.%d.eml" % (tok, n))):
                n += 1
            with open(os.path.join(CAPTURE, "%s.%d.eml" % (tok, n)), "wb") as f:
                f.write(envelope.original_content)
            return "250 2.0.0 Ok: captured"
        if any(r.split("@")[0].lower().startswith("content") for r in envelope.rcpt_tos):
            return "554 5.6.0 Message content rejected: contains a forbidden attachment"
        return "250 2.0.0 Ok: queued"

if __name__ == "__main__":
    port, host = int(sys.argv[1]), sys.argv[2]
    CAPTURE = sys.argv[3] if len(sys.argv) > 3 else None
    c = Controller(Handler(), hostname="127.0.0.1", port=port, server_hostname=host)
    c.start()
    try:
        asyncio.get_event_loop().run_forever()
    finally:
        c.stop()
