/**
 * The SMTP client against real `smtp-server` hosts in the mail world (STARTTLS, 421 limits,
 * slow and dropping hosts), a scripted server for replies smtp-server will not produce
 * (multi-line 550s, no EHLO, a 421 mid-session, a refused MAIL FROM), and a SOCKS5 proxy.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { addressProblem, openSession, SmtpError, type SessionOptions } from '../../core/engine/smtp.ts';
import { startMailWorld, type MailWorld } from '../mailworld/index.ts';
import { startSocks5Proxy } from '../mailworld/socks5.ts';

let world: MailWorld;

before(async () => {
  world = await startMailWorld();
});

after(async () => {
  await world.stop();
});

/** Session options for a world domain's first (or nth) MX host. */
function optsFor(domain: string, over: Partial<SessionOptions> = {}, hostIndex = 0): SessionOptions {
  const h = world.domain(domain).hosts[hostIndex];
  return {
    host: h.name,
    address: h.ip,
    port: world.smtpPort,
    heloName: 'verify.toofr.test',
    mailFrom: 'verify@toofr.test',
    timeoutMs: 2000,
    sessionTimeoutMs: 10_000,
    ...over,
  };
}

async function rejects(p: Promise<unknown>, failure: string): Promise<SmtpError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SmtpError, `expected SmtpError, got ${String(err)}`);
    assert.equal(err.failure, failure, err.message);
    return err;
  }
  assert.fail(`expected a '${failure}' failure`);
}

/**
 * A scripted SMTP server on loopback: greets with `greeting`, answers each command line with
 * `reply(line)` (a string of CRLF-separated lines, or null to hang up), records what it got.
 */
async function scripted(reply: (line: string, n: number) => string | null, greeting = '220 scripted.test ESMTP') {
  const lines: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.write(`${greeting}\r\n`);
    let buf = '';
    socket.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        lines.push(line);
        const out = reply(line, lines.length);
        if (out === null) {
          socket.destroy();
          return;
        }
        socket.write(out.endsWith('\r\n') ? out : `${out}\r\n`);
        if (/^QUIT/i.test(line)) socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    lines,
    opts: (over: Partial<SessionOptions> = {}): SessionOptions => ({
      host: 'scripted.test', address: '127.0.0.1', port, heloName: 'verify.toofr.test', mailFrom: 'verify@toofr.test',
      timeoutMs: 1000, sessionTimeoutMs: 5000, ...over,
    }),
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a session with a real smtp-server host', () => {
  test('EHLO, STARTTLS, MAIL FROM once, RCPT per address, QUIT', async () => {
    const stats = world.stats.host('mx1.acme.test');
    const before = { ...stats, commands: { ...stats.commands } };
    const s = await openSession(optsFor('acme.test'));
    assert.equal(s.greeting.code, 220);
    assert.equal(s.esmtp, true);
    assert.equal(s.secure, true, 'STARTTLS was offered and used');

    const valid = await s.rcpt('jane.doe@acme.test');
    assert.deepEqual({ code: valid.code, kind: valid.kind, stage: valid.stage }, { code: 250, kind: 'accepted', stage: 'rcpt' });
    const unknown = await s.rcpt('nobody@acme.test');
    assert.equal(unknown.code, 550);
    assert.equal(unknown.enhanced, '5.1.1');
    assert.equal(unknown.kind, 'unknown_user');
    const full = await s.rcpt('fred.full@acme.test');
    assert.equal(full.kind, 'full_inbox');
    const disabled = await s.rcpt('dora.disabled@acme.test');
    assert.equal(disabled.kind, 'disabled');
    assert.equal(s.rcptCount, 4);
    await s.quit();
    assert.equal(s.closed, true);

    assert.equal(stats.tls - before.tls, 1);
    assert.equal(stats.mails - before.mails, 1, 'one MAIL FROM for four RCPTs');
    assert.equal(stats.rcpts - before.rcpts, 4);
    assert.equal((stats.commands.QUIT ?? 0) - (before.commands.QUIT ?? 0), 1, 'QUIT sent');
    assert.deepEqual(stats.helo.slice(-1), ['verify.toofr.test']);
    assert.deepEqual(stats.mailFrom.slice(-1), ['verify@toofr.test']);
    await world.stats.whenIdle('mx1.acme.test'); // the server saw the session end
  });

  test('no STARTTLS offered: the session stays in plaintext', async () => {
    const s = await openSession(optsFor('plaintext.test'));
    assert.equal(s.secure, false);
    assert.equal((await s.rcpt('jane.doe@plaintext.test')).kind, 'accepted');
    await s.quit();
    assert.equal(world.stats.host('mx1.plaintext.test').commands.STARTTLS, undefined);
  });

  test('tls: false skips STARTTLS even when offered', async () => {
    const s = await openSession(optsFor('acme.test', { tls: false }));
    assert.equal(s.secure, false);
    await s.quit();
  });

  test('a certificate that fails verification (rejectUnauthorized) falls back to plaintext, as MTAs do', async () => {
    const s = await openSession(optsFor('acme.test', { tls: { rejectUnauthorized: true } }));
    assert.equal(s.secure, false, 'the self-signed world certificate is not trusted');
    assert.equal((await s.rcpt('jane.doe@acme.test')).kind, 'accepted');
    await s.quit();
  });

  test('rcptsPerTransaction: RSET + MAIL FROM after N recipients', async () => {
    const stats = world.stats.host('mx1.acme.test');
    const mails = stats.mails;
    const rsets = stats.commands.RSET ?? 0;
    const s = await openSession(optsFor('acme.test', { rcptsPerTransaction: 2 }));
    for (const a of ['a1@acme.test', 'a2@acme.test', 'a3@acme.test', 'a4@acme.test', 'a5@acme.test']) await s.rcpt(a);
    await s.quit();
    assert.equal(stats.mails - mails, 3);
    assert.equal((stats.commands.RSET ?? 0) - rsets, 2);
  });

  test('reset() ends the transaction; the next RCPT opens a new one', async () => {
    const stats = world.stats.host('mx1.acme.test');
    const mails = stats.mails;
    const s = await openSession(optsFor('acme.test'));
    await s.rcpt('jane.doe@acme.test');
    await s.reset();
    await s.rcpt('jane.doe@acme.test');
    await s.quit();
    assert.equal(stats.mails - mails, 2);
  });
});

