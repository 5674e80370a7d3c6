#!/usr/bin/python3
"""Open composed issues in headless Chromium through chromedriver.

usage: browser_check.py [--json OUT] LABEL UNSUBSCRIBE_URL FILE...
       browser_check.py png FILE X,Y...
       browser_check.py archive DIR SHOT.png

A FILE ending in .html is opened as it is: its images point at the site,
which cannot be reached here (the browser is offline), so each image must
have loaded or have alt text. A FILE ending in .eml is the message: its
HTML part is written out with its cid: images as files, and every image
must load. Each page is opened at 375 px (a phone's viewport: the page's
<meta name="viewport"> applies) and at 800 px (a desktop's), and checked:
no horizontal scrolling (the document's scroll width is the viewport's
width, less a desktop's vertical scroll bar), the images, and the unsubscribe link (the first link whose URL
starts with UNSUBSCRIBE_URL): in the document, with a non-zero box inside
the scrollable area, not hidden, and the element on top at its centre.
Prints one "ok NAME: …" or "FAIL NAME: …" line per check. --json writes
the measurements ({"FILE WIDTH": {...}}) to OUT.

"archive DIR SHOT.png": the folder "infolettre archive" wrote, opened as
files: DIR/index.html and each issue page it links to at 375 and 800 px
(no horizontal scrolling, images loaded or with alt text), the index's
links to each issue page and its Atom feed (<link rel="alternate">) each
to a file that exists, and a screenshot of the index at 800 px written to
SHOT.png. Prints one "ok"/"FAIL" line per check.

"png FILE X,Y...": print the width, the height and the colour (#rrggbb)
at each point of an 8-bit RGB or RGBA PNG, decoded with zlib alone.

Chromium is $CHROMIUM (default /usr/bin/chromium), chromedriver is
$CHROMEDRIVER (default /usr/bin/chromedriver), started on a free port of
127.0.0.1 with a fresh profile and stopped by its process id.
Only the Python standard library is used.
"""
import base64
import email
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from email import policy
from urllib.parse import quote

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# The flags of the issue, and offline: no name resolves, no proxy answers.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync", "--disable-quic",
         "--host-resolver-rules=MAP * ~NOTFOUND",
         "--proxy-server=127.0.0.1:9"]
WIDTHS = [(375, True), (800, False)]  # (viewport width, a phone's)

MEASURE = r"""
var prefix = arguments[0];
var de = document.documentElement;
var r = {viewport: window.innerWidth, clientWidth: de.clientWidth,
         scrollWidth: de.scrollWidth, scrollHeight: de.scrollHeight,
         images: [], unsub: null};
Array.prototype.forEach.call(document.images, function (i) {
  var b = i.getBoundingClientRect();
  r.images.push({src: i.currentSrc || i.src, loaded: i.complete &&
    i.naturalWidth > 0, alt: (i.getAttribute("alt") || "").trim(),
    right: b.right + window.scrollX});
});
var links = Array.prototype.filter.call(document.querySelectorAll("a[href]"),
  function (a) { return a.href.indexOf(prefix) === 0; });
if (links.length) {
  var a = links[0];
  a.scrollIntoView({block: "center"});
  var b = a.getBoundingClientRect(), cs = getComputedStyle(a);
  var hit = document.elementFromPoint(b.left + b.width / 2,
                                      b.top + b.height / 2);
  var hidden = false;
  for (var e = a; e && e.nodeType === 1; e = e.parentElement) {
    var s = getComputedStyle(e);
    if (s.display === "none" || s.visibility !== "visible" ||
        parseFloat(s.opacity) === 0) hidden = true;
  }
  r.unsub = {text: a.textContent.trim(), count: links.length,
    width: b.width, height: b.height, left: b.left + window.scrollX,
    right: b.right + window.scrollX, top: b.top + window.scrollY,
    bottom: b.bottom + window.scrollY, hidden: hidden,
    fontSize: parseFloat(cs.fontSize),
    onTop: !!hit && (hit === a || a.contains(hit))};
  window.scrollTo(0, 0);
}
return r;
"""


