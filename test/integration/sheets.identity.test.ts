import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Services } from '../../core/services.ts';
import { LookupWaiter } from '../../core/lookups.ts';
import { createWebApp } from '../../bot/web.ts';
import { freshServices } from '../helpers/db.ts';
import { startFakeGoogleIdentity, type FakeGoogleIdentity } from '../fakes/google-identity.ts';

const CLIENT_ID = '1234-addon.apps.googleusercontent.com';
const DEV_CLIENT_ID = '5678-addon-dev.apps.googleusercontent.com';

describe('add-on identity tokens (/addon, google-auth-library against a local certs URL)', () => {
  let services: Services;
  let identity: FakeGoogleIdentity;
  let server: Server;
  let base: string;

  before(async () => {
    identity = await startFakeGoogleIdentity({ audience: CLIENT_ID });
    const fresh = await freshServices('sheets-identity', { GOOGLE_CLIENT_IDS: `${CLIENT_ID}, ${DEV_CLIENT_ID}`, GOOGLE_CERTS_URL: identity.certsUrl });
    services = fresh.services;
    const app = createWebApp({ settings: fresh.settings, pool: services.db.pool, boss: services.boss, log: fresh.log, lookups: new LookupWaiter({ url: services.db.url, schema: services.db.schema, log: fresh.log }) });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await services.close();
    await identity.close();
  });

  const call = (token: string | undefined) =>
    fetch(`${base}/addon/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ accessToken: 'ya29.fake-access-token' }),
    });

  it('should accept a valid token and map the Google user to an account', async () => {
    const res = await call(identity.token({ sub: '42', email: 'grace@example.com' }));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { lists: 0 });
    const { rows } = await services.db.pool.query(`SELECT kind, external_id, name FROM accounts WHERE kind = 'google'`);
    assert.deepEqual(rows, [{ kind: 'google', external_id: '42', name: 'grace@example.com' }]);
    const { rows: tokens } = await services.db.pool.query('SELECT access_token FROM google_tokens');
    assert.deepEqual(tokens, [{ access_token: 'ya29.fake-access-token' }]);
  });

  it('should accept every configured client id (published and test deployments)', async () => {
    assert.equal((await call(identity.token({ aud: DEV_CLIENT_ID }))).status, 200);
  });

  it('should refuse a token for another audience with 401', async () => {
    const res = await call(identity.token({ aud: 'someone-else.apps.googleusercontent.com' }));
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: string; message: string };
    assert.equal(body.error, 'not_signed_in');
    assert.match(body.message, /audience/i);
    assert.match(body.message, /Reload the sheet/);
  });

  it('should refuse an expired token with 401', async () => {
    const res = await call(identity.token({ expiresIn: -3600 }));
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { message: string }).message, /too late/);
  });

  it('should refuse a tampered token with 401 and create no account for it', async () => {
    const token = identity.tampered({ sub: '43' });
    const res = await call(token);
    assert.equal(res.status, 401);
    const { message } = (await res.json()) as { message: string };
    assert.match(message, /signature/i);
    assert.ok(!message.includes(token.split('.')[1]!), 'the token is not echoed back');
    const { rows } = await services.db.pool.query(`SELECT 1 FROM accounts WHERE external_id = '999999999999999999999'`);
    assert.equal(rows.length, 0);
  });

  it('should refuse a token from another issuer, one without a verified email, and no token at all', async () => {
    assert.equal((await call(identity.token({ iss: 'https://evil.example' }))).status, 401);
    assert.equal((await call(identity.token({ email_verified: false }))).status, 401);
    const none = await call(undefined);
    assert.equal(none.status, 401);
    assert.match(((await none.json()) as { message: string }).message, /no Google sign-in/);
  });

  it('should fetch the signing keys once and reuse them (cache-control max-age)', () => {
    assert.equal(identity.certFetches, 1);
  });
});
