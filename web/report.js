// An evaluation report shown inline. An <iframe> cannot send the Authorization header, so the
// report is fetched with the token and its body placed in a shadow root: the report's own CSS
// stays inside it (as an adopted stylesheet, which the app's strict CSP allows where a <style>
// element would not), and the report has no scripts to run.
import { api } from './api.js';

export async function showReport(host, project, job) {
  const html = await api('GET', `/projects/${project}/jobs/${job}/report`);
  // The <style> elements are taken out before parsing: a parsed document falls under the app's
  // CSP too, which refuses them (and says so on the console).
  let css = '';
  const doc = new DOMParser().parseFromString(html.replace(/<style[^>]*>([\s\S]*?)<\/style>/gi, (_, text) => {
    css += text + '\n';
    return '';
  }), 'text/html');
  for (const s of doc.querySelectorAll('script')) s.remove();
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css.replace(/(^|[}\s,])(html|body)\s*\{/g, '$1:host{'));
  const root = host.shadowRoot || host.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = [sheet];
  root.replaceChildren(...doc.body.childNodes);
  host.hidden = false;
  host.setAttribute('aria-label', `evaluation report of job ${job}`);
  host.dataset.job = job;
}