class Driver:
    """A chromedriver process and one session."""

    def __init__(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.profile = tempfile.mkdtemp(prefix="browser-check.")
        self.proc = subprocess.Popen(
            [CHROMEDRIVER, "--port=%d" % self.port],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.sid = None
        for _ in range(100):
            try:
                if self.call("GET", "/status")["value"].get("ready"):
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("chromedriver did not start")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": FLAGS + ["--user-data-dir=" + self.profile]}}}}
        self.sid = self.call("POST", "/session", caps)["value"]["sessionId"]

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (self.port, path), data=data,
            method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise RuntimeError("%s %s: %s" % (method, path,
                                              e.read()[:300]))

    def session(self, method, path, body=None):
        return self.call(method, "/session/%s%s" % (self.sid, path),
                         body)["value"]

    def close(self):
        try:
            if self.sid:
                self.call("DELETE", "/session/" + self.sid)
        except (OSError, RuntimeError):
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def eml_page(path, folder):
    """The HTML part of the message at path, with its cid: images written
    beside it as files; returns the page's path."""
    msg = email.message_from_binary_file(open(path, "rb"),
                                         policy=policy.default)
    html = msg.get_body(("html",)).get_content()
    for n, part in enumerate(msg.walk()):
        cid = part.get("Content-ID")
        if not cid or part.get_content_maintype() != "image":
            continue
        name = "part%d.%s" % (n, part.get_content_subtype())
        with open(os.path.join(folder, name), "wb") as f:
            f.write(part.get_payload(decode=True))
        html = html.replace('"cid:%s"' % cid.strip("<>"), '"%s"' % name)
    page = os.path.join(folder, "message.html")
    with open(page, "w", encoding="utf-8") as f:
        f.write(html)
    return page


def check_page(d, label, name, url, prefix, all_images_load, out):
    for width, mobile in WIDTHS:
        d.session("POST", "/goog/cdp/execute", {
            "cmd": "Emulation.setDeviceMetricsOverride",
            "params": {"width": width, "height": 800,
                       "deviceScaleFactor": 1, "mobile": mobile}})
        d.session("POST", "/url", {"url": url})
        m = d.session("POST", "/execute/sync",
                      {"script": MEASURE, "args": [prefix]})
        out["%s %d" % (name, width)] = m
        tag = "%s %s %dpx" % (label, name, width)

        # clientWidth: the viewport less a desktop's vertical scroll bar
        cw = m["clientWidth"]
        ok = m["viewport"] == width and 0 < cw <= width and \
            m["scrollWidth"] == cw
        print("%s %s: %s horizontal scroll (scrollWidth %d, viewport %d, "
              "%d without its scroll bar; page %d px tall)" % (
                  "ok" if ok else "FAIL", tag, "no" if ok else "a",
                  m["scrollWidth"], m["viewport"], cw, m["scrollHeight"]))

        imgs = m["images"]
        loaded = sum(1 for i in imgs if i["loaded"])
        alt = sum(1 for i in imgs if i["alt"])
        bad = [i["src"] for i in imgs
               if not i["loaded"] and (all_images_load or not i["alt"])]
        bad += [i["src"] for i in imgs if i["right"] > cw + 0.5]
        print("%s %s: %d images, %d loaded, %d with alt text%s" % (
            "FAIL" if bad or not imgs else "ok", tag, len(imgs), loaded, alt,
            (": not loaded%s or too wide: %s" % (
                "" if all_images_load else " and no alt", bad[:3]))
            if bad else ""))

        u = m["unsub"]
        if not u:
            print("FAIL %s: unsubscribe link: no link to %s" % (tag, prefix))
            continue
        why = []
        if not (u["width"] > 0 and u["height"] > 0):
            why.append("an empty box")
        if u["hidden"]:
            why.append("hidden")
        if not u["onTop"]:
            why.append("covered by another element")
        if u["bottom"] > m["scrollHeight"] or u["top"] < 0:
            why.append("outside the page's height")
        if u["left"] < 0 or u["right"] > cw:
            why.append("outside the viewport's width")
        if u["fontSize"] < 10:
            why.append("font size %.0f px" % u["fontSize"])
        print("%s %s: unsubscribe link \"%s\" %s (x %d-%d, y %d-%d of %d, "
              "%.0f px)" % ("FAIL" if why else "ok", tag, u["text"],
                            ", ".join(why) if why else "visible",
                            u["left"], u["right"], u["top"], u["bottom"],
                            m["scrollHeight"], u["fontSize"]))


def png_info(path, points):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    if depth != 8 or ctype not in (2, 6):
        raise ValueError("not 8-bit RGB(A)")
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev, k = [], bytearray(stride), 0
    for _ in range(h):
        f, line = raw[k], bytearray(raw[k + 1:k + 1 + stride])
        k += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else
                                      b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    out = [str(w), str(h)]
    for pt in points:
        x, y = (int(v) for v in pt.split(","))
        px = rows[y][x * bpp:x * bpp + 3]
        out.append("#%02x%02x%02x" % tuple(px))
    print(" ".join(out))


LINKS = r"""
return {
  links: Array.prototype.map.call(document.querySelectorAll("a[href]"),
    function (a) { var b = a.getBoundingClientRect();
      return {href: a.href, text: a.textContent.trim(),
              visible: b.width > 0 && b.height > 0}; }),
  feeds: Array.prototype.map.call(
    document.querySelectorAll('link[rel="alternate"]'),
    function (l) { return {href: l.href, type: l.type}; }),
  title: document.title
};
"""


def file_of(url):
    from urllib.parse import unquote, urlparse
    u = urlparse(url)
    return unquote(u.path) if u.scheme == "file" else None


def check_archive(folder, shot):
    d = None
    try:
        d = Driver()
        index = os.path.abspath(os.path.join(folder, "index.html"))
        out = {}
        # no unsubscribe link on a web page: the prefix matches nothing
        check_page_layout(d, "archive", "index.html", "file://" + quote(index),
                          out)
        info = d.session("POST", "/execute/sync", {"script": LINKS,
                                                   "args": []})
        issues = [a for a in info["links"]
                  if re.search(r"/\d{4}-\d{2}/index\.html$", a["href"])]
        missing = [a["href"] for a in issues
                   if not os.path.isfile(file_of(a["href"]) or "")]
        hidden = [a["href"] for a in issues if not a["visible"]]
        print("%s archive index.html: %d links to issue pages%s" % (
            "FAIL" if not issues or missing or hidden else "ok", len(issues),
            (": missing %s, hidden %s" % (missing[:3], hidden[:3]))
            if missing or hidden else ""))
        feeds = [f for f in info["feeds"]
                 if f["type"] == "application/atom+xml"]
        ok = len(feeds) == 1 and os.path.isfile(file_of(feeds[0]["href"])
                                                or "")
        print("%s archive index.html: its Atom feed %s" % (
            "ok" if ok else "FAIL",
            feeds[0]["href"].rsplit("/", 1)[-1] if feeds else "missing"))
        # the screenshot, at 800 px
        d.session("POST", "/goog/cdp/execute", {
            "cmd": "Emulation.setDeviceMetricsOverride",
            "params": {"width": 800, "height": 800, "deviceScaleFactor": 1,
                       "mobile": False}})
        d.session("POST", "/url", {"url": "file://" + quote(index)})
        png = base64.b64decode(d.session("GET", "/screenshot"))
        with open(shot, "wb") as f:
            f.write(png)
        print("%s archive index.html: a screenshot of %d bytes" % (
            "ok" if png[:8] == b"\x89PNG\r\n\x1a\n" else "FAIL", len(png)))
        for a in issues:
            page = file_of(a["href"])
            check_page_layout(d, "archive",
                              os.path.relpath(page, folder),
                              "file://" + quote(page), out)
    except Exception as e:  # one FAIL line, whatever broke
        print("FAIL archive: browser: %s: %s" % (type(e).__name__, e))
        return 1
    finally:
        if d:
            d.close()
    return 0


def check_page_layout(d, label, name, url, out):
    """check_page without the unsubscribe link: a web page has none."""
    for width, mobile in WIDTHS:
        d.session("POST", "/goog/cdp/execute", {
            "cmd": "Emulation.setDeviceMetricsOverride",
            "params": {"width": width, "height": 800,
                       "deviceScaleFactor": 1, "mobile": mobile}})
        d.session("POST", "/url", {"url": url})
        m = d.session("POST", "/execute/sync",
                      {"script": MEASURE, "args": ["about:none"]})
        out["%s %d" % (name, width)] = m
        tag = "%s %s %dpx" % (label, name, width)
        cw = m["clientWidth"]
        ok = m["viewport"] == width and 0 < cw <= width and \
            m["scrollWidth"] == cw
        print("%s %s: %s horizontal scroll (scrollWidth %d, viewport %d)" % (
            "ok" if ok else "FAIL", tag, "no" if ok else "a",
            m["scrollWidth"], m["viewport"]))
        imgs = m["images"]
        bad = [i["src"] for i in imgs if not i["loaded"] and not i["alt"]]
        bad += [i["src"] for i in imgs if i["right"] > cw + 0.5]
        print("%s %s: %d images, %d loaded, %d with alt text%s" % (
            "FAIL" if bad else "ok", tag, len(imgs),
            sum(1 for i in imgs if i["loaded"]),
            sum(1 for i in imgs if i["alt"]),
            ": not loaded and no alt, or too wide: %s" % bad[:3] if bad else ""))


def main(argv):
    if argv and argv[0] == "png":
        png_info(argv[1], argv[2:])
        return 0
    if argv and argv[0] == "archive":
        return check_archive(argv[1], argv[2])
    json_out = None
    if argv[:1] == ["--json"]:
        json_out, argv = argv[1], argv[2:]
    label, prefix, files = argv[0], argv[1], argv[2:]
    out, d = {}, None
    work = tempfile.mkdtemp(prefix="browser-pages.")
    try:
        d = Driver()
        for n, f in enumerate(files):
            name = os.path.basename(f)
            if f.endswith(".eml"):
                folder = os.path.join(work, str(n))
                os.mkdir(folder)
                page = eml_page(f, folder)
            else:
                page = os.path.abspath(f)
            check_page(d, label, name, "file://" + quote(page), prefix,
                       f.endswith(".eml"), out)
    except Exception as e:  # one FAIL line, whatever broke
        print("FAIL %s: browser: %s: %s" % (label, type(e).__name__, e))
        return 1
    finally:
        if d:
            d.close()
        shutil.rmtree(work, ignore_errors=True)
    if json_out:
        with open(json_out, "w") as f:
            json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
