-- Toofr's tables. The schema is chosen by the connection's search_path (DATABASE_SCHEMA), so one
-- Postgres can hold several isolated installations (and every test file gets its own).

-- Who owns lists: a Slack team, a Google user, an API key owner, or the local single user.
CREATE TABLE accounts (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('local', 'slack', 'google', 'api')),
  external_id text NOT NULL,
  name        text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, external_id)
);

-- One import: a CSV from Slack/API/CLI/web, or rows from a Sheet.
CREATE TABLE lists (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id     bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  source         text NOT NULL CHECK (source IN ('cli', 'slack', 'sheets', 'api', 'web')),
  source_ref     jsonb NOT NULL DEFAULT '{}'::jsonb,   -- Slack channel/thread, spreadsheet/sheet, callback…
  filename       text,
  status         text NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'importing', 'running', 'delivering', 'done', 'failed', 'cancelled')),
  encoding       text,
  delimiter      text,
  header         jsonb,          -- the original header cells, in order
  mapping        jsonb,          -- role → column index, e.g. {"first":0,"last":1,"domain":3}
  total_rows     integer NOT NULL DEFAULT 0,   -- data rows read, good and bad
  bad_rows       integer NOT NULL DEFAULT 0,   -- rows kept with a reason but not looked up
  processed      integer NOT NULL DEFAULT 0,   -- good rows with a final result
  found          integer NOT NULL DEFAULT 0,
  error          text,
  deliver_queued_at timestamptz,  -- set once, by the record that finished the list
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  imported_at    timestamptz,
  finished_at    timestamptz,
  delivered_at   timestamptz
);
CREATE INDEX lists_account_created ON lists (account_id, created_at DESC);

-- The uploaded file, kept in chunks so neither the writer nor the importer holds it whole in memory.
CREATE TABLE list_uploads (
  list_id uuid NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
  seq     integer NOT NULL,
  data    bytea NOT NULL,
  PRIMARY KEY (list_id, seq)
);

-- One row of a list. `ordinal` is the row's place among the data rows (output order); `line` is
-- where it started in the file, for error messages.
CREATE TABLE records (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  list_id      uuid NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
  ordinal      integer NOT NULL,
  line         integer NOT NULL,
  raw          jsonb NOT NULL,               -- the original cells, as read
  input        jsonb,                        -- normalised {first,last,full_name,company,domain,email}
  status       text NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'done', 'bad', 'failed')),
  reason       text,                         -- why a row is bad, or why it failed
  email        text,
  confidence   smallint,
  verification text,
  pattern      text,
  result       jsonb,                        -- the whole engine answer (score_parts, candidates…)
  attempts     integer NOT NULL DEFAULT 0,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (list_id, ordinal)
);

-- What we know about a mail domain: its mail servers, whether it accepts everything, and the
-- address patterns learned from verified and imported addresses.
CREATE TABLE domains (
  domain          text PRIMARY KEY,
  mx              jsonb,            -- [{exchange, priority, addresses[]}], or null when unknown
  mx_status       text,             -- 'ok' | 'a_fallback' | 'null_mx' | 'nxdomain' | 'no_mail' | 'error'
  mx_checked_at   timestamptz,
  mx_expires_at   timestamptz,
  accept_all      boolean,          -- null: not yet probed, or the probe was inconclusive
  accept_all_checked_at timestamptz,
  pattern_counts  jsonb NOT NULL DEFAULT '{}'::jsonb,   -- {"{first}.{last}": 12, "{f}{last}": 1}
  webmail         boolean NOT NULL DEFAULT false,
  disposable      boolean NOT NULL DEFAULT false,
  company         jsonb,            -- classification, filled by the company issue
  company_checked_at timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
