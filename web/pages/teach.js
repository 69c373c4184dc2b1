// Educators: pick a condition and a severity, generate a case and assign it to a trainee of the
// project (the case's vignette is shown once made); follow the assigned cases, and every
// session's score.
import { api } from '../api.js';
import { h, field, table, options, alertBox, statusBox, guarded } from '../dom.js';

export function render(main, { project }) {
  const error = alertBox();
  const note = statusBox();
  const condition = h('select', { id: 'assign-condition', required: true });
  const severity = h('select', { id: 'assign-severity' },
    [['', 'as the case falls'], ['mild', 'mild'], ['moderate', 'moderate'], ['severe', 'severe']]
      .map(([v, l]) => h('option', { value: v }, l)));
  const trainee = h('select', { id: 'assign-trainee', required: true });
  const vignette = h('div', { id: 'assign-vignette' });
  const assignedBox = h('div');
  const sessionsBox = h('div');
  let titles = {};

  async function refresh() {
    const [assigned, sessions] = await Promise.all([
      api('GET', `/projects/${project}/sim/assignments`), api('GET', `/projects/${project}/sim/sessions`)]);
    const score = s => (s == null ? '' : h('span', { class: s >= 70 ? 'pass' : 'fail' }, `${s}%`));
    assignedBox.replaceChildren(table('Assigned cases', [
      ['#', a => a.id], ['Trainee', a => a.trainee_name], ['Condition', a => titles[a.condition] || a.condition],
      ['Severity', a => a.severity || 'any'], ['Seed', a => a.seed], ['Assigned', a => a.created_at.slice(0, 16).replace('T', ' ')],
      ['State', a => h('span', { 'data-assignment': a.id }, a.state)], ['Score', a => score(a.score)],
    ], assigned.slice().reverse(), { id: 'assignments' }));
    sessionsBox.replaceChildren(table('Sessions and scores', [
      ['#', s => s.id], ['Trainee', s => s.user_name], ['Condition', s => titles[s.condition] || s.condition || ''],
      ['State', s => s.state], ['Started', s => s.created_at.slice(0, 16).replace('T', ' ')], ['Score', s => score(s.score)],
    ], sessions.slice().reverse(), { id: 'sessions' }));
  }

  main.append(h('section', { class: 'card', 'aria-labelledby': 'assign-h' },
    h('h2', { id: 'assign-h' }, 'Assign a case'),
    h('form', { class: 'row', id: 'assign', onsubmit: guarded(error, async () => {
      const body = { trainee: Number(trainee.value), condition: condition.value };
      if (severity.value) body.severity = severity.value;
      const a = await api('POST', `/projects/${project}/sim/assignments`, body);
      note.textContent = `Case ${a.id} (${titles[a.condition] || a.condition}) assigned to ${trainee.selectedOptions[0].textContent}.`;
      vignette.replaceChildren(h('h3', {}, 'The generated case'), h('p', {}, a.vignette));
      await refresh();
    }) }, field('Condition', condition), field('Severity', severity), field('Trainee', trainee),
    h('button', { type: 'submit', id: 'assign-submit' }, 'Generate and assign')), error, note, vignette),
  h('div', { class: 'grid' }, h('section', { class: 'card' }, assignedBox), h('section', { class: 'card' }, sessionsBox)));

  Promise.all([api('GET', `/projects/${project}/sim/conditions`), api('GET', `/projects/${project}/sim/trainees`)])
    .then(([cat, trainees]) => {
      titles = Object.fromEntries(cat.conditions.map(c => [c.name, c.title]));
      options(condition, cat.conditions.map(c => [c.name, c.title]), 'septic_shock');
      options(trainee, trainees.map(t => [t.id, t.name]));
      if (!trainees.length) error.textContent = 'The project has no trainees yet: an administrator gives the role.';
      return refresh();
    }).catch(e => { error.textContent = e.message; });
}
