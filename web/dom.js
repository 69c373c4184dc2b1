// Small DOM helpers: elements are built with h(), never from HTML strings, so text from the
// server (dataset names, column names, orders typed by users) is always text, never markup.

// h('button', {class: 'x', onclick: fn}, 'Label', child, ...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

// A labelled input: the label wraps the control, so it is announced and clicking it focuses.
export function field(label, control) {
  return h('label', { class: 'field' }, label, control);
}

// A table of `rows`; columns: [[heading, row => cell content], ...].
export function table(caption, columns, rows, attrs = {}) {
  return h('table', attrs, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map(([name]) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, rows.length ? rows.map(r => h('tr', {}, columns.map(([, cell]) => h('td', {}, cell(r)))))
      : h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'none yet'))));
}

// Fills a <select> with [value, label] pairs, keeping the current choice when it is still
// there, else choosing `fallback` (the newest item, typically).
export function options(select, items, fallback) {
  const keep = select.value;
  select.replaceChildren(...items.map(([v, l]) => h('option', { value: String(v) }, l)));
  const values = items.map(([v]) => String(v));
  select.value = values.includes(keep) ? keep : fallback != null ? String(fallback) : values[0] || '';
}

// Runs an async action for a button or form; its error goes to `out` (an alert region), and the
// button is disabled meanwhile so that a double click does not submit twice.
export function guarded(out, fn) {
  return async e => {
    if (e && e.type === 'submit') e.preventDefault();
    const button = e && (e.submitter || (e.currentTarget instanceof HTMLButtonElement ? e.currentTarget : null));
    if (button) button.disabled = true;
    out.textContent = '';
    try { await fn(e); } catch (err) { out.textContent = err.message; } finally { if (button) button.disabled = false; }
  };
}

export const alertBox = () => h('p', { class: 'error', role: 'alert' });
export const statusBox = () => h('p', { class: 'note', role: 'status' });

// A time in seconds as m:ss.
export const clock = s => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
