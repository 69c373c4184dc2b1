// A virtual patient: choose a condition, watch the bedside monitor live, type orders in the
// action box, follow orders and results in the timeline, pause or change the clock's speed, and
// end with the debrief's score.
import { api, socket } from '../api.js';
import { h, field, table, options, alertBox, guarded, clock } from '../dom.js';
import { Monitor } from '../monitor.js';

// How a guideline item's status reads: met, beside the point, or missed.
const STATUS_CLASS = { done: 'pass', avoided: 'pass', 'not applicable': 'muted' };

export function render(main, { project, role }) {
  const error = alertBox();
  const condition = h('select', { id: 'sim-condition', required: true });
  const severity = h('select', { id: 'sim-severity' },
    [['', 'as the case falls'], ['mild', 'mild'], ['moderate', 'moderate'], ['severe', 'severe']]
      .map(([v, l]) => h('option', { value: v }, l)));
  const speed = h('input', { id: 'sim-speed', type: 'number', min: 1, max: 60, value: '10', required: true });
  const suggestions = h('datalist', { id: 'sim-suggestions' });
  const stage = h('div');
  let live = null;  // {id, ws, monitor} of the running session

  function stop() {
    if (!live) return;
    live.ws.close();
    live.monitor.stop();
    live = null;
  }

  function start(session, monitor) {
    const timeline = h('ol', { class: 'timeline', id: 'timeline', 'aria-label': 'orders and results' });
    const add = events => {
      for (const e of events) {
        timeline.append(h('li', { class: `ev-${e.kind}` }, h('span', { class: 't' }, clock(e.t_s)),
          h('span', { class: 'kind' }, e.kind), e.text));
      }
      if (events.length) timeline.lastChild.scrollIntoView({ block: 'nearest' });
    };
    const action = h('input', { id: 'action', list: 'sim-suggestions', autocomplete: 'off', size: 40, required: true,
      maxlength: 1000, placeholder: 'e.g. give 30 ml/kg crystalloid' });
    const actError = alertBox();
    const ws = socket(`/projects/${project}/sim/sessions/${session.id}/live`, m => {
      if (m.monitor) monitor.update(m.monitor);
      if (m.events) add(m.events);
    });
    live = { id: session.id, ws, monitor };
    monitor.update(session.monitor);
    // The patient's clock: pause and resume, and its speed from now on.
    const clockError = alertBox();
    const pause = h('button', { type: 'button', id: 'sim-pause', class: 'secondary', 'aria-pressed': 'false' }, 'Pause');
    const pace = h('input', { id: 'sim-pace', type: 'number', min: 1, max: 60, value: String(session.speed || 1), size: 3,
      'aria-label': 'speed, times real time' });
    const setClock = async body => {
      const r = await api('POST', `/projects/${project}/sim/sessions/${session.id}/clock`, body);
      add(r.events);
      monitor.update(r.monitor);
      pause.textContent = r.monitor.paused ? 'Resume' : 'Pause';
      pause.setAttribute('aria-pressed', String(r.monitor.paused));
      pause.dataset.paused = String(r.monitor.paused);
      pace.value = String(r.monitor.speed);
    };
    pause.addEventListener('click', guarded(clockError, () => setClock({ paused: pause.dataset.paused !== 'true' })));
    pace.addEventListener('change', guarded(clockError, () => setClock({ speed: Math.min(60, Math.max(1, Number(pace.value) || 1)) })));
    const clockRow = h('div', { class: 'row', id: 'sim-clock-controls' }, pause, field('Speed (× real time)', pace), clockError);
    stage.replaceChildren(
      h('section', { class: 'card' }, h('h2', {}, 'Patient'), h('p', { id: 'vignette' }, session.vignette)),
      h('div', { class: 'side' },
        h('section', { class: 'card' }, h('h2', {}, 'Orders and results'),
          h('form', { class: 'row', id: 'action-form', onsubmit: guarded(actError, async () => {
            const r = await api('POST', `/projects/${project}/sim/sessions/${session.id}/actions`, { text: action.value });
            add(r.events);
            monitor.update(r.monitor);
            action.value = '';
            action.focus();
          }) }, field('Order or action', action), h('button', { type: 'submit', id: 'action-send' }, 'Send')),
          actError, timeline,
          h('button', { id: 'sim-end', class: 'danger', onclick: guarded(actError, async () => {
            const result = await api('POST', `/projects/${project}/sim/sessions/${session.id}/end`);
            stop();
            debrief(result);
          }) }, 'End and debrief')),
        h('section', { class: 'card', 'aria-label': 'bedside monitor' }, monitor.el, clockRow)));
    action.focus();
  }

  function debrief(result) {
    const s = result.score;
    stage.replaceChildren(h('section', { class: 'card', id: 'debrief', 'aria-labelledby': 'debrief-h' },
      h('h2', { id: 'debrief-h' }, `Debrief: ${s.rubric}`),
      h('p', {}, h('span', { class: 'score', id: 'score' }, `${s.percent}%`),
        ` ${s.earned} of ${s.max} points${s.penalties ? `, ${s.penalties} in penalties` : ''}`),
      table('Guideline items', [
        ['Item', i => i.text], ['Status', i => h('span', { class: STATUS_CLASS[i.status] || 'fail' }, i.status)],
        ['Points', i => `${i.points} / ${i.max}`], ['When', i => (i.time_s != null && i.time_s >= 0 ? clock(i.time_s) : '')],
        ['Detail', i => i.detail || ''],
      ], s.items || []),
      h('button', { id: 'sim-again', onclick: () => {
        stage.replaceChildren(); form.hidden = false; condition.focus();
        showAssigned().catch(e => { error.textContent = e.message; });
      } },
        'Another patient')));
  }

  // Starts a session from `body` ({condition, ...} or {assignment}); the monitor is made inside
  // the click's gesture, so that alarms may sound.
  async function begin(body) {
    const monitor = new Monitor();
    monitor.enableSound();
    body.speed = Number(speed.value);
    try {
      start(await api('POST', `/projects/${project}/sim/sessions`, body), monitor);
      form.hidden = true;
      assignedCard.hidden = true;
    } catch (e) { monitor.stop(); throw e; }
  }

  const form = h('form', { class: 'card row', id: 'sim-start-form', onsubmit: guarded(error, () => {
    const body = { condition: condition.value };
    if (severity.value) body.severity = severity.value;
    return begin(body);
  }) }, h('h2', {}, 'Start a virtual patient'), field('Condition', condition), field('Severity', severity),
  field('Speed (× real time)', speed), h('button', { type: 'submit', id: 'sim-start' }, 'Start'));

  // Cases an educator assigned to this trainee (an educator sees theirs on the Teaching page).
  const assignedBox = h('div');
  const assignedCard = h('section', { class: 'card', id: 'my-assignments', hidden: true }, assignedBox);
  let titles = {};
  async function showAssigned() {
    if (role !== 'trainee') return;
    const mine = await api('GET', `/projects/${project}/sim/assignments`);
    assignedCard.hidden = !mine.length;
    assignedBox.replaceChildren(table('Cases assigned to you', [
      ['Case', a => a.id], ['Condition', a => titles[a.condition] || a.condition], ['Severity', a => a.severity || 'any'],
      ['State', a => a.state], ['Score', a => (a.score == null ? '' : `${a.score}%`)],
      ['', a => a.state === 'assigned' ? h('button', { class: 'start-assignment', 'data-assignment': a.id,
        onclick: guarded(error, () => begin({ assignment: a.id })) }, 'Start this case') : null],
    ], mine.slice().reverse()));
  }

  main.append(assignedCard, form, error, stage, suggestions);
  api('GET', `/projects/${project}/sim/conditions`).then(cat => {
    titles = Object.fromEntries(cat.conditions.map(c => [c.name, c.title]));
    options(condition, cat.conditions.map(c => [c.name, c.title]), 'septic_shock');
    suggestions.replaceChildren(...[...cat.drugs.map(d => `give ${d.name}`), ...cat.orders.map(o => `order ${o.name}`)]
      .map(v => h('option', { value: v })));
    return showAssigned();
  }).catch(e => { error.textContent = e.message; });
  return stop;
}
