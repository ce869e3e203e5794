/**
 * The mail world (design.md §5): a DNS server and SMTP servers on loopback that behave like the
 * real internet's mail hosts, with ground truth to score the engine against.
 *
 *  - DNS: one dns2 UDP server on 127.0.0.1:<ephemeral>, answering MX / A / AAAA for the world's
 *    domains and NXDOMAIN for everything else (plus SERVFAIL, silence, null MX, private MX).
 *  - SMTP: one `smtp-server` (the real library) per mail host, each on its own loopback address
 *    (127.0.0.2, 127.0.0.3, …; Linux routes all of 127/8 to lo) and all on ONE port, because the
 *    checker uses one SMTP_PORT for every MX. DNS A records point at those addresses. A host that
 *    "refuses connections" simply has no listener on its address.
 *
 * Usable from tests and benchmarks: no files are written, start-up is tens of milliseconds for the
 * standard world, and `stats` counts sessions, peaks, RCPTs and every command (DATA must stay 0).
 *
 *   const world = await startMailWorld();                       // the standard world
 *   const dns = createDnsResolver({ servers: world.dnsServers, timeoutMs: 1000, allowPrivate: true });
 *   const verifier = createVerifier({ settings: world.smtpSettings(), dns });
 *   await verifier.checkDomain('acme.test', ['jane.doe@acme.test'], { stopAtFirstValid: true });
 *   await world.stop();
 */
import { execFile } from 'node:child_process';
import type net from 'node:net';
import { Packet, UDPServer } from 'dns2';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import type { Settings } from '../../core/config.ts';
import {
  generateWorld, standardWorld,
  type DnsShape, type DomainSpec, type GenerateOptions, type MailBehaviour, type Mailbox, type Person, type WorldSpec,
} from './world.ts';

export * from './world.ts';

/** Records for one DNS name (extra records let tests shape DNS freely). */
export interface ZoneEntry {
  A?: string[];
  AAAA?: string[];
  /** exchange '' is the null MX ("."). */
  MX?: { exchange: string; priority: number }[];
  servfail?: boolean;
  /** Never answer (the resolver times out). */
  timeout?: boolean;
  ttl?: number;
}

export interface WorldHost {
  name: string;
  priority: number;
  /** The address DNS gives for it (a 127.0.0.x for real hosts; 10.0.0.5 etc. for private_mx). */
  ip: string;
  /** Something accepts connections there. */
  listening: boolean;
  behaviour: MailBehaviour;
}

export interface WorldDomain extends DomainSpec {
  dns: DnsShape;
  hosts: WorldHost[];
}

export interface HostStats {
  name: string;
  ip: string;
  domain: string;
  behaviour: MailBehaviour;
  /** TCP connections accepted. */
  connections: number;
  /** SMTP sessions admitted (greeted with 220). */
  sessions: number;
  /** Sessions open now / the most open at once (admitted sessions, per host). */
  current: number;
  peak: number;
  /** Sessions refused with 421 (connection limit). */
  refused: number;
  /** Sessions upgraded with STARTTLS. */
  tls: number;
  mails: number;
  rcpts: number;
  /** DATA commands that reached the handler (must stay 0). */
  data: number;
  /** Every command by verb (EHLO, STARTTLS, MAIL, RCPT, RSET, QUIT, DATA, VRFY, …). */
  commands: Record<string, number>;
  /** RCPT TO addresses in arrival order. */
  recipients: string[];
  /** HELO/EHLO names and MAIL FROM addresses seen. */
  helo: string[];
  mailFrom: string[];
}

export interface WorldStats {
  hosts: HostStats[];
  /** DNS questions received, as "name TYPE" (e.g. "acme.test MX"). */
  readonly dnsQueries: string[];
  host(name: string): HostStats;
  totals(): { connections: number; sessions: number; refused: number; rcpts: number; data: number; peak: number; commands: Record<string, number> };
  reset(): void;
  /** Resolves once the named host (or every host) has no session open, as the server sees it. */
  whenIdle(name?: string): Promise<void>;
}

