#!/usr/bin/python3
"""`medgen serve` as an operator runs it, and what happens when it is killed.

Usage: serve_faults.py MEDGEN_CLI SOURCE_DIR

- starts with one command on a fresh data folder (first admin's one-time password printed);
- kill -9 during a neural fit job: the child checkpoints (it gets SIGTERM when the server dies),
  a restarted server resumes the job from that checkpoint and it succeeds;
- kill -9 during an upload: no dataset and no temporary file appear;
- SIGTERM: a graceful stop that checkpoints the running job; the next start resumes it;
- HTTPS with a certificate (TLS 1.2+ only);
- a full disk (a 3 MiB tmpfs, where the machine lets us mount one): a clean 507, the server goes
  on serving, the audit chain stays intact;
- `medgen audit verify` passes, then fails (exit 3) on an edited entry.
Every check prints ok/FAIL; the exit status is the number of failures.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)  # the TLS 1.1 probe names old versions on purpose

CLI, SRC = sys.argv[1], sys.argv[2]
fails = 0


def check(name, cond, detail=""):
    global fails
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)[:300]), flush=True)
    if not cond:
        fails += 1


class Server:
    def __init__(self, data, work, extra=()):
        self.proc = subprocess.Popen(
            [CLI, "serve", "--data-dir", data, "--port", "0", "--workers", "1",
             "--work-dir", work, "--sim-data", os.path.join(SRC, "data/sim"), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.password = None
        self.port = None
        self.tls = False
        deadline = time.time() + 30
        while time.time() < deadline and self.port is None:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"listening on (https?)://[^:]+:(\d+)", line)
            if m:
                self.tls, self.port = m.group(1) == "https", int(m.group(2))
        # The password line follows the address line.
        if self.port is not None:
            self.proc.stdout.flush()
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()
        time.sleep(0.1)

    def _drain(self):
        for line in self.proc.stdout:
            m = re.search(r"one-time password (\S+)", line)
            if m:
                self.password = m.group(1)

    def conn(self, context=None):
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=60, context=context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def call(self, method, path, body=None, token=None, ctype="application/json", context=None):
        c = self.conn(context)
        headers = {}
        if token:
            headers["Authorization"] = "Bearer " + token
        if body is not None:
            headers["Content-Type"] = ctype
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        try:
            return r.status, json.loads(data)
        except ValueError:
            return r.status, data

    def kill(self, sig):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)


def children_of(work):
    out = subprocess.run(["pgrep", "-f", work + "/job-"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def wait_no_children(work, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline and children_of(work):
        time.sleep(0.1)
    return not children_of(work)


def wait_job(srv, token, project, job, states=("succeeded", "failed", "cancelled"), seconds=180):
    deadline = time.time() + seconds
    j = {}
    while time.time() < deadline:
        _, j = srv.call("GET", f"/api/v1/projects/{project}/jobs/{job}", token=token)
        if j.get("state") in states:
            return j
        time.sleep(0.2)
    return j


def setup(srv):
    time.sleep(0.3)
    pw = srv.password
    st, r = srv.call("POST", "/api/v1/login", {"user": "admin", "password": pw})
    token = r["token"]
    _, p = srv.call("POST", "/api/v1/projects", {"name": "faults"}, token)
    srv.call("PUT", f"/api/v1/projects/{p['id']}/members/1", {"role": "steward"}, token)
    with open(os.path.join(SRC, "data/pbc.csv"), "rb") as f:
        csv = f.read()
    st, d = srv.call("POST", f"/api/v1/projects/{p['id']}/datasets?name=pbc", csv, token, "text/csv")
    return pw, token, p["id"], d["id"], csv


def main():
    tmp = tempfile.mkdtemp(prefix="medgen-serve-")
    data, work = os.path.join(tmp, "data"), os.path.join(tmp, "work")
    try:
        run(tmp, data, work)
    finally:
        for pid in children_of(work):
            os.kill(pid, signal.SIGKILL)
        subprocess.run(["umount", os.path.join(tmp, "small")], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{fails} failure(s)")
    sys.exit(min(fails, 100))


def run(tmp, data, work):
    # One command on a fresh folder.
    srv = Server(data, work)
    check("serve starts and prints where it listens", srv.port is not None)
    pw, token, project, dataset, csv = setup(srv)
    check("a first admin with a one-time password", pw is not None and len(pw) >= 16, pw)
    check("the key file is private", oct(os.stat(os.path.join(data, "server.key")).st_mode & 0o777) == "0o600")

    # kill -9 during a fit: the child checkpoints, the next server resumes.
    fit = {"dataset": dataset, "synthesizer": "tvae", "params": {"epochs": 600}, "seed": 5}
    st, job = srv.call("POST", f"/api/v1/projects/{project}/jobs/fit", fit, token)
    check("fit job accepted", st == 202, job)
    deadline = time.time() + 120
    while time.time() < deadline:
        _, j = srv.call("GET", f"/api/v1/projects/{project}/jobs/{job['id']}", token=token)
        if j.get("progress", 0) > 0.1:
            break
        time.sleep(0.1)
    srv.kill(signal.SIGKILL)
    check("the job's child ends after the server is killed", wait_no_children(work))
    ckpt = [f for f in os.listdir(os.path.join(work, f"job-{job['id']}")) if f.endswith(".ckpt")]
    check("the child left a checkpoint in its scratch folder", ckpt == ["model.ckpt"], ckpt)
    srv = Server(data, work)
    check("restart on the same data folder", srv.port is not None)
    _, r = srv.call("POST", "/api/v1/login", {"user": "admin", "password": pw})
    token = r["token"]
    j = wait_job(srv, token, project, job["id"])
    check("the interrupted fit succeeds after the restart", j.get("state") == "succeeded", j)
    check("it resumed from the checkpoint", j.get("result", {}).get("resumed") is True and j.get("attempts") == 2, j)

    # kill -9 during an upload: nothing half-written appears.
    big = csv * 400  # ~12 MB
    def slow_upload():
        try:
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall((f"POST /api/v1/projects/{project}/datasets?name=half HTTP/1.1\r\nHost: x\r\n"
                       f"Authorization: Bearer {token}\r\nContent-Type: text/csv\r\n"
                       f"Content-Length: {len(big)}\r\n\r\n").encode())
            for i in range(0, len(big), 65536):
                s.sendall(big[i:i + 65536])
                time.sleep(0.002)
        except OSError:
            pass
    t = threading.Thread(target=slow_upload)
    t.start()
    time.sleep(0.3)
    srv.kill(signal.SIGKILL)
    t.join()
    srv = Server(data, work)
    _, r = srv.call("POST", "/api/v1/login", {"user": "admin", "password": pw})
    token = r["token"]
    _, ds = srv.call("GET", f"/api/v1/projects/{project}/datasets", token=token)
    check("no dataset from the killed upload", all(d["name"] != "half" for d in ds), [d["name"] for d in ds])
    stray = [f for sub in ("datasets", "models") for f in os.listdir(os.path.join(data, sub)) if ".tmp-" in f]
    check("no temporary file left in the data folder", not stray, stray)

    # SIGTERM: graceful, the running job checkpoints and resumes at the next start.
    fit["seed"] = 6
    st, job = srv.call("POST", f"/api/v1/projects/{project}/jobs/fit", fit, token)
    deadline = time.time() + 120
    while time.time() < deadline:
        _, j = srv.call("GET", f"/api/v1/projects/{project}/jobs/{job['id']}", token=token)
        if j.get("progress", 0) > 0.1:
            break
        time.sleep(0.1)
    t0 = time.time()
    rc = srv.kill(signal.SIGTERM)
    check("SIGTERM stops the server cleanly", rc == 0 and time.time() - t0 < 30, (rc, time.time() - t0))
    db = sqlite3.connect(os.path.join(data, "medgen.db"))
    state = db.execute("SELECT state FROM jobs WHERE id=?", (job["id"],)).fetchone()[0]
    db.close()
    check("the stopped job waits to resume", state == "queued", state)
    check("its checkpoint is encrypted at rest",
          os.path.exists(os.path.join(data, "checkpoints", f"job-{job['id']}.ckpt.enc")))
    srv = Server(data, work)
    _, r = srv.call("POST", "/api/v1/login", {"user": "admin", "password": pw})
    token = r["token"]
    j = wait_job(srv, token, project, job["id"])
    check("the postponed job resumes and succeeds", j.get("state") == "succeeded" and j["result"]["resumed"], j)
    srv.kill(signal.SIGTERM)

    # Key rotation on the stopped server: every file moves to the new key, the old key no
    # longer opens the data, the new one does.
    new_key = os.path.join(tmp, "new.key")
    c = subprocess.run([CLI, "server-key", "create", new_key], capture_output=True, text=True)
    check("server-key create", c.returncode == 0 and oct(os.stat(new_key).st_mode & 0o777) == "0o600", c.stderr)
    r = subprocess.run([CLI, "server-key", "rotate", "--data-dir", data, "--old-key-file", os.path.join(data, "server.key"),
                        "--new-key-file", new_key], capture_output=True, text=True)
    check("server-key rotate re-encrypts the data folder", r.returncode == 0 and "re-encrypted" in r.stdout, r.stdout + r.stderr)
    srv = Server(data, work, ["--key-file", new_key])
    _, r = srv.call("POST", "/api/v1/login", {"user": "admin", "password": pw})
    token = r["token"]
    st, body = srv.call("GET", f"/api/v1/projects/{project}/datasets/{dataset}/rows", token=token)
    check("the rotated data reads under the new key", st == 200 and body == csv, st)
    srv.kill(signal.SIGTERM)
    srv = Server(data, work)  # the old key (the default file) again
    _, r = srv.call("POST", "/api/v1/login", {"user": "admin", "password": pw})
    st, body = srv.call("GET", f"/api/v1/projects/{project}/datasets/{dataset}/rows", token=r["token"])
    check("the old key no longer opens it (507, no detail)", st == 507 and "key" not in json.dumps(body), (st, body))
    srv.kill(signal.SIGTERM)

    # HTTPS.
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-keyout", key, "-out", cert, "-days", "2", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    srv = Server(data, work, ["--tls-cert", cert, "--tls-key", key, "--key-file", new_key])
    ctx = ssl.create_default_context(cafile=cert)
    st, h = srv.call("GET", "/health", context=ctx)
    check("HTTPS with the given certificate", srv.tls and st == 200, (srv.tls, st))
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname = False
    old.verify_mode = ssl.CERT_NONE
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        old.minimum_version = ssl.TLSVersion.TLSv1
        srv.call("GET", "/health", context=old)
        refused = False
    except (ssl.SSLError, OSError, ValueError):
        refused = True
    check("TLS 1.1 and older refused", refused)
    srv.kill(signal.SIGTERM)

    # A full disk.
    small = os.path.join(tmp, "small")
    os.makedirs(small)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", small], capture_output=True).returncode == 0
    if not mounted:
        print("SKIP full-disk checks: this machine does not let the test mount a tmpfs (needs root)")
    else:
        sdata = os.path.join(small, "data")
        srv = Server(sdata, os.path.join(tmp, "work-small"))
        pw2, token2, project2, _, _ = setup(srv)
        header, rows = csv.split(b"\n", 1)
        st, r = srv.call("POST", f"/api/v1/projects/{project2}/datasets?name=big", header + b"\n" + rows * 200, token2,
                         "text/csv")
        check("a full disk gives a clean 507", st == 507, (st, r))
        check("the message names no server path", "/" not in json.dumps(r.get("error", {}).get("message", "")), r)
        st, _ = srv.call("GET", "/health")
        check("the server goes on serving", st == 200)
        _, ds = srv.call("GET", f"/api/v1/projects/{project2}/datasets", token=token2)
        check("no half-stored dataset", all(d["name"] != "big" for d in ds), ds)
        srv.kill(signal.SIGTERM)
        v = subprocess.run([CLI, "audit", "verify", "--data-dir", sdata], capture_output=True, text=True)
        check("the audit chain survives the full disk", v.returncode == 0, v.stdout + v.stderr)

    # The audit trail.
    v = subprocess.run([CLI, "audit", "verify", "--data-dir", data, "--json"], capture_output=True, text=True)
    check("medgen audit verify: intact", v.returncode == 0 and json.loads(v.stdout)["ok"], v.stdout + v.stderr)
    db = sqlite3.connect(os.path.join(data, "medgen.db"))
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute("UPDATE audit SET actor='someone-else' WHERE seq=3")
    db.commit()
    db.close()
    v = subprocess.run([CLI, "audit", "verify", "--data-dir", data], capture_output=True, text=True)
    check("medgen audit verify: an edited entry is found (exit 3)", v.returncode == 3 and "3" in v.stdout, v.stdout)


if __name__ == "__main__":
    main()
