// The analyst's work: fit a synthesizer and watch it train (progress, cancel), sample with
// conditions and balance, evaluate, open the report inline and ask for a release of the rows.
import { api, socket } from '../api.js';
import { h, field, table, options, alertBox, statusBox, guarded } from '../dom.js';
import { showReport } from '../report.js';

// The server's synthesizers (src/tabular/synthesizer.cpp); the neural ones train with progress.
const SYNTHESIZERS = [
  ['copula', 'Gaussian copula (fast baseline)'], ['cart', 'CART, column by column'],
  ['independent', 'independent columns (reference)'], ['ctgan', 'CTGAN (neural)'], ['tvae', 'TVAE (neural)'],
  ['diffusion', 'diffusion (neural)'], ['autoregressive', 'autoregressive (neural)'],
];
const LIVE = ['queued', 'running'];

export function render(main, { project }) {
  const error = alertBox();
  const note = statusBox();
  const sockets = new Map();  // job id -> WebSocket following it
  const bars = new Map();     // job id -> {bar, state} cells of the jobs table
  const report = h('div', { class: 'report', id: 'report', hidden: true });

  const fitDataset = h('select', { id: 'fit-dataset', required: true });
  const fitSynth = h('select', { id: 'fit-synth' }, SYNTHESIZERS.map(([v, l]) => h('option', { value: v }, l)));
  const fitSeed = h('input', { id: 'fit-seed', type: 'number', min: 0, value: '1' });
  const fitHoldout = h('input', { id: 'fit-holdout', type: 'number', min: 0, max: 0.5, step: 0.05, value: '0.2' });
  const fitParams = h('input', { id: 'fit-params', placeholder: '{"epochs": 50}', size: 18 });
  const model = h('select', { id: 'sample-model', required: true });
  const rows = h('input', { id: 'sample-rows', type: 'number', min: 1, max: 10000000, value: '1000', required: true });
  const conditions = h('input', { id: 'sample-conditions', placeholder: 'sex=f, stage=4', size: 18 });
  const balance = h('input', { id: 'sample-balance', placeholder: 'column', size: 10 });
  const synthetic = h('select', { id: 'eval-dataset', required: true });
  const target = h('input', { id: 'eval-target', placeholder: 'column (optional)', size: 14 });
  const jobsBox = h('div');
  const evalsBox = h('div');

  const post = async (what, body) => {
    const j = await api('POST', `/projects/${project}/jobs/${what}`, body);
    note.textContent = `Job ${j.id} (${what}) queued.`;
    await refresh();
  };

  // Follows a queued or running job over its events WebSocket; its end refreshes the page.
  function follow(id) {
    if (sockets.has(id)) return;
    sockets.set(id, socket(`/projects/${project}/jobs/${id}/events`, e => {
      const cells = bars.get(id);
      if (cells && typeof e.progress === 'number') cells.bar.value = e.progress;
      if (cells && e.state) cells.state.textContent = e.state;
      if (e.state && !LIVE.includes(e.state)) {
        sockets.get(id).close();
        refresh().catch(err => { error.textContent = err.message; });
      }
    }));
  }

  async function refresh() {
    const [datasets, models, jobs] = await Promise.all(['datasets', 'models', 'jobs'].map(
      k => api('GET', `/projects/${project}/${k}`)));
    const real = datasets.filter(d => d.kind === 'real' && !/\(holdout of job \d+\)$/.test(d.name));
    const syn = datasets.filter(d => d.kind === 'synthetic');
    const name = id => (datasets.find(d => d.id === id) || { name: `#${id}` }).name;
    options(fitDataset, real.map(d => [d.id, `${d.name} (${d.rows} rows)`]), real.length && real[real.length - 1].id);
    options(model, models.map(m => [m.id, `model ${m.id}: ${m.synthesizer} on ${name(m.dataset)}`]),
      models.length && models[models.length - 1].id);
    options(synthetic, syn.map(d => [d.id, `${d.name} (${d.rows} rows)`]), syn.length && syn[syn.length - 1].id);

    bars.clear();
    const recent = jobs.slice().sort((a, b) => b.id - a.id).slice(0, 12);
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
      }) }, 'Cancel') : null],
    ], recent, { id: 'jobs' }));
    for (const j of jobs) if (LIVE.includes(j.state)) follow(j.id);

    const evals = jobs.filter(j => j.kind === 'evaluate' && j.state === 'succeeded').sort((a, b) => b.id - a.id);
    evalsBox.replaceChildren(table('Evaluations', [
      ['Job', j => j.id], ['Synthetic data', j => name(j.params.synthetic)],
      ['Quality', j => fmt(j.result && j.result.summary && j.result.summary.quality)],
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
    h('section', { class: 'card' }, h('h2', {}, 'Fit a synthesizer'),
      h('form', { class: 'row', id: 'fit', onsubmit: guarded(error, () => {
        const body = { dataset: Number(fitDataset.value), synthesizer: fitSynth.value, seed: Number(fitSeed.value),
          holdout: Number(fitHoldout.value) };
        if (fitParams.value.trim()) body.params = JSON.parse(fitParams.value);
        return post('fit', body);
      }) }, field('Real dataset', fitDataset), field('Synthesizer', fitSynth), field('Seed', fitSeed),
      field('Holdout share', fitHoldout), field('Options (JSON)', fitParams),
      h('button', { type: 'submit', id: 'fit-submit' }, 'Fit'))),
    h('section', { class: 'card' }, h('h2', {}, 'Sample'),
      h('form', { class: 'row', id: 'sample', onsubmit: guarded(error, () => {
        const body = { model: Number(model.value), rows: Number(rows.value) };
        const conds = conditions.value.split(',').map(s => s.trim()).filter(Boolean);
        if (conds.length) body.conditions = conds;
        if (balance.value.trim()) body.balance = balance.value.trim();
        return post('sample', body);
      }) }, field('Model', model), field('Rows', rows), field('Conditions', conditions), field('Balance column', balance),
      h('button', { type: 'submit', id: 'sample-submit' }, 'Sample'))),
    h('section', { class: 'card' }, h('h2', {}, 'Evaluate'),
      h('form', { class: 'row', id: 'evaluate', onsubmit: guarded(error, () => {
        const body = { synthetic: Number(synthetic.value) };
        if (target.value.trim()) body.target = target.value.trim();
        return post('evaluate', body);
      }) }, field('Synthetic dataset', synthetic), field('Utility target', target),
      h('button', { type: 'submit', id: 'eval-submit' }, 'Evaluate')))),
  error, note,
  h('div', { class: 'grid' }, h('section', { class: 'card' }, jobsBox), h('section', { class: 'card' }, evalsBox)),
  report);
  refresh().catch(e => { error.textContent = e.message; });
  return () => { for (const ws of sockets.values()) ws.close(); };
}

const fmt = x => (typeof x === 'number' ? x.toFixed(3) : '–');

// What a job did, from its parameters and result.
function describe(j, name) {
  const p = j.params || {}, r = j.result || {};
  if (j.kind === 'fit') return `${p.synthesizer} on ${name(p.dataset)}${r.model ? ` → model ${r.model}` : ''}`;
  if (j.kind === 'sample') return `${p.rows} rows from model ${p.model}${r.dataset ? ` → ${name(r.dataset)}` : ''}`;
  if (j.kind === 'evaluate') return `${name(p.synthetic)} against ${name(p.real)}`;
  return j.kind;
}
