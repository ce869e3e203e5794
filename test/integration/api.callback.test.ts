/**
 * callback_url: when a list finishes, its callback receives a POST signed with the account's
 * secret; a failing receiver is retried (list.deliver's backoff, shortened here to 1 s in this
 * test's own queue schema) until it accepts. Private targets are refused unless allowed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { callbackSecret } from '../../core/api-keys.ts';
import { QUEUE_OPTIONS } from '../../core/queue/queues.ts';
import { createCallbackNotifier, postCallback, sign, verifySignature } from '../../worker/notifiers/callback.ts';
import { waitForList } from '../helpers/pipeline.ts';
import { startApiHarness, type ApiHarness } from './api.harness.ts';

interface Received {
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('API callbacks', () => {
  let h: ApiHarness;
  let receiver: http.Server;
  let url: string;
  const received: Received[] = [];
  let accepted!: (r: Received) => void;
  const acceptedOnce = new Promise<Received>((r) => (accepted = r));

  before(async () => {
    h = await startApiHarness('api.callback', {}, { notifiers: (deps) => ({ api: createCallbackNotifier(deps) }) });
    await h.services.boss.updateQueue('list.deliver', { ...QUEUE_OPTIONS['list.deliver'], retryDelay: 1, retryDelayMax: 1 });
    // Fails the first delivery (as a receiver that is down or deploying would), accepts the next.
    receiver = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => {
        const r = { at: Date.now(), headers: req.headers, body };
        received.push(r);
        if (received.length === 1) return void res.writeHead(503).end('deploying');
        res.writeHead(204).end();
        accepted(r);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/toofr?source=test`;
  });
  after(async () => {
    await h.close();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('should POST a signed summary when the list is done, retrying after a failure', async () => {
    const res = await h.get(`/api/v1/lists?callback_url=${encodeURIComponent(url)}&filename=cb.csv`, h.keyA, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'first,last,domain\nAnn,Lee,acme.com\nBob,,acme.com\n',
    });
    assert.equal(res.status, 202);
    const { id } = await res.json();
    const ok = await acceptedOnce;
    assert.equal(received.length, 2, 'one failed attempt, then the retry');
    assert.equal(received[0]!.body, received[1]!.body, 'the retry sends the same event');

    const secret = await callbackSecret(h.services.db.pool, h.accountA);
    const signature = ok.headers['toofr-signature'] as string;
    assert.match(signature, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.ok(verifySignature(secret, signature, ok.body), 'signed with the account secret');
    assert.ok(!verifySignature(secret, signature, ok.body.replace('"found":1', '"found":9')), 'a changed body fails the check');
    assert.ok(!verifySignature('whsec_other', signature, ok.body), 'another secret fails the check');
    assert.equal(ok.headers['toofr-delivery'], id);
    assert.equal(ok.headers['content-type'], 'application/json');

    const payload = JSON.parse(ok.body);
    assert.equal(payload.event, 'list.done');
    assert.deepEqual(
      { id: payload.list.id, status: payload.list.status, total: payload.list.total_rows, bad: payload.list.bad_rows, found: payload.list.found },
      { id, status: 'done', total: 2, bad: 1, found: 1 },
    );
    assert.equal(payload.results_url, `${h.settings.publicUrl}/api/v1/lists/${id}/results.csv`);
    const list = await waitForList(h.settings, h.services, id);
    assert.equal(list.status, 'done');
    assert.ok(list.delivered_at, 'delivered once the callback was accepted');
  });

  it('should reject stale and malformed signatures', () => {
    const body = '{"event":"list.done"}';
    const old = Math.floor(Date.now() / 1000) - 3600;
    assert.ok(!verifySignature('s', sign('s', body, old), body), 'an hour-old signature is a replay');
    assert.ok(verifySignature('s', sign('s', body, old), body, 300, old * 1000), 'and valid at its own time');
    assert.ok(!verifySignature('s', undefined, body));
    assert.ok(!verifySignature('s', 't=1,v1=zz', body));
  });

  it('should refuse callbacks to private and local addresses unless allowed', async () => {
    await assert.rejects(postCallback(url, '{}', {}, { allowPrivate: false }), /private or local address/);
    const port = (receiver.address() as AddressInfo).port;
    await assert.rejects(postCallback(`http://localhost:${port}/`, '{}', {}, { allowPrivate: false }), /resolves to .* private or local/);
    await assert.rejects(postCallback('http://169.254.169.254/latest/meta-data', '{}', {}, { allowPrivate: false }), /private or local address/);
  });
});
