/**
 * Apps Script stand-ins for running the built add-on (sheets-addon/dist/Code.js) in Node, the
 * way Apps Script runs it: one classic script in one global scope, calling SpreadsheetApp,
 * HtmlService, PropertiesService, ScriptApp and UrlFetchApp synchronously.
 *
 * UrlFetchApp really talks HTTP: the request runs on a worker thread while this thread blocks
 * (Atomics.wait), so the add-on reaches a real web process (a child process in the tests), and
 * the manifest's urlFetchWhitelist is enforced as Apps Script does. The active sheet's cells are
 * a FakeSheet, the same object the fake Sheets API serves, so what the workers write through
 * the Sheets API shows up in the sheet the add-on reads.
 */
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { FakeSheet } from './sheets.ts';

export interface FetchLog {
  url: string;
  method: string;
  headers: Record<string, string>;
  payload: unknown;
  status: number;
}

export interface GasWorld {
  spreadsheetId: string;
  sheetId: number;
  sheet: FakeSheet;
  documentProperties: Map<string, string>;
  userProperties: Map<string, string>;
  triggers: Array<{ handler: string; everyHours: number }>;
  menu: Array<{ caption: string; functionName: string }>;
  sidebars: Array<{ title: string; html: string }>;
  fetches: FetchLog[];
  identityToken: () => string | null;
  oauthToken: () => string;
  /** Rewrites the URL the add-on fetches (its baked-in PUBLIC_URL) to where the backend listens. */
  route: (url: string) => string;
}