describe('refusing to put unsafe input on the wire', () => {
  test('CR/LF injection in RCPT is refused and nothing is sent', async () => {
    const stats = world.stats.host('mx1.acme.test');
    const rcpts = stats.rcpts;
    const s = await openSession(optsFor('acme.test'));
    for (const evil of ['jane.doe@acme.test\r\nDATA', 'jane.doe@acme.test>\r\nRCPT TO:<x@acme.test', 'jane doe@acme.test', 'a\n@acme.test', '"quoted"@acme.test', 'jane@acme.test\u0000', 'x'.repeat(65) + '@acme.test', 'no-at-sign', 'two@@acme.test']) {
      await rejects(s.rcpt(evil), 'bad_address');
    }
    // The session is still fine for a good address.
    assert.equal((await s.rcpt('jane.doe@acme.test')).kind, 'accepted');
    await s.quit();
    assert.equal(stats.rcpts - rcpts, 1);
    assert.equal(stats.commands.DATA, undefined);
  });

  test('an unsafe MAIL FROM or HELO name is refused before connecting', async () => {
    const connections = world.stats.host('mx1.acme.test').connections;
    await rejects(openSession(optsFor('acme.test', { mailFrom: 'verify@toofr.test\r\nDATA' })), 'bad_address');
    await rejects(openSession(optsFor('acme.test', { heloName: 'toofr.test\r\nDATA' })), 'bad_address');
    assert.equal(world.stats.host('mx1.acme.test').connections, connections);
  });

  test('a host name instead of a checked IP is refused (no resolving at connect time)', async () => {
    const e = await rejects(openSession(optsFor('acme.test', { address: 'mx1.acme.test' })), 'connect');
    assert.match(e.message, /not an IP address/);
  });

  test('addressProblem explains what is wrong', () => {
    assert.equal(addressProblem('jane.doe@acme.test'), null);
    assert.equal(addressProblem("o'brien+x@acme.test"), null);
    assert.match(addressProblem('a\r\n@acme.test')!, /control characters/);
    assert.match(addressProblem('.jane@acme.test')!, /local part/);
    assert.match(addressProblem('jane@acme')!, /domain/);
    assert.match(addressProblem('josé@acme.test')!, /local part/);
  });
});

