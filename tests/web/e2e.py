#!/usr/bin/python3
"""The web app end to end: a real headless Chromium (through chromedriver's W3C WebDriver HTTP
protocol, standard library only) against a real `medgen serve` started here.

Usage: e2e.py MEDGEN_CLI SOURCE_DIR

The admin sets up users and roles through the API; then, in the browser: the steward uploads
data/pbc.csv through the form, sees its schema with its warnings and edits it (a column made
categorical); the steward uploads a NIfTI brain (Colin27) and scrolls through it in the viewer
(keys, wheel, planes, window and level), then sees an enhanced result beside its original and an
anomaly map over the volume; the analyst fits a copula with the options form, trains a TVAE and
watches its loss curves, samples 1,000 rows (and a conditional, balanced sample), evaluates them,
opens the report inline and asks for a release; the steward approves it with the report beside
it; the analyst downloads the rows; the admin verifies the audit trail on the administration
page; an educator assigns a septic-shock case to a trainee, who runs it by typing orders, watches
the monitor and ends with the debrief's score, which the educator then sees. Each page's screenshot goes to
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
import tarfile
import sys
import tempfile
import threading
import time
import zlib

CLI = SRC = None  # set by main() (bench/server/bench_web.py sets them too)
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

    def keys(self, css, text):
        """Focuses the element and presses the keys (WebDriver actions: any focusable element)."""
        self.el(css)
        self.js("document.querySelector(arguments[0]).focus()", css)
        acts = []
        for ch in text:
            acts += [{"type": "keyDown", "value": ch}, {"type": "keyUp", "value": ch}]
        self.s("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": acts}]})
        self.s("DELETE", "/actions")

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
    for name, role in (("stella", "steward"), ("ana", "analyst"), ("tom", "trainee"), ("eddie", "educator")):
        _, u = call(srv.port, "POST", "/api/v1/users", {"name": name, "password": PASSWORD}, admin)
        call(srv.port, "PUT", f"/api/v1/projects/{p['id']}/members/{u['id']}", {"role": role}, admin)
    return p["id"]


BRAIN = "/usr/share/mricron/templates/ch2.nii.gz"  # Colin27 T1, 181 x 217 x 181 (mricron-data)


def image_models(tmp, log):
    """A phantom volume, and a tiny denoiser and a tiny VAE trained by the CLI on it: what they
    learn does not matter, only that the enhance and anomaly jobs make results to view."""
    phantom = os.path.join(tmp, "phantom.nii")
    nx, ny, nz = 64, 64, 24
    hdr = bytearray(352)
    struct.pack_into("<i", hdr, 0, 348)
    struct.pack_into("<8h", hdr, 40, 3, nx, ny, nz, 1, 1, 1, 1)
    struct.pack_into("<hh", hdr, 70, 4, 16)
    struct.pack_into("<8f", hdr, 76, *([1.0] * 8))
    struct.pack_into("<f", hdr, 108, 352.0)
    hdr[344:348] = b"n+1\0"
    vox = bytearray()
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                inside = ((x - nx / 2) / (0.4 * nx)) ** 2 + ((y - ny / 2) / (0.35 * ny)) ** 2 < 1
                vox += struct.pack("<h", int(500 + 80 * ((x * 7 + y * 3 + z) % 5)) if inside else 0)
    with open(phantom, "wb") as f:
        f.write(bytes(hdr) + bytes(vox))
    models = {}
    for kind, extra in (("denoise", "--depth 3 --width 4 --patch 16 --noise-level 0.05"),
                        ("vae", "--size 32 --channels 4 --latent 4")):
        out = os.path.join(tmp, kind + ".medgen")
        r = subprocess.run([CLI, "image", "train", "--model", kind, "--data", phantom, "--output", out, "--steps", "5",
                            "--quiet", "--seed", "1"] + extra.split(), stdout=log, stderr=log)
        if r.returncode == 0:
            models[kind] = out
    return phantom, models


def upload_binary(port, path, data, token):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("POST", path, body=data, headers={"Authorization": "Bearer " + token,
                                                "Content-Type": "application/octet-stream"})
    r = c.getresponse()
    out = json.loads(r.read())
    c.close()
    return r.status, out


def wait_api_job(port, project, job, token, seconds=120):
    deadline = time.time() + seconds
    j = {}
    while time.time() < deadline:
        _, j = call(port, "GET", f"/api/v1/projects/{project}/jobs/{job}", token=token)
        if j.get("state") in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.3)
    return j


def labelled(b, page):
    """Every form control of the page has a label (or an aria-label)."""
    unlabelled = b.js("return [...document.querySelectorAll('input, select, textarea')]"
                      ".filter(e => !e.labels.length && !e.getAttribute('aria-label') && !e.hidden).map(e => e.id)")
    check(f"{page}: every input has a label", not unlabelled, unlabelled)


def canvas_lit(b, css):
    """How many distinct grey levels the canvas shows (0: blank)."""
    return b.js("const c = document.querySelector(arguments[0]); if (!c || !c.width) return 0;"
                "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, seen = new Set();"
                "for (let i = 0; i < d.length; i += 16) seen.add(d[i]); return seen.size", css)


def sign_in(b, base, user, password=PASSWORD):
    b.go(base + "/")
    b.type("#signin-user", user)
    b.type("#signin-password", password)
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


TMP_UPLOADS = None  # files the journeys make to upload (main's scratch folder)


def journeys(b, srv, project, shots):
    base = f"http://127.0.0.1:{srv.port}"
    # The sign-in page.
    b.go(base + "/")
    b.el("#signin")
    shots.take("01-signin", ["#signin-user", "#signin-password", "#signin button[type=submit]"])

    # Steward: upload pbc.csv through the form, see the inferred schema.
    sign_in(b, base, "stella")
    nav = b.js("return [...document.querySelectorAll('#nav a')].map(a => a.dataset.page)")
    check("the steward's navigation offers data, synthesize, releases, images",
          nav == ["data", "synth", "releases", "images"], nav)
    b.type("#upload-file", os.path.join(SRC, "data/pbc.csv"), clear=False)
    b.type("#upload-name", "pbc")
    b.click("#upload-submit")
    cols = b.wait("the inferred schema is shown", "document.querySelectorAll('#schema tbody tr').length")
    check("the schema lists pbc's columns", cols and cols >= 10, cols)
    check("the upload's progress bar reached the end", b.js("return document.querySelector('#upload-progress').value") == 1)
    warnings = b.wait("the schema's warnings are shown", "document.querySelectorAll('#schema-warnings li').length")
    check("the warnings name the identifier column", b.js(
        "return [...document.querySelectorAll('#schema-warnings li')].some(li => li.dataset.kind === 'identifier')"), warnings)
    # Edit the schema: 'status' (0, 1, 2) becomes categorical.
    status_type = b.js("return document.querySelector('select[data-column=status]').id")
    b.select("#" + status_type, "categorical")
    b.type("#" + status_type.replace("-type", "-values"), "0\n1\n2")
    b.click("#schema-save")
    b.wait("the edited schema is saved", "/saved/.test(document.querySelector('#schema [role=status]').textContent)")
    check("the saved schema has status categorical",
          b.js("return document.querySelector('select[data-column=status]').value") == "categorical")
    labelled(b, "data")
    b.js("document.querySelector('#schema').scrollIntoView()")
    shots.take("02-steward-data", ["#upload-file", "#upload-progress", "#schema-form", "#schema-warnings", "#schema-save",
                                   "#datasets"])

    # Steward: a dataset of several tables (pbc's patients and visits) as a tar.gz of its folder.
    packed = os.path.join(TMP_UPLOADS, "pbc-records.tar.gz")
    with tarfile.open(packed, "w:gz", dereference=True) as t:
        t.add(os.path.join(SRC, "data/records/pbc"), arcname="pbc")
    b.type("#upload-file", packed, clear=False)
    check("an archive is taken for records", b.js("return document.querySelector('#upload-format').value") == "records")
    b.js("document.querySelector('#upload-name').value = ''")
    b.type("#upload-name", "pbc-records")
    b.click("#upload-submit")
    tables = b.wait("the records' tables are shown", "document.querySelectorAll('#records-schema tbody tr').length")
    check("the records view lists pbc's two tables and its patients", tables == 2 and "418 patients" in b.js(
        "return document.querySelector('#records-schema h3').textContent"), tables)

    # Steward: a NIfTI brain through the upload form, into the viewer; scroll it.
    b.click("#nav a[data-page=images]")
    b.type("#image-file", BRAIN, clear=False)
    b.type("#image-name", "colin27")
    b.click("#image-upload-submit")
    b.wait("the viewer shows the volume", "document.querySelector('#viewer-canvas').dataset.slice !== undefined", seconds=120)
    check("the slice is drawn (not blank)", (canvas_lit(b, "#viewer-canvas") or 0) > 20, canvas_lit(b, "#viewer-canvas"))
    s0 = int(b.js("return document.querySelector('#viewer-canvas').dataset.slice"))
    check("the viewer opens at the middle axial slice", s0 == 90, s0)
    orient = b.js("return document.querySelector('#viewer-canvas').dataset.orient")
    check("the axial slice's edges are the patient's sides (L R A P)", orient == "LRAP", orient)
    b.keys("#viewer-canvas", "\ue013\ue013\ue013")  # three Arrow Up keys
    b.wait("arrow keys scroll", "document.querySelector('#viewer-canvas').dataset.slice === arguments[0]", str(s0 + 3))
    b.js("document.querySelector('#viewer-canvas').dispatchEvent(new WheelEvent('wheel', {deltaY: 100, cancelable: true}))")
    b.wait("the wheel scrolls", "document.querySelector('#viewer-canvas').dataset.slice === arguments[0]", str(s0 + 4))
    b.keys("#viewer-canvas", "\ue00e")  # Page Up: ten slices
    b.wait("Page Up scrolls ten", "document.querySelector('#viewer-canvas').dataset.slice === arguments[0]", str(s0 + 14))
    wl = b.js("return document.querySelector('#viewer-wl-text').textContent")
    b.select("#viewer-window", "brain")
    b.wait("a window preset changes window and level",
           "document.querySelector('#viewer-wl-text').textContent === 'level 40, width 80'")
    b.select("#viewer-window", "auto")
    b.wait("auto window again", "document.querySelector('#viewer-wl-text').textContent === arguments[0]", wl)
    b.select("#viewer-plane", "coronal")
    b.wait("the coronal plane", "document.querySelector('#viewer-canvas').dataset.plane === 'coronal'")
    b.select("#viewer-plane", "sagittal")
    n = b.wait("the sagittal plane", "document.querySelector('#viewer-canvas').dataset.plane === 'sagittal' && "
               "document.querySelector('#viewer-slice').max")
    check("sagittal slices run along the first axis (181)", n == "180", n)
    b.select("#viewer-plane", "axial")
    b.wait("back to axial", "document.querySelector('#viewer-canvas').dataset.plane === 'axial'")
    b.js("document.querySelector('#viewer').scrollIntoView()")
    shots.take("03-steward-images", ["#viewer-canvas", "#viewer-slice", "#viewer-level", "#viewer-width",
                                     "#viewer-plane", "#images"])

    # Before / after and an anomaly map: image models (trained by the CLI) run on a small phantom
    # (the brain's 7 million voxels take a minute on 2 loaded cores; the viewer is the same).
    _, r = call(srv.port, "POST", "/api/v1/login", {"user": "stella", "password": PASSWORD})
    tok = r["token"]
    with open(srv.phantom, "rb") as f:
        _, ph = upload_binary(srv.port, f"/api/v1/projects/{project}/images?name=phantom", f.read(), tok)
    vol = ph["id"]
    jobs = {}
    for kind, route in (("denoise", "image-enhance"), ("vae", "image-anomaly")):
        if kind not in srv.models:
            check(f"the {kind} model was trained", False)
            continue
        with open(srv.models[kind], "rb") as f:
            st, m = upload_binary(srv.port, f"/api/v1/projects/{project}/images/models?name={kind}", f.read(), tok)
        st, j = call(srv.port, "POST", f"/api/v1/projects/{project}/jobs/{route}", {"volume": vol, "model": m["id"]}, tok)
        jobs[kind] = j.get("id")
    results = {k: wait_api_job(srv.port, project, j, tok) for k, j in jobs.items()}
    for k, j in results.items():
        check(f"the {k} job on the phantom succeeded", j.get("state") == "succeeded", j)
    if all(j.get("state") == "succeeded" for j in results.values()) and len(results) == 2:
        b.go(base + "/#/data")
        b.go(base + "/#/images")
        b.click(f"#images .open-image[data-image='{results['denoise']['result']['image']}']")
        b.wait("the enhanced result opens beside its original",
               "!document.querySelector('#viewer-before').closest('figure').hidden && "
               "document.querySelector('#viewer-compare').value === arguments[0]", str(vol), seconds=60)
        # The phantom has a handful of grey levels (background and five tissue values).
        check("before and after are both drawn", (canvas_lit(b, "#viewer-before") or 0) >= 4 and
              (canvas_lit(b, "#viewer-canvas") or 0) >= 4, (canvas_lit(b, "#viewer-before"), canvas_lit(b, "#viewer-canvas")))
        b.js("document.querySelector('#viewer').scrollIntoView()")
        shots.take("03b-steward-before-after", ["#viewer-before", "#viewer-canvas", "#viewer-compare"])
        b.click(f"#images .open-image[data-image='{vol}']")
        b.wait("the anomaly map is laid over the volume",
               "document.querySelector('#viewer-overlay').value === arguments[0]",
               str(results["vae"]["result"]["image"]), seconds=60)
        plain = b.js("const c = document.querySelector('#viewer-canvas');"
                     "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.slice(0, 400000)).join()")
        b.js("const o = document.querySelector('#viewer-opacity'); o.value = '0'; o.dispatchEvent(new Event('input'))")
        b.wait("opacity 0 hides the map", "document.querySelector('#viewer-canvas').getAttribute('aria-label') !== null")
        time.sleep(0.2)
        hidden = b.js("const c = document.querySelector('#viewer-canvas');"
                      "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.slice(0, 400000)).join()")
        check("the overlay's opacity changes the picture", plain != hidden)
        b.js("const o = document.querySelector('#viewer-opacity'); o.value = '60'; o.dispatchEvent(new Event('input'))")
        time.sleep(0.2)
        b.js("document.querySelector('#viewer').scrollIntoView()")
        shots.take("03c-steward-anomaly-overlay", ["#viewer-canvas", "#viewer-overlay", "#viewer-opacity"])
    labelled(b, "images")
    sign_out(b)

    # Analyst: fit a copula, sample 1,000 rows, evaluate, open the report, ask for a release.
    sign_in(b, base, "ana")
    nav = b.js("return [...document.querySelectorAll('#nav a')].map(a => a.dataset.page)")
    check("the analyst's navigation offers synthesize, releases and images only", nav == ["synth", "releases", "images"], nav)
    b.wait("the real dataset is offered", "document.querySelector('#fit-dataset').options.length > 0")
    # The records dataset is offered with its patients and a records model; the journey fits pbc.csv.
    rec = b.js("return [...document.querySelectorAll('#fit-dataset option')].find(o => /patients/.test(o.textContent))?.value")
    check("the records dataset is offered by its patients", bool(rec), rec)
    if rec:
        b.select("#fit-dataset", rec)
        check("a records dataset offers the records model", b.js(
            "return !document.querySelector('#fit-sequence').closest('label').hidden"))
    pbc_id = b.js("return [...document.querySelectorAll('#fit-dataset option')].find(o => /^pbc \\(/.test(o.textContent))?.value")
    b.select("#fit-dataset", pbc_id)
    check("a table hides the records model", b.js("return document.querySelector('#fit-sequence').closest('label').hidden"))
    b.wait("the synthesizers come from the parameter table", "document.querySelector('#fit-synth').options.length >= 5")
    b.select("#fit-synth", "tvae")
    b.wait("tvae's options form", "document.querySelector('#param-epochs') !== null")
    check("the form holds the CLI's defaults", b.js("return document.querySelector('#param-epochs').value") == "300",
          b.js("return document.querySelector('#param-epochs').value"))
    b.type("#param-epochs", "40")
    b.click("#fit-submit")
    b.wait("live training shows loss curves",
           "/recon/.test(document.querySelector('#loss-chart').getAttribute('aria-label'))", seconds=60)
    b.wait("and its progress", "Number(document.querySelector('#training-text').dataset.done) >= 2", seconds=60)
    b.js("document.querySelector('#training').scrollIntoView()")
    shots.take("04-analyst-training", ["#training", "#loss-chart", "#training-progress", "#fit-params", "#param-epochs"])
    b.wait("the tvae fit ends", "document.querySelector('#training-text').dataset.state === 'succeeded'", seconds=120)
    check("the loss curve has a point per reported epoch", (b.js(
        "return document.querySelector('#training-text').dataset.done") or "") == "40")
    b.select("#fit-synth", "copula")
    b.wait("copula's options form", "document.querySelector('#fit-params legend, p#fit-params') !== null")
    b.click("#fit-submit")
    b.wait("the fit job appears", "document.querySelector('#jobs .state') !== null")
    wait_job(b, "fit")
    b.wait("the copula model is offered",
           "[...document.querySelector('#sample-model').options].some(o => / copula /.test(o.textContent))")
    b.js("const s = document.querySelector('#sample-model');"
         "s.value = [...s.options].filter(o => / copula /.test(o.textContent)).pop().value;"
         "s.dispatchEvent(new Event('change'))")
    # A conditional, balanced sample first: women only, spread evenly over the edited status column.
    b.type("#sample-rows", "300")
    b.click("#add-condition")
    b.select("#sample-conditions .cond-column", "sex")
    b.type("#sample-conditions .cond-value", "f")
    b.select("#sample-balance", "status")
    b.click("#sample-submit")
    wait_job(b, "sample")
    check("the sample was conditional and balanced", b.js(
        "return document.querySelector('#jobs tbody tr').cells[2].textContent"
        ".includes('balanced over status, where sex=f')"),
        b.js("return document.querySelector('#jobs tbody tr').cells[2].textContent"))
    b.js("document.querySelector('#sample-conditions .cond button').click()")
    b.select("#sample-balance", "")
    b.type("#sample-rows", "1000")
    b.click("#sample-submit")
    b.wait("the second sample job appears", "document.querySelectorAll('#jobs tbody tr')[0].cells[2].textContent.startsWith('1000 rows')")
    wait_job(b, "sample")
    b.wait("both synthetic datasets are offered", "document.querySelector('#eval-dataset').options.length === 2")
    b.js("const s = document.querySelector('#eval-dataset'); s.value = s.options[s.options.length - 1].value")
    check("the 1,000-row dataset is chosen", b.js(
        "return /\\(1000 rows\\)/.test(document.querySelector('#eval-dataset').selectedOptions[0].textContent)"))
    b.click("#eval-submit")
    wait_job(b, "evaluate", seconds=120)
    b.click("#evaluations .open-report")
    b.wait("the report opens inline",
           "(r => r && r.shadowRoot && r.shadowRoot.querySelector('h1'))(document.querySelector('#report'))")
    b.click("#evaluations .request-release")
    b.wait("the release is requested", "/Release \\d+ requested/.test(document.querySelector('[role=status]').textContent)")
    labelled(b, "synthesize")
    shots.take("05-analyst-synthesize", ["#fit", "#sample", "#evaluate", "#jobs", "#evaluations", "#report"])
    sign_out(b)

    # Steward: review the release with the report beside it, approve it.
    sign_in(b, base, "stella")
    b.click("#nav a[data-page=releases]")
    b.click("#releases .review")
    b.wait("the report is beside the decision",
           "(r => r && r.shadowRoot && r.shadowRoot.querySelector('h1'))(document.querySelector('#review-report'))")
    shots.take("06-steward-review", ["#review #approve", "#review #refuse", "#review-report"])
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
    shots.take("07-analyst-download", ["#releases .download"])
    sign_out(b)

    # Admin: users, roles, the audit trail verified.
    sign_in(b, base, "admin", srv.password)
    nav = b.js("return [...document.querySelectorAll('#nav a')].map(a => a.dataset.page)")
    check("the admin's navigation offers administration", nav == ["admin"], nav)
    b.wait("the users are listed", "document.querySelectorAll('#users tbody tr').length >= 5")
    b.wait("the project's members are listed", "document.querySelectorAll('#members tbody tr').length >= 4")
    b.wait("the audit trail is listed", "document.querySelectorAll('#audit tbody tr').length > 10")
    b.click("#audit-verify")
    b.wait("the audit chain verifies", "/^Intact: \\d+ entries/.test(document.querySelector('#audit-verdict').textContent)")
    b.type("#audit-filter", "image.view")
    b.click("#audit-first")
    b.wait("the viewer's opening is in the audit trail",
           "[...document.querySelectorAll('#audit tbody tr')].some(tr => tr.cells[3].textContent === 'image.view')")
    b.type("#audit-filter", "")
    labelled(b, "administration")
    shots.take("08-admin", ["#users", "#new-user", "#grant", "#members", "#audit", "#audit-verdict"])
    sign_out(b)

    # Educator: a severe septic shock generated and assigned to tom.
    sign_in(b, base, "eddie")
    nav = b.js("return [...document.querySelectorAll('#nav a')].map(a => a.dataset.page)")
    check("the educator's navigation offers the patient and teaching", nav == ["patient", "teach"], nav)
    b.click("#nav a[data-page=teach]")
    b.wait("the trainees are offered", "document.querySelector('#assign-trainee').options.length === 1")
    b.select("#assign-condition", "septic_shock")
    b.select("#assign-severity", "severe")
    b.click("#assign-submit")
    b.wait("the case is generated and shown", "document.querySelector('#assign-vignette p') !== null")
    b.wait("the assignment is listed", "document.querySelector('#assignments [data-assignment]').textContent === 'assigned'")
    labelled(b, "teaching")
    shots.take("09-educator-assign", ["#assign", "#assign-vignette", "#assignments", "#sessions"])
    sign_out(b)

    # Trainee: the assigned septic shock, orders typed into the action box, the monitor live, the debrief.
    sign_in(b, base, "tom")
    nav = b.js("return [...document.querySelectorAll('#nav a')].map(a => a.dataset.page)")
    check("the trainee's navigation offers the virtual patient only", nav == ["patient"], nav)
    b.wait("the conditions are offered", "document.querySelector('#sim-condition').value === 'septic_shock'")
    b.wait("the assigned case is offered", "document.querySelector('#my-assignments .start-assignment') !== null")
    b.type("#sim-speed", "20")
    b.click("#my-assignments .start-assignment")
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
    # Pause: the patient's clock stands still; resume.
    b.click("#sim-pause")
    b.wait("the clock pauses", "document.querySelector('#sim-pause').dataset.paused === 'true'")
    t_paused = b.js("return document.querySelector('#sim-clock').textContent")
    time.sleep(2.2)  # two monitor pushes
    check("a paused patient's clock stands still", b.js("return document.querySelector('#sim-clock').textContent") == t_paused,
          t_paused)
    b.click("#sim-pause")
    b.wait("the clock resumes", "document.querySelector('#sim-pause').dataset.paused === 'false'")
    shots.take("10-trainee-monitor", ["#monitor-canvas", "#mute", "#action", "#timeline li", "#sim-end", "#sim-pause", "#sim-pace"])
    b.click("#mute")
    check("alarms can be muted", b.js("return document.querySelector('#mute').getAttribute('aria-pressed')") == "true")
    b.click("#sim-end")
    score = b.wait("the debrief shows the score", "document.querySelector('#score') && document.querySelector('#score').textContent")
    check("the score is a percentage", bool(score and re.fullmatch(r"[\d.]+%", score)), score)
    shots.take("11-trainee-debrief", ["#debrief", "#score", "#debrief table"])

    # Keyboard: the sign-out button and the navigation are reachable with Tab.
    reached = b.js("return [...document.querySelectorAll('a[href], button, input, select')].every(e => e.tabIndex >= 0)")
    check("every control is reachable with the keyboard", reached)
    labelled(b, "virtual patient")
    sign_out(b)

    # Educator: tom's score.
    sign_in(b, base, "eddie")
    b.click("#nav a[data-page=teach]")
    seen = b.wait("the educator sees the trainee's score",
                  "(tr => tr && tr.cells[7].textContent)(document.querySelector('#assignments tbody tr'))")
    check("the assignment's score is the debrief's", seen == score, (seen, score))
    shots.take("12-educator-scores", ["#assignments", "#sessions"])


def main():
    global CLI, SRC, TMP_UPLOADS
    CLI, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    t0 = time.time()
    tmp = TMP_UPLOADS = tempfile.mkdtemp(prefix="medgen-web-")
    shots_dir = os.environ.get("MEDGEN_SCREENSHOTS") or os.path.join(tmp, "screenshots")
    srv = b = None
    try:
        srv = Server(tmp)
        if not check("the server started", srv.port and srv.password):
            return
        project = setup(srv)
        with open(os.path.join(tmp, "models.log"), "w") as log:
            srv.phantom, srv.models = image_models(tmp, log)
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


if __name__ == "__main__":
    main()