/** A synchronous HTTP client: a worker thread does the fetch while the caller blocks. */
export class SyncHttp {
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly port;
  private readonly worker: Worker;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const flag = new Int32Array(workerData.shared);
       workerData.port.on('message', async (req) => {
         let out;
         try {
           const r = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, redirect: 'follow' });
           out = { status: r.status, body: await r.text() };
         } catch (e) {
           out = { error: String((e.cause && e.cause.code) || e.message) };
         }
         workerData.port.postMessage(out);
         Atomics.store(flag, 0, 1);
         Atomics.notify(flag, 0);
       });`,
      { eval: true, workerData: { shared: this.flag.buffer, port: port2 }, transferList: [port2] },
    );
  }

  request(req: { url: string; method: string; headers: Record<string, string>; body?: string }): { status: number; body: string } | { error: string } {
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(req);
    if (Atomics.wait(this.flag, 0, 0, 30_000) === 'timed-out') return { error: 'timed out after 30 s' };
    return receiveMessageOnPort(this.port)!.message;
  }

  async close(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }
}

function displayGrid(rows: string[][], height: number, width: number): string[][] {
  return Array.from({ length: height }, (_, r) => Array.from({ length: width }, (_, c) => String(rows[r]?.[c] ?? '')));
}

function properties(store: Map<string, string>) {
  return {
    getProperty: (k: string) => store.get(k) ?? null,
    setProperty(k: string, v: string) {
      if (Buffer.byteLength(v) > 9 * 1024) throw new Error('Exception: Argument too large: value');
      store.set(k, String(v));
      return this;
    },
    deleteProperty(k: string) {
      store.delete(k);
      return this;
    },
  };
}

/** Evaluates the built add-on with stand-ins; returns its global scope (the top-level functions). */
export function loadAddon(dist: string, world: GasWorld, http: SyncHttp): Record<string, (...args: unknown[]) => unknown> {
  const manifest = JSON.parse(fs.readFileSync(path.join(dist, 'appsscript.json'), 'utf8')) as { urlFetchWhitelist?: string[] };
  const sheet = {
    getSheetId: () => world.sheetId,
    getName: () => world.sheet.title,
    getLastColumn: () => Math.max(0, ...world.sheet.rows.map((r) => r.length)),
    getDataRange() {
      const rows = world.sheet.rows;
      return this.getRange(1, 1, Math.max(1, rows.length), Math.max(1, this.getLastColumn()));
    },
    getRange(row: number, column: number, numRows = 1, numColumns = 1) {
      const range = {
        getDisplayValues: () => displayGrid(world.sheet.rows.slice(row - 1), numRows, numColumns).map((r, i) =>
          r.map((_, j) => String(world.sheet.rows[row - 1 + i]?.[column - 1 + j] ?? ''))),
        setValues(values: unknown[][]) {
          if (values.length !== numRows) throw new Error(`Exception: The number of rows in the data does not match the number of rows in the range. The data has ${values.length} but the range has ${numRows}.`);
          values.forEach((line, i) => {
            if (line.length !== numColumns) throw new Error(`Exception: The number of columns in the data does not match the number of columns in the range. The data has ${line.length} but the range has ${numColumns}.`);
            const r = row - 1 + i;
            while (world.sheet.rows.length <= r) world.sheet.rows.push([]);
            line.forEach((v, j) => {
              const target = world.sheet.rows[r]!;
              while (target.length < column - 1 + j) target.push('');
              target[column - 1 + j] = String(v);
            });
          });
          return range;
        },
      };
      return range;
    },
  };
  const trigger = (t: { handler: string }) => ({ getHandlerFunction: () => t.handler, __t: t });

  const globals = {
    console,
    SpreadsheetApp: {
      getActiveSpreadsheet: () => ({ getId: () => world.spreadsheetId, getActiveSheet: () => sheet }),
      getUi: () => ({
        createAddonMenu() {
          const items: Array<{ caption: string; functionName: string }> = [];
          const menu = {
            addItem(caption: string, functionName: string) {
              items.push({ caption, functionName });
              return menu;
            },
            addToUi() {
              world.menu.push(...items);
            },
          };
          return menu;
        },
        showSidebar: (out: { title: string; html: string }) => void world.sidebars.push({ title: out.title, html: out.html }),
      }),
    },
    HtmlService: {
      createHtmlOutputFromFile(name: string) {
        const out = {
          html: fs.readFileSync(path.join(dist, `${name}.html`), 'utf8'),
          title: '',
          setTitle(t: string) {
            out.title = t;
            return out;
          },
        };
        return out;
      },
    },
    PropertiesService: {
      getDocumentProperties: () => properties(world.documentProperties),
      getUserProperties: () => properties(world.userProperties),
    },
    ScriptApp: {
      getIdentityToken: () => world.identityToken(),
      getOAuthToken: () => world.oauthToken(),
      getProjectTriggers: () => world.triggers.map(trigger),
      newTrigger: (handler: string) => ({
        timeBased: () => {
          const b = {
            hours: 0,
            everyHours(n: number) {
              // Add-ons may not run time-driven triggers more often than hourly.
              if (n < 1) throw new Error('Exception: Add-ons may not run triggers more often than once an hour.');
              b.hours = n;
              return b;
            },
            create() {
              const t = { handler, everyHours: b.hours };
              world.triggers.push(t);
              return trigger(t);
            },
          };
          return b;
        },
      }),
      deleteTrigger: (t: { __t: { handler: string } }) => {
        world.triggers.splice(world.triggers.indexOf(t.__t as GasWorld['triggers'][number]), 1);
      },
    },
    UrlFetchApp: {
      fetch(url: string, params: { method?: string; contentType?: string; payload?: string; headers?: Record<string, string>; muteHttpExceptions?: boolean } = {}) {
        if (!(manifest.urlFetchWhitelist ?? []).some((prefix) => url.startsWith(prefix))) {
          throw new Error(`Exception: UrlFetch calls to ${url} are not permitted by your manifest. Add it to urlFetchWhitelist.`);
        }
        const method = (params.method ?? 'get').toUpperCase();
        const headers = { ...(params.headers ?? {}), ...(params.contentType ? { 'content-type': params.contentType } : {}) };
        const res = http.request({ url: world.route(url), method, headers, body: params.payload });
        const log: FetchLog = { url, method, headers, payload: params.payload ? JSON.parse(params.payload) : undefined, status: 'status' in res ? res.status : 0 };
        world.fetches.push(log);
        if ('error' in res) throw new Error(`Exception: Address unavailable: ${url} (${res.error})`);
        if (res.status >= 400 && !params.muteHttpExceptions) throw new Error(`Exception: Request failed for ${url} returned code ${res.status}. Truncated server response: ${res.body.slice(0, 100)}`);
        return { getResponseCode: () => res.status, getContentText: () => res.body };
      },
    },
  };
  const ctx = vm.createContext(globals);
  for (const f of fs.readdirSync(dist).filter((f) => /\.(js|gs)$/.test(f)).sort()) {
    vm.runInContext(fs.readFileSync(path.join(dist, f), 'utf8'), ctx, { filename: f });
  }
  return ctx as unknown as Record<string, (...args: unknown[]) => unknown>;
}
