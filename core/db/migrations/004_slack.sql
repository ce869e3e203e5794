-- Slack: installed workspaces, event de-duplication, the threaded progress message of each list,
-- rate-limit budgets shared by every process, and /toofr answers still owed to a response_url.

-- One row per workspace (or Enterprise Grid org) that installed Toofr through OAuth. The bot token
-- is sealed (AES-256-GCM, key derived from SLACK_CLIENT_SECRET): a database dump alone does not
-- let anyone post as Toofr. Uninstalling deletes the row, and with it the token.
CREATE TABLE slack_installations (
  install_key           text PRIMARY KEY,              -- 'T:<team_id>' or 'E:<enterprise_id>' (org-wide install)
  team_id               text,
  enterprise_id         text,
  is_enterprise_install boolean NOT NULL DEFAULT false,
  bot_user_id           text,
  bot_id                text,
  bot_token_sealed      text,                          -- null once tokens_revoked removed it
  data                  jsonb NOT NULL,                -- the Installation without any token
  installed_at          timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX slack_installations_team ON slack_installations (team_id);

-- Events API delivery is at-least-once: an event_id seen before is a retry and is dropped.
CREATE TABLE slack_events (
  event_id    text PRIMARY KEY,
  team_id     text,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- A file shared once gives one list even if Slack sends its event again under a new id.
CREATE TABLE slack_files (
  team_id    text NOT NULL,
  file_id    text NOT NULL,
  channel_id text NOT NULL,
  list_id    uuid REFERENCES lists(id) ON DELETE CASCADE,
  outcome    text,                                     -- 'list', or why there is none: 'not_csv', 'too_large', 'unusable'…
  claimed_until timestamptz,                           -- an intake job is working on it
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, file_id, channel_id)
);

-- The one threaded message a list keeps up to date, and how far its delivery got (so a retried
-- delivery never uploads the results twice).
CREATE TABLE slack_list_messages (
  list_id          uuid PRIMARY KEY REFERENCES lists(id) ON DELETE CASCADE,
  team_id          text NOT NULL,
  channel_id       text NOT NULL,
  ts               text NOT NULL,                      -- the message we chat.update
  thread_ts        text,                               -- the file's message: results go in its thread
  last_text        text,                               -- what the message says now; equal text is not re-sent
  updated_at       timestamptz,                        -- last chat.update
  claimed_until    timestamptz,                        -- a progress job is sending; others coalesce into it
  uploaded_file_id text,                               -- the results file, once uploaded
  delivered_at     timestamptz
);

-- Token buckets (reservations) for Slack's per-workspace and per-channel limits, shared by every
-- worker process: key 'T1' for a workspace's chat.update budget, 'T1/C123' for one channel.
CREATE TABLE slack_rate (
  key           text PRIMARY KEY,
  tokens        double precision NOT NULL,
  refilled_at   timestamptz NOT NULL DEFAULT now(),
  blocked_until timestamptz                             -- Slack answered 429: nothing before this
);

-- /toofr answers owed to a response_url (valid 30 minutes): a restarted web process picks up the
-- ones still open. answered_at is set just before posting, so two processes never both answer.
CREATE TABLE slack_answers (
  lookup_id    uuid PRIMARY KEY REFERENCES lookups(id) ON DELETE CASCADE,
  team_id      text NOT NULL,
  response_url text NOT NULL,
  label        text NOT NULL,                          -- "Jane Doe at acme.com", for the answer's wording
  created_at   timestamptz NOT NULL DEFAULT now(),
  answered_at  timestamptz
);
CREATE INDEX slack_answers_open ON slack_answers (created_at) WHERE answered_at IS NULL;
