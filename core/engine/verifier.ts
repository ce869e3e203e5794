/**
 * The per-domain SMTP check (design.md §2.4): one polite session per domain batch, candidates in
 * ranked order, a catch-all probe once per domain, classification into the Hunter vocabulary, and
 * the in-process half of politeness — a cap on concurrent sessions per MX host, a cap on RCPTs per
 * session, and a cool-down after 421 / rate-limit / block replies. The cross-process cap is the
 * queue's job (pg-boss group concurrency); nothing here sleeps: greylisting and rate limits come
 * back as `temporary` so the caller re-queues the record for later.
 *
 * Rules that keep answers honest (anchors-email.md §2–3):
 *  - only a 5.1.x (or equivalent text) makes an address `invalid`; a server refusing *us*, a
 *    timeout, a drop, a 4xx are `unknown`;
 *  - a 250 means `valid` only once a random address at the same domain was refused; if the random
 *    one is accepted too the domain is `accept_all`, and if the probe got a 4xx we do not know
 *    (AfterShip treats that as catch-all; it is not);
 *  - we do not fall back to a backup MX after the primary has started answering: backup MXes
 *    often accept everything for later delivery, which would read as valid/catch-all.
 */
import type { Settings } from '../config.ts';
import type { Logger } from '../logger.ts';
import { isPublicAddress, type DnsResolver, type MailHost, type MailStatus } from './dns.ts';
import { addressProblem, openSession, SmtpError, type RcptResult, type SessionOptions, type SmtpSession } from './smtp.ts';
import { shortReply, type ReplyKind } from './smtp-reply.ts';
import type { Verification } from './types.ts';

export type CheckKind =
  | ReplyKind
  | 'not_checked'  // not asked: an earlier answer settled it (valid found, accept-all, we were stopped)
  | 'no_mail'      // the domain takes no mail (NXDOMAIN, null MX, no hosts), or its hosts are private and refused
  | 'unreachable'  // no mail host could be connected to
  | 'timeout'      // the server did not answer in time
  | 'dropped'      // the server closed the connection
  | 'protocol';    // the server did not speak SMTP

export interface CandidateCheck {
  email: string;
  verification: Verification;
  kind: CheckKind;
  /** Short, user-safe: the server's reply (≤120 chars) or our explanation. */
  reply: string;
  code?: number;
  enhanced?: string;
}

/**
 * Why an answer must be asked again later: the server `deferred` these recipients (greylisting,
 * other 4xx about them), asked us to `slow_down` (421, too many connections or recipients), or
 * was `unavailable` (no connection, timeouts, DNS failure).
 */
export type TemporaryKind = 'deferred' | 'slow_down' | 'unavailable';

export interface DomainCheck {
  domain: string;
  mailStatus: MailStatus;
  /** MX host names in preference order (as resolved). */
  mx: string[];
  /** true: the domain accepts every address; false: it rejects unknown users; null: not known. */
  acceptAll: boolean | null;
  /** One per distinct candidate, in the order given. */
  results: CandidateCheck[];
  /** The MX host that answered, if any. */
  mxHost: string | null;
  /** TCP connections opened (attempts included) for this call; a reused idle session counts 0. */
  connections: number;
  /** RCPT TO commands sent for this call (probe included). */
  rcpts: number;
  /** Set when the answer may change if asked later (greylisting, rate limits, timeouts, DNS errors). */
  temporary?: { retryAfterSeconds: number; reason: string; kind: TemporaryKind };
  /** Why nothing could be checked, when that is the case. */
  reason?: string;
}

export interface CheckOptions {
  /** Stop at the first candidate proven valid (a 250 on a domain that rejects unknown users). */
  stopAtFirstValid: boolean;
  /** The domain's catch-all status if already known (cached): skips the probe. */
  knownAcceptAll?: boolean | null;
}