export interface MailWorldOptions {
  /** An explicit world; else `generate`; else the standard world (one domain per behaviour). */
  world?: WorldSpec;
  generate?: GenerateOptions;
  /** Added before every greeting, MAIL and RCPT reply (models network + server time). Default 0. */
  latencyMs?: number;
  /** Added before every DNS answer. Default 0. */
  dnsLatencyMs?: number;
  /** Offer STARTTLS (domains can override). Default true. */
  starttls?: boolean;
  /** Extra DNS names, merged over the generated zone. */
  extraRecords?: Record<string, ZoneEntry>;
  /** SMTP port for every host. Default: an ephemeral one. */
  smtpPort?: number;
}

export interface MailWorld {
  /** e.g. ['127.0.0.1:53535'] — for DNS_SERVERS / createDnsResolver({ servers }). */
  dnsServers: string[];
  smtpPort: number;
  domains: WorldDomain[];
  people: Person[];
  /** Merge into Settings: what a process needs to use this world. */
  settingsOverrides: { dns: { servers: string[] }; smtp: { port: number; allowPrivate: true } };
  /** The same as environment variables, for loadSettings() / child processes. */
  env: Record<string, string>;
  /** Complete SMTP settings for this world (honest test HELO/MAIL FROM, small timeouts). */
  smtpSettings(overrides?: Partial<Settings['smtp']>): Settings['smtp'];
  domain(name: string): WorldDomain;
  stats: WorldStats;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// TLS: a throwaway self-signed certificate made at start (once per process), in memory.

let certPromise: Promise<{ key: string; cert: string } | null> | null = null;

/**
 * smtp-server ships a default certificate, but it is for "localhost", expired in February 2025,
 * and its private key is public; it also prints a warning per server. We make our own with the
 * openssl CLI (Node cannot create X.509 certificates) and fall back to the built-in one if
 * openssl is missing — the checker does not verify MX certificates either way (see smtp.ts).
 */
function worldCertificate(): Promise<{ key: string; cert: string } | null> {
  certPromise ??= new Promise((resolve) => {
    execFile(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
        '-subj', '/CN=mail.world.test', '-keyout', '-', '-out', '-'],
      { timeout: 10_000 },
      (err, stdout) => {
        const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(stdout ?? '')?.[0];
        const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout ?? '')?.[0];
        resolve(!err && key && cert ? { key, cert } : null);
      },
    );
  });
  return certPromise;
}

// ---------------------------------------------------------------------------------------------

