// The analyst's work: fit a synthesizer with options from the same parameter table the CLI uses
// (GET /synthesizers), watch it train live (progress, loss curves, ETA, cancel), sample with
// conditions and balance, evaluate, open the report inline and ask for a release of the rows.
import { api, socket } from '../api.js';
import { h, field, table, options, alertBox, statusBox, guarded } from '../dom.js';
import { showReport } from '../report.js';
import { LineChart } from '../chart.js';

const LIVE = ['queued', 'running'];

// "training ctgan 12/300 · G 0.713 D -0.120 5120 rows/s" -> {task, done, total, losses}
export function parseProgress(message) {
  const m = /^(.*?) (\d+)\/(\d+)(?: \u00b7 (.*))?$/.exec(message || '');
  if (!m) return null;
  const losses = [];
  for (const [, name, value] of (m[4] || '').matchAll(/(?:^|\s)([A-Za-z][\w-]*) (-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)(?=\s|$)/g))
    losses.push([name, Number(value)]);
  return { task: m[1], done: Number(m[2]), total: Number(m[3]), losses };
}

const duration = s => (s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`
  : s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.max(1, Math.round(s))} s`);

// The inputs of one synthesizer's parameter table; .value() gives the options that differ from
// the defaults (the server fills in the rest, as `medgen fit --params` does).
function paramForm(synth) {
  const inputs = synth.params.map(p => {
    const id = `param-${p.name}`;
    let input;
    if (p.kind === 'bool') input = h('input', { id, type: 'checkbox', checked: !!p.default });
    else if (p.kind === 'string') {
      input = h('select', { id }, (p.choices || []).map(c => h('option', { value: c }, c)));
      input.value = p.default;
    } else if (p.kind === 'int_list') {
      input = h('input', { id, value: (p.default || []).join(', '), size: 12, pattern: '\\s*\\d+(\\s*,\\s*\\d+)*\\s*' });
    } else {
      input = h('input', { id, type: 'number', value: String(p.default), size: 8,
        step: p.kind === 'int' ? '1' : 'any', min: p.min, max: p.max });
    }
    const help = h('span', { class: 'help', id: `${id}-help` }, `${p.help} (${p.allowed})`);
    input.setAttribute('aria-describedby', help.id);
    input.title = p.help;
    return { p, input, el: h('label', { class: 'field param' }, p.name, input, help) };
  });
  const value = () => {
    const out = {};
    for (const { p, input } of inputs) {
      let v;
      if (p.kind === 'bool') v = input.checked;
      else if (p.kind === 'string') v = input.value;
      else if (p.kind === 'int_list') {
        v = input.value.split(',').map(s => s.trim()).filter(Boolean).map(Number);
        if (!v.length || v.some(x => !Number.isInteger(x))) throw new Error(`${p.name}: whole numbers separated by commas`);
      } else {
        if (!input.checkValidity()) throw new Error(`${p.name}: ${p.allowed}`);
        v = Number(input.value);
      }
      if (JSON.stringify(v) !== JSON.stringify(p.default)) out[p.name] = v;
    }
    return out;
  };
  return { el: inputs.length ? h('fieldset', { class: 'params', id: 'fit-params' },
    h('legend', {}, `Options of ${synth.name}`), inputs.map(i => i.el))
    : h('p', { class: 'muted', id: 'fit-params' }, `${synth.name} has no options.`), value };
}