export interface VerifierOptions {
  settings: Settings['smtp'];
  dns: DnsResolver;
  log?: Logger;
  /** Uniform [0, 1): for the catch-all probe's random local part. */
  random?: () => number;
  /** Milliseconds clock for cool-downs and probe caching. */
  now?: () => number;
  /** Keep a finished session open this long for the next check at the same MX host (RSET, reuse). 0 = off. Default 5000. */
  keepAliveMs?: number;
  /** Whole-session limit. Default max(4 × timeoutMs, 30 s). */
  sessionTimeoutMs?: number;
  /** STARTTLS settings (opportunistic, unverified, by default; see smtp.ts). */
  tls?: SessionOptions['tls'];
}

export interface Verifier {
  checkDomain(domain: string, candidates: string[], opts: CheckOptions): Promise<DomainCheck>;
  /** QUIT idle sessions; call on shutdown. */
  close(): Promise<void>;
  /** Sessions currently open per MX host (in use + idle), for tests and metrics. */
  openSessions(): Record<string, number>;
}

const DEFAULT_RETRY_SECONDS = 300;   // postgrey's default window; Hunter-style "check back later"
const RATE_COOLDOWN_SECONDS = 60;    // first 421 / too many connections; doubles per repeat
const MAX_COOLDOWN_SECONDS = 900;
const BLOCKED_COOLDOWN_SECONDS = 3600; // a server that blocklisted us will not change its mind soon
const PROBE_TTL_MS = 3_600_000;
const PROBE_LENGTH = 20;             // ≥15 random alphanumerics (Reacher uses 15, AfterShip 32)

/** One MX host's sessions: a counting semaphore whose idle holders can be handed over. */
interface HostPool {
  open: number;
  idle: { session: SmtpSession; timer: NodeJS.Timeout; openedAt: number }[];
  waiters: (() => void)[];
}

interface Lease {
  exchange: string;
  /** An idle session handed over with the slot, if there was one. */
  reused: SmtpSession | null;
  openedAt: number;
}

