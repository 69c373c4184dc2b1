// The bedside monitor. The simulator sends vital signs once a second, not waveforms, so the
// traces are synthesised here: an ECG-like PQRST complex and a pleth-like pulse at the latest
// heart rate, swept left to right as on a real monitor and redrawn with requestAnimationFrame.
// Alarms are shown (and announced once when they change) and sounded with a WebAudio
// oscillator (no audio files) unless muted.
import { h, clock } from './dom.js';

// [test, what the alarm says, the vital it flags]. The words carry no numbers: they change only
// when the set of alarms does, which is when the alert region is announced.
const ALARMS = [
  [v => v.hr_bpm > 130, 'HR > 130', 'hr'],
  [v => v.hr_bpm < 40, 'HR < 40', 'hr'],
  [v => v.sbp_mmhg < 90, 'SBP < 90', 'bp'],
  [v => v.spo2_pct < 90, 'SpO2 < 90', 'spo2'],
];
const SWEEP_S = 6;  // seconds across the screen

const gauss = (p, at, width) => Math.exp(-(((p - at) / width) ** 2));
// One beat of each trace against its phase (0..1); about -0.3..1.
const ecg = p => 0.12 * gauss(p, 0.1, 0.025) - 0.1 * gauss(p, 0.235, 0.008) + gauss(p, 0.255, 0.011)
  - 0.25 * gauss(p, 0.275, 0.01) + 0.3 * gauss(p, 0.5, 0.05);
const pleth = p => gauss(p, 0.38, 0.09) + 0.35 * gauss(p, 0.6, 0.08);

export class Monitor {
  constructor() {
    this.canvas = h('canvas', { id: 'monitor-canvas', role: 'img',
      'aria-label': 'ECG and pleth traces drawn from the current heart rate' });
    const vital = (key, label, cls) => {
      const v = h('span', { class: 'v', 'data-vital': key }, '--');
      this[key] = { box: h('div', { class: `vital ${cls}` }, h('span', { class: 'l' }, label), v), v };
      return this[key].box;
    };
    this.alarm = h('p', { class: 'alarm', id: 'alarm', role: 'alert' });
    this.clockEl = h('span', { id: 'sim-clock' }, '0:00');
    this.muteBtn = h('button', { id: 'mute', class: 'secondary', 'aria-pressed': 'false',
      onclick: () => this.setMuted(!this.muted) }, 'Mute alarms');
    this.el = h('div', {},
      h('div', { class: 'monitor', id: 'monitor' }, this.canvas,
        h('div', { class: 'vitals' }, vital('hr', 'HR /min', 'hr'), vital('spo2', 'SpO2 %', 'spo2'),
          vital('bp', 'NIBP mmHg', 'bp'), vital('rr', 'RR /min', 'rr'), vital('temp', 'Temp °C', 'temp'))),
      h('div', { class: 'row' }, h('span', {}, 'Patient time ', this.clockEl), this.muteBtn), this.alarm);
    this.v = null;
    this.muted = false;
    this.phase = 0;
    this.x = 0;
    this.last = null;
    this.prev = null;
    this.frame = requestAnimationFrame(t => this.draw(t));
  }

  // A live message's monitor: {t_s, hr_bpm, sbp_mmhg, dbp_mmhg, map_mmhg, rr_per_min, spo2_pct, temp_c, dead}.
  update(m) {
    this.v = m;
    const r = x => Math.round(x);
    this.hr.v.textContent = r(m.hr_bpm);
    this.spo2.v.textContent = r(m.spo2_pct);
    this.bp.v.textContent = `${r(m.sbp_mmhg)}/${r(m.dbp_mmhg)} (${r(m.map_mmhg)})`;
    this.rr.v.textContent = r(m.rr_per_min);
    this.temp.v.textContent = m.temp_c.toFixed(1);
    this.clockEl.textContent = clock(m.t_s);
    const on = m.dead ? [] : ALARMS.filter(([test]) => test(m));
    for (const key of ['hr', 'bp', 'spo2']) this[key].box.classList.toggle('alarming', on.some(a => a[2] === key));
    const text = m.dead ? 'No cardiac output' : on.map(a => a[1]).join(' · ');
    const words = text ? 'Alarm: ' + text : '';
    if (this.alarm.textContent !== words) this.alarm.textContent = words;
    if (text && !this.muted) this.beep();
  }

