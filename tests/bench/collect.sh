#!/bin/bash
# make bench-collect: time `infolettre collect` over a generated site of
# 10,000 content files beside `cat` of the same files, and show that its
# peak memory does not grow with the files outside the month. Not a test.
# Environment: INFOLETTRE (the binary), FILES (10000), RUNS (5).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
INFOLETTRE=${INFOLETTRE:-$ROOT/infolettre}
FILES=${FILES:-10000}
RUNS=${RUNS:-5}
TMP=$(mktemp -d /tmp/infolettre-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# Time and peak RSS from a small C parent (a child of Python would start
# with Python's resident size as its high-water mark): tests/bench/measure.c
# prints "WALL_SECONDS CPU_SECONDS MAXRSS_KB"; output to /dev/null.
${CC:-cc} -O2 -o "$TMP/measure" "$ROOT/tests/bench/measure.c"

/usr/bin/python3 - "$INFOLETTRE" "$TMP" "$FILES" "$RUNS" <<'PY'
import os, random, subprocess, sys, time

binary, tmp, nfiles, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
MONTH = "2026-06"
rnd = random.Random(42)
WORDS = ("données statistique publique modèle analyse séries enquête méthode "
         "python parquet duckdb quarto réseau atelier code open-source "
         "classification emploi prix territoire échantillon").split()

def words(n):
    return " ".join(rnd.choice(WORDS) for _ in range(n))

def body():
    # a few KB of Markdown: paragraphs, a list, a link, a code block
    parts = []
    for _ in range(rnd.randint(4, 9)):
        parts.append(words(rnd.randint(40, 90)).capitalize() + ".")
    parts.insert(2, "\n".join("- " + words(6) for _ in range(5)))
    parts.insert(3, "Voir [la documentation](https://www.insee.fr/fr/information/%d)." % rnd.randint(1, 9999))
    parts.append("```python\nimport duckdb\nduckdb.sql(\"select 42\").show()\n```")
    return "\n\n".join(parts) + "\n"

def page(title, date, event):
    fm = ['---', 'title: "%s"' % title, 'date: %s' % date,
          'description: "%s."' % words(18).capitalize(),
          'authors:', '  - %s' % words(2).title(),
          'categories: [%s, %s]' % (rnd.choice(WORDS), rnd.choice(WORDS))]
    if event:
        fm += ['location: "Montrouge"', 'date_end: %s' % date[:10]]
    fm.append('---')
    return "\n".join(fm) + "\n\n" + body()

def make_site(root, n, years, in_month):
    """n files dated in years (outside MONTH), plus in_month files of MONTH.
    Quarto bundles (blog/, event/), Hugo files and bundles (content/)."""
    paths = []
    for i in range(n + in_month):
        if i < in_month:
            date = "%s-%02d" % (MONTH, rnd.randint(1, 28))
        else:
            while True:
                y, m = rnd.choice(years), rnd.randint(1, 12)
                if "%d-%02d" % (y, m) not in (MONTH, "2026-07"):
                    break
            date = "%d-%02d-%02d" % (y, m, rnd.randint(1, 28))
        kind = i % 4
        slug = "%s-%s-%d" % (date[:7], rnd.choice(WORDS), i)
        if kind == 0:
            rel, event = "blog/%s/index.qmd" % slug, False
        elif kind == 1:
            rel, event = "event/%s/index.qmd" % slug, True
        elif kind == 2:
            rel, event = "content/post/%s.md" % slug, False
        else:
            rel, event = "content/event/%s/index.md" % slug, True
        if event and rnd.random() < 0.5:
            date += "T%02d:30:00+02:00" % rnd.randint(8, 20)
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(page("%s %d" % (words(5).capitalize(), i), date, event))
        paths.append(path)
    with open(os.path.join(root, "infolettre.yaml"), "w") as f:
        f.write('newsletter:\n  title: "Bench"\n  from: "b@example.org"\n'
                '  timezone: Europe/Paris\nsite:\n  root: "."\n'
                '  base_url: "https://example.org/"\n'
                '  posts: [blog, content/post]\n'
                '  events: [event, content/event]\n')
    return paths

def timed(argv):
    """Best wall time of runs (after one warm-up run) and the peak RSS in KB,
    measured by the small helper; the command's output is discarded."""
    best, rss = None, 0
    for i in range(runs + 1):
        p = subprocess.run([os.path.join(tmp, "measure")] + argv,
                           env=dict(os.environ, MEASURE_OUT="/dev/null"),
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if p.returncode != 0:
            sys.exit("bench: %s exited %d" % (argv[0], p.returncode))
        t, _, kb = p.stdout.split()
        if i > 0:
            best = float(t) if best is None else min(best, float(t))
        rss = max(rss, int(kb))
    return best, rss

site = os.path.join(tmp, "site")
t0 = time.perf_counter()
paths = make_site(site, nfiles - 40, range(2018, 2027), 40)
size = sum(os.path.getsize(p) for p in paths)
print("site: %d content files, %.1f MB (%.1f KB each on average), made in %.1f s"
      % (len(paths), size / 1e6, size / len(paths) / 1e3, time.perf_counter() - t0))

# cat gets the same files, as arguments (xargs would add its own time)
cat = ["/bin/cat"] + paths
coll = [binary, "-c", os.path.join(site, "infolettre.yaml"), "collect", MONTH]
out = subprocess.run(coll, capture_output=True, text=True)
if out.returncode != 0 or out.stderr:
    sys.exit("bench: collect failed or warned: %s" % out.stderr)
items = len(out.stdout.splitlines())
tc, rc = timed(cat)
ti, ri = timed(coll)
ratio = ti / tc
print("collect %s: %d items" % (MONTH, items))
print("best of %d: cat %.3f s, collect %.3f s: collect = %.2f x cat (target: at most 3 x) %s"
      % (runs, tc, ti, ratio, "met" if ratio <= 3 else "MISSED"))

# memory: the same month, four times as many files outside it
big = os.path.join(tmp, "big")
os.rename(site, big)
more = make_site(os.path.join(tmp, "more"), 3 * nfiles, range(2005, 2018), 0)
for p in more:
    rel = os.path.relpath(p, os.path.join(tmp, "more"))
    dst = os.path.join(big, rel)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    os.rename(p, dst)
coll_big = [binary, "-c", os.path.join(big, "infolettre.yaml"), "collect", MONTH]
out_big = subprocess.run(coll_big, capture_output=True, text=True)
if out_big.stdout != out.stdout:
    sys.exit("bench: the bigger site gave another listing")
tb, rb = timed(coll_big)
print("peak memory (max RSS): %d files: %d KB; %d files: %d KB (%+d KB); "
      "same %d items" % (len(paths), ri, len(paths) + len(more), rb, rb - ri, items))
print("collect over %d files: %.3f s" % (len(paths) + len(more), tb))
PY