export function createVerifier(options: VerifierOptions): Verifier {
  const s = options.settings;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const keepAliveMs = options.keepAliveMs ?? 5000;
  const sessionTimeoutMs = options.sessionTimeoutMs ?? Math.max(4 * s.timeoutMs, 30_000);
  const log = options.log;
  const pools = new Map<string, HostPool>();
  const cooldowns = new Map<string, { until: number; strikes: number; reason: string; kind: 'rate' | 'blocked' }>();
  const probes = new Map<string, { local: string; expires: number }>();
  const closing = new Set<Promise<void>>();

  // ------------------------------------------------------------------------------------------
  // Per-host slots and idle sessions

  function pool(exchange: string): HostPool {
    let p = pools.get(exchange);
    if (!p) pools.set(exchange, (p = { open: 0, idle: [], waiters: [] }));
    return p;
  }

  async function acquire(exchange: string): Promise<Lease> {
    const p = pool(exchange);
    for (;;) {
      const idle = p.idle.pop();
      if (idle) {
        clearTimeout(idle.timer);
        idle.session.ref();
        return { exchange, reused: idle.session, openedAt: idle.openedAt };
      }
      if (p.open < s.maxSessionsPerMx) {
        p.open++;
        return { exchange, reused: null, openedAt: now() };
      }
      await new Promise<void>((resolve) => p.waiters.push(resolve));
    }
  }

  function wake(p: HostPool): void {
    p.waiters.shift()?.();
  }

  /** Quit a session and free its slot only once the connection is gone (so caps hold on the server). */
  function retire(exchange: string, session: SmtpSession | null): void {
    const p = pool(exchange);
    const done = (session ? session.quit() : Promise.resolve()).finally(() => {
      p.open--;
      closing.delete(done);
      wake(p);
    });
    closing.add(done);
  }

  function release(lease: Lease, session: SmtpSession | null): void {
    const p = pool(lease.exchange);
    const reusable =
      session && !session.closed && !coolingDown(lease.exchange) && keepAliveMs > 0 && session.rcptCount < s.maxRcptsPerSession &&
      now() - lease.openedAt + keepAliveMs < sessionTimeoutMs / 2;
    if (!reusable || !session) {
      retire(lease.exchange, session);
      return;
    }
    session.unref(); // an idle pooled session must not keep the process alive
    const entry = {
      session,
      openedAt: lease.openedAt,
      timer: setTimeout(() => {
        p.idle = p.idle.filter((e) => e !== entry);
        retire(lease.exchange, session);
      }, keepAliveMs),
    };
    entry.timer.unref();
    p.idle.push(entry);
    wake(p);
  }

  // ------------------------------------------------------------------------------------------
  // Cool-downs

  function coolingDown(exchange: string): { seconds: number; reason: string; kind: 'rate' | 'blocked' } | null {
    const c = cooldowns.get(exchange);
    if (!c || c.until <= now()) return null;
    return { seconds: Math.ceil((c.until - now()) / 1000), reason: c.reason, kind: c.kind };
  }

  function coolDown(exchange: string, kind: 'rate' | 'blocked', reason: string): number {
    const prev = cooldowns.get(exchange);
    // Several sessions hit by the same burst of 421s count as one strike, not one each.
    if (prev && prev.until > now() && kind === 'rate') return Math.ceil((prev.until - now()) / 1000);
    const strikes = (prev?.strikes ?? 0) + 1;
    const seconds = kind === 'blocked' ? BLOCKED_COOLDOWN_SECONDS : Math.min(MAX_COOLDOWN_SECONDS, RATE_COOLDOWN_SECONDS * 2 ** (strikes - 1));
    cooldowns.set(exchange, { until: now() + seconds * 1000, strikes, reason, kind });
    log?.info({ exchange, seconds, reason }, 'MX host cooling down');
    return seconds;
  }

  /**
   * A normal answer resets the backoff — once the current cool-down is over. Sessions that were
   * already running when another got a 421 must not cancel the pause for everyone.
   */
  function settled(exchange: string): void {
    const c = cooldowns.get(exchange);
    if (c && c.until <= now()) cooldowns.delete(exchange);
  }

  // ------------------------------------------------------------------------------------------
  // The catch-all probe address

  /**
   * A random local part, kept per domain for an hour: when a greylisting server defers the probe,
   * the re-check asks about the same address and gets past the greylist.
   */
  function probeAddress(domain: string): string {
    const hit = probes.get(domain);
    if (hit && hit.expires > now()) return `${hit.local}@${domain}`;
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    let local = '';
    for (let i = 0; i < PROBE_LENGTH; i++) local += alphabet[Math.floor(random() * alphabet.length) % alphabet.length];
    if (!/^[a-z]/.test(local)) local = `x${local.slice(1)}`; // some servers dislike a leading digit
    probes.set(domain, { local, expires: now() + PROBE_TTL_MS });
    return `${local}@${domain}`;
  }

  // ------------------------------------------------------------------------------------------

  function sessionOptions(host: MailHost, address: string): SessionOptions {
    const o: SessionOptions = {
      host: host.exchange,
      address,
      port: s.port,
      heloName: s.heloName,
      mailFrom: s.mailFrom,
      timeoutMs: s.timeoutMs,
      sessionTimeoutMs,
    };
    if (s.proxy) o.proxy = s.proxy;
    if (options.tls !== undefined) o.tls = options.tls;
    if (log) o.log = log;
    return o;
  }

  function failureKind(err: SmtpError): CheckKind {
    switch (err.failure) {
      case 'connect':
      case 'proxy':
      case 'tls':
        return 'unreachable';
      case 'timeout':
      case 'session_timeout':
        return 'timeout';
      case 'dropped':
      case 'closed':
        return 'dropped';
      case 'greeting':
        return err.kind ?? 'other_permanent';
      case 'protocol':
        return 'protocol';
      case 'bad_address':
        return 'syntax';
    }
  }

  function failureText(host: string, err: SmtpError): string {
    if (err.reply) return shortReply(err.reply.code, err.reply.text);
    return shortReply(0, `${host}: ${err.message}`).replace(/^0 /, '');
  }

  async function checkDomain(rawDomain: string, candidates: string[], opts: CheckOptions): Promise<DomainCheck> {
    const domain = rawDomain.trim().toLowerCase().replace(/\.$/, '');
    // Distinct candidates, in order; each must be at this domain (a caller bug otherwise).
    const emails: string[] = [];
    const seen = new Set<string>();
    for (const raw of candidates) {
      const email = raw.trim();
      const key = email.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      if (!key.endsWith(`@${domain}`)) throw new TypeError(`checkDomain(${domain}): candidate ${JSON.stringify(email)} is not at this domain`);
      emails.push(email);
    }

    const results = new Map<string, CandidateCheck>();
    const out: DomainCheck = {
      domain, mailStatus: 'ok', mx: [], acceptAll: opts.knownAcceptAll ?? null,
      results: [], mxHost: null, connections: 0, rcpts: 0,
    };
    const finish = (): DomainCheck => {
      out.results = emails.map((e) => results.get(e)!);
      return out;
    };
    const set = (email: string, verification: Verification, kind: CheckKind, reply: string, r?: { code: number; enhanced?: string }) => {
      const c: CandidateCheck = { email, verification, kind, reply };
      if (r && r.code) c.code = r.code;
      if (r?.enhanced) c.enhanced = r.enhanced;
      results.set(email, c);
    };
    let temporary: { retryAfterSeconds: number; reason: string; kind: TemporaryKind } | undefined;
    const markTemporary = (seconds: number | undefined, reason: string, kind: TemporaryKind) => {
      const retry = Math.max(1, Math.round(seconds ?? DEFAULT_RETRY_SECONDS));
      if (!temporary || retry > temporary.retryAfterSeconds) temporary = { retryAfterSeconds: retry, reason, kind };
    };

    // Refused locally: never put these on the wire.
    const pending: string[] = [];
    for (const e of emails) {
      const problem = addressProblem(e);
      if (problem) set(e, 'invalid', 'syntax', `not a valid address (${problem}); not checked`);
      else pending.push(e);
    }

    const mail = await options.dns.resolveMailHosts(domain);
    out.mailStatus = mail.status;
    out.mx = mail.hosts.map((h) => h.exchange);
    if (mail.status !== 'ok' && mail.status !== 'a_fallback') {
      out.reason = mail.reason ?? mail.status;
      // A domain that takes no mail makes every address at it undeliverable. When we *refused*
      // its hosts (private ranges) or DNS failed, we know nothing about the addresses.
      const undeliverable = mail.status === 'nxdomain' || mail.status === 'null_mx' || (mail.status === 'no_mail' && !mail.refused?.length);
      const kind: CheckKind = mail.status === 'error' ? 'temporary' : 'no_mail';
      for (const e of pending) set(e, undeliverable ? 'invalid' : 'unknown', kind, shortReply(0, out.reason).replace(/^0 /, ''));
      if (mail.status === 'error') out.temporary = { retryAfterSeconds: DEFAULT_RETRY_SECONDS, reason: out.reason, kind: 'unavailable' };
      return finish();
    }
    if (pending.length === 0) return finish();

    let acceptAll = out.acceptAll;
    let probeSent = false;      // the catch-all probe got an answer in this call (or was deferred)
    let probePrimed = false;    // the probe was sent during greylisting, to prime it for the re-check
    let stopped = false;
    let validFound = false;
    let lastFailure: { kind: CheckKind; text: string; temporary: boolean } | null = null;

    /** Everything not yet asked, once we stop. */
    const settleRest = (verification: Verification, why: string) => {
      for (const e of pending.splice(0)) set(e, verification, 'not_checked', why);
      stopped = true;
    };

    /**
     * A host we are leaving alone. After a rate limit that is temporary (ask again once the pause
     * is over); after a block it is what the block itself was — `blocked_us`, not temporary. Reading
     * a block's hour-long pause as "retry later" made every later record at a blocking domain
     * re-queue for an hour, up to MAX_RECHECKS times, while the first one was settled unknown.
     */
    const noteCooling = (exchange: string, cool: { seconds: number; reason: string; kind: 'rate' | 'blocked' }) => {
      if (cool.kind === 'blocked') {
        lastFailure = { kind: 'blocked_us', text: `${exchange} refused our checker: ${cool.reason}`, temporary: false };
        return;
      }
      lastFailure = { kind: 'rate_limited', text: `${exchange} is cooling down: ${cool.reason}`, temporary: true };
      markTemporary(cool.seconds, `${exchange} asked us to slow down`, 'slow_down');
    };

    for (const host of mail.hosts) {
      if (stopped || pending.length === 0) break;
      const cool = coolingDown(host.exchange);
      if (cool) {
        noteCooling(host.exchange, cool);
        continue;
      }

      const lease = await acquire(host.exchange);
      let session: SmtpSession | null = null;
      try {
        const cooled = coolingDown(host.exchange); // set by another check while we waited
        if (cooled) {
          if (lease.reused) session = lease.reused; // released below: retired, as the host is cooling down
          noteCooling(host.exchange, cooled);
          continue;
        }
        // A reused idle session starts with RSET, which also proves it is still alive.
        if (lease.reused) {
          try {
            await lease.reused.reset();
            session = lease.reused;
          } catch {
            lease.reused.destroy();
          }
        }

        /** Opens a session to this host, trying each address; records why not. */
        const connect = async (): Promise<SmtpSession | null> => {
          for (const address of host.addresses) {
            // Defence in depth: the DNS module already refused private targets, but the answer
            // may come from a cache filled under other settings.
            if (!s.allowPrivate && !isPublicAddress(address)) {
              lastFailure = { kind: 'no_mail', text: `${host.exchange} points at a private address; refused`, temporary: false };
              continue;
            }
            out.connections++;
            try {
              const opened = await openSession(sessionOptions(host, address));
              lease.openedAt = now();
              return opened;
            } catch (err) {
              if (!(err instanceof SmtpError)) throw err;
              const kind = failureKind(err);
              log?.debug({ exchange: host.exchange, address, failure: err.failure, err: err.message }, 'SMTP connect failed');
              lastFailure = { kind, text: failureText(host.exchange, err), temporary: kind !== 'blocked_us' && kind !== 'protocol' };
              if (kind === 'rate_limited') coolDown(host.exchange, 'rate', '421 at greeting (too many connections)');
              if (kind === 'blocked_us') {
                coolDown(host.exchange, 'blocked', 'refused us at greeting');
                return null; // it will not like us at its other address either
              }
            }
          }
          return null;
        };

        if (!session) session = await connect();
        if (!session) continue; // next MX host
        out.mxHost = host.exchange;
        let reconnects = 0;

        /**
         * RCPT one address on a session with room: reconnects when the per-session RCPT cap is
         * reached, and once (per check) when the server dropped the connection — Reacher does the
         * same on an incomplete reply; a second drop is reported.
         */
        const ask = async (address: string): Promise<RcptResult> => {
          for (;;) {
            if (!session || session.rcptCount >= s.maxRcptsPerSession) {
              // Anti-harvest filters count RCPTs per connection: start a fresh one.
              const old = session;
              session = null;
              if (old) await old.quit();
              session = await connect();
              if (!session) throw new SmtpError('connect', 'connect', lastFailure?.text ?? 'could not reconnect');
            }
            const current: SmtpSession = session;
            const before = current.rcptCount;
            try {
              return await current.rcpt(address);
            } catch (err) {
              if (!(err instanceof SmtpError) || err.failure === 'bad_address') throw err;
              current.destroy();
              session = null;
              if (failureKind(err) !== 'dropped' || reconnects > 0) throw err;
              reconnects++;
              log?.debug({ exchange: host.exchange, err: err.message }, 'connection dropped; reconnecting once');
            } finally {
              out.rcpts += current.rcptCount - before;
            }
          }
        };

        while (pending.length > 0 && !stopped) {
          const email = pending[0];
          let r: RcptResult;
          try {
            r = await ask(email);
          } catch (err) {
            if (!(err instanceof SmtpError)) throw err;
            pending.shift();
            const kind = failureKind(err);
            set(email, kind === 'syntax' ? 'invalid' : 'unknown', kind, failureText(host.exchange, err));
            if (kind !== 'syntax') {
              markTemporary(undefined, `${host.exchange}: ${kind === 'timeout' ? 'no reply in time' : 'connection problem'}`, 'unavailable');
              settleRest('unknown', `not checked: ${host.exchange} stopped answering`);
            }
            continue;
          }

          pending.shift();
          const reply = shortReply(r.code, r.text);

          if (r.stage === 'mail') {
            // Our MAIL FROM was refused: this is about us, and every RCPT would fail the same way.
            set(email, 'unknown', r.kind, reply, r);
            if (r.kind === 'rate_limited') markTemporary(coolDown(host.exchange, 'rate', reply), `${host.exchange} asked us to slow down`, 'slow_down');
            else if (r.kind === 'blocked_us') coolDown(host.exchange, 'blocked', reply);
            else if (r.kind === 'greylisted' || r.kind === 'temporary') markTemporary(r.retryAfterSeconds, `${host.exchange} deferred our sender`, 'deferred');
            settleRest('unknown', 'not checked: the server refused our sender');
            break;
          }

          switch (r.kind) {
            case 'accepted': {
              settled(host.exchange);
              if (acceptAll === true) {
                set(email, 'accept_all', 'accepted', reply, r);
                settleRest('accept_all', 'not checked: the domain accepts every address');
                break;
              }
              if (acceptAll === false) {
                set(email, 'valid', 'accepted', reply, r);
                validFound = true;
                if (opts.stopAtFirstValid) settleRest('unknown', 'not checked: an earlier candidate is valid');
                break;
              }
              if (probeSent) {
                // The probe was deferred earlier in this call: a 250 proves nothing yet.
                set(email, 'unknown', 'accepted', `${reply} (catch-all test deferred)`, r);
                break;
              }
              // Is this 250 about the address, or does the server take anything? Ask about a
              // random address in the same session.
              probeSent = true;
              let p: RcptResult;
              try {
                p = await ask(probeAddress(domain));
              } catch (err) {
                if (!(err instanceof SmtpError)) throw err;
                set(email, 'unknown', 'accepted', `${reply} (catch-all test failed: ${failureKind(err)})`, r);
                markTemporary(undefined, 'the catch-all test could not be completed', 'unavailable');
                settleRest('unknown', 'not checked: the catch-all test could not be completed');
                break;
              }
              if (p.kind === 'accepted') {
                acceptAll = true;
                set(email, 'accept_all', 'accepted', reply, r);
                settleRest('accept_all', 'not checked: the domain accepts every address');
              } else if (p.code >= 500 && p.kind !== 'blocked_us') {
                acceptAll = false; // a random address was refused: the 250 meant this mailbox
                set(email, 'valid', 'accepted', reply, r);
                validFound = true;
                if (opts.stopAtFirstValid) settleRest('unknown', 'not checked: an earlier candidate is valid');
              } else {
                // 4xx or a block on the probe: catch-all status unknown (not "catch-all").
                set(email, 'unknown', 'accepted', `${reply} (catch-all test deferred: ${shortReply(p.code, p.text, 60)})`, r);
                if (p.kind === 'rate_limited') markTemporary(coolDown(host.exchange, 'rate', shortReply(p.code, p.text)), `${host.exchange} asked us to slow down`, 'slow_down');
                else markTemporary(p.retryAfterSeconds, 'the catch-all test was deferred', 'deferred');
                settleRest('unknown', 'not checked: the catch-all test was deferred');
              }
              break;
            }
            case 'unknown_user':
            case 'syntax':
              settled(host.exchange);
              set(email, 'invalid', r.kind, reply, r);
              break;
            case 'disabled':
              // The mailbox exists but takes no mail: undeliverable (Reacher counts it invalid too).
              set(email, 'invalid', 'disabled', reply, r);
              // The person's mailbox was found (switched off): asking the rest would only spend
              // RCPTs and risk a namesake's 250.
              if (opts.stopAtFirstValid) settleRest('unknown', 'not checked: an earlier candidate is the mailbox (disabled)');
              break;
            case 'full_inbox':
              // Exists, cannot take mail now. Unknown for deliverability; the kind tells the scorer
              // the mailbox is real, and as with a valid one there is no need to ask further.
              set(email, 'unknown', 'full_inbox', reply, r);
              if (opts.stopAtFirstValid) settleRest('unknown', 'not checked: an earlier candidate is the mailbox (full)');
              break;
            case 'greylisted':
            case 'temporary':
              set(email, 'unknown', r.kind, reply, r);
              markTemporary(r.retryAfterSeconds, r.kind === 'greylisted' ? `${host.exchange} greylisted us` : `${host.exchange} deferred the check`, 'deferred');
              // Keep going: asking about the other candidates (and the probe address) now means
              // the greylist knows them all when the record is re-checked.
              if (acceptAll === null && !probePrimed && !probeSent && r.kind === 'greylisted') {
                probePrimed = true;
                try {
                  const p = await ask(probeAddress(domain));
                  if (p.kind === 'accepted') acceptAll = true;
                  else if (p.code >= 500 && p.kind !== 'blocked_us') acceptAll = false;
                } catch {
                  // the candidates' loop will notice a dead session
                }
              }
              break;
            case 'rate_limited': {
              set(email, 'unknown', 'rate_limited', reply, r);
              markTemporary(coolDown(host.exchange, 'rate', reply), `${host.exchange} asked us to slow down`, 'slow_down');
              settleRest('unknown', 'not checked: the server asked us to slow down');
              break;
            }
            case 'blocked_us':
              set(email, 'unknown', 'blocked_us', reply, r);
              coolDown(host.exchange, 'blocked', reply);
              settleRest('unknown', 'not checked: the server refused our checker');
              break;
            case 'other_permanent':
              set(email, 'unknown', 'other_permanent', reply, r);
              break;
          }
          if (session && session.closed) {
            // e.g. a 421 mid-session: the server hung up. Unasked candidates are dealt with below.
            session = null;
            if (pending.length > 0 && !stopped) {
              markTemporary(undefined, `${host.exchange} closed the session`, 'unavailable');
              settleRest('unknown', `not checked: ${host.exchange} closed the session`);
            }
          }
        }
        // This host answered: we do not fall back to a backup MX (it may accept everything).
        stopped = true;
      } finally {
        release(lease, session);
      }
    }

    // Nothing answered: every host unreachable, refusing or cooling down.
    if (pending.length > 0) {
      const f = lastFailure as { kind: CheckKind; text: string; temporary: boolean } | null;
      const text = f?.text ?? 'no mail host could be reached';
      out.reason = text;
      for (const e of pending.splice(0)) set(e, 'unknown', f?.kind ?? 'unreachable', text);
      if (!f || f.temporary) markTemporary(undefined, text, f?.kind === 'rate_limited' ? 'slow_down' : 'unavailable');
    }

    out.acceptAll = acceptAll;
    // Reported even beside a valid address: a caller that asked several candidates needs to know
    // that ones ranked above the valid one were only deferred (greylisting), not answered.
    if (temporary) out.temporary = temporary;
    return finish();
  }

  return {
    checkDomain,
    async close(): Promise<void> {
      for (const [exchange, p] of pools) {
        for (const entry of p.idle.splice(0)) {
          clearTimeout(entry.timer);
          // Idle sessions are unref'd; a QUIT we wait for must keep the process alive until answered.
          entry.session.ref();
          retire(exchange, entry.session);
        }
      }
      await Promise.all([...closing]);
    },
    openSessions(): Record<string, number> {
      return Object.fromEntries([...pools].filter(([, p]) => p.open > 0).map(([k, p]) => [k, p.open]));
    },
  };
}
