/** Server-rendered HTML: escaping and the page frame. No template engine; pages are small. */

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Tagged template that escapes every interpolation except `raw(...)` values. */
export class Raw {
  readonly html: string;
  constructor(html: string) {
    this.html = html;
  }
}
export const raw = (html: string) => new Raw(html);

export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const part = Array.isArray(v) ? v.map((x) => (x instanceof Raw ? x.html : escapeHtml(x))).join('') : v instanceof Raw ? v.html : escapeHtml(v);
    out += part + strings[i + 1]!;
  });
  return new Raw(out);
}

export interface FrameOptions {
  title: string;
  signedIn: 'key' | 'session' | 'local' | null;
  slackInstallUrl?: string;
  /** Move on to this same-site path at once (a meta refresh: no script, fine under the CSP). */
  refreshTo?: string;
}

export function page(opts: FrameOptions, body: Raw): string {
  const nav = html`<nav>
    <a href="/">Lists</a>
    <a href="/api/docs">API</a>
    ${opts.slackInstallUrl ? html`<a class="slack" href="${opts.slackInstallUrl}">Add to Slack</a>` : ''}
    ${opts.signedIn === 'session' ? html`<form method="post" action="/signout" class="inline"><button type="submit" class="link">Sign out</button></form>` : ''}
    ${opts.signedIn === 'local' ? html`<span class="badge" title="No sign-in: this server trusts requests from this computer only (LOCAL_MODE)">local mode</span>` : ''}
  </nav>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${opts.refreshTo ? `<meta http-equiv="refresh" content="0;url=${escapeHtml(opts.refreshTo)}">` : ''}<title>${escapeHtml(opts.title)} · Toofr</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/app.css"><script src="/static/app.js" defer></script></head>
<body><header><a href="/" class="brand">Toofr</a>${nav.html}</header>
<main>${body.html}</main></body></html>`;
}
