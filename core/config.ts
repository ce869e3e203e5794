/**
 * The one place that reads `process.env`. Everything else receives a typed `Settings` object
 * (Bolt's rule: the framework never reads env — settings are passed in).
 *
 * `loadSettings(env)` validates every variable and throws a `ConfigError` listing every problem
 * with how to fix it; `settingsOrExit()` prints that list and exits, for process entry points.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const bool = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', ''].includes(v), {
      message: `${name} must be true or false`,
    })
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: `${name} must be a whole number between ${min} and ${max}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `${name} must be between ${min} and ${max}` });

const url = (name: string, protocols: string[], example: string) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { message: `${name} must be a URL such as ${example}` },
    );

const hostPortList = z
  .string()
  .trim()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .refine((list) => list.every((s) => /^(\[[0-9a-fA-F:.]+\]|[0-9a-zA-Z.-]+)(:\d{1,5})?$/.test(s)), {
    message: 'DNS_SERVERS must be host or host:port entries separated by commas, e.g. 1.1.1.1,8.8.8.8:53',
  });

const email = (name: string) =>
  z.string().trim().regex(/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/, { message: `${name} must be an address such as verify@toofr.example` });

const hostname = (name: string) =>
  z
    .string()
    .trim()
    .regex(/^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/, {
      message: `${name} must be a fully qualified host name such as verify.toofr.example (mail servers distrust a bare or fake HELO)`,
    });

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every variable we read, as strings; empty strings count as unset. */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(logLevels, { message: `LOG_LEVEL must be one of ${logLevels.join(', ')}` }).optional(),
  DATABASE_URL: url('DATABASE_URL', ['postgres:', 'postgresql:'], 'postgres://user:pass@host:5432/toofr').optional(),
  /** Schema that holds Toofr's tables; pg-boss uses `<schema>_queue`. Lets one database hold several installations. */
  DATABASE_SCHEMA: z.string().trim().regex(/^[a-z_][a-z0-9_]{0,40}$/, { message: 'DATABASE_SCHEMA must be a lower-case SQL identifier such as toofr' }).default('toofr'),
  /** Where the embedded Postgres keeps its data when DATABASE_URL is not set. */
  TOOFR_DATA_DIR: z.string().trim().optional(),
  PORT: int('PORT', 1, 65535).default(3000),
  PUBLIC_URL: url('PUBLIC_URL', ['http:', 'https:'], 'https://toofr.example.com').optional(),
  WORKER_CONCURRENCY: int('WORKER_CONCURRENCY', 1, 1000).default(50),
  /** Seconds a SIGTERM'd process may spend finishing its running jobs. */
  SHUTDOWN_GRACE_SECONDS: int('SHUTDOWN_GRACE_SECONDS', 1, 600).default(25),
  DNS_SERVERS: hostPortList.optional(),
  SMTP_PORT: int('SMTP_PORT', 1, 65535).default(25),
  SMTP_HELO_NAME: hostname('SMTP_HELO_NAME').optional(),
  SMTP_MAIL_FROM: email('SMTP_MAIL_FROM').optional(),
  SMTP_PROXY: url('SMTP_PROXY', ['socks5:', 'socks5h:', 'socks:'], 'socks5://user:pass@proxy.example:1080').optional(),
  /** Concurrent SMTP sessions per MX host, across all worker processes. */
  SMTP_MAX_SESSIONS_PER_MX: int('SMTP_MAX_SESSIONS_PER_MX', 1, 50).default(2),
  /** RCPT commands per SMTP session before we QUIT and reconnect (anti-harvest filters count them). */
  SMTP_MAX_RCPTS_PER_SESSION: int('SMTP_MAX_RCPTS_PER_SESSION', 1, 100).default(10),
  SMTP_TIMEOUT_MS: int('SMTP_TIMEOUT_MS', 100, 120000).default(15000),
  ALLOW_PRIVATE_MX: bool('ALLOW_PRIVATE_MX').default(false),
  ALLOW_PRIVATE_WEB: bool('ALLOW_PRIVATE_WEB').default(false),
  SLACK_SIGNING_SECRET: z.string().trim().optional(),
  SLACK_BOT_TOKEN: z.string().trim().regex(/^xoxb-/, { message: 'SLACK_BOT_TOKEN must start with xoxb- (the Bot User OAuth Token)' }).optional(),
  SLACK_CLIENT_ID: z.string().trim().optional(),
  SLACK_CLIENT_SECRET: z.string().trim().optional(),
  SLACK_STATE_SECRET: z.string().trim().optional(),
  SLACK_API_URL: url('SLACK_API_URL', ['http:', 'https:'], 'https://slack.com/api/').optional(),
  /** Largest CSV accepted from Slack; bigger files get a reply asking to split them. */
  SLACK_MAX_FILE_MB: int('SLACK_MAX_FILE_MB', 1, 1000).default(20),
  GOOGLE_CLIENT_IDS: z.string().trim().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)).optional(),
  GOOGLE_API_URL: url('GOOGLE_API_URL', ['http:', 'https:'], 'https://www.googleapis.com/').optional(),
  GOOGLE_CERTS_URL: url('GOOGLE_CERTS_URL', ['http:', 'https:'], 'https://www.googleapis.com/oauth2/v1/certs').optional(),
  /** Sheets add-on write-back: at most one write request per spreadsheet this often. */
  SHEETS_WRITE_INTERVAL_MS: int('SHEETS_WRITE_INTERVAL_MS', 100, 600000).default(3000),
  /** Sheets API requests per minute per Google user, of each kind (read, write), across all workers. Google's quota: 60. */
  SHEETS_USER_REQUESTS_PER_MINUTE: int('SHEETS_USER_REQUESTS_PER_MINUTE', 1, 100000).default(60),
  /** Sheets API requests per minute for the whole project, of each kind. Google's default quota: 300. */
  SHEETS_PROJECT_REQUESTS_PER_MINUTE: int('SHEETS_PROJECT_REQUESTS_PER_MINUTE', 1, 1000000).default(300),
  // HTTP API and web pages
  /** Requests per minute per API key, across all web processes. */
  API_RATE_LIMIT_PER_MINUTE: int('API_RATE_LIMIT_PER_MINUTE', 1, 1000000).default(600),
  /** Lookups that found an address, per account and calendar month; 0 = no quota. */
  MONTHLY_LOOKUP_QUOTA: int('MONTHLY_LOOKUP_QUOTA', 0, 1000000000).default(0),
  /** Largest CSV accepted by POST /api/v1/lists and the upload page, in MB. */
  API_MAX_UPLOAD_MB: int('API_MAX_UPLOAD_MB', 1, 1024).default(50),
  /** Single-user mode without keys, for requests from this machine only. Default: on with the embedded database. */
  LOCAL_MODE: bool('LOCAL_MODE').optional(),
  /** Permit callback_url targets in private ranges (tests, labs). */
  ALLOW_PRIVATE_CALLBACKS: bool('ALLOW_PRIVATE_CALLBACKS').default(false),
});

