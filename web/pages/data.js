// The data steward's data: upload a CSV table, a dataset of several tables (a zip or tar of its
// folder) or FHIR R4 (with a progress bar), then check and edit a table's schema
// the server inferred as a form, with its warnings (free text left out, identifiers
// regenerated, dates whose day and month can be swapped, columns that may name people). The
// saved schema is checked by the server against the rows and is what later fits use.
import { api, upload } from '../api.js';
import { h, field, table, alertBox, statusBox, guarded } from '../dom.js';

const TYPES = ['numerical', 'categorical', 'boolean', 'datetime', 'identifier', 'text'];
const TYPE_HELP = {
  numerical: 'numbers; synthetic values are clipped to the range and rounded',
  categorical: 'a finite set of labels',
  boolean: 'two labels, the false one first',
  datetime: 'dates or times in the given format',
  identifier: 'unique per row; regenerated, never learned',
  text: 'free text or personal data; left out of learning and of synthetic rows',
};

// One column's editor: a type and the fields of that type; .value() gives its JSON.
function columnEditor(c, i) {
  const id = k => `col-${i}-${k}`;
  const type = h('select', { id: id('type'), 'data-column': c.name, 'aria-label': `type of ${c.name}` }, TYPES.map(t => h('option', { value: t, title: TYPE_HELP[t] }, t)));
  type.value = c.type;
  const integer = h('input', { id: id('integer'), type: 'checkbox', checked: !!c.integer });
  const decimals = h('input', { id: id('decimals'), type: 'number', min: 0, max: 15, value: String(c.decimals ?? 0), size: 3 });
  const min = h('input', { id: id('min'), type: 'number', step: 'any', value: c.type === 'numerical' && c.min != null ? String(c.min) : '', size: 8 });
  const max = h('input', { id: id('max'), type: 'number', step: 'any', value: c.type === 'numerical' && c.max != null ? String(c.max) : '', size: 8 });
  const values = h('textarea', { id: id('values'), rows: 3, cols: 22 }, (c.values || []).join('\n'));
  const format = h('input', { id: id('format'), value: c.format || '%Y-%m-%d', size: 12 });
  const prefix = h('input', { id: id('prefix'), value: c.prefix || '', size: 6, maxlength: 40 });
  const width = h('input', { id: id('width'), type: 'number', min: 0, max: 40, value: String(c.width ?? 0), size: 3 });
  const parts = {
    numerical: h('div', { class: 'row' }, field('Whole numbers', integer), field('Decimals', decimals), field('Min', min), field('Max', max)),
    categorical: field('Labels (one a line)', values),
    boolean: null,
    datetime: field('Format (strftime)', format),
    identifier: h('div', { class: 'row' }, field('Prefix', prefix), field('Digits', width)),
    text: h('span', { class: 'muted' }, TYPE_HELP.text),
  };
  parts.boolean = parts.categorical;
  const detail = h('div', {});
  const show = () => {
    detail.replaceChildren(...[parts[type.value]].filter(Boolean));
    parts.categorical.firstChild.textContent = type.value === 'boolean' ? 'Labels (false, then true)' : 'Labels (one a line)';
  };
  type.addEventListener('change', show);
  show();
  const num = (input, label) => {
    if (input.value.trim() === '') return undefined;
    const x = Number(input.value);
    if (!Number.isFinite(x)) throw new Error(`${c.name}: ${label} is not a number`);
    return x;
  };
  function value() {
    const t = type.value;
    // The same type keeps what the form does not show (a date column's range, say).
    const out = t === c.type ? { ...c } : { name: c.name, type: t };
    if (t === 'numerical') {
      out.integer = integer.checked;
      out.decimals = integer.checked ? 0 : Math.max(0, Math.round(num(decimals, 'decimals') || 0));
      for (const [k, input] of [['min', min], ['max', max]]) {
        const x = num(input, k);
        if (x === undefined) delete out[k]; else out[k] = x;
      }
    } else if (t === 'categorical' || t === 'boolean') {
      out.values = values.value.split('\n').map(s => s.trim()).filter(Boolean);
      if (!out.values.length) throw new Error(`${c.name}: give the labels, one a line`);
    } else if (t === 'datetime') {
      if (!format.value.includes('%')) throw new Error(`${c.name}: the format needs % fields, e.g. %Y-%m-%d`);
      out.format = format.value;
    } else if (t === 'identifier') {
      out.prefix = prefix.value;
      out.width = Math.max(0, Math.round(num(width, 'digits') || 0));
    }
    return out;
  }
  return { type, detail, value };
}

// What an uploaded file is, from its name: a table, a dataset folder packed as an archive, or FHIR.
function formatOf(fileName) {
  if (/\.(zip|tar|tgz|tar\.gz)$/i.test(fileName)) return 'records';
  if (/\.(json|ndjson)$/i.test(fileName)) return 'fhir';
  return 'csv';
}

// A dataset of several tables: its tables, keys, relations and times, and what inference said.
function recordsView(d, notes) {
  const tables = (d.schema && d.schema.tables) || [];
  const keys = t => [t.primary_key ? `key ${t.primary_key}` : '',
    ...(t.foreign_keys || []).map(f => `${f.column} → ${f.parent}`),
    t.entity_key ? `entity ${t.entity_key}` : '', t.time && t.time.column ? `time ${t.time.column}` : ''].filter(Boolean).join(', ');
  return h('div', { id: 'records-schema' },
    h('h3', { id: 'schema-h' }, `Dataset ${d.name} (dataset ${d.id}, ${d.rows} patients, ${tables.length} tables)`),
    table('Tables', [['Table', t => t.name], ['File', t => t.file || ''], ['Keys, relations, time', keys],
      ['Columns', t => (t.columns || []).map(c => `${c.name} (${c.type})`).join(', ')]], tables, { class: 'schema' }),
    notes && notes.length ? h('div', { class: 'warnbox' }, h('p', {}, 'What the inference guessed (edit dataset.json and upload again to change it):'),
      h('ul', { id: 'schema-notes' }, notes.map(n => h('li', {}, n)))) : null);
}