export function render(main, { project }) {
  const error = alertBox();
  const note = statusBox();
  const sockets = new Map();  // job id -> WebSocket following it
  const bars = new Map();     // job id -> {bar, state} cells of the jobs table
  const report = h('div', { class: 'report', id: 'report', hidden: true });
  let synths = [], params = { value: () => ({}) }, datasetsById = new Map(), modelsById = new Map();

  const fitDataset = h('select', { id: 'fit-dataset', required: true });
  const fitSynth = h('select', { id: 'fit-synth', onchange: () => showParams() });
  const fitSeed = h('input', { id: 'fit-seed', type: 'number', min: 0, value: '1' });
  const fitHoldout = h('input', { id: 'fit-holdout', type: 'number', min: 0, max: 0.5, step: 0.05, value: '0.2' });
  // Datasets of several tables: the patients' synthesizer above, their records' model here.
  const fitSeq = h('select', { id: 'fit-sequence' }, [['gru', 'gru (learned from each history)'], ['independent', 'independent visits (baseline)']]
    .map(([v, t]) => h('option', { value: v }, t)));
  const seqField = field('Records model', fitSeq);
  seqField.hidden = true;
  const isRecords = id => (datasetsById.get(Number(id)) || {}).format === 'records';
  fitDataset.addEventListener('change', () => {
    seqField.hidden = !isRecords(fitDataset.value);
    if (!seqField.hidden && synths.some(s => s.name === 'cart')) { fitSynth.value = 'cart'; showParams(); }
  });
  const synthHelp = h('p', { class: 'muted', id: 'fit-synth-help' });
  const paramsBox = h('div');
  const model = h('select', { id: 'sample-model', required: true, onchange: () => showColumns() });
  const rows = h('input', { id: 'sample-rows', type: 'number', min: 1, max: 10000000, value: '1000', required: true });
  const condBox = h('div', { id: 'sample-conditions', class: 'conditions' });
  const balance = h('select', { id: 'sample-balance' });
  const synthetic = h('select', { id: 'eval-dataset', required: true });
  const target = h('input', { id: 'eval-target', placeholder: 'column (optional)', size: 14 });
  const jobsBox = h('div');
  const evalsBox = h('div');

  // ---- live training: the newest running fit's progress, losses and ETA
  const chart = new LineChart({ id: 'loss-chart', label: 'training losses', xLabel: 'epoch' });
  const trainTitle = h('h2', { id: 'training-h' }, 'Training');
  const trainBar = h('progress', { id: 'training-progress', max: 1, value: 0, 'aria-label': 'training progress' });
  const trainText = h('p', { id: 'training-text', 'aria-live': 'polite' });
  const trainCancel = h('button', { class: 'danger', id: 'training-cancel' }, 'Cancel');
  const training = h('section', { class: 'card', id: 'training', hidden: true, 'aria-labelledby': 'training-h' },
    trainTitle, trainBar, trainText, chart.el, h('div', { class: 'row' }, trainCancel));
  let watched = null;  // {id, t0, f0} of the fit on the panel
  trainCancel.addEventListener('click', guarded(error, async () => {
    if (watched) await api('POST', `/projects/${project}/jobs/${watched.id}/cancel`);
  }));

  function watch(job) {
    if (watched && watched.id === job.id) return;
    watched = { id: job.id, t0: null, f0: 0, synthesizer: job.params.synthesizer };
    chart.clear();
    training.hidden = false;
    trainTitle.textContent = `Training job ${job.id}: ${job.params.synthesizer}`;
    trainText.textContent = job.state === 'queued' ? 'Waiting in the queue…' : 'Starting…';
  }

  function onTrainingEvent(id, e) {
    if (!watched || watched.id !== id) return;
    if (typeof e.progress === 'number') trainBar.value = e.progress;
    const p = parseProgress(e.message);
    const now = performance.now() / 1000;
    if (e.state === 'running' && typeof e.progress === 'number' && e.progress > 0) {
      if (watched.t0 === null) { watched.t0 = now; watched.f0 = e.progress; }
    }
    let eta = '';
    if (watched.t0 !== null && e.progress > watched.f0 && e.progress < 1) {
      const rate = (e.progress - watched.f0) / Math.max(now - watched.t0, 1e-3);
      if (now - watched.t0 > 0.5) eta = `, about ${duration((1 - e.progress) / rate)} left`;
    }
    if (p) {
      for (const [name, v] of p.losses) chart.add(name, p.done, v);
      trainText.textContent = `${p.task}: ${p.done} of ${p.total}${eta}` +
        (p.losses.length ? ` (${p.losses.map(([n, v]) => `${n} ${v}`).join(', ')})` : '');
      trainText.dataset.done = p.done;
    } else if (e.state && !LIVE.includes(e.state)) {
      trainText.textContent = `The fit ${e.state}.`;
      trainCancel.disabled = true;
    }
    if (e.state && !LIVE.includes(e.state)) {
      trainText.textContent += ` Finished: ${e.state}.`;
      trainText.dataset.state = e.state;
      trainCancel.disabled = true;
    } else trainCancel.disabled = false;
  }

  const post = async (what, body) => {
    const j = await api('POST', `/projects/${project}/jobs/${what}`, body);
    note.textContent = `Job ${j.id} (${what}) queued.`;
    if (what === 'fit') watch(j);
    await refresh();
  };

  // Follows a queued or running job over its events WebSocket; its end refreshes the page.
  function follow(id) {
    if (sockets.has(id)) return;
    sockets.set(id, socket(`/projects/${project}/jobs/${id}/events`, e => {
      const cells = bars.get(id);
      if (cells && typeof e.progress === 'number') cells.bar.value = e.progress;
      if (cells && e.state) cells.state.textContent = e.state;
      onTrainingEvent(id, e);
      if (e.state && !LIVE.includes(e.state)) {
        sockets.get(id).close();
        refresh().catch(err => { error.textContent = err.message; });
      }
    }));
  }

  function showParams() {
    const s = synths.find(x => x.name === fitSynth.value);
    if (!s) return;
    synthHelp.textContent = s.description + (s.neural ? ' Trains with live loss curves.' : '');
    params = paramForm(s);
    paramsBox.replaceChildren(params.el);
  }

  // Conditions and balance offer the columns of the chosen model's table (names and types).
  function condRow(columns) {
    const col = h('select', { class: 'cond-column', 'aria-label': 'condition column' },
      columns.map(c => h('option', { value: c.name }, `${c.name} (${c.type})`)));
    const val = h('input', { class: 'cond-value', 'aria-label': 'condition value', size: 10, maxlength: 200 });
    const row = h('div', { class: 'row cond' }, col, h('span', { 'aria-hidden': 'true' }, '='), val,
      h('button', { type: 'button', class: 'secondary', 'aria-label': 'remove this condition', onclick: () => row.remove() }, '×'));
    return row;
  }
  function showColumns() {
    const m = modelsById.get(Number(model.value));
    const d = m && datasetsById.get(m.dataset);
    const columns = ((d && d.schema && d.schema.columns) || []).filter(c => c.type !== 'text' && c.type !== 'identifier');
    const categorical = columns.filter(c => c.type === 'categorical' || c.type === 'boolean');
    const keep = balance.value;
    options(balance, [['', 'none'], ...categorical.map(c => [c.name, c.name])], '');
    if (categorical.some(c => c.name === keep)) balance.value = keep;
    condBox.replaceChildren(h('button', { type: 'button', class: 'secondary', id: 'add-condition',
      disabled: !columns.length, onclick: () => condBox.insertBefore(condRow(columns), condBox.lastChild) }, 'Add a condition'));
  }

  async function refresh() {
    const [datasets, models, jobs] = await Promise.all(['datasets', 'models', 'jobs'].map(
      k => api('GET', `/projects/${project}/${k}`)));
    datasetsById = new Map(datasets.map(d => [d.id, d]));
    modelsById = new Map(models.map(m => [m.id, m]));
    const real = datasets.filter(d => d.kind === 'real' && !/\((holdout|training part) of job \d+\)$/.test(d.name));
    const size = d => d.format === 'records' ? `${d.rows} patients` : `${d.rows} rows`;
    const syn = datasets.filter(d => d.kind === 'synthetic');
    const name = id => (datasetsById.get(id) || { name: `#${id}` }).name;
    options(fitDataset, real.map(d => [d.id, `${d.name} (${size(d)})`]), real.length && real[real.length - 1].id);
    seqField.hidden = !isRecords(fitDataset.value);
    const before = model.value;
    options(model, models.map(m => [m.id, `model ${m.id}: ${m.synthesizer} on ${name(m.dataset)}`]),
      models.length && models[models.length - 1].id);
    if (model.value !== before || !condBox.firstChild) showColumns();
    options(synthetic, syn.map(d => [d.id, `${d.name} (${size(d)})`]), syn.length && syn[syn.length - 1].id);

    bars.clear();
    const recent = jobs.filter(j => !j.kind.startsWith('image.')).sort((a, b) => b.id - a.id).slice(0, 12);
    jobsBox.replaceChildren(table('Jobs (newest first)', [
      ['Job', j => `${j.id} ${j.kind}`],
      ['State', j => {
        const state = h('span', { class: `state ${j.state === 'succeeded' ? 'pass' : j.state === 'failed' ? 'fail' : ''}`,
          'data-job': j.id }, j.state);
        const bar = h('progress', { max: 1, value: j.progress || 0, 'aria-label': `progress of job ${j.id}` });
        bars.set(j.id, { bar, state });
        return [state, bar];
      }],
      ['Detail', j => j.state === 'failed' ? j.message : describe(j, name)],
      ['', j => LIVE.includes(j.state) ? h('button', { class: 'danger', onclick: guarded(error, async () => {
        await api('POST', `/projects/${project}/jobs/${j.id}/cancel`);
      }) }, 'Cancel') : j.kind === 'fit' ? h('button', { class: 'secondary', onclick: () => watch(j) }, 'Show') : null],
    ], recent, { id: 'jobs' }));
    for (const j of jobs) if (LIVE.includes(j.state)) follow(j.id);
    const liveFit = jobs.filter(j => j.kind === 'fit' && LIVE.includes(j.state)).sort((a, b) => b.id - a.id)[0];
    if (liveFit && !watched) watch(liveFit);

    const evals = jobs.filter(j => j.kind === 'evaluate' && j.state === 'succeeded').sort((a, b) => b.id - a.id);
    evalsBox.replaceChildren(table('Evaluations', [
      ['Job', j => j.id], ['Synthetic data', j => name(j.params.synthetic)],
      // A table's quality, or a dataset's per-table quality.
      ['Quality', j => { const s = (j.result && j.result.summary) || {};
        return fmt(typeof s.quality === 'number' ? s.quality : s.table_quality && s.table_quality.synthetic); }],
      ['Gate', j => j.result && j.result.gate_passed ? h('span', { class: 'pass' }, 'passed') : h('span', { class: 'fail' }, 'failed')],
      ['', j => h('span', { class: 'row' },
        h('button', { class: 'secondary open-report', onclick: guarded(error, () => showReport(report, project, j.id)) }, 'Open report'),
        h('button', { class: 'request-release', onclick: guarded(error, async () => {
          const r = await api('POST', `/projects/${project}/releases`, { dataset: j.params.synthetic, evaluation: j.id });
          note.textContent = `Release ${r.id} requested: a steward decides (gate ${r.gate_passed ? 'passed' : 'failed'}).`;
        }) }, 'Request release'))],
    ], evals, { id: 'evaluations' }));
  }

  main.append(h('div', { class: 'grid' },
    h('section', { class: 'card wide', 'aria-labelledby': 'fit-h' }, h('h2', { id: 'fit-h' }, 'Fit a synthesizer'),
      h('form', { id: 'fit', onsubmit: guarded(error, () => {
        const body = { dataset: Number(fitDataset.value), synthesizer: fitSynth.value, seed: Number(fitSeed.value),
          holdout: Number(fitHoldout.value) };
        const chosen = params.value();
        if (Object.keys(chosen).length) body.params = chosen;
        if (isRecords(fitDataset.value)) body.sequence_model = fitSeq.value;
        return post('fit', body);
      }) }, h('div', { class: 'row' }, field('Real dataset', fitDataset), field('Synthesizer', fitSynth), field('Seed', fitSeed),
        field('Holdout share', fitHoldout), seqField), synthHelp, paramsBox,
      h('button', { type: 'submit', id: 'fit-submit' }, 'Fit'))),
    h('section', { class: 'card', 'aria-labelledby': 'sample-h' }, h('h2', { id: 'sample-h' }, 'Sample'),
      h('form', { id: 'sample', onsubmit: guarded(error, () => {
        const body = { model: Number(model.value), rows: Number(rows.value) };
        const conds = [...condBox.querySelectorAll('.cond')]
          .map(r => [r.querySelector('.cond-column').value, r.querySelector('.cond-value').value.trim()])
          .filter(([, v]) => v !== '').map(([c, v]) => `${c}=${v}`);
        if (conds.length) body.conditions = conds;
        if (balance.value) body.balance = balance.value;
        return post('sample', body);
      }) }, h('div', { class: 'row' }, field('Model', model), field('Rows', rows), field('Balance over', balance)),
      h('p', { class: 'muted' }, 'Conditions: only rows with these values (e.g. sex = f).'), condBox,
      h('button', { type: 'submit', id: 'sample-submit' }, 'Sample'))),
    h('section', { class: 'card', 'aria-labelledby': 'eval-h' }, h('h2', { id: 'eval-h' }, 'Evaluate'),
      h('form', { class: 'row', id: 'evaluate', onsubmit: guarded(error, () => {
        const body = { synthetic: Number(synthetic.value) };
        if (target.value.trim()) body.target = target.value.trim();
        return post('evaluate', body);
      }) }, field('Synthetic dataset', synthetic), field('Utility target', target),
      h('button', { type: 'submit', id: 'eval-submit' }, 'Evaluate')))),
  error, note, training,
  h('div', { class: 'grid' }, h('section', { class: 'card' }, jobsBox), h('section', { class: 'card' }, evalsBox)),
  report);
  api('GET', '/synthesizers').then(all => {
    synths = all;
    options(fitSynth, all.map(s => [s.name, `${s.name}${s.neural ? ' (neural)' : ''}`]), 'copula');
    showParams();
  }).catch(e => { error.textContent = e.message; });
  refresh().catch(e => { error.textContent = e.message; });
  return () => { for (const ws of sockets.values()) ws.close(); };
}

const fmt = x => (typeof x === 'number' ? x.toFixed(3) : '–');

// What a job did, from its parameters and result.
function describe(j, name) {
  const p = j.params || {}, r = j.result || {};
  if (j.kind === 'fit') return `${p.synthesizer} on ${name(p.dataset)}${r.model ? ` → model ${r.model}` : ''}`;
  if (j.kind === 'sample') return `${p.rows} rows from model ${p.model}${r.dataset ? ` → ${name(r.dataset)}` : ''}` +
    (p.balance ? `, balanced over ${p.balance}` : '') + (p.conditions && p.conditions.length ? `, where ${p.conditions.join(', ')}` : '');
  if (j.kind === 'evaluate') return `${name(p.synthetic)} against ${name(p.real)}`;
  return j.kind;
}
