#!/usr/bin/python3
"""A stand-in remote mail server for the corpus generators: it answers each
RCPT TO with the reply its local part asks for, so the MTA under test writes
the bounce (or the delay warning) that a real remote refusal would cause.
Usage: remote_smtpd.py PORT HOSTNAME"""
import asyncio, sys
from aiosmtpd.controller import Controller

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
}

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        for key, reply in REPLIES.items():
            if local.startswith(key):
                return reply.format(a=address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(r.split("@")[0].lower().startswith("content") for r in envelope.rcpt_tos):
            return "554 5.6.0 Message content rejected: contains a forbidden attachment"
        return "250 2.0.0 Ok: queued"

if __name__ == "__main__":
    port, host = int(sys.argv[1]), sys.argv[2]
    c = Controller(Handler(), hostname="127.0.0.1", port=port, server_hostname=host)
    c.start()
    try:
        asyncio.get_event_loop().run_forever()
    finally:
        c.stop()
