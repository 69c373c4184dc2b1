// The data steward's tables: upload a CSV (with a progress bar), see the schema the server
// inferred from it, and the project's datasets.
import { api, upload } from '../api.js';
import { h, field, table, alertBox, statusBox, guarded } from '../dom.js';

// One schema column's details in words: range, levels, format or identifier shape.
function details(c) {
  if (c.type === 'numerical') return `${c.integer ? 'integer' : `${c.decimals} decimals`}, ${c.min} – ${c.max}`;
  if (c.values) return `${c.values.length} values: ${c.values.slice(0, 8).join(', ')}${c.values.length > 8 ? ', …' : ''}`;
  if (c.type === 'datetime') return `${c.format}, ${c.min} – ${c.max}`;
  if (c.type === 'identifier') return `prefix "${c.prefix}", width ${c.width}`;
  return '';
}

export function render(main, { project }) {
  const name = h('input', { id: 'upload-name', required: true, maxlength: 200 });
  const file = h('input', { id: 'upload-file', type: 'file', accept: '.csv,text/csv', required: true,
    onchange: () => { if (!name.value && file.files[0]) name.value = file.files[0].name.replace(/\.csv$/i, ''); } });
  const bar = h('progress', { id: 'upload-progress', max: 1, value: 0, hidden: true, 'aria-label': 'upload progress' });
  const error = alertBox();
  const done = statusBox();
  const list = h('div');
  const schema = h('div', { id: 'schema' });

  function showSchema(d) {
    schema.replaceChildren(table(`Schema of ${d.name} (dataset ${d.id}, ${d.rows} rows)`,
      [['Column', c => c.name], ['Type', c => c.type], ['Details', details]],
      (d.schema && d.schema.columns) || [], { class: 'schema' }));
  }

  async function refresh() {
    const all = await api('GET', `/projects/${project}/datasets`);
    list.replaceChildren(table('Datasets of the project', [
      ['Id', d => d.id], ['Name', d => d.name], ['Kind', d => d.kind], ['Rows', d => d.rows],
      ['Columns', d => d.columns],
      ['', d => h('button', { class: 'secondary', onclick: () => showSchema(d) }, 'Schema')],
    ], all.slice().reverse(), { id: 'datasets' }));
  }

  main.append(h('div', { class: 'grid' },
    h('section', { class: 'card', 'aria-labelledby': 'upload-h' },
      h('h2', { id: 'upload-h' }, 'Upload a table'),
      h('form', { class: 'row', id: 'upload', onsubmit: guarded(error, async () => {
        done.textContent = '';
        bar.hidden = false;
        bar.value = 0;
        const d = await upload(`/projects/${project}/datasets?name=${encodeURIComponent(name.value)}`,
          file.files[0], f => { bar.value = f; });
        bar.value = 1;
        done.textContent = `Uploaded ${d.name}: ${d.rows} rows, ${d.columns} columns.`;
        showSchema(d);
        await refresh();
      }) }, field('CSV file', file), field('Name', name), h('button', { type: 'submit', id: 'upload-submit' }, 'Upload')),
      bar, error, done, schema),
    h('section', { class: 'card' }, list)));
  refresh().catch(e => { error.textContent = e.message; });
}
