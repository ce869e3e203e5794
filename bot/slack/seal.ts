/**
 * Bot tokens are stored sealed (AES-256-GCM) so that a copy of the database alone cannot post as
 * Toofr. The key is derived from a secret the operator already keeps out of the database.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

function keyFrom(secret: string): Buffer {
  return createHash('sha256').update(`toofr-slack-token-seal:${secret}`).digest();
}

/** "v1.<iv>.<tag>.<ciphertext>", base64url parts. */
export function seal(secret: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secret), iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
}

export function unseal(secret: string, sealed: string): string {
  const [v, iv, tag, data] = sealed.split('.');
  if (v !== 'v1' || !iv || !tag || data === undefined) throw new Error('A stored Slack token is not in a format this version can read; reinstall the app in that workspace.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFrom(secret), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('A stored Slack token cannot be opened: SLACK_CLIENT_SECRET changed since the workspace installed Toofr. Restore the old secret, or reinstall the app in that workspace.');
  }
}
