// The server's JSON API (docs/server.md). The token lives in sessionStorage (gone with the tab)
// and goes in the Authorization header; WebSockets cannot carry headers, so they send ?token=.
const KEY = 'medgen.token';

export const session = {
  get token() { return sessionStorage.getItem(KEY); },
  set token(t) { if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function headers(extra = {}) {
  return session.token ? { Authorization: 'Bearer ' + session.token, ...extra } : extra;
}

async function answer(r) {
  const json = (r.headers.get('content-type') || '').startsWith('application/json');
  const data = json ? await r.json() : await r.text();
  if (!r.ok) throw new ApiError(r.status, (json && data.error && data.error.message) || `${r.status} ${r.statusText}`);
  return data;
}

// api('POST', '/projects/1/jobs/fit', {...}) -> the parsed answer (JSON, or text for CSV/HTML).
export async function api(method, path, body) {
  const init = { method, headers: headers() };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return answer(await fetch('/api/v1' + path, init));
}

// Uploads a file as the request body. fetch() reports no upload progress, XMLHttpRequest does.
export function upload(path, file, onProgress, type = 'text/csv') {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', '/api/v1' + path);
    for (const [k, v] of Object.entries(headers({ 'Content-Type': type }))) x.setRequestHeader(k, v);
    x.upload.onprogress = e => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    x.onload = () => {
      let data = null;
      try { data = JSON.parse(x.responseText); } catch { /* not JSON: use the status line */ }
      if (x.status >= 200 && x.status < 300) resolve(data);
      else reject(new ApiError(x.status, (data && data.error && data.error.message) || `${x.status} ${x.statusText}`));
    };
    x.onerror = () => reject(new ApiError(0, 'the upload failed (network)'));
    x.send(file);
  });
}

// A WebSocket of the API whose JSON messages go to onMessage.
export function socket(path, onMessage) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${proto}//${location.host}/api/v1${path}?token=${encodeURIComponent(session.token)}`);
  ws.onmessage = e => onMessage(JSON.parse(e.data));
  return ws;
}

// A binary answer (a volume for the viewer) as an ArrayBuffer, with the token.
export async function binary(path) {
  const r = await fetch('/api/v1' + path, { headers: headers() });
  if (!r.ok) {
    let message = `${r.status} ${r.statusText}`;
    try { message = (await r.json()).error.message || message; } catch { /* not JSON */ }
    throw new ApiError(r.status, message);
  }
  return r.arrayBuffer();
}