  // The browser lets audio start only after a user gesture: called from the Start button.
  enableSound() {
    if (!this.audio && window.AudioContext) this.audio = new AudioContext();
  }

  beep() {
    if (!this.audio) return;
    const o = this.audio.createOscillator(), g = this.audio.createGain(), t = this.audio.currentTime;
    o.frequency.value = 880;
    g.gain.setValueAtTime(0.0001, t);
    g.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, t + 0.25);
    o.connect(g).connect(this.audio.destination);
    o.start(t);
    o.stop(t + 0.3);
  }

  setMuted(muted) {
    this.muted = muted;
    this.muteBtn.setAttribute('aria-pressed', String(muted));
    this.muteBtn.textContent = muted ? 'Unmute alarms' : 'Mute alarms';
  }

  draw(t) {
    this.frame = requestAnimationFrame(n => this.draw(n));
    const c = this.canvas, dpr = window.devicePixelRatio || 1;
    const W = Math.round(c.clientWidth * dpr), H = Math.round(c.clientHeight * dpr);
    const g = c.getContext('2d');
    if (!W || !H) return;
    if (c.width !== W || c.height !== H) {
      Object.assign(c, { width: W, height: H });
      g.fillStyle = '#000';
      g.fillRect(0, 0, W, H);
      this.x = 0;
      this.prev = null;
    }
    const dt = this.last == null ? 0 : Math.min((t - this.last) / 1000, 0.1);
    this.last = t;
    const v = this.v, alive = v && !v.dead;
    const rate = alive ? v.hr_bpm / 60 : 0;                          // beats a second
    const amp = alive ? Math.min(1, Math.max(0.25, v.sbp_mmhg / 120)) : 0;  // weaker pulse when hypotensive
    const pxPerS = W / SWEEP_S, lane = H / 2;
    g.lineWidth = 2 * dpr;
    for (let steps = Math.round(dt * pxPerS); steps > 0; steps--) {
      // Four samples a pixel, keeping the farthest from the baseline: a narrow R wave spans
      // less than a pixel at high rates and would otherwise be skipped at random.
      let e = 0;
      for (let k = 0; k < 4; k++) {
        this.phase = (this.phase + rate / pxPerS / 4) % 1;
        const x = alive ? ecg(this.phase) : 0;
        if (Math.abs(x) > Math.abs(e)) e = x;
      }
      const p = this.phase;
      const y1 = lane * 0.62 - e * lane * 0.5;
      const y2 = lane * 1.8 - pleth((p + 0.85) % 1) * amp * lane * 0.6;
      g.fillStyle = '#000';
      g.fillRect(this.x, 0, 14 * dpr, H);  // the gap ahead of the sweep
      if (this.prev) {
        g.strokeStyle = '#3ddc84';
        g.beginPath(); g.moveTo(this.x - 1, this.prev[0]); g.lineTo(this.x, y1); g.stroke();
        g.strokeStyle = '#4fd1ff';
        g.beginPath(); g.moveTo(this.x - 1, this.prev[1]); g.lineTo(this.x, y2); g.stroke();
      }
      this.prev = [y1, y2];
      if (++this.x >= W) { this.x = 0; this.prev = null; }
    }
    g.fillStyle = '#fff';
    g.font = `${12 * dpr}px system-ui, sans-serif`;
    g.fillText('II', 4 * dpr, 14 * dpr);
    g.fillText('Pleth', 4 * dpr, lane + 14 * dpr);
  }

  stop() {
    cancelAnimationFrame(this.frame);
    if (this.audio) this.audio.close();
  }
}
