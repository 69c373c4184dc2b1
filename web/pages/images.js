// Images: NIfTI volumes of the project, the image jobs (enhance with a denoise or sr model,
// anomaly maps from a vae or dae model), and a slice viewer for stewards (volumes are patient
// data): scroll with the wheel, the arrow keys, Page Up/Down or the slider; window and level
// with the sliders, the presets, or by dragging on the image (left-right: width, up-down: level);
// axial, coronal and sagittal planes along the patient's axes (from the header's sform or qform,
// whatever order the voxels were stored in), each edge labelled L/R, A/P, S/I; an enhanced result beside
// its original (before / after); an anomaly map over the volume with adjustable opacity.
// The volume is fetched once (.../volume) and every slice is cut and drawn here.
import { api, upload, binary } from '../api.js';
import { h, field, table, options, alertBox, statusBox, guarded } from '../dom.js';
import { parseNifti, slice, sliceCount, planeLabels, percentiles, toGrey, hotLayer, PLANES } from '../nifti.js';

const WINDOWS = [  // [value, label, center, width]; 'auto' is the volume's 1st-99.5th percentile
  ['auto', 'auto (this volume)'], ['brain', 'CT brain (40 / 80)', 40, 80], ['soft', 'CT soft tissue (40 / 400)', 40, 400],
  ['bone', 'CT bone (300 / 2000)', 300, 2000], ['lung', 'CT lung (-600 / 1500)', -600, 1500],
];
const VIEW = 460;  // the longest side of a drawn slice, CSS pixels
const LIVE = ['queued', 'running'];

