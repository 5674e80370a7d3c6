#!/bin/bash
# make bench-compose: compose an issue of a generated site with 50 posts,
# 10 events and 20 pictures (15 of 640 x 360 px embedded as they are, 5 of
# 1,600 x 900 px that compose scales down to 1,200 px): the best of RUNS
# runs (target: at most 1 s) and the peak memory (max RSS).
# Not a test. Environment: INFOLETTRE (the binary), RUNS (3). Exit status
# 0 when the run went through, the target met or not (MISSED says it).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
INFOLETTRE=${INFOLETTRE:-$ROOT/infolettre}
RUNS=${RUNS:-3}
TMP=$(mktemp -d /tmp/infolettre-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
${CC:-cc} -O2 -o "$TMP/measure" "$ROOT/tests/bench/measure.c"

/usr/bin/python3 - "$TMP" "$ROOT" <<'PY'
import os, struct, sys, zlib
tmp, root = sys.argv[1], sys.argv[2]

def png(path, w, h, seed):
    rows = []
    for y in range(h):
        row = bytearray([0])
        for x in range(w):
            v = ((x // 40) * 73856093 ^ (y // 40) * 19349663 ^ seed) & 0xffffffff
            row += bytes(((v >> 3) % 200 + 30, (v >> 11) % 200 + 30, (v >> 19) % 200 + 30))
        rows.append(bytes(row))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b""))

site = os.path.join(tmp, "site")
words = ("données statistique publique méthode enquête modèle série "
         "territoire qualité diffusion").split()
def para(k):
    return " ".join(words[(k * 3 + i) % len(words)] for i in range(80)) + "."
for i in range(50):
    d = os.path.join(site, "blog", "2026-06-post-%02d" % i)
    os.makedirs(d)
    pic = ""
    if i < 20:
        big = i < 5
        png(os.path.join(d, "featured.png"), 1600 if big else 640, 900 if big else 360, i)
        pic = "image: featured.png\n"
    open(os.path.join(d, "index.qmd"), "w").write(
        "---\ntitle: \"Billet %d sur la %s\"\ndate: 2026-06-%02d\n"
        "description: \"%s\"\n%s---\n\n%s\n\n%s\n" % (i, words[i % 10], 1 + i % 28,
        para(i)[:180], pic, para(i), para(i + 1)))
for i in range(10):
    d = os.path.join(site, "event", "2026-06-event-%02d" % i)
    os.makedirs(d)
    open(os.path.join(d, "index.qmd"), "w").write(
        "---\ntitle: \"Séminaire %d\"\ndate: 2026-06-%02dT14:00:00+02:00\n"
        "end: 2026-06-%02dT17:00:00+02:00\nlocation: Montrouge\n"
        "description: \"%s\"\n---\n\n%s\n" % (i, 2 + i * 2, 2 + i * 2, para(i)[:150], para(i)))
iss = os.path.join(tmp, "issues", "2026-06")
os.makedirs(iss)
open(os.path.join(iss, "issue.md"), "w").write(
    "---\nnumber: 1\nsubject: \"Bench\"\npreheader: \"Bench\"\ndate: 2026-06-02\n---\n\n"
    + "\n\n".join(para(k) for k in range(6)) + "\n")
open(os.path.join(tmp, "infolettre.yaml"), "w").write(
    "newsletter:\n  title: \"Bench\"\n  from: \"Bench <bench@example.org>\"\n"
    "  list_id: \"bench.example.org\"\n  language: fr\n  timezone: Europe/Paris\n"
    "site:\n  root: \"site\"\n  base_url: \"https://example.org/\"\n"
    "  posts: [\"blog\"]\n  events: [\"event\"]\n"
    "unsubscribe:\n  url: \"https://example.org/u\"\n"
    "issues: \"issues\"\ntemplates: \"%s/templates\"\n" % root)
PY

export SOURCE_DATE_EPOCH=1780000000
best="" rss=0
for i in $(seq "$RUNS"); do
	read -r w c kb < <(cd "$TMP" && MEASURE_OUT="$TMP/out.$i" "$TMP/measure" \
		"$INFOLETTRE" -c "$TMP/infolettre.yaml" compose 2026-06)
	if ! grep -q 'newsletter.eml$' "$TMP/out.$i"; then
		echo "bench: compose failed:" >&2
		tail -5 "$TMP/out.$i" >&2
		exit 1
	fi
	if [ -z "$best" ] || awk "BEGIN { exit !($w < $best) }"; then best=$w; cpu=$c; fi
	[ "$kb" -gt "$rss" ] && rss=$kb
done
items=$(grep -c '' <("$INFOLETTRE" -c "$TMP/infolettre.yaml" collect 2026-06 2>/dev/null))
pics=$(grep -o '[0-9]* pictures embedded ([0-9,]* KB)' "$TMP/out.1" || true)
scaled=$(grep -c ' → ' "$TMP/out.1" || true)
echo "$(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg); $items items, $pics, $scaled scaled down"
echo "message: $(grep -o 'newsletter.eml: [0-9,]* KB' "$TMP/out.1")"
awk -v w="$best" -v c="$cpu" -v r="$RUNS" 'BEGIN {
	printf "compose, best of %d: %.3f s (%.3f s CPU) (target: at most 1 s) %s\n",
		r, w, c, w <= 1 ? "met" : "MISSED" }'
echo "peak memory (max RSS): $((rss / 1024)) MB"
