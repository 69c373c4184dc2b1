#!/usr/bin/python3
"""The web app end to end: a real headless Chromium (through chromedriver's W3C WebDriver HTTP
protocol, standard library only) against a real `medgen serve` started here.

Usage: e2e.py MEDGEN_CLI SOURCE_DIR

The admin sets up users and roles through the API; then, in the browser: the steward uploads
data/pbc.csv through the form and sees its schema; the analyst fits a copula, samples 1,000 rows,
evaluates them, opens the report inline and asks for a release; the steward approves it with the
report beside it; the analyst downloads the rows; a trainee runs septic shock by typing orders,
watches the monitor and ends with the debrief's score. Each page's screenshot goes to
$MEDGEN_SCREENSHOTS (else a temporary folder) and must be a PNG that is not blank; the browser's
console must hold no error. Every check prints ok/FAIL; the exit status is the number of failures.
"""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

CLI, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
PASSWORD = "a long test passphrase"
fails = 0


def check(name, cond, detail=""):
    global fails
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)[:400]), flush=True)
    if not cond:
        fails += 1
    return cond


def call(port, method, path, body=None, token=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = "Bearer " + token
    c.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, data


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """The few WebDriver commands the journeys need."""

    def __init__(self, tmp):
        self.port = free_port()
        # Its own process group: chromedriver and the browsers it starts go away together.
        self.proc = subprocess.Popen(["chromedriver", f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        self.downloads = os.path.join(tmp, "downloads")
        os.makedirs(self.downloads)
        deadline = time.time() + 20
        while True:
            try:
                self.cmd("GET", "/status")
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,900", "--user-data-dir=" + os.path.join(tmp, "profile")]
        caps = {"browserName": "chrome", "goog:loggingPrefs": {"browser": "ALL"},
                "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args,
                                       "prefs": {"download.default_directory": self.downloads,
                                                 "download.prompt_for_download": False}}}
        self.sid = self.cmd("POST", "/session", {"capabilities": {"alwaysMatch": caps}})["sessionId"]

    def cmd(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.request(method, path, body=None if body is None else json.dumps(body),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = json.loads(r.read() or b"{}")
        c.close()
        if r.status != 200:
            raise RuntimeError(f"webdriver {method} {path}: {data.get('value', data)}")
        return data.get("value", data)

    def s(self, method, path, body=None):
        return self.cmd(method, f"/session/{self.sid}{path}", body)

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait(self, what, script, *args, seconds=30):
        """Polls a JavaScript expression until it is truthy; its value, or a FAIL."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            v = self.js(f"try {{ return {script}; }} catch (e) {{ return null; }}", *args)  # not there yet
            if v:
                return v
            time.sleep(0.1)
        check(what, False, f"timed out after {seconds} s waiting for {script}")
        return None

    def el(self, css, seconds=20):
        if not self.wait(f"element {css}", "document.querySelector(arguments[0]) !== null", css, seconds=seconds):
            raise RuntimeError(f"no element {css}")
        found = self.s("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(found.values()))

    def type(self, css, text, clear=True):
        e = self.el(css)
        if clear:
            self.s("POST", f"/element/{e}/clear", {})
        self.s("POST", f"/element/{e}/value", {"text": text})

    def click(self, css):
        self.s("POST", f"/element/{self.el(css)}/click", {})

    def select(self, css, value):
        self.el(css)
        self.js("const s = document.querySelector(arguments[0]); s.value = arguments[1];"
                "s.dispatchEvent(new Event('change', {bubbles: true}))", css, value)

    def console_errors(self):
        entries = []
        for path in ("/se/log", "/log"):
            try:
                entries = self.s("POST", path, {"type": "browser"})
                break
            except RuntimeError:
                continue
        return [e["message"] for e in entries if e.get("level") == "SEVERE"]

    def close(self):
        try:
            self.cmd("DELETE", f"/session/{self.sid}")
        except Exception:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def png_stats(data):
    """(width, height, distinct byte values in the decoded rows) of a PNG; None if not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos, idat, w, hgt = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, hgt = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    return w, hgt, len(set(zlib.decompress(idat)))


class Shots:
    def __init__(self, browser, folder):
        self.b, self.folder = browser, folder
        os.makedirs(folder, exist_ok=True)

    def take(self, name, selectors):
        for css in selectors:
            check(f"{name}: has {css}", self.b.js("return document.querySelector(arguments[0]) !== null", css))
        png = base64.b64decode(self.b.s("GET", "/screenshot"))
        path = os.path.join(self.folder, name + ".png")
        with open(path, "wb") as f:
            f.write(png)
        st = png_stats(png)
        check(f"{name}: screenshot {path} is a PNG that is not blank", st and st[0] > 0 and st[2] > 16, st)


class Server:
    def __init__(self, tmp):
        gate = os.path.join(tmp, "gate.json")
        with open(gate, "w") as f:
            json.dump({"min_quality": 0.5, "max_membership_auc": None, "max_exact_copy_rate": None,
                       "max_share_closer_to_train": None, "min_utility_ratio": None}, f)
        env = dict(os.environ, MEDGEN_WEB_DIR=os.path.join(SRC, "web"))
        self.proc = subprocess.Popen(
            [CLI, "serve", "--port", "0", "--data-dir", os.path.join(tmp, "data"), "--work-dir",
             os.path.join(tmp, "work"), "--sim-data", os.path.join(SRC, "data/sim"), "--gate", gate],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        self.port = self.password = None
        deadline = time.time() + 30
        while time.time() < deadline and (self.port is None or self.password is None):
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"listening on http://[^:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
            m = re.search(r"one-time password (\S+)", line)
            if m:
                self.password = m.group(1)
        # Keep reading its stdout so that the server never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def setup(srv):
    """The admin's part, through the API: users, a project, roles. Returns the project's id."""
    _, r = call(srv.port, "POST", "/api/v1/login", {"user": "admin", "password": srv.password})
    admin = r["token"]
    _, p = call(srv.port, "POST", "/api/v1/projects", {"name": "hepatology"}, admin)
    for name, role in (("stella", "steward"), ("ana", "analyst"), ("tom", "trainee")):
        _, u = call(srv.port, "POST", "/api/v1/users", {"name": name, "password": PASSWORD}, admin)
        call(srv.port, "PUT", f"/api/v1/projects/{p['id']}/members/{u['id']}", {"role": role}, admin)
    return p["id"]


def sign_in(b, base, user):
    b.go(base + "/")
    b.type("#signin-user", user)
    b.type("#signin-password", PASSWORD)
    b.click("#signin button[type=submit]")
    b.wait(f"{user} signed in", "document.querySelector('#user') && document.querySelector('#user').textContent === arguments[0]", user)


def sign_out(b):
    b.click("#signout")
    b.wait("signed out", "document.querySelector('#signin') !== null")


def job_state(b, kind):
    """The state shown for the newest job of `kind` in the jobs table."""
    return b.js("for (const tr of document.querySelectorAll('#jobs tbody tr'))"
                "  if (tr.cells[0].textContent.endsWith(' ' + arguments[0])) return tr.querySelector('.state').textContent;"
                "return null", kind)


def wait_job(b, kind, seconds=60):
    deadline = time.time() + seconds
    state = None
    while time.time() < deadline:
        state = job_state(b, kind)
        if state in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.2)
    return check(f"the {kind} job succeeded (seen in the page)", state == "succeeded", state)


def journeys(b, srv, project, shots):
    base = f"http://127.0.0.1:{srv.port}"
    # The sign-in page.
    b.go(base + "/")
    b.el("#signin")
    shots.take("01-signin", ["#signin-user", "#signin-password", "#signin button[type=submit]"])

    # Steward: upload pbc.csv through the form, see the inferred schema.
    sign_in(b, base, "stella")
    nav = b.js("return [...document.querySelectorAll('#nav a')].map(a => a.dataset.page)")
    check("the steward's navigation offers data, synthesize, releases", nav == ["data", "synth", "releases"], nav)
    b.type("#upload-file", os.path.join(SRC, "data/pbc.csv"), clear=False)
    b.type("#upload-name", "pbc")
    b.click("#upload-submit")
    cols = b.wait("the inferred schema is shown", "document.querySelectorAll('#schema tbody tr').length")
    check("the schema lists pbc's columns", cols and cols >= 10, cols)
    check("the upload's progress bar reached the end", b.js("return document.querySelector('#upload-progress').value") == 1)
    shots.take("02-steward-data", ["#upload-file", "#upload-progress", "#schema table", "#datasets"])
    sign_out(b)

    # Analyst: fit a copula, sample 1,000 rows, evaluate, open the report, ask for a release.
    sign_in(b, base, "ana")
    nav = b.js("return [...document.querySelectorAll('#nav a')].map(a => a.dataset.page)")
    check("the analyst's navigation offers synthesize and releases only", nav == ["synth", "releases"], nav)
    b.wait("the real dataset is offered", "document.querySelector('#fit-dataset').options.length > 0")
    b.select("#fit-synth", "copula")
    b.click("#fit-submit")
    b.wait("the fit job appears", "document.querySelector('#jobs .state') !== null")
    wait_job(b, "fit")
    b.wait("the model is offered", "document.querySelector('#sample-model').options.length > 0")
    b.type("#sample-rows", "1000")
    b.click("#sample-submit")
    wait_job(b, "sample")
    b.wait("the synthetic dataset is offered", "document.querySelector('#eval-dataset').options.length > 0")
    b.click("#eval-submit")
    wait_job(b, "evaluate", seconds=120)
    b.click("#evaluations .open-report")
    b.wait("the report opens inline",
           "(r => r && r.shadowRoot && r.shadowRoot.querySelector('h1'))(document.querySelector('#report'))")
    b.click("#evaluations .request-release")
    b.wait("the release is requested", "/Release \\d+ requested/.test(document.querySelector('[role=status]').textContent)")
    shots.take("03-analyst-synthesize", ["#fit", "#sample", "#evaluate", "#jobs", "#evaluations", "#report"])
    sign_out(b)

    # Steward: review the release with the report beside it, approve it.
    sign_in(b, base, "stella")
    b.click("#nav a[data-page=releases]")
    b.click("#releases .review")
    b.wait("the report is beside the decision",
           "(r => r && r.shadowRoot && r.shadowRoot.querySelector('h1'))(document.querySelector('#review-report'))")
    shots.take("04-steward-review", ["#review #approve", "#review #refuse", "#review-report"])
    b.click("#approve")
    b.wait("the release is approved", "document.querySelector('#releases [data-release]').textContent === 'approved'")
    sign_out(b)

    # Analyst: download the released rows.
    sign_in(b, base, "ana")
    b.click("#nav a[data-page=releases]")
    b.click("#releases .download")
    rows = b.wait("the download finished", "document.querySelector('[role=status]').dataset.rows")
    check("the download holds 1,000 rows", rows == "1000", rows)
    deadline = time.time() + 10
    files = []
    while time.time() < deadline and not [f for f in files if f.endswith(".csv")]:
        files = os.listdir(b.downloads)
        time.sleep(0.1)
    check("the browser saved the CSV", any(f.endswith(".csv") for f in files), files)
    shots.take("05-analyst-download", ["#releases .download"])
    sign_out(b)

    # Trainee: septic shock, orders typed into the action box, the monitor live, the debrief.
    sign_in(b, base, "tom")
    nav = b.js("return [...document.querySelectorAll('#nav a')].map(a => a.dataset.page)")
    check("the trainee's navigation offers the virtual patient only", nav == ["patient"], nav)
    b.wait("the conditions are offered", "document.querySelector('#sim-condition').value === 'septic_shock'")
    b.type("#sim-speed", "20")
    b.click("#sim-start")
    b.wait("the monitor shows a heart rate", "/^\\d+$/.test(document.querySelector('[data-vital=hr]').textContent)")
    t0 = b.js("return document.querySelector('#sim-clock').textContent")
    for order in ("give 30 ml/kg crystalloid", "order lactate", "norepinephrine 0.1 mcg/kg/min"):
        n = b.js("return document.querySelectorAll('#timeline li').length")
        b.type("#action", order + "\ue007")  # and Enter
        b.wait(f"'{order}' is in the timeline", "document.querySelectorAll('#timeline li').length > arguments[0]", n)
    b.wait("the monitor updates live", "document.querySelector('#sim-clock').textContent !== arguments[0]", t0)
    check("the traces are drawn", b.js(
        "const c = document.querySelector('#monitor-canvas'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "let lit = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 1] > 100) lit++; return lit > 200"))
    shots.take("06-trainee-monitor", ["#monitor-canvas", "#mute", "#action", "#timeline li", "#sim-end"])
    b.click("#mute")
    check("alarms can be muted", b.js("return document.querySelector('#mute').getAttribute('aria-pressed')") == "true")
    b.click("#sim-end")
    score = b.wait("the debrief shows the score", "document.querySelector('#score') && document.querySelector('#score').textContent")
    check("the score is a percentage", bool(score and re.fullmatch(r"[\d.]+%", score)), score)
    shots.take("07-trainee-debrief", ["#debrief", "#score", "#debrief table"])

    # Keyboard: the sign-out button and the navigation are reachable with Tab.
    reached = b.js("return [...document.querySelectorAll('a[href], button, input, select')].every(e => e.tabIndex >= 0)")
    check("every control is reachable with the keyboard", reached)
    unlabelled = b.js("return [...document.querySelectorAll('input, select, textarea')]"
                      ".filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.id)")
    check("every input has a label", not unlabelled, unlabelled)


def main():
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="medgen-web-")
    shots_dir = os.environ.get("MEDGEN_SCREENSHOTS") or os.path.join(tmp, "screenshots")
    srv = b = None
    try:
        srv = Server(tmp)
        if not check("the server started", srv.port and srv.password):
            return
        project = setup(srv)
        b = Browser(tmp)
        journeys(b, srv, project, Shots(b, shots_dir))
        errors = b.console_errors()
        check("no console errors", not errors, errors)
        # The release, as the server sees it: the analyst's token gets the rows.
        _, r = call(srv.port, "POST", "/api/v1/login", {"user": "ana", "password": PASSWORD})
        _, rel = call(srv.port, "GET", f"/api/v1/projects/{project}/releases", token=r["token"])
        if check("one approved release", len(rel) == 1 and rel[0]["state"] == "approved", rel):
            st, api_csv = call(srv.port, "GET", f"/api/v1/projects/{project}/datasets/{rel[0]['dataset']}/rows",
                               token=r["token"])
            check("the analyst gets the CSV through the API", st == 200 and api_csv.count(b"\n") == 1001, st)
        st, page = call(srv.port, "GET", "/app/../../etc/passwd")
        check("no path outside the app is served", st in (400, 404), st)
    except Exception as e:  # a broken journey is one failure, with what was going on
        check("the journeys ran to the end", False, repr(e))
    finally:
        if b:
            b.close()
        if srv:
            srv.stop()
        if not os.environ.get("MEDGEN_SCREENSHOTS"):
            print(f"screenshots were in {shots_dir} (removed; set MEDGEN_SCREENSHOTS to keep them)")
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{fails} failure(s) in {time.time() - t0:.1f} s")
    sys.exit(min(fails, 100))


main()
