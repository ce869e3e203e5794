-- Google Sheets add-on: where a list's results go back to, row by row, and what it takes to
-- write them (the user's forwarded access token, and a shared pace for the Sheets API quotas).

-- One list that came from a sheet. Columns are 0-based indices; rows are 1-based sheet rows.
CREATE TABLE sheet_lists (
  list_id        uuid PRIMARY KEY REFERENCES lists(id) ON DELETE CASCADE,
  account_id     bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  spreadsheet_id text NOT NULL,
  sheet_id       integer NOT NULL,                 -- survives renames, unlike the sheet's title
  header_row     integer NOT NULL,
  input_columns  jsonb NOT NULL,                   -- the columns whose cells make a row's key
  output_columns jsonb NOT NULL,                   -- {"email":4,"confidence":5,"status":6}
  -- writing: results still to write; waiting_for_token: the user's token expired, results wait
  -- here until the add-on forwards a fresh one; written: every result written (or held).
  state          text NOT NULL DEFAULT 'writing' CHECK (state IN ('writing', 'waiting_for_token', 'written')),
  written        integer NOT NULL DEFAULT 0,
  held           integer NOT NULL DEFAULT 0,
  rate_limited   integer NOT NULL DEFAULT 0,       -- consecutive 429 answers, for the backoff
  retry_at       timestamptz,                      -- no write before this (429 backoff)
  write_requests integer NOT NULL DEFAULT 0,
  last_error     text,
  last_write_at  timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sheet_lists_account ON sheet_lists (account_id) WHERE state <> 'written';

-- Each submitted row: where it was, and what it held, so its result never lands next to
-- someone else after the user sorts, inserts or deletes rows.
CREATE TABLE sheet_rows (
  list_id     uuid NOT NULL REFERENCES sheet_lists(list_id) ON DELETE CASCADE,
  ordinal     integer NOT NULL,                    -- = records.ordinal
  row_number  integer NOT NULL,                    -- 1-based; updated when the row is found elsewhere
  key         text NOT NULL,                       -- the row's input cells as displayed, joined
  written_at  timestamptz,
  held_reason text,                                -- why the result is not in the sheet (yet)
  PRIMARY KEY (list_id, ordinal)
);
CREATE INDEX sheet_rows_unwritten ON sheet_rows (list_id, ordinal) WHERE written_at IS NULL;

-- The latest access token the add-on forwarded for a Google user (about 1 h of life, no
-- refresh token). Never logged; replaced on every sidebar poll and hourly trigger.
CREATE TABLE google_tokens (
  account_id   bigint PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  access_token text NOT NULL,
  expires_at   timestamptz NOT NULL,
  rejected_at  timestamptz,                        -- Google answered 401 to it
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Sliding-window pacing shared by every worker process: one row per request made, per bucket
-- (project, user, spreadsheet). Rows older than the bucket's window are deleted as it is used.
CREATE TABLE sheets_pacing (
  bucket text NOT NULL,
  at_ms  double precision NOT NULL
);
CREATE INDEX sheets_pacing_bucket ON sheets_pacing (bucket, at_ms);

-- Takes one slot in every bucket, or none: returns 0 when taken, else the milliseconds until a
-- slot frees. One round trip; advisory locks in key order so concurrent callers never deadlock.
-- p_now (ms since the epoch) is for tests that simulate minutes; NULL = the database clock.
CREATE FUNCTION sheets_try_acquire(p_keys text[], p_limits integer[], p_windows double precision[], p_now double precision)
RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
  now_ms double precision := COALESCE(p_now, extract(epoch FROM clock_timestamp()) * 1000);
  wait_ms double precision := 0;
  k text;
  n integer;
  oldest double precision;
BEGIN
  FOR k IN SELECT DISTINCT u FROM unnest(p_keys) AS u ORDER BY u LOOP
    PERFORM pg_advisory_xact_lock(hashtext(current_schema() || ':sheets-pace:' || k));
  END LOOP;
  FOR i IN 1 .. array_length(p_keys, 1) LOOP
    DELETE FROM sheets_pacing WHERE bucket = p_keys[i] AND at_ms <= now_ms - p_windows[i];
    -- The slot frees when the oldest of the last `limit` requests leaves the window.
    SELECT count(*), min(at_ms) INTO n, oldest
      FROM (SELECT at_ms FROM sheets_pacing WHERE bucket = p_keys[i] ORDER BY at_ms DESC LIMIT p_limits[i]) recent;
    IF n >= p_limits[i] THEN
      wait_ms := greatest(wait_ms, oldest + p_windows[i] - now_ms);
    END IF;
  END LOOP;
  IF wait_ms > 0 THEN
    RETURN wait_ms;
  END IF;
  INSERT INTO sheets_pacing (bucket, at_ms) SELECT u, now_ms FROM unnest(p_keys) AS u;
  RETURN 0;
END $$;
