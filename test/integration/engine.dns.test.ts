/**
 * The DNS module against the mail world's DNS server (dns2 over UDP on loopback): every answer
 * shape, the private-range guard, and the TTL cache with an injected clock. Every name here
 * exists only in the world's zone, so a passing test also shows nothing went through getaddrinfo
 * or the system resolver.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type net from 'node:net';
import { createDnsResolver, isPublicAddress, type DnsResolverOptions } from '../../core/engine/dns.ts';
import { startMailWorld, type MailWorld } from '../mailworld/index.ts';

let world: MailWorld;

const PRIVATE_V4 = ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '224.0.0.1', '0.0.0.0', '255.255.255.255', '192.0.2.10', '240.0.0.1'];
const PRIVATE_V6 = ['::1', '::', 'fe80::1', 'fd00::1', 'fc00::5', 'ff02::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1', '64:ff9b::a00:1'];
const PUBLIC = ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.216.34'];

before(async () => {
  const extra: Record<string, { A?: string[]; AAAA?: string[]; MX?: { exchange: string; priority: number }[]; ttl?: number }> = {
    // preference order: 10 a, 10 c, 20 b (ties by name)
    'sorted.test': { MX: [{ exchange: 'mx-b.sorted.test', priority: 20 }, { exchange: 'mx-c.sorted.test', priority: 10 }, { exchange: 'mx-a.sorted.test', priority: 10 }] },
    'mx-a.sorted.test': { A: ['127.0.0.51'], ttl: 600 },
    'mx-b.sorted.test': { A: ['127.0.0.52'], AAAA: ['::1'], ttl: 600 },
    'mx-c.sorted.test': { A: ['127.0.0.53', '127.0.0.54'], ttl: 90 },
    // one public host next to a private one: the private one is dropped, the public one kept
    'mixed.test': { MX: [{ exchange: 'inside.mixed.test', priority: 10 }, { exchange: 'outside.mixed.test', priority: 20 }] },
    'inside.mixed.test': { A: ['10.0.0.9'] },
    'outside.mixed.test': { A: ['93.184.216.34'], AAAA: ['fd00::9', '2606:4700:4700::1111'] },
    // null MX next to a real MX is a misconfiguration: the real one wins
    'halfnull.test': { MX: [{ exchange: '', priority: 0 }, { exchange: 'mx.halfnull.test', priority: 10 }] },
    'mx.halfnull.test': { A: ['127.0.0.60'] },
    // MX hosts with no address records at all
    'dangling.test': { MX: [{ exchange: 'nowhere.dangling.test', priority: 10 }] },
    // an IP literal as MX "host" (broken, but seen): treated as the address, still checked
    'literal.test': { MX: [{ exchange: '10.9.9.9', priority: 10 }] },
  };
  // one name per private address, all as MX hosts of every-private.test
  const mx: { exchange: string; priority: number }[] = [];
  [...PRIVATE_V4, ...PRIVATE_V6].forEach((ip, i) => {
    const name = `h${i}.every-private.test`;
    mx.push({ exchange: name, priority: i });
    extra[name] = ip.includes(':') ? { AAAA: [ip] } : { A: [ip] };
  });
  extra['every-private.test'] = { MX: mx };
  world = await startMailWorld({ extraRecords: extra });
});

after(async () => {
  await world.stop();
});

function resolver(over: Partial<DnsResolverOptions> = {}) {
  return createDnsResolver({ servers: world.dnsServers, timeoutMs: 500, tries: 1, allowPrivate: true, ...over });
}

describe('resolveMailHosts', () => {
  test('MX hosts in preference order, with addresses from the same resolver', async () => {
    const r = await resolver().resolveMailHosts('sorted.test');
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.hosts.map((h) => [h.exchange, h.priority]), [['mx-a.sorted.test', 10], ['mx-c.sorted.test', 10], ['mx-b.sorted.test', 20]]);
    assert.deepEqual(r.hosts[1].addresses, ['127.0.0.53', '127.0.0.54']);
    assert.deepEqual(r.hosts[2].addresses, ['127.0.0.52', '::1'], 'IPv4 first, then IPv6');
    assert.equal(r.ttlSeconds, 90, 'the lowest address TTL bounds the answer');
    assert.ok(world.stats.dnsQueries.includes('mx-a.sorted.test A'), 'MX host names were asked of our DNS server');
  });

  test('a domain of the standard world: one MX host on a loopback address', async () => {
    const r = await resolver().resolveMailHosts('ACME.test.');
    assert.equal(r.domain, 'acme.test');
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.hosts, [{ exchange: 'mx1.acme.test', priority: 10, addresses: [world.domain('acme.test').hosts[0].ip] }]);
  });

  test('no MX: the A record of the domain itself (RFC 5321 §5.1)', async () => {
    const r = await resolver().resolveMailHosts('nomx.test');
    assert.equal(r.status, 'a_fallback');
    assert.deepEqual(r.hosts, [{ exchange: 'nomx.test', priority: 0, addresses: [world.domain('nomx.test').hosts[0].ip] }]);
  });

  test('null MX (RFC 7505) wins over the A record', async () => {
    const r = await resolver().resolveMailHosts('nullmx.test');
    assert.equal(r.status, 'null_mx');
    assert.deepEqual(r.hosts, []);
    assert.match(r.reason!, /null MX/);
  });

  test('a null MX next to real MX records is ignored', async () => {
    const r = await resolver().resolveMailHosts('halfnull.test');
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.hosts.map((h) => h.exchange), ['mx.halfnull.test']);
  });

  test('NXDOMAIN', async () => {
    const r = await resolver().resolveMailHosts('gone.test');
    assert.equal(r.status, 'nxdomain');
    assert.match(r.reason!, /does not exist/);
  });

  test('SERVFAIL is a retryable error, not an answer', async () => {
    const r = await resolver().resolveMailHosts('servfail.test');
    assert.equal(r.status, 'error');
    assert.match(r.reason!, /ESERVFAIL/);
    assert.equal(r.ttlSeconds, 0);
  });

  test('a silent server is a timeout error', async () => {
    const r = await resolver({ timeoutMs: 150 }).resolveMailHosts('silent.test');
    assert.equal(r.status, 'error');
    assert.match(r.reason!, /ETIMEOUT/);
  });

  test('a resolver that refuses (closed port) is an error', async () => {
    // Bind a UDP port and close it again: nothing listens there now.
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    const port = (sock.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => sock.close(() => resolve()));
    const r = await resolver({ servers: [`127.0.0.1:${port}`] }).resolveMailHosts('acme.test');
    assert.equal(r.status, 'error');
    assert.match(r.reason!, /ECONNREFUSED|ETIMEOUT/);
  });

  test('MX hosts without addresses: no mail', async () => {
    const r = await resolver().resolveMailHosts('dangling.test');
    assert.equal(r.status, 'no_mail');
    assert.match(r.reason!, /no A\/AAAA/);
  });

  test('not a domain name: no query at all', async () => {
    const before = world.stats.dnsQueries.length;
    const r = await resolver().resolveMailHosts('not a domain');
    assert.equal(r.status, 'no_mail');
    assert.equal(world.stats.dnsQueries.length, before);
  });
});

describe('private-range guard', () => {
  test('isPublicAddress refuses loopback, private, link-local, CGNAT, metadata, multicast, unspecified, mapped, ULA', () => {
    for (const ip of [...PRIVATE_V4, ...PRIVATE_V6]) assert.equal(isPublicAddress(ip), false, ip);
    for (const ip of PUBLIC) assert.equal(isPublicAddress(ip), true, ip);
    assert.equal(isPublicAddress('not-an-ip'), false);
  });

  test('an MX at 10.0.0.5 / 169.254.169.254 / fd00::25 is refused: no_mail, with the reason', async () => {
    const r = await resolver({ allowPrivate: false }).resolveMailHosts('private.test');
    assert.equal(r.status, 'no_mail');
    assert.match(r.reason!, /private addresses/);
    assert.deepEqual(r.refused, [
      { exchange: 'mx1.private.test', addresses: ['10.0.0.5'] },
      { exchange: 'mx2.private.test', addresses: ['169.254.169.254', 'fd00::25'] },
    ]);
  });

  test('every kind of private address is dropped', async () => {
    const r = await resolver({ allowPrivate: false }).resolveMailHosts('every-private.test');
    assert.equal(r.status, 'no_mail');
    assert.equal(r.refused!.length, PRIVATE_V4.length + PRIVATE_V6.length);
  });

  test('the whole loopback world is refused without allowPrivate', async () => {
    const r = await resolver({ allowPrivate: false }).resolveMailHosts('acme.test');
    assert.equal(r.status, 'no_mail');
    assert.deepEqual(r.hosts, []);
    const a = await resolver({ allowPrivate: false }).resolveMailHosts('nomx.test');
    assert.equal(a.status, 'no_mail', 'the A fallback is checked too');
  });

  test('private hosts are dropped, public ones kept (and their private addresses removed)', async () => {
    const r = await resolver({ allowPrivate: false }).resolveMailHosts('mixed.test');
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.hosts, [{ exchange: 'outside.mixed.test', priority: 20, addresses: ['93.184.216.34', '2606:4700:4700::1111'] }]);
    assert.deepEqual(r.refused, [{ exchange: 'inside.mixed.test', addresses: ['10.0.0.9'] }, { exchange: 'outside.mixed.test', addresses: ['fd00::9'] }]);
  });

  test('an IP literal as MX is checked like any address', async () => {
    assert.equal((await resolver({ allowPrivate: false }).resolveMailHosts('literal.test')).status, 'no_mail');
    const allowed = await resolver().resolveMailHosts('literal.test');
    assert.deepEqual(allowed.hosts, [{ exchange: '10.9.9.9', priority: 10, addresses: ['10.9.9.9'] }]);
  });

  test('allowPrivate (ALLOW_PRIVATE_MX) lets the private MX through', async () => {
    const r = await resolver({ allowPrivate: true }).resolveMailHosts('private.test');
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.hosts.map((h) => h.addresses), [['10.0.0.5'], ['169.254.169.254', 'fd00::25']]);
  });
});

describe('cache', () => {
  test('honours the TTL on an injected clock', async () => {
    let clock = 1_000_000;
    const dns = resolver({ now: () => clock });
    const count = () => world.stats.dnsQueries.filter((q) => q.startsWith('umlaut.test ') || q.startsWith('mx1.umlaut.test ')).length;
    const start = count();

    const first = await dns.resolveMailHosts('umlaut.test'); // its records have TTL 120
    assert.equal(first.ttlSeconds, 120);
    const asked = count() - start;
    assert.ok(asked >= 3, 'MX + A + AAAA');

    clock += 100_000;
    const cached = await dns.resolveMailHosts('umlaut.test');
    assert.equal(count() - start, asked, 'answered from the cache');
    assert.equal(cached.ttlSeconds, 20, 'the remaining TTL');
    assert.deepEqual(cached.hosts, first.hosts);

    clock += 21_000;
    await dns.resolveMailHosts('umlaut.test');
    assert.equal(count() - start, 2 * asked, 'expired: asked again');
  });

  test('MX-only answers use the default MX TTL (Node gives none); null MX too', async () => {
    const r = await resolver({ mxTtlSeconds: 1800 }).resolveMailHosts('nullmx.test');
    assert.equal(r.ttlSeconds, 1800);
  });

  test('errors are not cached', async () => {
    const dns = resolver();
    const count = () => world.stats.dnsQueries.filter((q) => q.startsWith('servfail.test ')).length;
    const start = count();
    await dns.resolveMailHosts('servfail.test');
    const once = count() - start;
    await dns.resolveMailHosts('servfail.test');
    assert.equal(count() - start, 2 * once);
  });

  test('NXDOMAIN is cached (negative caching)', async () => {
    let clock = 0;
    const dns = resolver({ now: () => clock, negativeTtlSeconds: 60 });
    const count = () => world.stats.dnsQueries.filter((q) => q.startsWith('gone.test ')).length;
    const start = count();
    await dns.resolveMailHosts('gone.test');
    await dns.resolveMailHosts('gone.test');
    assert.equal(count() - start, 1);
    clock += 61_000;
    await dns.resolveMailHosts('gone.test');
    assert.equal(count() - start, 2);
  });

  test('concurrent lookups of one domain share one query', async () => {
    const dns = resolver();
    const count = () => world.stats.dnsQueries.filter((q) => q === 'catchall.test MX').length;
    const start = count();
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => dns.resolveMailHosts('catchall.test')));
    assert.equal(count() - start, 1);
    assert.ok(answers.every((a) => a.status === 'ok'));
    answers[0].hosts.length = 0; // callers get copies: mutating one does not change the cache
    assert.equal((await dns.resolveMailHosts('catchall.test')).hosts.length, 1);
  });

  test('clearCache forgets', async () => {
    const dns = resolver();
    const count = () => world.stats.dnsQueries.filter((q) => q === 'contoso.test MX').length;
    const start = count();
    await dns.resolveMailHosts('contoso.test');
    dns.clearCache('contoso.test');
    await dns.resolveMailHosts('contoso.test');
    assert.equal(count() - start, 2);
  });
});
