-- Single lookups (Slack /toofr, API find/verify/pattern) run through the high-priority queue;
-- their answers are kept here so a caller past its deadline can poll for them.
CREATE TABLE lookups (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('find', 'verify', 'pattern')),
  input       jsonb NOT NULL,
  status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  result      jsonb,
  error       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX lookups_account_created ON lookups (account_id, created_at DESC);

-- How far the importer got in queueing record jobs, so a re-run import queues each record once.
ALTER TABLE lists ADD COLUMN jobs_queued_through integer NOT NULL DEFAULT -1;
