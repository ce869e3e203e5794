import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadSettings } from '../../core/config.ts';

const problems = (env: Record<string, string>) => {
  try {
    loadSettings(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected the settings to be refused');
};

describe('settings', () => {
  it('should start with nothing set: embedded database, port 3000, 50 lookups at once', () => {
    const s = loadSettings({});
    assert.equal(s.databaseUrl, undefined);
    assert.equal(s.databaseSchema, 'toofr');
    assert.equal(s.port, 3000);
    assert.equal(s.publicUrl, 'http://localhost:3000');
    assert.equal(s.workerConcurrency, 50);
    assert.equal(s.smtp.port, 25);
    assert.equal(s.smtp.allowPrivate, false);
    assert.equal(s.slack.singleWorkspace, false);
    assert.equal(s.google.enabled, false);
    assert.match(s.smtp.mailFrom, /^verify@/);
  });

  it('should read every documented variable', () => {
    const s = loadSettings({
      DATABASE_URL: 'postgres://u:p@db:5432/toofr', PORT: '8080', PUBLIC_URL: 'https://toofr.example.com/',
      WORKER_CONCURRENCY: '20', DNS_SERVERS: '127.0.0.1:5353, 1.1.1.1', SMTP_PORT: '2525', SMTP_HELO_NAME: 'verify.toofr.example',
      SMTP_MAIL_FROM: 'probe@toofr.example', SMTP_PROXY: 'socks5://proxy:1080', ALLOW_PRIVATE_MX: 'true', ALLOW_PRIVATE_WEB: '1',
      SLACK_SIGNING_SECRET: 's', SLACK_BOT_TOKEN: 'xoxb-1', GOOGLE_CLIENT_IDS: 'a.apps.googleusercontent.com,b',
    });
    assert.equal(s.publicUrl, 'https://toofr.example.com');
    assert.deepEqual(s.dns.servers, ['127.0.0.1:5353', '1.1.1.1']);
    assert.equal(s.smtp.heloName, 'verify.toofr.example');
    assert.equal(s.smtp.mailFrom, 'probe@toofr.example');
    assert.equal(s.smtp.allowPrivate, true);
    assert.equal(s.web.allowPrivate, true);
    assert.equal(s.slack.singleWorkspace, true);
    assert.deepEqual(s.google.clientIds, ['a.apps.googleusercontent.com', 'b']);
  });

  it('should treat empty values as unset', () => {
    assert.equal(loadSettings({ PORT: '', DATABASE_URL: '  ' }).port, 3000);
  });

  it('should list every problem with how to fix it', () => {
    const p = problems({ PORT: 'eighty', DATABASE_URL: 'mysql://x', WORKER_CONCURRENCY: '0', SMTP_HELO_NAME: 'localhost', ALLOW_PRIVATE_MX: 'maybe', DNS_SERVERS: 'a b' });
    assert.equal(p.length, 6);
    assert.ok(p.some((m) => /PORT must be a whole number/.test(m)));
    assert.ok(p.some((m) => /DATABASE_URL must be a URL such as postgres:/.test(m)));
    assert.ok(p.some((m) => /WORKER_CONCURRENCY must be between 1 and 1000/.test(m)));
    assert.ok(p.some((m) => /SMTP_HELO_NAME must be a fully qualified host name/.test(m)));
    assert.ok(p.some((m) => /ALLOW_PRIVATE_MX must be true or false/.test(m)));
    assert.ok(p.some((m) => /DNS_SERVERS must be host or host:port/.test(m)));
  });

  it('should refuse half-configured Slack with the fix', () => {
    assert.match(problems({ SLACK_BOT_TOKEN: 'xoxb-1' })[0]!, /SLACK_SIGNING_SECRET is required/);
    assert.match(problems({ SLACK_CLIENT_ID: 'x', SLACK_SIGNING_SECRET: 's' })[0]!, /all of SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET/);
    assert.match(problems({ SLACK_BOT_TOKEN: 'xoxp-user' })[0]!, /must start with xoxb-/);
  });
});
