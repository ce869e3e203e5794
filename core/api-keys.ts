/**
 * API keys: `toofr_<8 hex prefix>_<32 base62-ish secret>`. The whole key is shown once, at
 * creation; Postgres keeps only its SHA-256 (keys are random, so a fast hash is safe and each
 * request authenticates with one indexed read). The prefix is not secret: it names a key in
 * `toofr keys list` and in logs without revealing it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import type { Pool, PoolClient } from './db/pool.ts';

type Queryable = Pool | PoolClient | pg.Client;

export interface ApiKeyInfo {
  id: number;
  account_id: number;
  prefix: string;
  name: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const KEY_RE = /^toofr_([0-9a-f]{8})_([A-Za-z0-9_-]{32})$/;

export function hashSecret(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** A random URL-safe token (for keys, sessions and signing secrets). */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export async function createApiKey(db: Queryable, accountId: number, name?: string): Promise<{ key: string; info: ApiKeyInfo }> {
  const prefix = `toofr_${randomBytes(4).toString('hex')}`;
  const key = `${prefix}_${randomToken(24)}`;
  const { rows } = await db.query<ApiKeyInfo>(
    `INSERT INTO api_keys (account_id, prefix, key_hash, name) VALUES ($1, $2, $3, $4)
     RETURNING id, account_id, prefix, name, created_at, last_used_at, revoked_at`,
    [accountId, prefix, hashSecret(key), name ?? null],
  );
  return { key, info: rows[0]! };
}

/** Whether a string looks like one of our keys at all (saves a query for garbage). */
export function looksLikeApiKey(key: string): boolean {
  return KEY_RE.test(key);
}

/**
 * The key's id and account, or undefined when the key is unknown or revoked. `last_used_at` is
 * refreshed at most once a minute, so a busy key does not turn every request into a write.
 */
export async function authenticateApiKey(db: Queryable, key: string): Promise<{ keyId: number; accountId: number } | undefined> {
  if (!looksLikeApiKey(key)) return undefined;
  const hash = hashSecret(key);
  const { rows } = await db.query<{ id: number; account_id: number; key_hash: Buffer; stale: boolean }>(
    `SELECT id, account_id, key_hash, (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale
       FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
    [hash],
  );
  const row = rows[0];
  // The index lookup already matched the hash; comparing again in constant time costs nothing.
  if (!row || !timingSafeEqual(row.key_hash, hash)) return undefined;
  if (row.stale) await db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [row.id]);
  return { keyId: row.id, accountId: row.account_id };
}

export async function listApiKeys(db: Queryable, accountId?: number): Promise<(ApiKeyInfo & { account_name: string | null; account_kind: string; account_external_id: string })[]> {
  const { rows } = await db.query(
    `SELECT k.id, k.account_id, k.prefix, k.name, k.created_at, k.last_used_at, k.revoked_at,
            a.name AS account_name, a.kind AS account_kind, a.external_id AS account_external_id
       FROM api_keys k JOIN accounts a ON a.id = k.account_id
      WHERE $1::bigint IS NULL OR k.account_id = $1
      ORDER BY k.created_at, k.id`,
    [accountId ?? null],
  );
  return rows;
}

/** Revokes by prefix (`toofr_ab12cd34`) or by whole key; returns the revoked key, if any. */
export async function revokeApiKey(db: Queryable, prefixOrKey: string): Promise<ApiKeyInfo | undefined> {
  const prefix = prefixOrKey.match(/^(toofr_[0-9a-f]{8})/)?.[1];
  if (!prefix) return undefined;
  const { rows } = await db.query<ApiKeyInfo>(
    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE prefix = $1
     RETURNING id, account_id, prefix, name, created_at, last_used_at, revoked_at`,
    [prefix],
  );
  // Sessions opened with a revoked key end with it.
  if (rows[0]) await db.query('DELETE FROM web_sessions WHERE key_id = $1', [rows[0].id]);
  return rows[0];
}

/** The secret that signs an account's callbacks, made on first use. */
export async function callbackSecret(db: Queryable, accountId: number): Promise<string> {
  const { rows } = await db.query<{ secret: string }>(
    `INSERT INTO callback_secrets (account_id, secret) VALUES ($1, $2)
     ON CONFLICT (account_id) DO UPDATE SET secret = callback_secrets.secret
     RETURNING secret`,
    [accountId, `whsec_${randomToken(24)}`],
  );
  return rows[0]!.secret;
}
