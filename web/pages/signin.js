// Sign in with a user name and password; the token goes to sessionStorage (api.js).
import { api, session } from '../api.js';
import { h, field, alertBox, guarded } from '../dom.js';

export function render(main, { onSignedIn }) {
  const user = h('input', { id: 'signin-user', name: 'user', autocomplete: 'username', required: true });
  const password = h('input', { id: 'signin-password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true });
  const error = alertBox();
  main.append(h('form', { class: 'card signin', id: 'signin', onsubmit: guarded(error, async () => {
    const r = await api('POST', '/login', { user: user.value.trim(), password: password.value });
    session.token = r.token;
    await onSignedIn();
  }) }, h('h2', {}, 'Sign in to medgen'), field('User name', user), field('Password', password), error,
  h('button', { type: 'submit' }, 'Sign in')));
  user.focus();
}