describe('misbehaving hosts', () => {
  test('a slow server: the per-command timeout fires and says which command', async () => {
    const s = await openSession(optsFor('slow.test', { timeoutMs: 300 }));
    const started = Date.now();
    const e = await rejects(s.rcpt('jane.doe@slow.test'), 'timeout');
    assert.equal(e.stage, 'RCPT TO');
    assert.match(e.message, /no reply to RCPT TO within 300 ms/);
    assert.ok(Date.now() - started < 2000, 'did not wait for the slow reply');
    assert.equal(s.closed, true);
    await rejects(s.rcpt('jane.doe@slow.test'), 'timeout'); // the session stays failed
  });

  test('the whole-session timeout fires even when each reply is in time', async () => {
    const s = await openSession(optsFor('slow.test', { timeoutMs: 5000, sessionTimeoutMs: 400 }));
    const e = await rejects(s.rcpt('jane.doe@slow.test'), 'session_timeout');
    assert.match(e.message, /ran past 400 ms/);
  });

  test('a connection dropped right after the greeting is reported as dropped', async () => {
    const e = await rejects(openSession(optsFor('drop.test')), 'dropped');
    assert.equal(e.stage, 'EHLO');
  });

  test('a connection dropped mid-session is reported as dropped, not as an answer', async () => {
    const s = await openSession(optsFor('midsession.test'));
    assert.equal((await s.rcpt('nobody@midsession.test')).kind, 'unknown_user');
    const e = await rejects(s.rcpt('jane.doe@midsession.test'), 'dropped'); // the world drops the 2nd RCPT
    assert.equal(e.stage, 'RCPT TO');
  });

  test('a refused connection (nothing listening)', async () => {
    const e = await rejects(openSession(optsFor('refused.test')), 'connect');
    assert.match(e.message, /ECONNREFUSED/);
  });

  test('421 at the greeting (too many connections) is a greeting failure, kind rate_limited', async () => {
    const a = await openSession(optsFor('limited.test'));
    const b = await openSession(optsFor('limited.test'));
    const e = await rejects(openSession(optsFor('limited.test')), 'greeting');
    assert.equal(e.reply?.code, 421);
    assert.equal(e.kind, 'rate_limited');
    await Promise.all([a.quit(), b.quit()]);
    assert.equal(world.stats.host('mx1.limited.test').peak, 2);
    assert.equal(world.stats.host('mx1.limited.test').refused, 1);
    // Once they are gone, a new session is admitted again.
    const c = await openSession(optsFor('limited.test'));
    await c.quit();
  });
});

describe('latency', () => {
  test('per-command latency and the global latencyMs (benchmarks model a real network with it)', async () => {
    const w = await startMailWorld({
      latencyMs: 40,
      world: {
        domains: [
          { domain: 'far.test', pattern: '{first}', behaviour: 'rejects_unknown' },
          { domain: 'sluggish.test', pattern: '{first}', behaviour: 'rejects_unknown', commandLatencyMs: { greeting: 1000 } },
        ],
        people: [{ first: 'Jane', last: 'Doe', domain: 'far.test', email: 'jane@far.test', mailbox: 'active' }],
      },
    });
    const far = w.domain('far.test').hosts[0];
    const s = await openSession({ ...optsFor('acme.test'), host: far.name, address: far.ip, port: w.smtpPort });
    const started = performance.now();
    assert.equal((await s.rcpt('jane@far.test')).kind, 'accepted');
    assert.ok(performance.now() - started >= 80, 'MAIL FROM and RCPT TO each waited 40 ms');
    await s.quit();

    const slow = w.domain('sluggish.test').hosts[0];
    const e = await rejects(openSession({ ...optsFor('acme.test'), host: slow.name, address: slow.ip, port: w.smtpPort, timeoutMs: 200 }), 'timeout');
    assert.equal(e.stage, 'greeting');
    await w.stop();
  });
});