/** 127.0.0.2, 127.0.0.3, … skipping .0 and .255 octets (and 127.0.0.1, which the DNS server uses). */
function loopbackAllocator(): () => string {
  let n = 2;
  return () => {
    for (;;) {
      const ip = `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
      n++;
      if ((n - 1) % 256 !== 0 && (n - 1) % 256 !== 255) return ip;
    }
  };
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

function newHostStats(h: WorldHost, domain: string): HostStats {
  return {
    name: h.name, ip: h.ip, domain, behaviour: h.behaviour, connections: 0, sessions: 0, current: 0, peak: 0, refused: 0,
    tls: 0, mails: 0, rcpts: 0, data: 0, commands: {}, recipients: [], helo: [], mailFrom: [],
  };
}

export async function startMailWorld(opts: MailWorldOptions = {}): Promise<MailWorld> {
  const spec = opts.world ?? (opts.generate ? generateWorld(opts.generate) : standardWorld());
  const latencyMs = opts.latencyMs ?? 0;
  const nextIp = loopbackAllocator();
  const zone = new Map<string, ZoneEntry>();
  const domains: WorldDomain[] = [];

  // ---- Lay out DNS and hosts ----------------------------------------------------------------
  for (const d of spec.domains) {
    const shape = d.dns ?? 'mx';
    const ttl = d.ttl ?? 300;
    const hosts: WorldHost[] = [];
    const name = d.domain.toLowerCase();
    const hostEntry = (host: WorldHost, extra: Partial<ZoneEntry> = {}) => {
      hosts.push(host);
      zone.set(host.name, { A: [host.ip], ttl, ...extra });
    };
    switch (shape) {
      case 'nxdomain':
        break;
      case 'servfail':
        zone.set(name, { servfail: true });
        break;
      case 'timeout':
        zone.set(name, { timeout: true });
        break;
      case 'null_mx':
        zone.set(name, { MX: [{ exchange: '', priority: 0 }], A: [nextIp()], ttl });
        break;
      case 'private_mx': {
        zone.set(name, { MX: [{ exchange: `mx1.${name}`, priority: 10 }, { exchange: `mx2.${name}`, priority: 20 }], ttl });
        hostEntry({ name: `mx1.${name}`, priority: 10, ip: '10.0.0.5', listening: false, behaviour: d.behaviour });
        hostEntry({ name: `mx2.${name}`, priority: 20, ip: '169.254.169.254', listening: false, behaviour: d.behaviour }, { AAAA: ['fd00::25'] });
        break;
      }
      case 'a_only': {
        const host: WorldHost = { name, priority: 0, ip: nextIp(), listening: d.behaviour !== 'refuses', behaviour: d.behaviour };
        hosts.push(host);
        zone.set(name, { A: [host.ip], ttl });
        break;
      }
      case 'mx': {
        let mx: WorldHost[];
        if (d.behaviour === 'm365') {
          mx = [{ name: `${name.replace(/\./g, '-')}.mail.protection.outlook.test`, priority: 0, ip: nextIp(), listening: true, behaviour: 'm365' }];
        } else if (d.behaviour === 'primary_down') {
          mx = [
            { name: `mx1.${name}`, priority: 10, ip: nextIp(), listening: false, behaviour: 'refuses' },
            { name: `mx2.${name}`, priority: 20, ip: nextIp(), listening: true, behaviour: 'rejects_unknown' },
          ];
        } else {
          mx = [{ name: `mx1.${name}`, priority: 10, ip: nextIp(), listening: d.behaviour !== 'refuses', behaviour: d.behaviour }];
        }
        zone.set(name, { MX: mx.map((h) => ({ exchange: h.name, priority: h.priority })), A: [nextIp()], ttl });
        for (const h of mx) hostEntry(h);
        break;
      }
    }
    domains.push({ ...d, dns: shape, hosts });
  }
  for (const [name, entry] of Object.entries(opts.extraRecords ?? {})) zone.set(name.toLowerCase().replace(/\.$/, ''), entry);

  // Who has a mailbox where (lower-cased addresses).
  const mailboxes = new Map<string, Mailbox>();
  for (const p of spec.people) if (p.email && p.mailbox) mailboxes.set(p.email.toLowerCase(), p.mailbox);

  // ---- DNS ----------------------------------------------------------------------------------
  const dnsTimers = new Set<NodeJS.Timeout>();
  const dnsQueries: string[] = [];
  const dnsServer = new UDPServer((request, send) => {
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    response.header.ra = 1;
    const q = request.questions[0];
    if (q) dnsQueries.push(`${q.name.toLowerCase()} ${Packet.typeName(q.type)}`);
    const reply = () => {
      if ((opts.dnsLatencyMs ?? 0) > 0) {
        const t = setTimeout(() => { dnsTimers.delete(t); void send(response).catch(() => {}); }, opts.dnsLatencyMs);
        dnsTimers.add(t);
      } else {
        void send(response).catch(() => {});
      }
    };
    if (!q) {
      response.header.rcode = Packet.RCODE.FORMERR;
      return reply();
    }
    const entry = zone.get(q.name.toLowerCase().replace(/\.$/, ''));
    if (!entry) {
      response.header.rcode = Packet.RCODE.NXDOMAIN;
      return reply();
    }
    if (entry.timeout) return; // silence
    if (entry.servfail) {
      response.header.rcode = Packet.RCODE.SERVFAIL;
      return reply();
    }
    const ttl = entry.ttl ?? 300;
    const base = { name: q.name, class: Packet.CLASS.IN, ttl };
    if (q.type === Packet.TYPE.MX) {
      for (const mx of entry.MX ?? []) response.answers.push({ ...base, type: Packet.TYPE.MX, exchange: mx.exchange, priority: mx.priority } as never);
    } else if (q.type === Packet.TYPE.A) {
      for (const address of entry.A ?? []) response.answers.push({ ...base, type: Packet.TYPE.A, address } as never);
    } else if (q.type === Packet.TYPE.AAAA) {
      for (const address of entry.AAAA ?? []) response.answers.push({ ...base, type: Packet.TYPE.AAAA, address } as never);
    }
    reply(); // an existing name with no records of the type: NOERROR, no answers (ENODATA)
  });
  dnsServer.on('requestError', () => {}); // garbage packets: ignore
  await dnsServer.listen(0, '127.0.0.1');
  const dnsPort = (dnsServer.address() as net.AddressInfo).port;
  const dnsServers = [`127.0.0.1:${dnsPort}`];

  // ---- SMTP ---------------------------------------------------------------------------------
  const cert = await worldCertificate();
  const greylist = new Map<string, number>();
  const latencyTimers = new Set<NodeJS.Timeout>();
  const later = (ms: number) =>
    ms <= 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const t = setTimeout(() => { latencyTimers.delete(t); resolve(); }, ms);
          t.unref(); // never keep a test process alive; sockets do that when someone waits
          latencyTimers.add(t);
        });

  const allStats: HostStats[] = [];
  // whenIdle(): waiters resolved from onClose, so tests wait on the server's own bookkeeping.
  let idleWaiters: { ready: () => boolean; resolve: () => void }[] = [];
  const notifyIdle = () => {
    idleWaiters = idleWaiters.filter((w) => (w.ready() ? (w.resolve(), false) : true));
  };
  const statsByName = new Map<string, HostStats>();
  const sockets = new Set<net.Socket>();
  const servers: SMTPServer[] = [];
  const listening: { server: SMTPServer; ip: string }[] = [];

  for (const d of domains) {
    for (const h of d.hosts) {
      const stats = newHostStats(h, d.domain);
      allStats.push(stats);
      statsByName.set(h.name, stats);
      if (!h.listening) continue;

      const extraLatency = latencyMs + (d.latencyMs ?? 0);
      const starttls = d.starttls ?? opts.starttls ?? true;
      const bySocket = new Map<string, net.Socket>(); // "addr:port" → socket, to drop connections
      const admitted = new Map<string, string>();     // session id → client address
      const rcptsInSession = new Map<string, number>();
      const sessionSocket = (s: SMTPServerSession) => bySocket.get(`${s.remoteAddress}:${s.remotePort}`);

      const server: SMTPServer = new SMTPServer({
        name: h.name,
        banner: 'mail world',
        authOptional: true,
        disabledCommands: starttls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
        hideSTARTTLS: !starttls,
        disableReverseLookup: true, // no PTR lookups against the system resolver
        closeTimeout: 50,
        ...(cert ?? {}),
        // smtp-server logs every command at debug level: that is our command counter.
        logger: {
          debug: (entry: { tnx?: string; command?: string }) => {
            if (entry?.tnx === 'command' && entry.command) stats.commands[entry.command] = (stats.commands[entry.command] ?? 0) + 1;
          },
          info: () => {}, warn: () => {}, error: () => {}, trace: () => {}, fatal: () => {},
        } as never,

        onConnect(session, callback) {
          void later(extraLatency + (d.commandLatencyMs?.greeting ?? 0)).then(() => {
            if (h.behaviour === 'conn_limit') {
              const limit = d.connLimit ?? 1;
              const mine = [...admitted.values()].filter((a) => a === session.remoteAddress).length;
              if (mine >= limit) {
                stats.refused++;
                return callback(smtpError(421, `4.7.0 ${h.name} Error: too many connections from ${session.remoteAddress}`));
              }
            }
            admitted.set(session.id, session.remoteAddress);
            stats.sessions++;
            stats.current++;
            stats.peak = Math.max(stats.peak, stats.current);
            callback();
            if (h.behaviour === 'drops') {
              // The greeting is on its way; hang up as soon as the client says anything — before
              // smtp-server (an earlier 'data' listener) can answer it.
              const socket = sessionSocket(session);
              socket?.prependOnceListener('data', () => socket.destroy());
            }
          });
        },

        onClose(session) {
          if (admitted.delete(session.id)) stats.current--;
          rcptsInSession.delete(session.id);
          notifyIdle();
        },

        onSecure(_socket, _session, callback) {
          stats.tls++;
          callback();
        },

        onMailFrom(address: SMTPServerAddress, session, callback) {
          stats.mails++;
          stats.mailFrom.push(address.address);
          if (session.hostNameAppearsAs) stats.helo.push(session.hostNameAppearsAs);
          void later(extraLatency + (d.commandLatencyMs?.mail ?? 0)).then(() => callback());
        },

        onRcptTo(address: SMTPServerAddress, session, callback) {
          stats.rcpts++;
          const rcpt = address.address.toLowerCase();
          stats.recipients.push(rcpt);
          const n = (rcptsInSession.get(session.id) ?? 0) + 1;
          rcptsInSession.set(session.id, n);
          if (d.dropAtRcpt !== undefined && n === d.dropAtRcpt) {
            sessionSocket(session)?.destroy(); // no reply at all: a crash or a middlebox reset
            return;
          }
          const delay = extraLatency + (d.commandLatencyMs?.rcpt ?? 0) + (h.behaviour === 'slow' ? (d.slowMs ?? 5000) : 0);
          void later(delay).then(() => {
            const at = rcpt.slice(rcpt.lastIndexOf('@') + 1);
            if (at !== d.domain.toLowerCase()) {
              return callback(smtpError(554, `5.7.1 <${rcpt}>: Relay access denied`));
            }
            switch (h.behaviour) {
              case 'blocks_us':
                return callback(smtpError(554, `5.7.1 Service unavailable; Client host [${session.remoteAddress}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/${session.remoteAddress}`));
              case 'accept_all':
              case 'm365':
                return callback();
              case 'greylist': {
                const key = `${session.remoteAddress}|${session.envelope.mailFrom ? session.envelope.mailFrom.address : ''}|${rcpt}`;
                const first = greylist.get(key);
                const wait = d.greylistDelayMs ?? 0;
                if (first === undefined || Date.now() - first < wait) {
                  if (first === undefined) greylist.set(key, Date.now());
                  const seconds = Math.max(1, Math.ceil(wait / 1000));
                  return callback(smtpError(451, `4.7.1 <${rcpt}>: Recipient address rejected: Greylisted for ${seconds} seconds (see http://postgrey.schweikert.ch/help/${d.domain}.html)`));
                }
                break; // passed the greylist: answer as an honest server
              }
              default:
                break;
            }
            const box = mailboxes.get(rcpt);
            if (box === 'active') return callback();
            if (box === 'full') return callback(smtpError(452, `4.2.2 <${rcpt}>: Mailbox full, over quota`));
            if (box === 'disabled') return callback(smtpError(550, `5.2.1 <${rcpt}>: Recipient address rejected: account disabled`));
            return callback(smtpError(550, `5.1.1 <${rcpt}>: Recipient address rejected: User unknown in virtual mailbox table`));
          });
        },

        onData(stream, _session, callback) {
          stats.data++;
          stream.resume();
          stream.on('end', () => callback(smtpError(554, '5.7.1 DATA is not accepted in the mail world')));
        },
      });
      server.on('error', () => {}); // client resets etc.: not our concern
      server.server.on('connection', (socket: net.Socket) => {
        stats.connections++;
        sockets.add(socket);
        const key = `${socket.remoteAddress}:${socket.remotePort}`;
        bySocket.set(key, socket);
        socket.once('close', () => {
          sockets.delete(socket);
          bySocket.delete(key);
        });
      });
      servers.push(server);
      listening.push({ server, ip: h.ip });
    }
  }

  const listenOn = (server: SMTPServer, ip: string, port: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.server.once('error', onError);
      server.server.listen(port, ip, () => {
        server.server.off('error', onError);
        resolve((server.server.address() as net.AddressInfo).port);
      });
    });

  // Every host on one port: take an ephemeral port on the first address, then the same port on
  // the others; if some other process holds it on one of them, start over with a new port.
  let smtpPort = opts.smtpPort ?? 0;
  for (let attempt = 0; listening.length > 0; attempt++) {
    try {
      const [first, ...rest] = listening;
      smtpPort = await listenOn(first.server, first.ip, opts.smtpPort ?? 0);
      await Promise.all(rest.map((l) => listenOn(l.server, l.ip, smtpPort)));
      break;
    } catch (err) {
      await Promise.all(listening.map((l) => new Promise<void>((r) => (l.server.server.listening ? l.server.server.close(() => r()) : r()))));
      if (opts.smtpPort !== undefined || attempt >= 5 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  if (smtpPort === 0) smtpPort = opts.smtpPort ?? 25; // a world with no listening host

  const stats: WorldStats = {
    hosts: allStats,
    dnsQueries,
    host(name: string) {
      const s = statsByName.get(name.toLowerCase());
      if (!s) throw new Error(`no host ${name} in the mail world`);
      return s;
    },
    totals() {
      const commands: Record<string, number> = {};
      for (const s of allStats) for (const [k, v] of Object.entries(s.commands)) commands[k] = (commands[k] ?? 0) + v;
      const sum = (f: (s: HostStats) => number) => allStats.reduce((n, s) => n + f(s), 0);
      return {
        connections: sum((s) => s.connections), sessions: sum((s) => s.sessions), refused: sum((s) => s.refused),
        rcpts: sum((s) => s.rcpts), data: sum((s) => s.data), peak: Math.max(0, ...allStats.map((s) => s.peak)), commands,
      };
    },
    whenIdle(name?: string) {
      const hosts = name ? [stats.host(name)] : allStats;
      const ready = () => hosts.every((h) => h.current === 0);
      if (ready()) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push({ ready, resolve }));
    },
    reset() {
      dnsQueries.length = 0;
      for (const s of allStats) {
        Object.assign(s, { connections: 0, sessions: 0, peak: s.current, refused: 0, tls: 0, mails: 0, rcpts: 0, data: 0, commands: {}, recipients: [], helo: [], mailFrom: [] });
      }
    },
  };

  const byDomain = new Map(domains.map((d) => [d.domain.toLowerCase(), d]));
  let stopped = false;

  return {
    dnsServers,
    smtpPort,
    domains,
    people: spec.people,
    settingsOverrides: { dns: { servers: dnsServers }, smtp: { port: smtpPort, allowPrivate: true } },
    env: { DNS_SERVERS: dnsServers.join(','), SMTP_PORT: String(smtpPort), ALLOW_PRIVATE_MX: 'true' },
    smtpSettings(overrides = {}) {
      return {
        port: smtpPort,
        heloName: 'verify.toofr.test',
        mailFrom: 'verify@toofr.test',
        proxy: undefined,
        maxSessionsPerMx: 2,
        maxRcptsPerSession: 10,
        timeoutMs: 2000,
        allowPrivate: true,
        ...overrides,
      };
    },
    domain(name: string) {
      const d = byDomain.get(name.toLowerCase());
      if (!d) throw new Error(`no domain ${name} in the mail world`);
      return d;
    },
    stats,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of [...latencyTimers, ...dnsTimers]) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await Promise.all([
        ...servers.map((s) => new Promise<void>((resolve) => (s.server.listening ? s.close(() => resolve()) : resolve()))),
        new Promise<void>((resolve) => dnsServer.close(() => resolve())),
      ]);
    },
  };
}
