/**
 * npm run bench:classify — the company classifier on the held-out pages it never trained on
 * (core/classify/data/heldout/): top-1 / top-3 accuracy, agency precision and recall, time to
 * train and to classify a page; then fetch + classify of every held-out page served as a homepage
 * by a local HTTP server (loopback only), p50/p95.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { loadSettings } from '../../core/config.ts';
import { defaultClassifier, loadCorpus, trainClassifier } from '../../core/classify/classifier.ts';
import { evaluate, loadHeldout } from '../../core/classify/evaluate.ts';
import { classifyCompany } from '../../core/classify/company.ts';
import { fmt } from './bench-db.ts';

const pct = (x: number) => `${fmt(100 * x, 1)} %`;
const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');

const t0 = performance.now();
const trained = trainClassifier(loadCorpus());
const trainMs = performance.now() - t0;
const heldout = loadHeldout();
const ev = evaluate(trained, heldout);

// Every held-out page as a homepage: /<n> on one local server, fetched through the real fetcher.
const escape = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
const server = http.createServer((req, res) => {
  const ex = heldout[Number(/^site(\d+)\./.exec(req.headers.host ?? '')?.[1] ?? -1)];
  if (!ex) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><head><title>Home</title></head><body><p>${escape(ex.text)}</p></body></html>`);
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const port = (server.address() as AddressInfo).port;
// https is tried first: point it at a port nobody listens on, so the fetcher falls back to http.
const closed = http.createServer().listen(0, '127.0.0.1');
await once(closed, 'listening');
const closedPort = (closed.address() as AddressInfo).port;
closed.close();
const settings = loadSettings({ ALLOW_PRIVATE_WEB: 'true', NODE_ENV: 'production' });
const classifier = defaultClassifier();
const times: number[] = [];
let right = 0;
for (let i = 0; i < heldout.length; i++) {
  const started = performance.now();
  // siteN.test resolves to the local server (ALLOW_PRIVATE_WEB accepts .test names and loopback).
  const r = await classifyCompany(`site${i}.test`, { settings, classifier, fetch: { resolveHost: async () => ['127.0.0.1'], ports: { http: port, https: closedPort } } });
  times.push(performance.now() - started);
  if (r.industry === heldout[i]!.industry) right++;
}
server.close();
times.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!;

process.stdout.write(
  [
    `bench:classify — ${heldout.length} held-out pages, ${loadCorpus().length} training examples, node ${process.version}`,
    `  top-1              ${pct(ev.top1)}   target ≥ 80 %   ${mark(ev.top1 >= 0.8)}`,
    `  top-3              ${pct(ev.top3)}   target ≥ 95 %   ${mark(ev.top3 >= 0.95)}`,
    `  agency precision   ${pct(ev.agency.precision)} (${ev.agency.tp} of ${ev.agency.tp + ev.agency.fp})   target ≥ 90 %   ${mark(ev.agency.precision >= 0.9)}`,
    `  agency recall      ${pct(ev.agency.recall)} (${ev.agency.tp} of ${ev.agency.tp + ev.agency.fn})   target ≥ 80 %   ${mark(ev.agency.recall >= 0.8)}`,
    `  train              ${fmt(trainMs, 1)} ms; classify ${fmt(ev.msPerPage, 2)} ms per page`,
    `  calibration        industry confidence ECE ${fmt(100 * ev.calibration.industry.ece, 1)} points; agency confidence ECE ${fmt(100 * ev.calibration.agency.ece, 1)} points`,
    ...(['industry', 'agency'] as const).map(
      (k) => `    ${k.padEnd(9)} ${ev.calibration[k].bands.map((b) => `${fmt(100 * b.from, 0)}–${fmt(100 * b.from + 10, 0)}: n ${b.n}, stated ${fmt(100 * b.meanConfidence, 0)} seen ${fmt(100 * b.observed, 0)}`).join(' | ')}`,
    ),
    `  misses             ${ev.misses.map((m) => `${m.expected}→${m.got}`).join(', ') || 'none'}`,
    `  agency errors      ${ev.agencyErrors.map((a) => `${a.expected ? 'missed' : 'false'} (${fmt(a.confidence, 2)}) "${a.text.slice(0, 40)}"`).join('; ') || 'none'}`,
    `  fetch + classify   p50 ${fmt(q(0.5), 1)} ms, p95 ${fmt(q(0.95), 1)} ms over ${times.length} pages from a local server (top-1 there ${pct(right / heldout.length)})`,
  ].join('\n') + '\n',
);
