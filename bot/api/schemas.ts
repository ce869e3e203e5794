/**
 * The API's inputs and outputs as zod schemas: the same objects validate requests (routes) and
 * generate the OpenAPI document (openapi.ts), so the two cannot drift apart.
 */
import { z } from 'zod';

// Control characters (NUL, escape sequences…) are never part of a name, a domain or an address.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const text = (name: string, max: number, description: string) =>
  z
    .string({ message: `${name} must be given once, as text` })
    .trim()
    .min(1, { message: `${name} must not be empty` })
    .max(max, { message: `${name} must be at most ${max} characters` })
    .refine((v) => !CONTROL.test(v), { message: `${name} must not contain control characters` })
    .describe(description);

/** Seconds, as a query string: `?max_duration=5` or `2.5`. */
export const MAX_DURATION_DEFAULT = 10;
export const MAX_DURATION_LIMIT = 20;
const maxDuration = z
  .string({ message: 'max_duration must be given once, as a number of seconds' })
  .trim()
  .regex(/^\d{1,3}(\.\d{1,3})?$/, { message: `max_duration must be a number of seconds between 0 and ${MAX_DURATION_LIMIT}, e.g. 5` })
  .transform(Number)
  .refine((n) => n <= MAX_DURATION_LIMIT, { message: `max_duration must be at most ${MAX_DURATION_LIMIT} seconds; past it, poll the URL you get back` })
  .optional()
  .describe(`How long to wait for the answer, in seconds (default ${MAX_DURATION_DEFAULT}, at most ${MAX_DURATION_LIMIT}). Past it the answer is 202 with a URL to poll.`);

export const findQuery = z
  .object({
    first: text('first', 100, 'First name, e.g. Jane').optional(),
    last: text('last', 100, 'Last name, e.g. Doe').optional(),
    full_name: text('full_name', 200, 'Full name in one field, instead of first and last, e.g. "Jane Doe"').optional(),
    company: text('company', 253, 'Company domain or website, e.g. acme.com or https://www.acme.com/about').optional(),
    domain: text('domain', 253, 'Same as company').optional(),
    max_duration: maxDuration,
  })
  .refine((q) => q.full_name || (q.first && q.last), { message: 'give first and last (or full_name)', path: ['first'] })
  .refine((q) => q.company || q.domain, { message: 'give company (the company domain or website, e.g. acme.com)', path: ['company'] });

const EMAIL_RE = /^[^\s@"<>(),;:\\[\]]{1,64}@(?=.{1,253}$)[A-Za-z0-9\u00a1-\uffff]([A-Za-z0-9\u00a1-\uffff-]{0,61}[A-Za-z0-9\u00a1-\uffff])?(\.[A-Za-z0-9\u00a1-\uffff]([A-Za-z0-9\u00a1-\uffff-]{0,61}[A-Za-z0-9\u00a1-\uffff])?)+$/;

export const verifyQuery = z.object({
  email: text('email', 254, 'The address to check, e.g. jane.doe@acme.com').refine((v) => EMAIL_RE.test(v), {
    message: 'email must be an address such as jane.doe@acme.com',
  }),
  max_duration: maxDuration,
});

const DOMAIN_RE = /^(https?:\/\/)?[^\s/@:]+\.[^\s/@:]+(:\d+)?(\/\S*)?$/i;
export const patternQuery = z.object({
  domain: text('domain', 253, 'Company domain or website, e.g. acme.com').refine((v) => DOMAIN_RE.test(v), {
    message: 'domain must be a domain or website such as acme.com',
  }),
  max_duration: maxDuration,
});

/** A company: its domain, a website URL or an email address at it (the API reduces it to the domain). */
export const companyQuery = z.object({
  domain: z
    .string({ error: (iss) => (iss.input === undefined ? 'domain is required: send the company\'s domain, e.g. ?domain=acme.com (a website or an email address at the company works too)' : 'domain must be given once, as text') })
    .trim()
    .min(1, { message: 'domain must not be empty: send the company\'s domain, e.g. ?domain=acme.com', abort: true })
    .max(253, { message: 'domain must be at most 253 characters' })
    .refine((v) => !CONTROL.test(v), { message: 'domain must not contain control characters' })
    .refine((v) => DOMAIN_RE.test(v) || EMAIL_RE.test(v), {
      message: 'domain must be a company domain such as acme.com (a website such as https://www.acme.com or an email address at the company works too)',
    })
    .describe('Company domain, website or an email address at the company, e.g. acme.com'),
  refresh: z
    .enum(['true', 'false', '1', '0'], { message: 'refresh must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .optional()
    .describe('true: read the homepage again instead of answering from the cache (answers are kept 90 days, failed reads 1 day)'),
  max_duration: maxDuration,
});

export const idParam = z.object({ id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'id must be a list or lookup id (a UUID)' }) });

const limit = (max: number, dflt: number) =>
  z
    .string()
    .regex(/^\d{1,5}$/, { message: `limit must be a whole number from 1 to ${max}` })
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, { message: `limit must be from 1 to ${max}` })
    .optional()
    .describe(`How many to return (1–${max}, default ${dflt})`);

export const listsQuery = z.object({
  limit: limit(100, 20),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be the next_cursor of a previous page' }).optional().describe('next_cursor from the previous page'),
});

export const recordsQuery = z.object({
  limit: limit(1000, 100),
  cursor: z.string().regex(/^\d{1,9}$/, { message: 'cursor must be the next_cursor of a previous page' }).optional().describe('next_cursor from the previous page'),
  status: z.enum(['pending', 'done', 'bad', 'failed'], { message: 'status must be pending, done, bad or failed' }).optional().describe('Only records in this state (bad: rows that could not be looked up, with the reason)'),
});

