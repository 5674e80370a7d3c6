#!/bin/bash
# t_spam.sh - SpamAssassin (the Debian package, offline: -L, the rule set
# the package ships in /usr/share/spamassassin, no sa-update) scores every
# test issue's newsletter.eml, and the message send really hands to the
# transport, as a receiving relay sees it. Target: a score below 1.0 and
# none of the rules that mark a badly built newsletter. For each message a
# "# …" line (not a check) names the rules hit with their points.
# time limit: 300 s
. "$(dirname "$0")/lib.sh"

if ! command -v spamassassin > /dev/null; then
	fail t_spam "spamassassin is not installed (tests/deps.sh)"
	exit 1
fi
# Of the site configuration only the .pre files the package ships (they
# load the plugins); no local.cf, no rules from sa-update.
SITE=$TMP/sa-site
mkdir -p "$SITE"
cp /etc/spamassassin/*.pre "$SITE/"
rm -f "$SITE/sa-compile.pre"
N=0

# score LABEL FILE [DATE_RULES_TOO]: one fresh HOME each, so that nothing
# learnt from one message (Bayes, auto-whitelist) scores the next.
score() {
	local label=$1 file=$2 home
	N=$((N + 1))
	home=$TMP/sa-home-$N
	mkdir -p "$home"
	HOME=$home spamassassin -t -L -C /usr/share/spamassassin \
		--siteconfigpath="$SITE" \
		--cf='add_header all Tests _TESTSSCORES(,)_' \
		< "$file" > "$TMP/scored-$N" 2> "$TMP/sa-err-$N"
	$PY - "$label" "$TMP/scored-$N" "$TMP/sa-err-$N" "${3:-}" <<'EOF'
import re, sys
from email import policy
from email.parser import BytesParser

label, path, errpath, realistic = sys.argv[1:5]
msg = BytesParser(policy=policy.compat32).parse(open(path, "rb"))
status = " ".join((msg["X-Spam-Status"] or "").split())
tests = "".join((msg["X-Spam-Tests"] or "").split())
m = re.search(r"score=(-?[0-9.]+)", status)
if not m:
    err = open(errpath, errors="replace").read()[-400:]
    print("FAIL spam %s: not scored: %s" % (label, err or status))
    sys.exit(0)
score = float(m.group(1))
hits = dict((k, float(v)) for k, v in
            (t.split("=") for t in tests.split(",") if "=" in t))
listed = ",".join("%s=%g" % kv for kv in sorted(hits.items()))
print("# spam %s: scored %.1f: %s" % (label, score, listed or "no rule"))
bad = re.compile(r"^(MISSING_MID|MIME_HTML_ONLY|MPART_ALT_DIFF.*|"
                 r"HTML_IMAGE_ONLY_.*|MIME_QP_LONG_LINE|INVALID_DATE|"
                 r"LIST_PARTIAL_SHORT_MSG%s)$" %
                 ("|DATE_IN_PAST_.*|DATE_IN_FUTURE_.*" if realistic else ""))
forbidden = sorted(r for r in hits if bad.match(r))
positive = sum(v for v in hits.values() if v > 0)
print(("ok spam %s: score %.1f below 1.0" % (label, score)) if score < 1.0
      else "FAIL spam %s: score %.1f (%s)" % (label, score, listed))
print(("ok spam %s: points before the list bonuses %.1f below 1.0" %
       (label, positive)) if positive < 1.0 else
      "FAIL spam %s: %.1f points before the list bonuses (%s)" %
      (label, positive, listed))
print(("ok spam %s: none of the newsletter rules hit" % label)
      if not forbidden else
      "FAIL spam %s: hit %s" % (label, ",".join(forbidden)))
EOF
}

# The scanner works offline with the package's rules: GTUBE is spam.
cat > "$TMP/gtube.eml" <<EOF
From: Someone <someone@example.com>
To: camille.exemple@example.fr
Subject: a test
Date: $(date -R)
Message-ID: <gtube.1@example.com>

XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X
EOF
HOME=$TMP spamassassin -t -L -C /usr/share/spamassassin \
	--siteconfigpath="$SITE" < "$TMP/gtube.eml" > "$TMP/gtube.out" 2>&1
expect_grep "spamassassin offline, package rules: GTUBE is spam" \
	'^X-Spam-Status: Yes, score=1000' "$TMP/gtube.out"
expect_status "spamassassin --lint: the package's rules need no sa-update" 0 \
	env HOME="$TMP" spamassassin --lint -L -C /usr/share/spamassassin \
	--siteconfigpath="$SITE"

# The committed golden messages, as compose writes them.
for month in 2026-06 2026-07; do
	score "$month/newsletter.eml" "$ROOT/issues/$month/newsletter.eml"
done

# As delivered: the issue sent now (no SOURCE_DATE_EPOCH: the clock) to
# one subscriber through the Maildir transport, then received by a relay
# that stamps its Received header with the time it got the message; a
# Date hours or days away from it is what DATE_IN_PAST_*/_FUTURE_* score.
R=$TMP/repo
mkdir -p "$R/issues" "$R/tests"
cp "$ROOT/infolettre.yaml" "$R/"
cp "$ROOT/tests/hugo.yaml" "$R/tests/"
ln -s "$ROOT/tests/site" "$R/tests/site"
ln -s "$ROOT/templates" "$R/templates"
for spec in "infolettre.yaml 2026-06 outbox" "tests/hugo.yaml 2026-07 tests/outbox"; do
	set -- $spec
	cfg=$R/$1 month=$2 box=$R/$3
	mkdir -p "$R/issues/$month"
	cp "$ROOT/issues/$month/issue.md" "$R/issues/$month/"
	"$INFOLETTRE" -c "$cfg" subscribers add camille.exemple@example.fr \
		--name "Camille Exemple" > /dev/null 2>&1
	expect_status "send $month now" 0 env -u SOURCE_DATE_EPOCH \
		"$INFOLETTRE" -c "$cfg" send "$month"
	sent=$(ls "$box"/new/* 2>/dev/null | head -1)
	if [ -z "$sent" ]; then
		fail "spam $month as delivered" "no message in $box/new"
		continue
	fi
	{
		printf 'Received: from localhost (localhost [127.0.0.1])\r\n'
		printf '\tby mail.example.fr (Postfix) with ESMTP id 4gT1Zk0Q2Rz9v\r\n'
		printf '\tfor <camille.exemple@example.fr>; %s\r\n' "$(date -R)"
		cat "$sent"
	} > "$TMP/delivered-$month.eml"
	score "$month as delivered now" "$TMP/delivered-$month.eml" realistic
done
