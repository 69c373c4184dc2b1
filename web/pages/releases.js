// Releases: a steward reviews a requested release with its evaluation report beside it and
// approves or refuses it; an analyst downloads the rows once a release is approved and passed
// its gate (the server enforces both; the page only offers what the role may do).
import { api, session } from '../api.js';
import { h, table, alertBox, statusBox, guarded } from '../dom.js';
import { showReport } from '../report.js';

export function render(main, { project, role }) {
  const error = alertBox();
  const note = statusBox();
  const list = h('div');
  const review = h('div', { id: 'review' });
  const steward = role === 'steward';
  let data = { releases: [], datasets: [], jobs: [] };

  // The evaluation a release was asked with: the newest finished evaluation of its rows.
  const evaluationOf = r => data.jobs.filter(j => j.kind === 'evaluate' && j.state === 'succeeded' &&
    j.params && j.params.synthetic === r.dataset).sort((a, b) => b.id - a.id)[0];
  const name = id => (data.datasets.find(d => d.id === id) || { name: `#${id}` }).name;

  async function decide(r, verb) {
    await api('POST', `/projects/${project}/releases/${r.id}/${verb}`);
    note.textContent = `Release ${r.id} ${verb === 'approve' ? 'approved' : 'refused'}.`;
    review.replaceChildren();
    await refresh();
  }

  async function openReview(r) {
    const report = h('div', { class: 'report', id: 'review-report', hidden: true });
    const checks = (r.gate && r.gate.checks) || [];
    review.replaceChildren(h('div', { class: 'side' },
      h('section', { class: 'card', 'aria-labelledby': 'review-h' },
        h('h2', { id: 'review-h' }, `Release ${r.id}: ${name(r.dataset)}`),
        h('p', {}, 'Release gate: ', h('span', { class: r.gate_passed ? 'pass' : 'fail' }, r.gate_passed ? 'passed' : 'failed')),
        h('ul', {}, checks.map(c => h('li', { class: c.passed ? 'pass' : 'fail' }, c.message))),
        h('div', { class: 'row' },
          h('button', { id: 'approve', onclick: guarded(error, () => decide(r, 'approve')) }, 'Approve'),
          h('button', { id: 'refuse', class: 'danger', onclick: guarded(error, () => decide(r, 'reject')) }, 'Refuse'))),
      report));
    const ev = evaluationOf(r);
    if (ev) await showReport(report, project, ev.id);
  }

  // Fetches the rows with the token (a plain link could not send it) and saves them as a file.
  async function download(r) {
    const res = await fetch(`/api/v1/projects/${project}/datasets/${r.dataset}/rows`,
      { headers: { Authorization: 'Bearer ' + session.token } });
    if (!res.ok) throw new Error(`download refused (${res.status})`);
    const blob = await res.blob();
    // A dataset of several tables comes as a tar of its folder.
    const tar = (res.headers.get('Content-Type') || '').startsWith('application/x-tar');
    const lines = tar ? 0 : (await blob.text()).split('\n').filter(Boolean).length - 1;
    const a = h('a', { href: URL.createObjectURL(blob), download: `${name(r.dataset)}.${tar ? 'tar' : 'csv'}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    note.textContent = tar ? `Downloaded ${name(r.dataset)}: its tables as a tar (${blob.size} bytes).`
      : `Downloaded ${name(r.dataset)}: ${lines} rows.`;
    note.dataset.rows = lines;
  }

  async function refresh() {
    const [releases, datasets, jobs] = await Promise.all(['releases', 'datasets', 'jobs'].map(
      k => api('GET', `/projects/${project}/${k}`)));
    data = { releases, datasets, jobs };
    list.replaceChildren(table('Releases of the project', [
      ['Release', r => r.id], ['Dataset', r => name(r.dataset)],
      ['Gate', r => h('span', { class: r.gate_passed ? 'pass' : 'fail' }, r.gate_passed ? 'passed' : 'failed')],
      ['State', r => h('span', { 'data-release': r.id }, r.state)], ['Requested', r => r.created_at],
      ['', r => steward && r.state === 'requested'
        ? h('button', { class: 'review', onclick: guarded(error, () => openReview(r)) }, 'Review')
        : !steward && r.state === 'approved' && r.gate_passed
          ? h('button', { class: 'download', onclick: guarded(error, () => download(r)) }, 'Download CSV') : null],
    ], releases.slice().reverse(), { id: 'releases' }));
  }

  main.append(h('section', { class: 'card' }, list), error, note, review);
  refresh().catch(e => { error.textContent = e.message; });
}
