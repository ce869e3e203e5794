/**
 * Google identity tokens for tests: an RSA key of our own signs OpenID tokens shaped like
 * `ScriptApp.getIdentityToken()`'s, and a local server publishes the public key the way
 * https://www.googleapis.com/oauth2/v1/certs does (kid → PEM), for GOOGLE_CERTS_URL.
 */
import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IdentityClaims {
  sub?: string;
  email?: string;
  email_verified?: boolean;
  aud?: string;
  iss?: string;
  /** Seconds from now; negative for a token that has expired. */
  expiresIn?: number;
}

export interface FakeGoogleIdentity {
  certsUrl: string;
  /** How many times the certs were fetched (google-auth-library caches them by max-age). */
  certFetches: number;
  token(claims?: IdentityClaims): string;
  /** A valid token whose payload was changed after signing. */
  tampered(claims?: IdentityClaims): string;
  close(): Promise<void>;
}

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

export async function startFakeGoogleIdentity(opts: { audience: string }): Promise<FakeGoogleIdentity> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const self = {
    certsUrl: '',
    certFetches: 0,
    token(claims: IdentityClaims = {}): string {
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        iss: claims.iss ?? 'https://accounts.google.com',
        aud: claims.aud ?? opts.audience,
        azp: claims.aud ?? opts.audience,
        sub: claims.sub ?? '110248495921238986420',
        email: claims.email ?? 'ada@example.com',
        email_verified: claims.email_verified ?? true,
        iat: now - 10,
        exp: now + (claims.expiresIn ?? 3600),
      };
      const head = b64url(JSON.stringify({ alg: 'RS256', kid, typ: 'JWT' }));
      const body = b64url(JSON.stringify(payload));
      const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(privateKey);
      return `${head}.${body}.${b64url(sig)}`;
    },
    tampered(claims: IdentityClaims = {}): string {
      const [head, body, sig] = self.token(claims).split('.');
      const payload = JSON.parse(Buffer.from(body!, 'base64url').toString());
      payload.sub = '999999999999999999999';
      payload.email = 'mallory@example.com';
      return `${head}.${b64url(JSON.stringify(payload))}.${sig}`;
    },
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/oauth2/v1/certs')) {
      self.certFetches++;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600' });
      res.end(JSON.stringify({ [kid]: pem }));
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  self.certsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/v1/certs`;
  self.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return self;
}
