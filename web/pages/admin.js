// Administration (admins only; an admin holds no data rights by being one): users (create,
// disable, enable, set a password), projects and who holds which role in them, and the audit
// trail with its verification. Every change here is itself in the audit trail.
import { api } from '../api.js';
import { h, field, table, options, alertBox, statusBox, guarded } from '../dom.js';

const ROLES = ['steward', 'analyst', 'educator', 'trainee'];
const PAGE = 50;

export function render(main, { user }) {
  const error = alertBox();
  const note = statusBox();
  const usersBox = h('div');
  const membersBox = h('div');
  const auditBox = h('div');
  let users = [], projects = [];

  // ---- users
  const newName = h('input', { id: 'new-user-name', required: true, maxlength: 200, autocomplete: 'off' });
  const newPassword = h('input', { id: 'new-user-password', type: 'password', required: true, minlength: 12, maxlength: 1024,
    autocomplete: 'new-password' });
  const newAdmin = h('input', { id: 'new-user-admin', type: 'checkbox' });
  const usersCard = h('section', { class: 'card', 'aria-labelledby': 'users-h' }, h('h2', { id: 'users-h' }, 'Users'),
    h('form', { class: 'row', id: 'new-user', onsubmit: guarded(error, async () => {
      const u = await api('POST', '/users', { name: newName.value, password: newPassword.value, admin: newAdmin.checked });
      note.textContent = `User ${u.name} created (id ${u.id}).`;
      newName.value = newPassword.value = '';
      newAdmin.checked = false;
      await refresh();
    }) }, field('Name', newName), field('Password (12 or more characters)', newPassword), field('Administrator', newAdmin),
    h('button', { type: 'submit', id: 'new-user-submit' }, 'Create user')), usersBox);

  // ---- projects and roles
  const newProject = h('input', { id: 'new-project-name', required: true, maxlength: 200 });
  const project = h('select', { id: 'members-project', onchange: () => showMembers().catch(e => { error.textContent = e.message; }) });
  const memberUser = h('select', { id: 'member-user' });
  const memberRole = h('select', { id: 'member-role' }, ROLES.map(r => h('option', { value: r }, r)));
  const projectsCard = h('section', { class: 'card', 'aria-labelledby': 'projects-h' }, h('h2', { id: 'projects-h' }, 'Projects and roles'),
    h('form', { class: 'row', id: 'new-project', onsubmit: guarded(error, async () => {
      const p = await api('POST', '/projects', { name: newProject.value });
      note.textContent = `Project ${p.name} created.`;
      newProject.value = '';
      await refresh();
      project.value = String(p.id);
      await showMembers();
    }) }, field('New project', newProject), h('button', { type: 'submit', id: 'new-project-submit' }, 'Create project')),
    h('form', { class: 'row', id: 'grant', onsubmit: guarded(error, async () => {
      await api('PUT', `/projects/${project.value}/members/${memberUser.value}`, { role: memberRole.value });
      note.textContent = 'Role given.';
      await showMembers();
    }) }, field('Project', project), field('User', memberUser), field('Role', memberRole),
    h('button', { type: 'submit', id: 'grant-submit' }, 'Give role')), membersBox);

  async function showMembers() {
    if (!project.value) return membersBox.replaceChildren();
    const members = await api('GET', `/projects/${project.value}/members`);
    membersBox.replaceChildren(table(`Members of ${projects.find(p => String(p.id) === project.value).name}`, [
      ['User', m => m.name], ['Role', m => m.role],
      ['', m => h('button', { class: 'secondary', 'aria-label': `remove ${m.name}'s role`, onclick: guarded(error, async () => {
        await api('DELETE', `/projects/${project.value}/members/${m.user}`);
        note.textContent = `${m.name} no longer has a role in the project.`;
        await showMembers();
      }) }, 'Remove')],
    ], members, { id: 'members' }));
  }

  // ---- audit trail
  const action = h('input', { id: 'audit-filter', placeholder: 'e.g. denied, login, dataset', size: 18 });
  const verdict = h('p', { id: 'audit-verdict', role: 'status' });
  let after = 0;
  const auditCard = h('section', { class: 'card', 'aria-labelledby': 'audit-h' }, h('h2', { id: 'audit-h' }, 'Audit trail'),
    h('div', { class: 'row' },
      h('button', { id: 'audit-verify', onclick: guarded(error, async () => {
        const v = await api('GET', '/audit/verify');
        verdict.className = v.ok ? 'pass' : 'fail';
        verdict.textContent = v.ok ? `Intact: ${v.entries} entries, every hash and link checked.`
          : `Broken at entry ${v.first_bad}: ${v.message}`;
      }) }, 'Verify the chain'),
      field('Show only entries containing', action),
      h('button', { class: 'secondary', id: 'audit-first', onclick: guarded(error, () => showAudit(0)) }, 'Oldest'),
      h('button', { class: 'secondary', id: 'audit-next', onclick: guarded(error, () => showAudit(after)) }, 'Next page'),
      h('button', { class: 'secondary', id: 'audit-latest', onclick: guarded(error, () => showAudit(-1)) }, 'Newest')),
    verdict, auditBox);
  action.addEventListener('input', () => render_audit());

  let entries = [];
  function render_audit() {
    const f = action.value.trim().toLowerCase();
    const shown = f ? entries.filter(e => JSON.stringify(e).toLowerCase().includes(f)) : entries;
    auditBox.replaceChildren(table(`Entries ${entries.length ? `${entries[0].seq}–${entries[entries.length - 1].seq}` : ''}`, [
      ['#', e => e.seq], ['Time (UTC)', e => e.time.replace('T', ' ').replace('Z', '')], ['Actor', e => e.actor],
      ['Action', e => e.action], ['Project', e => e.project || ''], ['Object', e => e.object],
      ['Outcome', e => h('span', { class: e.outcome === 'ok' ? 'pass' : 'fail' }, e.outcome)],
      ['Detail', e => h('code', { class: 'detail' }, JSON.stringify(e.detail))],
    ], shown, { id: 'audit' }));
  }
  // from: the seq to start after; -1 for the newest page.
  async function showAudit(from) {
    if (from < 0) {
      // The newest page: find the end by walking pages of 1000 (the API reads forwards).
      // (seq numbers have no gaps, so the last page starts PAGE before the last seq).
      let last = 0;
      for (;;) {
        const page = await api('GET', `/audit?after=${last}&limit=1000`);
        if (page.length) last = page[page.length - 1].seq;
        if (page.length < 1000) break;
      }
      from = Math.max(0, last - PAGE);
    }
    entries = await api('GET', `/audit?after=${from}&limit=${PAGE}`);
    after = entries.length ? entries[entries.length - 1].seq : from;
    render_audit();
  }

  async function refresh() {
    [users, projects] = await Promise.all([api('GET', '/users'), api('GET', '/projects')]);
    usersBox.replaceChildren(table('Accounts', [
      ['Id', u => u.id], ['Name', u => u.name], ['Admin', u => (u.admin ? 'yes' : '')],
      ['State', u => h('span', { class: u.disabled ? 'fail' : 'pass' }, u.disabled ? 'disabled' : 'active')],
      ['', u => u.id === user.id ? h('span', { class: 'muted' }, 'you') : h('button', {
        class: u.disabled ? 'secondary' : 'danger', 'aria-label': `${u.disabled ? 'enable' : 'disable'} ${u.name}`,
        onclick: guarded(error, async () => {
          await api('PATCH', `/users/${u.id}`, { disabled: !u.disabled });
          note.textContent = `${u.name} ${u.disabled ? 'enabled' : 'disabled (every session ended)'}.`;
          await refresh();
        }) }, u.disabled ? 'Enable' : 'Disable')],
    ], users, { id: 'users' }));
    const keep = project.value;
    options(project, projects.map(p => [p.id, p.name]), keep || (projects[0] && projects[0].id));
    options(memberUser, users.filter(u => !u.disabled).map(u => [u.id, u.name]));
  }

  main.append(error, note, h('div', { class: 'grid' }, usersCard, projectsCard), auditCard);
  refresh().then(showMembers).then(() => showAudit(-1)).catch(e => { error.textContent = e.message; });
}
