/**
 * The Google Sheets add-on's endpoints (`/addon/...`). Every call carries the user's Google
 * identity token; calls that keep a run going also carry the user's access token, which the
 * workers use to write results into the sheet (and which is refreshed on every poll and by
 * the add-on's hourly trigger, so writing continues while the sidebar is closed).
 *
 *   POST /addon/lists            rows of a sheet → a list (202 {listId, total})
 *   POST /addon/lists/:id/poll   {accessToken?} → progress; restarts writing if it waited
 *   POST /addon/token            {accessToken} → {lists}; from the hourly trigger
 */
import express, { Router, type Response } from 'express';
import { z } from 'zod';
import type { WebDeps } from '../web.ts';
import { requireGoogleUser, type AddonRequest, type AddonUser } from './identity.ts';
import { createSheetList, problemsOf, submission } from './submit.ts';
import { runStatus } from './status.ts';
import { requestWrite, saveToken, unwrittenLists } from '../../worker/jobs/sheets.store.ts';

const tokenBody = z.object({ accessToken: z.string().min(10).max(4096).optional() });

function badRequest(res: Response, message: string) {
  res.status(400).json({ error: 'bad_request', message });
}

export function createAddonRouter(deps: WebDeps): Router {
  const { settings, pool, boss, log } = deps;
  const router = Router();
  router.use(express.json({ limit: '20mb' }));
  router.use(requireGoogleUser({ clientIds: settings.google.clientIds, certsUrl: settings.google.certsUrl, pool, log }));
  const user = (req: AddonRequest): AddonUser => req.addonUser!;

  /** A fresh access token restarts writing for every run of this user that waited for one. */
  async function refresh(accountId: number, accessToken: string | undefined): Promise<string[]> {
    if (!accessToken) return [];
    await saveToken(pool, accountId, accessToken);
    const lists = await unwrittenLists(pool, accountId);
    for (const id of lists) await requestWrite(boss, id);
    return lists;
  }

  router.post('/lists', async (req: AddonRequest, res) => {
    const parsed = submission.safeParse(req.body);
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      return badRequest(res, `The add-on sent rows Toofr cannot read (${first.path.join('.')}: ${first.message}). Reload the sheet and try again.`);
    }
    const problem = problemsOf(parsed.data);
    if (problem) return badRequest(res, problem);
    const created = await createSheetList({ pool, boss, writeIntervalMs: settings.google.sheets.writeIntervalMs }, user(req).accountId, parsed.data);
    log.info({ listId: created.listId, rows: created.total, accountId: user(req).accountId }, 'sheet run created');
    res.status(202).json(created);
  });

  router.post('/lists/:id/poll', async (req: AddonRequest, res) => {
    const body = tokenBody.safeParse(req.body ?? {});
    if (!body.success) return badRequest(res, 'The add-on sent an unreadable access token. Reload the sheet and try again.');
    const listId = String(req.params.id);
    const status = /^[0-9a-f-]{36}$/i.test(listId) ? await runStatus(pool, listId, user(req).accountId) : undefined;
    if (!status) {
      res.status(404).json({ error: 'not_found', message: 'This run is not known to Toofr (or belongs to another Google account). Start a new run.' });
      return;
    }
    await refresh(user(req).accountId, body.data.accessToken);
    // A poll also retries held rows (the user may have undone a sort).
    if (status.phase === 'done' && status.held > 0) await requestWrite(boss, listId);
    res.json(status);
  });

  router.post('/token', async (req: AddonRequest, res) => {
    const body = tokenBody.safeParse(req.body ?? {});
    if (!body.success || !body.data.accessToken) return badRequest(res, 'Send {"accessToken": "…"} from ScriptApp.getOAuthToken().');
    const lists = await refresh(user(req).accountId, body.data.accessToken);
    res.json({ lists: lists.length });
  });

  return router;
}
