#!/usr/bin/python3
"""Web app measurements on loopback (a benchmark, not a test): headless Chromium through
chromedriver against a real `medgen serve`, both pinned to CPUs 0-1.

1. First contentful paint of the app (the sign-in page, a fresh tab each time, no cache):
   Chromium's paint timing entry `first-contentful-paint`, over --loads page loads.
2. The bedside monitor's frame rate with vital signs every 100 ms: a trainee signs in and starts
   septic shock on the real page (its WebSocket pushes once a second); a second Monitor of
   web/monitor.js is driven from the server at 100 ms (GET .../sim/sessions/{id} returns the
   patient advanced to now) for --seconds. Frames are counted with requestAnimationFrame; a frame
   is dropped when the gap to the previous one exceeds 1.5 vsync intervals (the count of missed
   vsyncs is summed); Chromium's long-animation-frame entries (> 50 ms) are counted too.

Usage: bench_web.py MEDGEN_CLI SOURCE_DIR [--loads 20] [--seconds 10]
Prints one JSON object per measurement.
"""
import argparse
import importlib.util
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("cli")
ap.add_argument("src")
ap.add_argument("--loads", type=int, default=20)
ap.add_argument("--seconds", type=float, default=10.0)
args = ap.parse_args()

# The end-to-end test's server and browser drivers (tests/web/e2e.py).
spec = importlib.util.spec_from_file_location("e2e", os.path.join(args.src, "tests/web/e2e.py"))
e2e = importlib.util.module_from_spec(spec)
spec.loader.exec_module(e2e)
e2e.CLI, e2e.SRC = os.path.abspath(args.cli), os.path.abspath(args.src)
os.sched_setaffinity(0, {0, 1})  # the server and chromedriver (and its browsers) inherit it

tmp = tempfile.mkdtemp(prefix="medgen-bench-web-")
srv = b = None
try:
    srv = e2e.Server(tmp)
    project = e2e.setup(srv)
    b = e2e.Browser(tmp)
    base = f"http://127.0.0.1:{srv.port}"

    # 1. First contentful paint, fresh each time.
    b.s("POST", "/goog/cdp/execute", {"cmd": "Network.setCacheDisabled", "params": {"cacheDisabled": True}})
    fcp = []
    for _ in range(args.loads):
        b.go("about:blank")
        b.go(base + "/")
        v = b.wait("first contentful paint", "(e => e && e.startTime)(performance.getEntriesByName('first-contentful-paint')[0])")
        nav = b.js("const n = performance.getEntriesByType('navigation')[0]; return [n.responseEnd, n.domContentLoadedEventEnd]")
        fcp.append((v, nav))
    paints = sorted(x for x, _ in fcp)
    print(json.dumps({"bench": "web_first_contentful_paint_ms", "loads": len(paints),
                      "median": round(statistics.median(paints), 1), "p90": round(paints[int(0.9 * (len(paints) - 1))], 1),
                      "max": round(paints[-1], 1), "floor": 1000,
                      "dom_content_loaded_median": round(statistics.median(n[1] for _, n in fcp), 1)}), flush=True)

    # 2. The monitor at 100 ms updates.
    e2e.sign_in(b, base, "tom")
    b.wait("conditions", "document.querySelector('#sim-condition').value === 'septic_shock'")
    b.click("#sim-start")
    b.wait("monitor", "/^\\d+$/.test(document.querySelector('[data-vital=hr]').textContent)")
    sid = b.js("return performance.getEntriesByType('resource').map(e => e.name)"
               ".filter(n => /sim\\/sessions\\/\\d+\\/live/.test(n)).map(n => n.match(/sessions\\/(\\d+)/)[1])[0] || null")
    if not sid:  # the WebSocket is not a resource entry everywhere: ask the API
        _, r = e2e.call(srv.port, "POST", "/api/v1/login", {"user": "tom", "password": e2e.PASSWORD})
        _, lst = e2e.call(srv.port, "GET", f"/api/v1/projects/{project}/sim/sessions", token=r["token"])
        sid = str(lst[-1]["id"])
    b.s("POST", "/timeouts", {"script": int((args.seconds + 30) * 1000)})
    result = b.s("POST", "/execute/async", {"args": [project, sid, args.seconds], "script": """
const [project, sid, seconds, done] = arguments;
(async () => {
  const { Monitor } = await import('/app/monitor.js');
  const m = new Monitor();
  m.el.id = 'bench-monitor';
  document.querySelector('#main').append(m.el);
  const token = sessionStorage.getItem('medgen.token');
  let updates = 0, failed = 0, busy = false;
  const tick = setInterval(async () => {
    if (busy) return;  // never more than one request in flight
    busy = true;
    try {
      const r = await fetch(`/api/v1/projects/${project}/sim/sessions/${sid}`, { headers: { Authorization: 'Bearer ' + token } });
      const j = await r.json();
      if (j.monitor) { m.update(j.monitor); updates++; } else failed++;
    } catch (e) { failed++; } finally { busy = false; }
  }, 100);
  const loaf = [];
  let obs = null;
  try {
    obs = new PerformanceObserver(l => { for (const e of l.getEntries()) loaf.push(e.duration); });
    obs.observe({ type: 'long-animation-frame', buffered: false });
  } catch (e) { /* not supported */ }
  await new Promise(r => setTimeout(r, 1000));  // settle
  const stamps = [];
  const t0 = performance.now();
  await new Promise(resolve => {
    const f = t => { stamps.push(t); if (t - t0 < seconds * 1000) requestAnimationFrame(f); else resolve(); };
    requestAnimationFrame(f);
  });
  clearInterval(tick);
  if (obs) obs.disconnect();
  m.stop();
  const gaps = stamps.slice(1).map((t, i) => t - stamps[i]).sort((a, b) => a - b);
  const vsync = gaps[Math.floor(gaps.length / 2)];
  let dropped = 0, late = 0;
  for (const g of gaps) if (g > 1.5 * vsync) { late++; dropped += Math.round(g / vsync) - 1; }
  done({ frames: stamps.length, seconds: (stamps[stamps.length - 1] - stamps[0]) / 1000, vsync_ms: vsync,
         p99_gap_ms: gaps[Math.floor(0.99 * (gaps.length - 1))], max_gap_ms: gaps[gaps.length - 1],
         late_frames: late, dropped_vsyncs: dropped, updates, failed_updates: failed,
         long_animation_frames: loaf.length, loaf_supported: obs !== null });
})();"""})
    fps = result["frames"] / result["seconds"] if result["seconds"] else 0
    print(json.dumps({"bench": "web_monitor_fps", "update_ms": 100, "fps": round(fps, 1), "floor": 30,
                      **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in result.items()}}), flush=True)
finally:
    if b:
        b.close()
    if srv:
        srv.stop()
    shutil.rmtree(tmp, ignore_errors=True)
