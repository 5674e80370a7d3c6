#!/bin/bash
# make bench-replies: classify a generated Maildir of 20,000 messages (the
# fixture corpus's classes, padded to 2-50 KB) in one run of
# `infolettre replies --dry-run` on a maildir: inbox, and with
# `infolettre replies classify` over the same files, beside `cat` of the
# same files. Prints the times and their ratios (target: within 3x of cat).
# Not a test. Environment: INFOLETTRE (the binary), MESSAGES (20000),
# RUNS (3: the best run counts).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
INFOLETTRE=${INFOLETTRE:-$ROOT/infolettre}
MESSAGES=${MESSAGES:-20000}
RUNS=${RUNS:-3}
TMP=$(mktemp -d /tmp/infolettre-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# The Maildir: every fixture of tests/fixtures/replies in turn, padded
# with quoted text (after the body, so that each keeps its class) to a
# size drawn between 2 and 50 KB.
/usr/bin/python3 - "$ROOT/tests/fixtures/replies" "$TMP/inbox" "$MESSAGES" <<'PY'
import glob, os, random, sys
fix, box, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for d in ("new", "cur", "tmp"):
    os.makedirs(os.path.join(box, d))
src = [open(f, "rb").read() for f in sorted(glob.glob(os.path.join(fix, "*.eml")))
       if not os.path.basename(f).startswith("malformed-")]
src += [open(os.path.join(fix, "malformed-no-from.eml"), "rb").read()]
# and the real-world corpus (tests/corpus): every mail-server family
src += [open(f, "rb").read() for f in sorted(glob.glob(os.path.join(fix, "..", "..", "corpus", "*.eml")))]
rnd = random.Random(20000)
line = b"> Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n"
for i in range(n):
    m = src[i % len(src)]
    size = rnd.randint(2048, 50 * 1024)
    pad = b""
    if size > len(m):
        k = (size - len(m)) // len(line) + 1
        pad = b"\n" + line * k
    name = "%d.M%dP1.bench" % (1780000000 + i, i)
    with open(os.path.join(box, "new", name), "wb") as f:
        f.write(m + pad)
PY
cat > "$TMP/infolettre.yaml" <<'EOF'
newsletter:
  title: "Bench"
  from: "SSP Hub <infolettre@ssphub.example.fr>"
site:
  root: "."
  base_url: "https://example.org/"
unsubscribe:
  mailto: "infolettre-unsubscribe@ssphub.example.fr"
  bounce: "infolettre-bounces@ssphub.example.fr"
inbox:
  url: "maildir:inbox"
subscribers:
  database: "subs/subscribers.db"
  secret_file: "subs/secret.key"
EOF
MB=$(du -sm "$TMP/inbox/new" | cut -f1)
echo "Maildir: $MESSAGES messages, $MB MB; best of $RUNS runs; $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"

# best COMMAND...: the best wall time in seconds of RUNS runs
best() {
	/usr/bin/python3 - "$RUNS" "$@" <<'PY'
import subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
best = None
for _ in range(runs):
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit("bench: %s failed (%d): %s" % (cmd[0], r.returncode,
                 r.stderr.decode(errors="replace")[:500]))
    best = t if best is None or t < best else best
print("%.3f" % best)
PY
}
cd "$TMP"
# the files, in one list, for cat and classify (xargs: as many per process
# as the system takes)
find inbox/new -type f | sort > files
cat > cat.sh <<'EOF'
xargs cat < files > /dev/null
EOF
cat > classify.sh <<EOF
xargs "$INFOLETTRE" -c infolettre.yaml replies classify < files > /dev/null
EOF
"$INFOLETTRE" -c infolettre.yaml replies --dry-run > dry.out
t_cat=$(best bash cat.sh)
t_dry=$(best "$INFOLETTRE" -c infolettre.yaml replies --dry-run)
t_cls=$(best bash classify.sh)
echo "cat of the files:                      ${t_cat} s"
echo "infolettre replies --dry-run (1 run):  ${t_dry} s  ($(awk "BEGIN { printf \"%.1f\", $t_dry / $t_cat }")x cat)"
echo "infolettre replies classify (xargs):   ${t_cls} s  ($(awk "BEGIN { printf \"%.1f\", $t_cls / $t_cat }")x cat)"
echo "classes (from the dry run):"
grep -E '^(unsubscribe|bounce-permanent|bounce-transient|complaint|auto-reply|other|malformed): ' dry.out | sed 's/^/  /'
ratio=$(awk "BEGIN { printf \"%.1f\", $t_dry / $t_cat }")
if awk "BEGIN { exit !($t_dry <= 3 * $t_cat) }"; then
	echo "replies --dry-run: ${ratio} x cat (target: within 3 x cat) met"
else
	echo "replies --dry-run: ${ratio} x cat (target: within 3 x cat) MISSED"
fi
