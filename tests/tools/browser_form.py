"""Fill and submit the subscribe form, and press a confirmation button, in
headless Chromium through chromedriver (browser_check.py's Driver).

usage: browser_form.py subscribe FORM_URL EMAIL NAME WAIT
           open the form page, wait WAIT seconds (the form's minimum
           time), type EMAIL and NAME into its fields as a person would,
           press its button; print "h1: HEADING" of the page before and
           after
       browser_form.py confirm LINK
           open the confirmation link, print "h1: HEADING" and whether a
           button is there, press it, print "h1: HEADING" after

Only 127.0.0.1 is reachable (the other names resolve to nothing).
Only the Python standard library is used.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser_check  # noqa: E402

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def find(d, css):
    v = d.session("POST", "/element", {"using": "css selector", "value": css})
    if ELEMENT not in v and "ELEMENT" not in v:
        raise RuntimeError("no element %s: %r" % (css, v))
    return v[ELEMENT] if ELEMENT in v else v["ELEMENT"]


def h1(d):
    return d.session("POST", "/execute/sync", {
        "script": "var h = document.querySelector('h1');"
                  "return h ? h.textContent.trim() : '';", "args": []})


def wait_new_page(d, before):
    for _ in range(100):
        try:
            if d.session("GET", "/url") != before or \
                    d.session("POST", "/execute/sync", {
                        "script": "return document.readyState",
                        "args": []}) == "complete":
                return
        except RuntimeError:
            pass
        time.sleep(0.1)


def main(argv):
    browser_check.FLAGS = [f if not f.startswith("--host-resolver-rules")
                           else "--host-resolver-rules=MAP * ~NOTFOUND, "
                                "EXCLUDE 127.0.0.1"
                           for f in browser_check.FLAGS]
    d = browser_check.Driver()
    try:
        if argv[0] == "subscribe":
            url, addr, name, wait = argv[1], argv[2], argv[3], float(argv[4])
            d.session("POST", "/url", {"url": url})
            print("h1: " + h1(d))
            time.sleep(wait)
            d.session("POST", "/element/%s/value" % find(d, "#infolettre-email"),
                      {"text": addr})
            d.session("POST", "/element/%s/value" % find(d, "#infolettre-name"),
                      {"text": name})
            visible = d.session("GET", "/element/%s/displayed"
                                % find(d, "#infolettre-website"))
            print("honeypot displayed: %s" % ("yes" if visible else "no"))
            before = d.session("GET", "/url")
            d.session("POST", "/element/%s/click"
                      % find(d, "form.infolettre-subscribe button"), {})
            wait_new_page(d, before)
            time.sleep(0.3)
            print("h1: " + h1(d))
        elif argv[0] == "confirm":
            d.session("POST", "/url", {"url": argv[1]})
            print("h1: " + h1(d))
            button = find(d, "main form button")
            print("button: " + d.session("GET", "/element/%s/text" % button))
            before = d.session("GET", "/url")
            d.session("POST", "/element/%s/click" % button, {})
            wait_new_page(d, before)
            time.sleep(0.3)
            print("h1: " + h1(d))
        else:
            print(__doc__, file=sys.stderr)
            return 64
    finally:
        d.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
