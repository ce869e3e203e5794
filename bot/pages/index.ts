/**
 * The web pages: `/` (your lists with live progress, upload, download) and `/lists/:id` (counts
 * by status and the bad rows with their reasons). Server-rendered; /static/app.js uploads
 * through the API and polls it for progress. Signed in by an API-key session, a Sign in with Slack
 * session (with Slack OAuth configured; slack-signin.ts), or nobody needs to sign in in local
 * single-user mode (requests from this machine only).
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { WebDeps } from '../web.ts';
import { createAuthenticator, type Caller } from '../api/auth.ts';
import { ApiError } from '../api/errors.ts';
import { getList, type ListRow } from '../../core/lists/store.ts';
import { listJson } from '../api/lists.ts';
import { monthlyUsage } from '../api/quota.ts';
import { html, page, type Raw } from './html.ts';
import { sessionRoutes, signInPage } from './session.ts';
import { slackSignInRoutes } from './slack-signin.ts';

const STATIC = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function bar(l: ReturnType<typeof listJson>): Raw {
  const pct = Math.round(l.progress * 100);
  return html`<progress class="bar" max="100" value="${pct}" aria-label="progress of ${l.filename ?? 'list'}"></progress> <span class="pct">${pct} %</span>`;
}

function listRow(l: ReturnType<typeof listJson>): Raw {
  const ready = l.status === 'done' || l.status === 'delivering';
  return html`<tr data-list-id="${l.id}" data-status="${l.status}">
  <td><a href="/lists/${l.id}">${l.filename ?? 'list'}</a></td>
  <td><time datetime="${l.created_at}">${l.created_at.slice(0, 16).replace('T', ' ')}</time></td>
  <td class="status">${l.status}</td>
  <td class="progress">${bar(l)}</td>
  <td class="counts">${l.found} found · ${l.processed} looked up · ${l.bad_rows} skipped · ${l.total_rows} rows</td>
  <td class="download">${ready ? html`<a href="${l.results_url}" download>Download</a>` : ''}</td>
</tr>`;
}

export function mountPages(app: Express, deps: WebDeps): void {
  const auth = createAuthenticator(deps);
  const slackInstallUrl = deps.settings.slack.oauth ? '/slack/install' : undefined;

  app.use('/static', express.static(STATIC, { maxAge: '10m', index: false }));
  // Browsers ask for it on every page; an empty answer beats a 404 in every console.
  app.get('/favicon.ico', (_req, res) => void res.status(204).set('Cache-Control', 'max-age=86400').end());
  app.use((_req, res, next) => {
    res.set({ 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' });
    next();
  });
  app.use(sessionRoutes(deps));
  if (deps.settings.slack.oauth) app.use(slackSignInRoutes(deps));

  /** Page auth: a session, local mode, or a redirect to sign in. */
  async function signedIn(req: Request, res: Response, next: NextFunction) {
    let caller: Caller | undefined;
    try {
      caller = await auth.identify(req);
    } catch (err) {
      if (err instanceof ApiError) return void res.status(err.status).type('html').send(signInPage(err.message, { slack: deps.settings.slack.oauth }));
      throw err;
    }
    if (!caller) return void res.redirect(303, '/signin');
    res.locals.caller = caller;
    next();
  }

  app.get('/', signedIn, async (_req, res) => {
    const caller = res.locals.caller as Caller;
    const { rows } = await deps.pool.query<ListRow>('SELECT * FROM lists WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT 50', [caller.accountId]);
    const usage = await monthlyUsage(deps.pool, caller.accountId, deps.settings.api.monthlyLookupQuota);
    const lists = rows.map(listJson);
    res.type('html').send(
      page(
        { title: 'Lists', signedIn: caller.via, slackInstallUrl },
        html`<section class="card">
  <h1>Find emails for a list</h1>
  <p>A CSV with first and last names (or full names) and a company domain or website; any common header names.</p>
  <form id="upload" method="post" action="/api/v1/lists" enctype="multipart/form-data">
    <input type="file" name="file" accept=".csv,.tsv,.txt,text/csv" required>
    <button type="submit">Upload</button>
    <span class="upload-status" role="status" aria-live="polite"></span>
  </form>
  <p class="muted">This month: ${usage.found} addresses found${usage.quota ? ` of ${usage.quota}` : ''}.</p>
</section>
<section class="card">
  <h2>Your lists</h2>
  <table class="lists" data-live="lists">
    <thead><tr><th>file</th><th>uploaded (UTC)</th><th>status</th><th>progress</th><th>counts</th><th></th></tr></thead>
    <tbody>${lists.map(listRow)}</tbody>
  </table>
  ${lists.length ? '' : html`<p class="empty muted">No lists yet. Upload a CSV above.</p>`}
</section>`,
      ),
    );
  });

  app.get('/lists/:id', signedIn, async (req, res) => {
    const caller = res.locals.caller as Caller;
    const list = await getList(deps.pool, String(req.params.id), caller.accountId);
    if (!list) return void res.status(404).type('html').send(page({ title: 'Not found', signedIn: caller.via }, html`<section class="card"><h1>No such list</h1><p><a href="/">Your lists</a></p></section>`));
    const l = listJson(list);
    const { rows: byStatus } = await deps.pool.query<{ status: string; n: number }>(
      `SELECT CASE WHEN status = 'done' THEN COALESCE(result->>'status', 'done') WHEN status = 'bad' THEN 'skipped' ELSE status END AS status, count(*)::int AS n
         FROM records WHERE list_id = $1 GROUP BY 1 ORDER BY 2 DESC`,
      [list.id],
    );
    const { rows: bad } = await deps.pool.query<{ line: number; raw: string[]; reason: string | null }>(
      `SELECT line, raw, reason FROM records WHERE list_id = $1 AND status IN ('bad', 'failed') ORDER BY ordinal LIMIT 200`,
      [list.id],
    );
    const ready = l.status === 'done' || l.status === 'delivering';
    res.type('html').send(
      page(
        { title: l.filename ?? 'List', signedIn: caller.via, slackInstallUrl },
        html`<section class="card" data-live="list" data-list-id="${l.id}" data-status="${l.status}">
  <h1>${l.filename ?? 'List'}</h1>
  <p><span class="status">${l.status}</span> · <span class="progress">${bar(l)}</span></p>
  ${l.error ? html`<p class="error">${l.error}</p>` : ''}
  <p class="counts">${l.found} found · ${l.processed} looked up · ${l.bad_rows} skipped · ${l.total_rows} rows</p>
  <p class="download">${ready ? html`<a href="${l.results_url}" download>Download results</a>` : ''}</p>
  <h2>By status</h2>
  <table class="by-status"><tbody>${byStatus.map((s) => html`<tr><td>${s.status}</td><td class="num">${s.n}</td></tr>`)}</tbody></table>
  ${list.status === 'queued' || list.status === 'importing' ? html`<p class="muted">Counts appear once the file has been read.</p>` : ''}
</section>
<section class="card">
  <h2>Rows that could not be looked up</h2>
  ${bad.length
    ? html`<table class="bad-rows"><thead><tr><th>line</th><th>row</th><th>reason</th></tr></thead><tbody>${bad.map((b) => html`<tr><td class="num">${b.line}</td><td>${b.raw.join(', ')}</td><td>${b.reason ?? ''}</td></tr>`)}</tbody></table>
       ${list.bad_rows > bad.length ? html`<p class="muted">Showing the first ${bad.length}; every row and its reason is in the results file.</p>` : ''}`
    : html`<p class="muted">None.</p>`}
</section>`,
      ),
    );
  });
}
