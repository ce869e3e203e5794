/** One structured logger (pino). Secrets are redacted wherever they appear in logged objects. */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'password', 'token', 'secret', 'authorization', 'apiKey', 'api_key', 'accessToken', 'access_token', 'refreshToken',
  'botToken', 'signingSecret', 'clientSecret', 'stateSecret', 'databaseUrl', 'connectionString',
];

export function createLogger(opts: { level: string; name?: string; pretty?: boolean; destination?: NodeJS.WritableStream }): Logger {
  const paths = REDACT.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  return pino(
    {
      name: opts.name ?? 'toofr',
      level: opts.level,
      redact: { paths, censor: '[redacted]' },
      // URLs with credentials (postgres://user:pass@…) are masked where we log them ourselves; see redactUrl.
    },
    (opts.destination ?? process.stderr) as pino.DestinationStream,
  );
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for printing connection targets. */
export function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '[unparseable url]';
  }
}