export function render(main, { project, role }) {
  const steward = role === 'steward';
  const error = alertBox();
  const note = statusBox();
  const listBox = h('div');
  const volumes = new Map();  // image id -> Promise of a parsed volume
  let images = [], jobs = [], timer = null, stopped = false;

  const load = id => {
    if (!volumes.has(id)) {
      const p = binary(`/projects/${project}/images/${id}/volume`).then(parseNifti);
      p.catch(() => volumes.delete(id));
      volumes.set(id, p);
      // At most four volumes in memory (a brain is tens of MB): the oldest not on screen goes.
      for (const k of volumes.keys()) {
        if (volumes.size <= 4) break;
        if (k !== id && k !== view.id && k !== view.compareId && k !== view.overlayId) volumes.delete(k);
      }
    }
    return volumes.get(id);
  };
  const nameOf = id => (images.find(i => i.id === id) || { name: `#${id}` }).name;
  // The job that made a result, and what it was made from.
  const madeBy = im => jobs.find(j => j.id === im.source_job);

  // ---- upload (stewards)
  const upName = h('input', { id: 'image-name', required: true, maxlength: 200 });
  const upFile = h('input', { id: 'image-file', type: 'file', accept: '.nii,.gz,application/gzip', required: true,
    onchange: () => { if (!upName.value && upFile.files[0]) upName.value = upFile.files[0].name.replace(/\.nii(\.gz)?$/i, ''); } });
  const upBar = h('progress', { id: 'image-progress', max: 1, value: 0, hidden: true, 'aria-label': 'upload progress' });
  const uploadCard = steward ? h('section', { class: 'card', 'aria-labelledby': 'img-up-h' },
    h('h2', { id: 'img-up-h' }, 'Upload a scan'),
    h('form', { class: 'row', id: 'image-upload', onsubmit: guarded(error, async () => {
      upBar.hidden = false;
      const im = await upload(`/projects/${project}/images?name=${encodeURIComponent(upName.value)}`, upFile.files[0],
        f => { upBar.value = f; }, 'application/octet-stream');
      upBar.value = 1;
      note.textContent = `Uploaded ${im.name}: ${im.dims.join(' × ')} voxels.`;
      await refresh();
      open(im.id);
    }) }, field('NIfTI file (.nii, .nii.gz)', upFile), field('Name', upName),
    h('button', { type: 'submit', id: 'image-upload-submit' }, 'Upload')), upBar) : null;

  // ---- jobs (stewards and analysts)
  const jobVolume = h('select', { id: 'job-volume' });
  const jobModel = h('select', { id: 'job-model' });
  const jobKind = h('select', { id: 'job-kind' },
    h('option', { value: 'image-enhance' }, 'enhance (denoise or sr model)'),
    h('option', { value: 'image-anomaly' }, 'anomaly map (vae or dae model)'));
  const jobAxis = h('select', { id: 'job-axis' }, Object.keys(PLANES).map(p => h('option', { value: p }, p)));
  const jobsCard = h('section', { class: 'card', 'aria-labelledby': 'img-job-h' },
    h('h2', { id: 'img-job-h' }, 'Run an image model'),
    h('form', { class: 'row', id: 'image-job', onsubmit: guarded(error, async () => {
      const j = await api('POST', `/projects/${project}/jobs/${jobKind.value}`,
        { volume: Number(jobVolume.value), model: Number(jobModel.value), axis: jobAxis.value });
      note.textContent = `Job ${j.id} (${j.kind}) queued.`;
      await refresh();
    }) }, field('Volume', jobVolume), field('Model', jobModel), field('Task', jobKind), field('Slices along', jobAxis),
    h('button', { type: 'submit', id: 'image-job-submit' }, 'Run')));

  // ---- the viewer (stewards)
  const view = {
    id: null, vol: null, plane: 'axial', index: 0, center: 0, width: 1, auto: [0, 1],
    compareId: null, compare: null, overlayId: null, overlay: null, overlayRange: [0, 1], opacity: 0.5,
  };
  const canvas = h('canvas', { id: 'viewer-canvas', tabindex: 0, role: 'img', class: 'slice',
    'aria-label': 'slice viewer: arrow keys or the wheel change the slice' });
  const before = h('canvas', { id: 'viewer-before', role: 'img', class: 'slice', 'aria-label': 'the original slice' });
  const beforeFig = h('figure', { class: 'slice-fig', hidden: true }, before, h('figcaption', { id: 'before-caption' }, 'Before'));
  const afterCaption = h('figcaption', { id: 'after-caption' }, '');
  const title = h('h2', { id: 'viewer-h' }, 'Viewer');
  const plane = h('select', { id: 'viewer-plane', onchange: () => { setPlane(plane.value); } },
    Object.keys(PLANES).map(p => h('option', { value: p }, p)));
  const sliceIn = h('input', { id: 'viewer-slice', type: 'range', min: 0, max: 0, value: '0',
    oninput: () => { view.index = Number(sliceIn.value); draw(); } });
  const sliceText = h('output', { id: 'viewer-slice-text', for: 'viewer-slice' });
  const preset = h('select', { id: 'viewer-window', onchange: () => applyPreset(preset.value) },
    WINDOWS.map(([v, l]) => h('option', { value: v }, l)));
  const centerIn = h('input', { id: 'viewer-level', type: 'range', step: 'any', oninput: () => { view.center = Number(centerIn.value); draw(); } });
  const widthIn = h('input', { id: 'viewer-width', type: 'range', step: 'any', oninput: () => { view.width = Number(widthIn.value); draw(); } });
  const wlText = h('output', { id: 'viewer-wl-text' });
  const compareSel = h('select', { id: 'viewer-compare', onchange: () => setCompare(Number(compareSel.value) || null) });
  const overlaySel = h('select', { id: 'viewer-overlay', onchange: () => setOverlay(Number(overlaySel.value) || null) });
  const opacityIn = h('input', { id: 'viewer-opacity', type: 'range', min: 0, max: 100, value: '50',
    oninput: () => { view.opacity = Number(opacityIn.value) / 100; draw(); } });
  const status = h('p', { class: 'muted', id: 'viewer-status', role: 'status' });
  const viewerCard = h('section', { class: 'card viewer', id: 'viewer', hidden: true, 'aria-labelledby': 'viewer-h' },
    title,
    h('div', { class: 'row' }, field('Plane', plane), field('Slice', sliceIn), sliceText),
    h('div', { class: 'row' }, field('Window preset', preset), field('Level (center)', centerIn), field('Width', widthIn), wlText),
    h('div', { class: 'row' }, field('Before / after: compare with', compareSel), field('Overlay (anomaly map)', overlaySel),
      field('Overlay opacity (%)', opacityIn)),
    h('div', { class: 'slices' }, beforeFig, h('figure', { class: 'slice-fig' }, canvas, afterCaption)),
    status);

  function setRanges() {
    const [lo, hi] = view.auto, span = Math.max(hi - lo, 1);
    centerIn.min = String(lo - span); centerIn.max = String(hi + span);
    widthIn.min = String(span / 200); widthIn.max = String(span * 4);
  }

  function applyPreset(name) {
    const w = WINDOWS.find(x => x[0] === name);
    if (name === 'auto' || !w) { view.center = (view.auto[0] + view.auto[1]) / 2; view.width = view.auto[1] - view.auto[0]; }
    else { view.center = w[2]; view.width = w[3]; }
    const lo = Math.min(Number(centerIn.min), view.center - view.width), hi = Math.max(Number(centerIn.max), view.center + view.width);
    centerIn.min = String(lo); centerIn.max = String(hi);
    widthIn.max = String(Math.max(Number(widthIn.max), view.width * 2));
    draw();
  }

  function setPlane(p) {
    const old = view.vol ? sliceCount(view.vol, view.plane) : 1;
    const frac = (view.index + 0.5) / old;
    view.plane = p;
    plane.value = p;
    const n = sliceCount(view.vol, p);
    sliceIn.max = String(n - 1);
    view.index = Math.min(n - 1, Math.floor(frac * n));
    draw();
  }

  // The same place in a volume of other dimensions (an sr result): the index scaled.
  const mapIndex = (vol, other) => Math.min(sliceCount(other, view.plane) - 1,
    Math.floor((view.index + 0.5) / sliceCount(vol, view.plane) * sliceCount(other, view.plane)));

  // Draws one slice into `target`, scaled to VIEW with the voxel spacing's aspect; `layer`
  // (an RGBA slice of the overlay) is drawn over it, and the patient's side at each edge
  // (`labels`, from planeLabels) over both.
  function paint(target, sl, pixels, layer, labels) {
    const scale = Math.min(VIEW / sl.width, VIEW / (sl.height * sl.aspect));
    const cw = Math.max(1, Math.round(sl.width * scale)), ch = Math.max(1, Math.round(sl.height * sl.aspect * scale));
    const dpr = window.devicePixelRatio || 1;
    if (target.width !== Math.round(cw * dpr) || target.height !== Math.round(ch * dpr)) {
      target.width = Math.round(cw * dpr); target.height = Math.round(ch * dpr);
      target.style.width = cw + 'px'; target.style.height = ch + 'px';
    }
    const ctx = target.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    const put = (key, px, w, hh) => {  // a scratch canvas per target and layer, reused
      const c = scratch.get(target.id + key) || document.createElement('canvas');
      scratch.set(target.id + key, c);
      if (c.width !== w || c.height !== hh) { c.width = w; c.height = hh; }
      c.getContext('2d').putImageData(new ImageData(px, w, hh), 0, 0);
      ctx.drawImage(c, 0, 0, target.width, target.height);
    };
    put('image', pixels, sl.width, sl.height);
    if (layer) put('layer', layer.pixels, layer.width, layer.height);
    target.dataset.orient = labels ? `${labels.left}${labels.right}${labels.top}${labels.bottom}` : 'unknown';
    if (!labels) return;
    const W = target.width, H = target.height, m = 4 * dpr;
    ctx.save();
    ctx.font = `bold ${Math.round(14 * dpr)}px sans-serif`;
    ctx.fillStyle = '#ffd54a';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left'; ctx.fillText(labels.left, m, H / 2);
    ctx.textAlign = 'right'; ctx.fillText(labels.right, W - m, H / 2);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top'; ctx.fillText(labels.top, W / 2, m);
    ctx.textBaseline = 'bottom'; ctx.fillText(labels.bottom, W / 2, H - m);
    ctx.restore();
  }

  const scratch = new Map();
  let pending = false;
  function draw() {
    if (!view.vol || pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (!view.vol) return;
      const sl = slice(view.vol, view.plane, view.index);
      const px = new Uint8ClampedArray(sl.width * sl.height * 4);
      toGrey(sl, view.center, view.width, px);
      let layer = null;
      if (view.overlay && view.opacity > 0) {
        const os = slice(view.overlay, view.plane, mapIndex(view.vol, view.overlay));
        const op = new Uint8ClampedArray(os.width * os.height * 4);
        hotLayer(os, view.overlayRange[0], view.overlayRange[1], view.opacity, op);
        layer = { pixels: op, width: os.width, height: os.height };
      }
      const labels = planeLabels(view.vol, view.plane);
      paint(canvas, sl, px, layer, labels);
      if (view.compare) {
        const bs = slice(view.compare, view.plane, mapIndex(view.vol, view.compare));
        const bp = new Uint8ClampedArray(bs.width * bs.height * 4);
        toGrey(bs, view.center, view.width, bp);
        paint(before, bs, bp, null, planeLabels(view.compare, view.plane));
      }
      const n = sliceCount(view.vol, view.plane);
      sliceIn.value = String(view.index);
      sliceText.textContent = `${view.index + 1} / ${n}`;
      centerIn.value = String(view.center);
      widthIn.value = String(view.width);
      wlText.textContent = `level ${fmt(view.center)}, width ${fmt(view.width)}`;
      canvas.dataset.slice = String(view.index);
      canvas.dataset.plane = view.plane;
      const sides = { L: "the patient's left", R: "the patient's right", A: 'anterior', P: 'posterior', S: 'superior', I: 'inferior' };
      canvas.setAttribute('aria-label', `${nameOf(view.id)}: ${view.plane} slice ${view.index + 1} of ${n}, ` +
        (labels ? `${sides[labels.left]} on the left, ${sides[labels.top]} up, ` : 'orientation unknown (index axes), ') +
        `level ${fmt(view.center)}, width ${fmt(view.width)}${view.overlay ? `, overlay ${nameOf(view.overlayId)}` : ''}`);
    });
  }

  function step(d) {
    if (!view.vol) return;
    const n = sliceCount(view.vol, view.plane);
    view.index = Math.max(0, Math.min(n - 1, view.index + d));
    draw();
  }

  canvas.addEventListener('wheel', e => { e.preventDefault(); step(e.deltaY > 0 ? 1 : -1); }, { passive: false });
  canvas.addEventListener('keydown', e => {
    const n = view.vol ? sliceCount(view.vol, view.plane) : 0;
    const moves = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1, PageUp: 10, PageDown: -10 };
    if (e.key in moves) step(moves[e.key]);
    else if (e.key === 'Home') step(-n);
    else if (e.key === 'End') step(n);
    else return;
    e.preventDefault();
  });
  // Drag: left-right changes the width, up-down the level (as on a radiology workstation).
  let drag = null;
  canvas.addEventListener('pointerdown', e => {
    drag = { x: e.clientX, y: e.clientY, center: view.center, width: view.width };
    canvas.setPointerCapture(e.pointerId);
    canvas.focus();
  });
  canvas.addEventListener('pointermove', e => {
    if (!drag) return;
    const span = Math.max(view.auto[1] - view.auto[0], 1) / 300;
    view.width = Math.max(span / 10, drag.width + (e.clientX - drag.x) * span);
    view.center = drag.center - (e.clientY - drag.y) * span;
    draw();
  });
  const endDrag = () => { drag = null; };
  canvas.addEventListener('pointerup', endDrag);
  canvas.addEventListener('pointercancel', endDrag);

  async function setCompare(id) {
    view.compareId = id;
    view.compare = id ? await load(id) : null;
    beforeFig.hidden = !view.compare;
    document.getElementById('before-caption').textContent = id ? `Before: ${nameOf(id)}` : 'Before';
    afterCaption.textContent = id ? `After: ${nameOf(view.id)}` : nameOf(view.id);
    compareSel.value = id ? String(id) : '';
    draw();
  }

  async function setOverlay(id) {
    view.overlayId = id;
    view.overlay = id ? await load(id) : null;
    if (view.overlay) view.overlayRange = percentiles(view.overlay, 0.5, 0.999);
    overlaySel.value = id ? String(id) : '';
    draw();
  }

  async function open(id) {
    viewerCard.hidden = false;
    status.textContent = `Loading ${nameOf(id)}…`;
    const vol = await load(id);
    Object.assign(view, { id, vol, compareId: null, compare: null, overlayId: null, overlay: null });
    view.auto = percentiles(vol);
    setRanges();
    title.textContent = `Viewer: ${nameOf(id)}`;
    const others = images.filter(i => i.kind !== 'model' && i.id !== id);
    options(compareSel, [['', 'none'], ...others.map(i => [i.id, i.name])], '');
    options(overlaySel, [['', 'none'], ...others.map(i => [i.id, i.name])], '');
    compareSel.value = overlaySel.value = '';
    preset.value = 'auto';
    applyPreset('auto');
    view.plane = 'axial';
    plane.value = 'axial';
    sliceIn.max = String(sliceCount(vol, 'axial') - 1);
    view.index = Math.floor(sliceCount(vol, 'axial') / 2);
    status.textContent = `${vol.dims.join(' × ')} voxels of ${vol.spacing.map(fmt).join(' × ')} mm. ` +
      'Scroll with the wheel or the arrow keys on the image; drag on it for window and level.';
    afterCaption.textContent = nameOf(id);
    beforeFig.hidden = true;
    // An enhanced result opens beside its original; an anomaly map over it.
    const im = images.find(i => i.id === id);
    const job = im && im.kind === 'result' ? madeBy(im) : null;
    if (job && job.kind === 'image.enhance') await setCompare(job.params.volume);
    if (im && im.kind === 'volume') {
      const map = images.filter(i => i.kind === 'result').map(i => [i, madeBy(i)])
        .filter(([, j]) => j && j.kind === 'image.anomaly' && j.params.volume === id).pop();
      if (map) await setOverlay(map[0].id);
    }
    draw();
    canvas.focus();
  }

  async function refresh() {
    const [all, js] = await Promise.all([api('GET', `/projects/${project}/images`), api('GET', `/projects/${project}/jobs`)]);
    images = all;
    jobs = js.filter(j => j.kind.startsWith('image.'));
    const vols = images.filter(i => i.kind !== 'model');
    const models = images.filter(i => i.kind === 'model');
    options(jobVolume, vols.map(i => [i.id, `${i.name} (${i.kind})`]), vols.length && vols[vols.length - 1].id);
    options(jobModel, models.map(i => [i.id, i.name]), models.length && models[models.length - 1].id);
    listBox.replaceChildren(table('Images of the project', [
      ['Id', i => i.id], ['Name', i => i.name], ['Kind', i => i.kind],
      ['Made by', i => { const j = madeBy(i); return j ? `job ${j.id} (${j.kind.slice(6)} of ${nameOf(j.params.volume)})` : ''; }],
      ['', i => steward && i.kind !== 'model'
        ? h('button', { class: 'secondary open-image', 'data-image': i.id, onclick: guarded(error, () => open(i.id)) }, 'View') : null],
    ], images.slice().reverse(), { id: 'images' }),
    table('Image jobs', [
      ['Job', j => `${j.id} ${j.kind}`],
      ['State', j => h('span', { class: j.state === 'succeeded' ? 'pass' : j.state === 'failed' ? 'fail' : '' }, j.state)],
      ['Progress', j => h('progress', { max: 1, value: j.progress || 0, 'aria-label': `progress of job ${j.id}` })],
      ['Detail', j => j.state === 'failed' ? j.message : j.result && j.result.image ? `→ ${nameOf(j.result.image)}` : ''],
    ], jobs.slice().reverse().slice(0, 8), { id: 'image-jobs' }));
    clearTimeout(timer);
    if (!stopped && jobs.some(j => LIVE.includes(j.state))) timer = setTimeout(() => refresh().catch(e => { error.textContent = e.message; }), 1500);
  }

  main.append(h('div', { class: 'grid' }, uploadCard, jobsCard), error, note, viewerCard,
    h('section', { class: 'card' }, listBox));
  refresh().catch(e => { error.textContent = e.message; });
  return () => { stopped = true; clearTimeout(timer); };
}

const fmt = x => (Number.isInteger(x) || Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(1) : x.toPrecision(2));
