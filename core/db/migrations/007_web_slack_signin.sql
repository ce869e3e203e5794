-- "Sign in with Slack" for the web pages: a session opened through Slack's OpenID Connect flow
-- has no key; it records the Slack user and the installation that admitted it (the workspace's
-- 'T:<team_id>' or its org's 'E:<enterprise_id>'), so uninstalling Toofr ends those sessions.
ALTER TABLE web_sessions
  ADD COLUMN slack_team_id     text,
  ADD COLUMN slack_user_id     text,
  ADD COLUMN slack_install_key text;
CREATE INDEX web_sessions_slack_install ON web_sessions (slack_install_key) WHERE slack_install_key IS NOT NULL;