export interface Settings {
  env: 'development' | 'production' | 'test';
  logLevel: (typeof logLevels)[number];
  /** `undefined` means: start the embedded Postgres in `dataDir`. */
  databaseUrl: string | undefined;
  /** Schema for Toofr's tables; the queue lives in `${schema}_queue`. */
  databaseSchema: string;
  dataDir: string;
  port: number;
  publicUrl: string;
  workerConcurrency: number;
  shutdownGraceSeconds: number;
  dns: { servers: string[] | undefined };
  smtp: {
    port: number;
    heloName: string;
    mailFrom: string;
    proxy: string | undefined;
    maxSessionsPerMx: number;
    maxRcptsPerSession: number;
    timeoutMs: number;
    allowPrivate: boolean;
  };
  web: { allowPrivate: boolean };
  slack: {
    signingSecret: string | undefined;
    botToken: string | undefined;
    clientId: string | undefined;
    clientSecret: string | undefined;
    stateSecret: string | undefined;
    apiUrl: string | undefined;
    /** SLACK_MAX_FILE_MB in bytes. */
    maxFileBytes: number;
    /** Single-workspace mode: signing secret + bot token. */
    singleWorkspace: boolean;
    /** Multi-workspace OAuth install: signing secret + client id/secret + state secret. */
    oauth: boolean;
  };
  google: {
    clientIds: string[];
    apiUrl: string | undefined;
    certsUrl: string | undefined;
    enabled: boolean;
    /** Sheets add-on write-back pacing (Sheets API quotas are per minute, per user and per project). */
    sheets: { writeIntervalMs: number; userRequestsPerMinute: number; projectRequestsPerMinute: number };
  };
  api: {
    rateLimitPerMinute: number;
    /** 0 = no quota. */
    monthlyLookupQuota: number;
    maxUploadBytes: number;
    /** No keys needed for requests from loopback (the CLI's `local` account). */
    localMode: boolean;
    allowPrivateCallbacks: boolean;
  };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Toofr cannot start: its settings have problems.\n${problems.map((p) => `  • ${p}`).join('\n')}\nSet these environment variables (or unset them to use the defaults) and start again.`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Validates an environment (defaults to nothing: callers pass `process.env` through `settingsFromProcess`). */
export function loadSettings(env: Record<string, string | undefined>): Settings {
  // Empty strings are "unset": `FOO= npm start` should not fail validation.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => (i.message.includes(String(i.path[0])) ? i.message : `${String(i.path[0])}: ${i.message}`)));
  }
  const e = parsed.data;
  const problems: string[] = [];

  const slackOauthParts = [e.SLACK_CLIENT_ID, e.SLACK_CLIENT_SECRET, e.SLACK_STATE_SECRET];
  if (slackOauthParts.some(Boolean) && !slackOauthParts.every(Boolean)) {
    problems.push('Slack OAuth needs all of SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET (App settings → Basic Information); set all three or none.');
  }
  if ((e.SLACK_BOT_TOKEN || slackOauthParts.every(Boolean)) && !e.SLACK_SIGNING_SECRET) {
    problems.push('SLACK_SIGNING_SECRET is required when Slack is configured: copy it from App settings → Basic Information → Signing Secret.');
  }
  if (e.SLACK_SIGNING_SECRET && !e.SLACK_BOT_TOKEN && !slackOauthParts.every(Boolean)) {
    problems.push('SLACK_SIGNING_SECRET is set but there is no way to talk to Slack: set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET/SLACK_STATE_SECRET (install into many).');
  }
  if (problems.length) throw new ConfigError(problems);

  const port = e.PORT;
  const host = os.hostname();
  const heloName = e.SMTP_HELO_NAME ?? (host.includes('.') ? host : `${host}.localdomain`);
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'warn' : 'info'),
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.DATABASE_SCHEMA,
    dataDir: path.resolve(e.TOOFR_DATA_DIR ?? '.toofr'),
    port,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    workerConcurrency: e.WORKER_CONCURRENCY,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    dns: { servers: e.DNS_SERVERS },
    smtp: {
      port: e.SMTP_PORT,
      heloName,
      mailFrom: e.SMTP_MAIL_FROM ?? `verify@${heloName}`,
      proxy: e.SMTP_PROXY,
      maxSessionsPerMx: e.SMTP_MAX_SESSIONS_PER_MX,
      maxRcptsPerSession: e.SMTP_MAX_RCPTS_PER_SESSION,
      timeoutMs: e.SMTP_TIMEOUT_MS,
      allowPrivate: e.ALLOW_PRIVATE_MX,
    },
    web: { allowPrivate: e.ALLOW_PRIVATE_WEB },
    slack: {
      signingSecret: e.SLACK_SIGNING_SECRET,
      botToken: e.SLACK_BOT_TOKEN,
      clientId: e.SLACK_CLIENT_ID,
      clientSecret: e.SLACK_CLIENT_SECRET,
      stateSecret: e.SLACK_STATE_SECRET,
      apiUrl: e.SLACK_API_URL,
      maxFileBytes: e.SLACK_MAX_FILE_MB * 1024 * 1024,
      singleWorkspace: Boolean(e.SLACK_SIGNING_SECRET && e.SLACK_BOT_TOKEN),
      oauth: Boolean(e.SLACK_SIGNING_SECRET && slackOauthParts.every(Boolean)),
    },
    google: {
      clientIds: e.GOOGLE_CLIENT_IDS ?? [],
      apiUrl: e.GOOGLE_API_URL,
      certsUrl: e.GOOGLE_CERTS_URL,
      enabled: (e.GOOGLE_CLIENT_IDS ?? []).length > 0,
      sheets: {
        writeIntervalMs: e.SHEETS_WRITE_INTERVAL_MS,
        userRequestsPerMinute: e.SHEETS_USER_REQUESTS_PER_MINUTE,
        projectRequestsPerMinute: e.SHEETS_PROJECT_REQUESTS_PER_MINUTE,
      },
    },
    api: {
      rateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
      monthlyLookupQuota: e.MONTHLY_LOOKUP_QUOTA,
      maxUploadBytes: e.API_MAX_UPLOAD_MB * 1024 * 1024,
      // The embedded default is someone trying Toofr on their own machine: no keys to make first.
      localMode: e.LOCAL_MODE ?? (!e.DATABASE_URL && e.NODE_ENV !== 'production'),
      allowPrivateCallbacks: e.ALLOW_PRIVATE_CALLBACKS,
    },
  };
}

/** For process entry points: read `process.env` once, or print what is wrong and exit 1. */
export function settingsOrExit(overrides: Record<string, string | undefined> = {}): Settings {
  try {
    return loadSettings({ ...process.env, ...overrides });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
