// medgen's web app: plain ES modules, HTML and CSS served by `medgen serve` itself, with no
// framework, no build step and zero runtime dependencies. Nothing is fetched from anywhere else
// (it works offline, under a CSP of 'self' only), and the first paint needs only these files.
// Charts and the monitor's traces are drawn on <canvas> by our own code (monitor.js).
//
// The shell: sign-in, the project chooser and the navigation, which offers a role only the
// pages it may use (docs/server.md's table). Pages live in pages/*.js and export
// render(main, ctx) -> an optional cleanup (closing WebSockets, stopping animations).
import { api, session, ApiError } from './api.js';
import { h, field } from './dom.js';
import * as signin from './pages/signin.js';
import * as data from './pages/data.js';
import * as synth from './pages/synth.js';
import * as releases from './pages/releases.js';
import * as patient from './pages/patient.js';
import * as images from './pages/images.js';
import * as teach from './pages/teach.js';
import * as admin from './pages/admin.js';

// roles: the project roles a page is for; admin: for administrators, whatever the project.
const PAGES = {
  data: { title: 'Data', roles: ['steward'], page: data },
  synth: { title: 'Synthesize', roles: ['steward', 'analyst'], page: synth },
  releases: { title: 'Releases', roles: ['steward', 'analyst'], page: releases },
  images: { title: 'Images', roles: ['steward', 'analyst'], page: images },
  patient: { title: 'Virtual patient', roles: ['educator', 'trainee'], page: patient },
  teach: { title: 'Teaching', roles: ['educator'], page: teach },
  admin: { title: 'Administration', roles: [], admin: true, page: admin },
};
const PROJECT_KEY = 'medgen.project';

const state = { me: null, projects: [], project: null, cleanup: null };
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

const allowed = () => Object.keys(PAGES).filter(k => (PAGES[k].admin && state.me && state.me.admin) ||
  (state.project && PAGES[k].roles.includes(state.project.role)));

async function signOut() {
  try { await api('POST', '/logout'); } catch { /* an expired token is signed out already */ }
  session.token = null;
  sessionStorage.removeItem(PROJECT_KEY);
  Object.assign(state, { me: null, projects: [], project: null });
  location.hash = '';
  render();
}

async function signedIn() {
  state.me = await api('GET', '/me');
  state.projects = (await api('GET', '/projects')).filter(p => p.role);
  const saved = Number(sessionStorage.getItem(PROJECT_KEY));
  state.project = state.projects.find(p => p.id === saved) || state.projects[0] || null;
  render();
}

function header() {
  const pages = allowed();
  nav.replaceChildren(...pages.map(k => h('a', {
    href: '#/' + k, 'aria-current': currentPage() === k ? 'page' : null, 'data-page': k,
  }, PAGES[k].title)));
  if (!state.me) return who.replaceChildren();
  const choose = h('select', { id: 'project', onchange: e => {
    state.project = state.projects.find(p => String(p.id) === e.target.value);
    sessionStorage.setItem(PROJECT_KEY, state.project.id);
    location.hash = '';
    render();
  } }, state.projects.map(p => h('option', { value: String(p.id) }, `${p.name} (${p.role})`)));
  if (state.project) choose.value = String(state.project.id);
  who.replaceChildren(
    state.projects.length ? field('Project', choose) : null,
    h('span', { id: 'user' }, state.me.user),
    h('button', { id: 'signout', class: 'secondary', onclick: signOut }, 'Sign out'));
}

function currentPage() {
  const want = location.hash.replace(/^#\//, '');
  const pages = allowed();
  return pages.includes(want) ? want : pages[0];
}

function render() {
  if (state.cleanup) state.cleanup();
  state.cleanup = null;
  main.replaceChildren();
  header();
  if (!state.me) {
    signin.render(main, { onSignedIn: signedIn });
    return;
  }
  const key = currentPage();
  if (!key) {
    main.append(h('div', { class: 'card' }, h('h2', {}, 'No project'),
      h('p', {}, 'You have no role in a project yet: an administrator can give you one.')));
    return;
  }
  document.title = `${PAGES[key].title} · medgen`;
  const ctx = { project: state.project && state.project.id, role: state.project && state.project.role, user: state.me };
  state.cleanup = PAGES[key].page.render(main, ctx) || null;
  main.focus();
}

// An expired or revoked token anywhere: back to the sign-in page.
window.addEventListener('unhandledrejection', e => {
  if (e.reason instanceof ApiError && e.reason.status === 401) { e.preventDefault(); signOut(); }
});
window.addEventListener('hashchange', () => { if (state.me) render(); });

if (session.token) signedIn().catch(() => { session.token = null; render(); });
else render();