describe('replies smtp-server does not produce (scripted server)', () => {
  test('multi-line replies are read whole; repeated enhanced codes are kept once', async () => {
    const srv = await scripted((line) => {
      if (line.startsWith('EHLO')) return '250-scripted.test Hello\r\n250-PIPELINING\r\n250 8BITMIME';
      if (line.startsWith('MAIL')) return '250 2.1.0 OK';
      if (line.startsWith('RCPT')) {
        return '550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n550-5.1.1 double-checking the recipient\'s email address for typos or\r\n550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser - gsmtp';
      }
      return '221 2.0.0 bye';
    });
    const s = await openSession(srv.opts());
    assert.equal(s.esmtp, true);
    assert.equal(s.secure, false, 'no STARTTLS in the EHLO reply');
    const r = await s.rcpt('jane@scripted.test');
    assert.equal(r.code, 550);
    assert.equal(r.enhanced, '5.1.1');
    assert.equal(r.kind, 'unknown_user');
    assert.equal(r.text.match(/5\.1\.1/g)?.length, 1);
    assert.match(r.text, /unnecessary spaces/);
    await s.quit();
    await srv.stop();
  });

  test('EHLO not understood: falls back to HELO', async () => {
    const srv = await scripted((line) => {
      if (line.startsWith('EHLO')) return '502 5.5.2 Error: command not recognized';
      if (line.startsWith('HELO')) return '250 scripted.test';
      if (line.startsWith('MAIL')) return '250 OK';
      if (line.startsWith('RCPT')) return '250 OK';
      return '221 bye';
    });
    const s = await openSession(srv.opts());
    assert.equal(s.esmtp, false);
    assert.equal((await s.rcpt('jane@scripted.test')).kind, 'accepted');
    await s.quit();
    assert.deepEqual(srv.lines.map((l) => l.split(/[ :]/)[0]), ['EHLO', 'HELO', 'MAIL', 'RCPT', 'QUIT']);
    await srv.stop();
  });

  test('a refused MAIL FROM is about us (stage mail, never unknown_user); the next RCPT starts over with RSET', async () => {
    let mails = 0;
    const srv = await scripted((line) => {
      if (line.startsWith('EHLO')) return '250 scripted.test';
      if (line.startsWith('MAIL')) return ++mails === 1 ? '550 5.1.0 <verify@toofr.test>: Sender address rejected: User unknown' : '250 OK';
      if (line.startsWith('RSET')) return '250 OK';
      if (line.startsWith('RCPT')) return '250 OK';
      return '221 bye';
    });
    const s = await openSession(srv.opts());
    const first = await s.rcpt('jane@scripted.test');
    assert.equal(first.stage, 'mail');
    assert.equal(first.kind, 'blocked_us');
    const second = await s.rcpt('jane@scripted.test');
    assert.equal(second.stage, 'rcpt');
    assert.equal(second.kind, 'accepted');
    await s.quit();
    assert.deepEqual(srv.lines.map((l) => l.split(/[ :]/)[0]), ['EHLO', 'MAIL', 'RSET', 'MAIL', 'RCPT', 'QUIT']);
    assert.equal(s.rcptCount, 1, 'the refused MAIL FROM sent no RCPT');
    await srv.stop();
  });

  test('a 421 mid-session is returned as rate_limited and closes the session', async () => {
    const srv = await scripted((line, n) => {
      if (line.startsWith('EHLO')) return '250 scripted.test';
      if (line.startsWith('MAIL')) return '250 OK';
      if (line.startsWith('RCPT')) return n >= 4 ? '421 4.7.0 Too many errors, closing connection' : '550 5.1.1 unknown';
      return '221 bye';
    });
    const s = await openSession(srv.opts());
    assert.equal((await s.rcpt('a@scripted.test')).kind, 'unknown_user');
    const r = await s.rcpt('b@scripted.test');
    assert.equal(r.code, 421);
    assert.equal(r.kind, 'rate_limited');
    assert.equal(s.closed, true);
    await rejects(s.rcpt('c@scripted.test'), 'closed');
    await s.quit();
    await srv.stop();
  });

  test('a greeting other than 220 is refused politely', async () => {
    const srv = await scripted(() => '221 bye', '554 5.7.1 No SMTP service here');
    const e = await rejects(openSession(srv.opts()), 'greeting');
    assert.equal(e.reply?.code, 554);
    await srv.stop();
  });

  test('something that is not SMTP is a protocol error', async () => {
    const srv = await scripted(() => 'HTTP/1.1 400 Bad Request', '220 hi');
    await rejects(openSession(srv.opts()), 'protocol');
    await srv.stop();
  });
});

describe('through a SOCKS5 proxy', () => {
  test('the session is tunnelled to the pinned address', async () => {
    const proxy = await startSocks5Proxy();
    const h = world.domain('acme.test').hosts[0];
    const s = await openSession(optsFor('acme.test', { proxy: proxy.url }));
    assert.equal(s.viaProxy, true);
    assert.equal(s.secure, true, 'STARTTLS works through the tunnel');
    assert.equal((await s.rcpt('jane.doe@acme.test')).kind, 'accepted');
    await s.quit();
    assert.deepEqual(proxy.connects, [{ host: h.ip, port: world.smtpPort }]);
    await proxy.stop();
  });

  test('with username and password', async () => {
    const proxy = await startSocks5Proxy({ username: 'toofr', password: 's3cret' });
    const s = await openSession(optsFor('acme.test', { proxy: proxy.url }));
    assert.equal((await s.rcpt('nobody@acme.test')).kind, 'unknown_user');
    await s.quit();
    await rejects(openSession(optsFor('acme.test', { proxy: proxy.url.replace('s3cret', 'wrong') })), 'proxy');
    await proxy.stop();
  });

  test('a refused destination behind the proxy is a connect failure; a dead proxy is a proxy failure', async () => {
    const proxy = await startSocks5Proxy();
    await rejects(openSession(optsFor('refused.test', { proxy: proxy.url })), 'connect');
    await proxy.stop();
    await rejects(openSession(optsFor('acme.test', { proxy: proxy.url })), 'proxy');
  });
});

test('nothing in this file ever sent DATA, VRFY or EXPN to the world', () => {
  const { commands, data } = world.stats.totals();
  assert.equal(data, 0);
  assert.equal(commands.DATA, undefined);
  assert.equal(commands.VRFY, undefined);
  assert.equal(commands.EXPN, undefined);
});