export function render(main, { project }) {
  const name = h('input', { id: 'upload-name', required: true, maxlength: 200 });
  const format = h('select', { id: 'upload-format' },
    [['csv', 'a table (CSV)'], ['records', 'records: a folder of tables (zip or tar)'], ['fhir', 'FHIR R4 (Bundle or NDJSON)']]
      .map(([v, t]) => h('option', { value: v }, t)));
  const file = h('input', { id: 'upload-file', type: 'file', accept: '.csv,text/csv,.zip,.tar,.tgz,.gz,.json,.ndjson', required: true,
    onchange: () => {
      const f = file.files[0];
      if (!f) return;
      format.value = formatOf(f.name);
      if (!name.value) name.value = f.name.replace(/\.(csv|zip|tar|tgz|tar\.gz|json|ndjson)$/i, '');
    } });
  const bar = h('progress', { id: 'upload-progress', max: 1, value: 0, hidden: true, 'aria-label': 'upload progress' });
  const error = alertBox();
  const done = statusBox();
  const list = h('div');
  const schema = h('div', { id: 'schema' });

  // The schema form of dataset d with `warnings` ([{column, kind, message}]).
  function showSchema(d, columns, warnings) {
    const formError = alertBox();
    const saved = statusBox();
    const editors = columns.map((c, i) => columnEditor(c, i));
    const byColumn = {};
    for (const w of warnings) (byColumn[w.column] = byColumn[w.column] || []).push(w);
    const warnList = h('ul', { id: 'schema-warnings', class: 'warnings', 'aria-label': 'schema warnings' },
      warnings.map(w => h('li', { 'data-kind': w.kind }, h('strong', {}, w.column), ': ', w.message)));
    const form = h('form', { id: 'schema-form', 'aria-labelledby': 'schema-h', onsubmit: guarded(formError, async () => {
      const body = { columns: editors.map(e => e.value()) };
      const r = await api('PUT', `/projects/${project}/datasets/${d.id}/schema`, body);
      showSchema(r, r.schema.columns, r.warnings || []);
      document.querySelector('#schema [role=status]').textContent =
        `Schema of ${r.name} saved: the next fits of this table use it.`;
      await refresh();
    }) },
    h('h3', { id: 'schema-h' }, `Schema of ${d.name} (dataset ${d.id}, ${d.rows} rows)`),
    warnings.length ? h('div', { class: 'warnbox' }, h('p', {}, `${warnings.length} warning(s) to check before fitting:`), warnList)
      : h('p', { class: 'pass', id: 'schema-warnings' }, 'No warnings.'),
    table('Columns', [
      ['Column', (c, i) => c.name], ['Type', c => editors[columns.indexOf(c)].type],
      ['Details', c => editors[columns.indexOf(c)].detail],
      ['Warnings', c => (byColumn[c.name] || []).map(w => h('div', { class: 'warn' }, w.message))],
    ], columns, { class: 'schema' }),
    h('div', { class: 'row' }, h('button', { type: 'submit', id: 'schema-save' }, 'Save schema')),
    formError, saved);
    schema.replaceChildren(form);
  }

  async function openSchema(d) {
    if (d.format === 'records') return schema.replaceChildren(recordsView(d, []));
    const r = await api('GET', `/projects/${project}/datasets/${d.id}/schema`);
    showSchema(d, r.schema.columns, r.warnings);
  }

  async function refresh() {
    const all = await api('GET', `/projects/${project}/datasets`);
    list.replaceChildren(table('Datasets of the project', [
      ['Id', d => d.id], ['Name', d => d.name], ['Kind', d => d.kind],
      ['Rows', d => d.format === 'records' ? `${d.rows} patients` : d.rows],
      ['Columns', d => d.format === 'records' ? `${d.columns} tables` : d.columns],
      ['', d => d.kind === 'real' ? h('button', { class: 'secondary edit-schema', onclick: guarded(error, () => openSchema(d)) }, 'Schema') : null],
    ], all.slice().reverse(), { id: 'datasets' }));
  }

  main.append(h('section', { class: 'card', 'aria-labelledby': 'upload-h' },
    h('h2', { id: 'upload-h' }, 'Upload data'),
    h('form', { class: 'row', id: 'upload', onsubmit: guarded(error, async () => {
      done.textContent = '';
      bar.hidden = false;
      bar.value = 0;
      const d = await upload(`/projects/${project}/datasets?name=${encodeURIComponent(name.value)}&format=${format.value}`,
        file.files[0], f => { bar.value = f; });
      bar.value = 1;
      if (d.format === 'records') {
        done.textContent = `Uploaded ${d.name}: ${d.rows} patients in ${d.columns} tables.`;
        schema.replaceChildren(recordsView(d, d.notes || []));
      } else {
        done.textContent = `Uploaded ${d.name}: ${d.rows} rows, ${d.columns} columns.`;
        showSchema(d, d.schema.columns, d.warnings || []);
      }
      await refresh();
    }) }, field('File', file), field('What it is', format), field('Name', name),
    h('button', { type: 'submit', id: 'upload-submit' }, 'Upload')),
    bar, error, done),
  h('section', { class: 'card' }, schema),
  h('section', { class: 'card' }, list));
  refresh().catch(e => { error.textContent = e.message; });
}
