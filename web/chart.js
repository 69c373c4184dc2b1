// A line chart on <canvas> for live training curves: a few series of (x, y) points, axes with
// round ticks, a legend, redrawn at most once a frame. Our own ~100 lines rather than a charting
// library: the app needs one chart kind, no build step, and nothing beyond its own files (see
// docs/server.md). The canvas carries a text summary as its accessible name.

const COLOURS = ['#0b5cad', '#b3261e', '#1e6b3a', '#7a3db8', '#8a5a00', '#00696e'];

function ticks(lo, hi, n = 5) {
  const span = hi - lo || 1;
  const step0 = span / n, mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= step0) || step0;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

export class LineChart {
  constructor({ id, label, xLabel = 'step', height = 200 } = {}) {
    this.el = document.createElement('canvas');
    if (id) this.el.id = id;
    this.el.setAttribute('role', 'img');
    this.label = label || 'chart';
    this.el.setAttribute('aria-label', this.label);
    this.el.className = 'chart';
    this.xLabel = xLabel;
    this.height = height;
    this.series = new Map();  // name -> [[x, y], ...]
    this.pending = false;
  }

  add(name, x, y) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    if (!this.series.has(name)) this.series.set(name, []);
    const s = this.series.get(name);
    if (s.length && s[s.length - 1][0] === x) s[s.length - 1][1] = y; else s.push([x, y]);
    this.draw();
  }

  clear() { this.series.clear(); this.draw(); }

  draw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.paint(); });
  }

  paint() {
    const c = this.el, dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth || 480, hgt = this.height;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(hgt * dpr)) {
      c.width = Math.round(w * dpr); c.height = Math.round(hgt * dpr); c.style.height = hgt + 'px';
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, hgt);
    g.font = '12px system-ui, sans-serif';
    const pts = [...this.series.values()].flat();
    if (!pts.length) {
      g.fillStyle = '#4a4a4a';
      g.fillText('waiting for the first training step…', 12, hgt / 2);
      return;
    }
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const [x, y] of pts) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) { y0 -= 1; y1 += 1; }
    const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad;
    const L = 52, R = 12, T = 22, B = 30, pw = w - L - R, ph = hgt - T - B;
    const sx = x => L + (x - x0) / (x1 - x0) * pw, sy = y => T + ph - (y - y0) / (y1 - y0) * ph;
    g.strokeStyle = '#c9ced6'; g.fillStyle = '#4a4a4a'; g.lineWidth = 1;
    g.textAlign = 'right'; g.textBaseline = 'middle';
    for (const t of ticks(y0, y1)) { g.beginPath(); g.moveTo(L, sy(t)); g.lineTo(L + pw, sy(t)); g.stroke(); g.fillText(String(t), L - 6, sy(t)); }
    g.textAlign = 'center'; g.textBaseline = 'top';
    for (const t of ticks(x0, x1)) g.fillText(String(t), sx(t), T + ph + 6);
    g.fillText(this.xLabel, L + pw / 2, hgt - 13);
    let lx = L, i = 0;
    const summary = [];
    for (const [name, s] of this.series) {
      const col = COLOURS[i++ % COLOURS.length];
      g.strokeStyle = col; g.lineWidth = 2; g.beginPath();
      s.forEach(([x, y], k) => (k ? g.lineTo(sx(x), sy(y)) : g.moveTo(sx(x), sy(y))));
      g.stroke();
      g.fillStyle = col; g.textAlign = 'left'; g.textBaseline = 'top';
      g.fillRect(lx, 6, 12, 3);
      g.fillText(name, lx + 16, 1);
      lx += g.measureText(name).width + 36;
      summary.push(`${name} ${s[s.length - 1][1].toPrecision(4)}`);
    }
    this.el.setAttribute('aria-label', `${this.label}: at ${this.xLabel} ${x1}, ${summary.join(', ')}`);
  }
}