export const createListQuery = z.object({
  callback_url: z
    .string()
    .max(2000, { message: 'callback_url must be at most 2000 characters' })
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password;
      } catch {
        return false;
      }
    }, { message: 'callback_url must be an http(s) URL without credentials, e.g. https://example.com/toofr-callback' })
    .optional()
    .describe('Receives a signed POST (Toofr-Signature header) when the list is done or failed'),
  filename: text('filename', 200, 'Name of the file, for the results file name (default upload.csv)').optional(),
});

// --- responses (documentation only; handlers build them from rows) ---------------------------

const scorePart = z.object({ part: z.string(), points: z.number(), why: z.string() });
const verification = z.enum(['valid', 'invalid', 'accept_all', 'unknown']);
const flag = z.enum(['webmail', 'disposable', 'role']);

export const findAnswer = z.object({
  email: z.string().nullable(),
  confidence: z.number().int().min(0).max(100),
  verification,
  pattern: z.string().nullable(),
  score_parts: z.array(scorePart),
  candidates: z.array(z.object({ email: z.string(), pattern: z.string(), prior: z.number(), verification: verification.optional(), reply: z.string().optional() })),
  domain: z.string().nullable(),
  accept_all: z.boolean().nullable(),
  mx: z.array(z.string()),
  flags: z.array(flag),
  status: z.enum(['found', 'not_found', 'rechecking', 'unknown', 'no_mail', 'bad_input']),
  reason: z.string().optional(),
  retry_after_seconds: z.number().int().optional().describe('with status rechecking: when Toofr asks the mail server again'),
  retry_kind: z.enum(['deferred', 'slow_down', 'unavailable']).optional().describe('with status rechecking: the server deferred these recipients (greylisting), asked us to slow down, or could not be reached'),
});

export const verifyAnswer = z.object({
  email: z.string(),
  verification,
  flags: z.array(flag),
  reason: z.string(),
  mx: z.array(z.string()),
  accept_all: z.boolean().nullable(),
  confidence: z.number().int(),
  score_parts: z.array(scorePart),
});

export const patternAnswer = z.object({
  domain: z.string(),
  pattern: z.string().nullable(),
  evidence: z.array(z.object({ pattern: z.string(), count: z.number().int() })),
  accept_all: z.boolean().nullable(),
  mx: z.array(z.string()),
  reason: z.string().optional(),
});

const industry = z.string().describe('Industry id (one of about 20 classes), or unknown');
export const companyAnswer = z.object({
  domain: z.string(),
  industry,
  industry_name: z.string().describe('Display name, e.g. Marketing & Advertising'),
  naics: z.string().nullable().describe('NAICS 2017 code of the industry; null when unknown'),
  confidence: z.number().min(0).max(1).describe('Probability of the industry, 0–1'),
  top3: z.array(z.object({ industry, name: z.string(), naics: z.string().nullable(), probability: z.number().min(0).max(1) })),
  is_agency: z.boolean().describe('Whether the company is an agency (works for clients: advertising, digital, recruiting…)'),
  agency_confidence: z.number().min(0).max(1),
  evidence: z.array(z.string()).describe('Why, in a few words each'),
  website: z.object({
    status: z.enum(['ok', 'no_website', 'unreachable', 'blocked', 'timeout', 'not_html', 'http_error', 'too_many_redirects']),
    url: z.string().optional().describe('The page that was read'),
    reason: z.string().optional().describe('Why the homepage could not be read (industry is then unknown; not an error)'),
    ms: z.number(),
    truncated: z.boolean(),
  }),
  checked_at: z.string().describe('When the homepage was read'),
  cached: z.boolean().describe('True when answered from the cache'),
});

export const lookupDone = (data: z.ZodType) =>
  z.object({ id: z.uuid(), kind: z.enum(['find', 'verify', 'pattern', 'company']), status: z.literal('done'), data });

export const lookupPending = z.object({
  status: z.literal('pending'),
  id: z.uuid(),
  poll: z.string().describe('GET this path (with your key) until the status is done'),
});

export const listBody = z.object({
  id: z.uuid(),
  filename: z.string().nullable(),
  source: z.string(),
  status: z.enum(['queued', 'importing', 'running', 'delivering', 'done', 'failed', 'cancelled']),
  total_rows: z.number().int(),
  bad_rows: z.number().int(),
  processed: z.number().int(),
  found: z.number().int(),
  progress: z.number().min(0).max(1).describe('Share of rows settled (looked up or skipped), 0–1'),
  error: z.string().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  results_url: z.string(),
  records_url: z.string(),
});

export const listsPage = z.object({ lists: z.array(listBody), next_cursor: z.string().nullable() });

export const recordBody = z.object({
  ordinal: z.number().int(),
  line: z.number().int().describe('Line in the uploaded file where the row starts'),
  raw: z.array(z.string()).describe('The original cells'),
  status: z.enum(['pending', 'done', 'bad', 'failed']),
  result: z.string().describe('What happened, as in the status column of the results file'),
  reason: z.string().nullable(),
  email: z.string().nullable(),
  confidence: z.number().int().nullable(),
  verification: z.string().nullable(),
  pattern: z.string().nullable(),
});

export const recordsPage = z.object({ records: z.array(recordBody), next_cursor: z.string().nullable() });

export const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
