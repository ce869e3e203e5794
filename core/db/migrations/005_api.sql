-- The HTTP API and web pages: keys, rate-limit windows, monthly usage, page sessions and the
-- secret that signs callbacks. Everything that several web processes must agree on lives here,
-- not in a process's memory.

-- API keys: shown once at creation, stored as a SHA-256 of the whole key. Keys are 190 bits of
-- randomness, so a fast hash is enough (a slow KDF is for guessable passwords) and lets every
-- request authenticate with one indexed lookup.
CREATE TABLE api_keys (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id   bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  prefix       text NOT NULL UNIQUE,          -- the key's visible start ("toofr_ab12cd34"), to tell keys apart
  key_hash     bytea NOT NULL UNIQUE,
  name         text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_account ON api_keys (account_id, created_at DESC);

-- Fixed one-minute windows per key: one upsert per request, shared by every web process.
CREATE TABLE rate_limit_windows (
  key_id       bigint NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
  window_start timestamptz NOT NULL,
  hits         integer NOT NULL,
  PRIMARY KEY (key_id, window_start)
);

-- Single lookups that found an address, per account and calendar month (UTC). Kept by a trigger
-- so the worker that finishes a lookup needs no knowledge of quotas, and the quota check is one
-- primary-key read instead of a count over the month's lookups. (Lists' finds are summed from
-- lists.found at check time: a trigger there would take a second lock inside the record
-- settlement transactions and could deadlock them.)
CREATE TABLE usage_monthly (
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  month      date NOT NULL,
  found      integer NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, month)
);

CREATE FUNCTION toofr_count_found_lookup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO usage_monthly (account_id, month, found)
  VALUES (NEW.account_id, date_trunc('month', now() AT TIME ZONE 'UTC')::date, 1)
  ON CONFLICT (account_id, month) DO UPDATE SET found = usage_monthly.found + 1;
  RETURN NULL;
END $$;

CREATE TRIGGER lookups_count_found AFTER UPDATE OF status ON lookups FOR EACH ROW
  WHEN (OLD.status = 'pending' AND NEW.status = 'done' AND NEW.kind = 'find' AND (NEW.result->>'email') IS NOT NULL)
  EXECUTE FUNCTION toofr_count_found_lookup();

-- Sign-in for the web pages: a random token in an HttpOnly cookie, stored hashed. Revoking the
-- key a session was opened with ends the session (ON DELETE CASCADE / the revoked_at check).
CREATE TABLE web_sessions (
  token_hash bytea PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  key_id     bigint REFERENCES api_keys(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);

-- The secret that signs an account's callbacks (HMAC-SHA256). Kept in clear because signing
-- needs it; shown to the account's owner by `toofr keys create` / `toofr keys secret`.
CREATE TABLE callback_secrets (
  account_id bigint PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  secret     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
