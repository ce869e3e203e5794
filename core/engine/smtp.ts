/**
 * A small SMTP client that can do exactly one thing: ask a mail server whether it would accept
 * mail for an address — greeting, EHLO (HELO fallback), opportunistic STARTTLS, MAIL FROM, RCPT TO
 * …, RSET, QUIT. It never sends DATA, VRFY or EXPN (there is no code path that could).
 *
 * Why our own: no maintained npm library does RCPT-only checks. nodemailer's SMTPConnection is
 * built to send a message (its API pushes towards DATA, its envelope call sends MAIL+RCPT for all
 * recipients at once and reports only aggregate rejections); the verifier packages
 * (anchors-email.md §7) hard-code port 25, use getaddrinfo instead of pinned addresses, treat 4xx
 * as invalid, or are BSL-licensed. What we need — a pinned IP, one reply per RCPT with its
 * enhanced code, multi-line replies, per-command and whole-session timeouts, SOCKS5 — fits in a
 * few hundred lines.
 *
 * Safety rules enforced here, before anything reaches the wire:
 *  - every address (ours and the candidates) is validated; CR, LF, controls, spaces, angle
 *    brackets and quoted local parts are refused (command injection: "a@b\r\nDATA");
 *  - we connect to `address` (the IP the DNS module checked) and only use `host` for logs and
 *    TLS SNI, so a name cannot be re-resolved to somewhere else (DNS rebinding);
 *  - buffered plaintext is discarded when STARTTLS starts (response injection, CVE-2011-0411).
 */
import net from 'node:net';
import tls from 'node:tls';
import { StringDecoder } from 'node:string_decoder';
import { SocksClient } from 'socks';
import type { Logger } from '../logger.ts';
import { classifyReply, enhancedCode, type ReplyKind } from './smtp-reply.ts';

export interface SmtpReply {
  code: number;
  enhanced?: string;
  /** All lines' text joined by spaces, code prefixes removed, repeated enhanced codes removed. */
  text: string;
  /** Each line's text, as sent (for EHLO keywords). */
  lines: string[];
}

export interface RcptResult extends SmtpReply {
  kind: ReplyKind;
  retryAfterSeconds?: number;
  /**
   * 'rcpt': the reply to RCPT TO — about the address. 'mail': MAIL FROM was refused, so the
   * reply is about *us* (our sender, IP or rate) and says nothing about the address.
   */
  stage: 'mail' | 'rcpt';
}

export type SmtpFailure =
  | 'connect'          // TCP connect refused / unreachable / timed out
  | 'proxy'            // the SOCKS5 proxy failed or refused
  | 'greeting'         // the server greeted with 4xx/5xx (421 too many connections, 554 go away)
  | 'timeout'          // no reply to a command within timeoutMs
  | 'session_timeout'  // the whole session ran past sessionTimeoutMs
  | 'dropped'          // the server closed the connection mid-conversation
  | 'tls'              // STARTTLS offered but the handshake failed
  | 'protocol'         // a reply that is not SMTP, or too long
  | 'closed'           // the session was already closed (after QUIT or a 421)
  | 'bad_address';     // refused locally: the address is not safe to put on the wire

export class SmtpError extends Error {
  readonly failure: SmtpFailure;
  /** What we were doing: 'connect', 'greeting', 'EHLO', 'STARTTLS', 'MAIL', 'RCPT', 'RSET', … */
  readonly stage: string;
  readonly reply?: SmtpReply;
  readonly kind?: ReplyKind;
  constructor(failure: SmtpFailure, stage: string, message: string, reply?: SmtpReply, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SmtpError';
    this.failure = failure;
    this.stage = stage;
    if (reply) {
      this.reply = reply;
      this.kind = classifyReply(reply.code, reply.text).kind;
    }
  }
}

export interface SessionOptions {
  /** The MX host name: for logs and TLS SNI only. */
  host: string;
  /** The pinned, already checked IP to connect to. */
  address: string;
  port: number;
  heloName: string;
  mailFrom: string;
  /** Limit for connect and for each reply. */
  timeoutMs: number;
  /** Limit for the whole session, from connect to the last reply. */
  sessionTimeoutMs: number;
  /** `socks5://[user:pass@]host:port` */
  proxy?: string;
  /** STARTTLS when offered (default), or `false` to stay in plaintext. */
  tls?: { rejectUnauthorized?: boolean } | false;
  /** RSET + MAIL FROM after this many RCPTs in one transaction. Default 50 (RFC 5321 servers must take 100). */
  rcptsPerTransaction?: number;
  log?: Logger;
}

export interface SmtpSession {
  readonly host: string;
  readonly address: string;
  readonly greeting: SmtpReply;
  /** EHLO was accepted (else HELO). */
  readonly esmtp: boolean;
  /** The conversation is encrypted (STARTTLS succeeded). */
  readonly secure: boolean;
  /** Went through the SOCKS5 proxy. */
  readonly viaProxy: boolean;
  /** RCPT TO commands sent in this session. */
  readonly rcptCount: number;
  readonly closed: boolean;
  /** Why the session ended, once it has. */
  readonly closeReason: SmtpError | null;
  /** RCPT TO one address (MAIL FROM first when no transaction is open). */
  rcpt(address: string): Promise<RcptResult>;
  /** RSET: end the transaction; the next rcpt() starts a new one. */
  reset(): Promise<void>;
  /** QUIT politely and close. Never throws; safe to call twice. */
  quit(): Promise<void>;
  /** Close without QUIT (after a failure). */
  destroy(): void;
  /** Let an idle pooled session not keep the process alive (and undo that). */
  unref(): void;
  ref(): void;
}

// ---------------------------------------------------------------------------------------------
// Address checks

const LOCAL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_RE = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * Why `address` must not be put in a MAIL FROM / RCPT TO, or null when it is fine. Dot-atom local
 * parts and ASCII domains only (IDNs must arrive as punycode): that is every address we generate,
 * and it leaves nothing that could break out of `<…>` or the command line.
 */
export function addressProblem(address: string): string | null {
  if (typeof address !== 'string' || address.length === 0) return 'empty address';
  if (/[\u0000-\u0020\u007f]/.test(address)) return 'address contains spaces or control characters (CR/LF)';
  if (address.length > 254) return 'address longer than 254 characters';
  const at = address.lastIndexOf('@');
  if (at <= 0 || address.indexOf('@') !== at) return 'address must have exactly one @';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64) return 'local part longer than 64 characters';
  if (!LOCAL_RE.test(local)) return 'local part has characters that are not allowed';
  if (!DOMAIN_RE.test(domain)) return 'domain is not a valid host name';
  return null;
}

const HELO_RE = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

// ---------------------------------------------------------------------------------------------
// Reading replies

const MAX_LINE = 4096;   // RFC 5321 says 512; be lenient, but bounded
const MAX_LINES = 100;

/**
 * Turns the byte stream into replies. Lines are "ddd-text" (more follow) or "ddd text" (last).
 * One pending reader at a time: we never pipeline, so a reply that arrives with nobody waiting
 * is unsolicited (a 421 before closing) and is kept for the next read.
 */
class ReplyReader {
  #socket: net.Socket | null = null;
  #decoder = new StringDecoder('utf8');
  #buf = '';
  #lines: string[] = [];
  #code = 0;
  #queue: SmtpReply[] = [];
  #waiter: { resolve: (r: SmtpReply) => void; reject: (e: SmtpError) => void; timer: NodeJS.Timeout } | null = null;
  #onData = (chunk: Buffer) => this.#feed(this.#decoder.write(chunk));
  #onEnd = () => this.fail(new SmtpError('dropped', this.stage, 'the server closed the connection'));
  #onError = (err: Error) =>
    this.fail(new SmtpError('dropped', this.stage, `the connection failed (${(err as NodeJS.ErrnoException).code ?? err.message})`, undefined, { cause: err }));
  /** Terminal state: once set, every read fails with it. */
  error: SmtpError | null = null;
  /** For error messages: the command we are waiting on. */
  stage = 'greeting';
  onFail: ((err: SmtpError) => void) | null = null;

  attach(socket: net.Socket): void {
    this.#socket = socket;
    this.#decoder = new StringDecoder('utf8');
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
  }

  /** Stop reading (before a TLS upgrade) and forget anything buffered. */
  detach(): void {
    const s = this.#socket;
    if (s) {
      s.off('data', this.#onData);
      s.off('end', this.#onEnd);
      s.off('close', this.#onEnd);
      s.off('error', this.#onError);
    }
    this.#socket = null;
    this.#buf = '';
    this.#lines = [];
    this.#queue = [];
  }

  #feed(text: string): void {
    if (this.error) return;
    this.#buf += text;
    let nl: number;
    while ((nl = this.#buf.indexOf('\n')) >= 0) {
      const line = this.#buf.slice(0, nl).replace(/\r$/, '');
      this.#buf = this.#buf.slice(nl + 1);
      const m = /^([2-5]\d\d)([ -]|$)(.*)$/.exec(line);
      if (!m || (this.#lines.length > 0 && Number(m[1]) !== this.#code) || line.length > MAX_LINE || this.#lines.length >= MAX_LINES) {
        this.fail(new SmtpError('protocol', this.stage, `the server sent something that is not an SMTP reply: ${JSON.stringify(line.slice(0, 80))}`));
        return;
      }
      this.#code = Number(m[1]);
      this.#lines.push(m[3]);
      if (m[2] !== '-') {
        const reply = makeReply(this.#code, this.#lines);
        this.#lines = [];
        if (this.#waiter) {
          const w = this.#waiter;
          this.#waiter = null;
          clearTimeout(w.timer);
          w.resolve(reply);
        } else {
          this.#queue.push(reply);
        }
      }
    }
    if (this.#buf.length > MAX_LINE) {
      this.fail(new SmtpError('protocol', this.stage, 'the server sent a line longer than 4096 characters'));
    }
  }

  /** The next reply, or a timeout / drop. */
  read(timeoutMs: number): Promise<SmtpReply> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new SmtpError('timeout', this.stage, `no reply to ${this.stage} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = { resolve, reject, timer };
    });
  }

  /** Ends the conversation with `err`: the waiting read (if any) rejects, later reads too. */
  fail(err: SmtpError): void {
    if (this.error) return;
    this.error = err;
    const w = this.#waiter;
    this.#waiter = null;
    if (w) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.onFail?.(err);
  }
}

function makeReply(code: number, lines: string[]): SmtpReply {
  const enhanced = enhancedCode(lines[0] ?? '');
  // Gmail repeats "5.1.1" on every line; keep it once.
  const parts = lines.map((l, i) => (i > 0 && enhanced && l.startsWith(enhanced) ? l.slice(enhanced.length) : l).trim());
  const reply: SmtpReply = { code, text: parts.filter(Boolean).join(' '), lines };
  if (enhanced) reply.enhanced = enhanced;
  return reply;
}

// ---------------------------------------------------------------------------------------------
// Connecting

function parseProxy(proxy: string): { host: string; port: number; userId?: string; password?: string } {
  const u = new URL(proxy);
  if (!['socks5:', 'socks5h:', 'socks:'].includes(u.protocol)) throw new Error(`unsupported proxy ${u.protocol} (use socks5://)`);
  const out: { host: string; port: number; userId?: string; password?: string } = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 1080),
  };
  if (u.username) out.userId = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  return out;
}

async function connectSocket(opts: SessionOptions): Promise<net.Socket> {
  if (opts.proxy) {
    let proxy: ReturnType<typeof parseProxy>;
    try {
      proxy = parseProxy(opts.proxy);
    } catch (err) {
      throw new SmtpError('proxy', 'connect', `SMTP_PROXY is not usable: ${(err as Error).message}`, undefined, { cause: err });
    }
    try {
      const { socket } = await SocksClient.createConnection({
        proxy: { ...proxy, type: 5 },
        destination: { host: opts.address, port: opts.port },
        command: 'connect',
        timeout: opts.timeoutMs,
      });
      return socket;
    } catch (err) {
      const msg = (err as Error).message;
      // The proxy answered but could not reach the mail host: that is the host's problem, like a
      // direct refusal. Anything else (proxy down, auth failed) is the proxy's.
      const hostProblem = /rejected connection|Connection ?refused|Host ?unreachable|Network ?unreachable|TTL ?expired/i.test(msg);
      throw new SmtpError(hostProblem ? 'connect' : 'proxy', 'connect', `via the SOCKS5 proxy: ${msg}`, undefined, { cause: err });
    }
  }
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: opts.address, port: opts.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SmtpError('connect', 'connect', `could not connect to ${opts.host} within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new SmtpError('connect', 'connect', `could not connect to ${opts.host} (${err.code ?? err.message})`, undefined, { cause: err }));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The session

class Session implements SmtpSession {
  readonly host: string;
  readonly address: string;
  greeting: SmtpReply = { code: 0, text: '', lines: [] };
  esmtp = false;
  secure = false;
  readonly viaProxy: boolean;
  rcptCount = 0;
  #opts: SessionOptions;
  #socket: net.Socket | null = null;
  #reader = new ReplyReader();
  #sessionTimer: NodeJS.Timeout | null = null;
  #inTransaction = false;
  #mailSent = false;
  #txRcpts = 0;
  #quitting = false;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(opts: SessionOptions) {
    this.#opts = opts;
    this.host = opts.host;
    this.address = opts.address;
    this.viaProxy = Boolean(opts.proxy);
    this.#reader.onFail = () => this.#teardown();
  }

  get closed(): boolean {
    return this.#reader.error !== null;
  }

  get closeReason(): SmtpError | null {
    return this.#reader.error;
  }

  async open(): Promise<void> {
    const o = this.#opts;
    this.#sessionTimer = setTimeout(() => {
      this.#reader.fail(new SmtpError('session_timeout', this.#reader.stage, `the SMTP session ran past ${o.sessionTimeoutMs} ms`));
    }, o.sessionTimeoutMs);
    this.#reader.stage = 'connect';
    const socket = await connectSocket(o); // bounded by timeoutMs on its own
    if (this.#reader.error) {
      // The session timer fired while we were connecting (sessionTimeoutMs < timeoutMs).
      socket.destroy();
      throw this.#reader.error;
    }
    this.#socket = socket;
    socket.setNoDelay(true);
    this.#reader.attach(socket);

    this.#reader.stage = 'greeting';
    this.greeting = await this.#reader.read(o.timeoutMs);
    if (this.greeting.code !== 220) {
      const err = new SmtpError('greeting', 'greeting', `${o.host} refused the session: ${this.greeting.code} ${this.greeting.text}`.slice(0, 300), this.greeting);
      this.#reader.fail(err);
      throw err;
    }

    let features = await this.#hello();
    if (features.has('STARTTLS') && o.tls !== false) {
      const ready = await this.#command('STARTTLS');
      if (ready.code === 220) {
        await this.#upgrade();
        features = await this.#hello();
      }
      // Anything else (454 TLS not available): carry on in plaintext, as MTAs do.
    }
    this.#reader.stage = 'idle';
  }

  /** EHLO, or HELO when EHLO is not understood. Returns the EHLO extensions. */
  async #hello(): Promise<Set<string>> {
    const o = this.#opts;
    const ehlo = await this.#command(`EHLO ${o.heloName}`);
    if (ehlo.code === 250) {
      this.esmtp = true;
      // Line 1 is the server's name and greeting; each further line starts with a keyword.
      return new Set(ehlo.lines.slice(1).map((l) => l.trim().split(/\s+/)[0].toUpperCase()));
    }
    if (ehlo.code >= 500 && ehlo.code !== 554) {
      const helo = await this.#command(`HELO ${o.heloName}`);
      if (helo.code === 250) {
        this.esmtp = false;
        return new Set();
      }
      throw this.#fatal('greeting', 'HELO', helo);
    }
    throw this.#fatal('greeting', 'EHLO', ehlo);
  }

  #fatal(failure: SmtpFailure, stage: string, reply: SmtpReply): SmtpError {
    const err = new SmtpError(failure, stage, `${this.host} refused ${stage}: ${reply.code} ${reply.text}`.slice(0, 300), reply);
    this.#reader.fail(err);
    return err;
  }

  /**
   * STARTTLS, opportunistic: the certificate is not verified by default (rejectUnauthorized
   * false). That is what MTAs do for SMTP between servers (RFC 3207 §4.1; RFC 7435): MX
   * certificates are often self-signed or for another name, there is no name to verify them
   * against that an attacker could not also change in DNS, and refusing would only push the
   * check back to plaintext. Encryption still hides the addresses we ask about from passive
   * observers. Operators can require valid certificates with `tls: { rejectUnauthorized: true }`.
   */
  async #upgrade(): Promise<void> {
    const o = this.#opts;
    const raw = this.#socket!;
    this.#reader.detach(); // drops any plaintext that arrived after "220 ready" (injection)
    this.#reader.stage = 'TLS handshake';
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({
        socket: raw,
        servername: net.isIP(o.host) ? undefined : o.host,
        rejectUnauthorized: o.tls ? (o.tls.rejectUnauthorized ?? false) : false,
      });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new SmtpError('tls', 'STARTTLS', `TLS handshake with ${o.host} took longer than ${o.timeoutMs} ms`));
      }, o.timeoutMs);
      s.once('secureConnect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new SmtpError('tls', 'STARTTLS', `TLS handshake with ${o.host} failed: ${err.message}`, undefined, { cause: err }));
      });
    }).catch((err: SmtpError) => {
      this.#reader.attach(raw);
      this.#reader.fail(err);
      // If the session had already failed (its timer fired mid-handshake), report that instead:
      // only a genuine TLS failure may trigger the plaintext retry in openSession().
      throw this.#reader.error ?? err;
    });
    this.#socket = secure;
    this.#reader.attach(secure);
    this.secure = true;
  }

  /** Send one line, read one reply. Timeouts and drops reject (and end the session). */
  async #command(line: string): Promise<SmtpReply> {
    const verb = line.split(' ')[0];
    if (this.#reader.error) throw this.#reader.error;
    this.#reader.stage = verb === 'MAIL' ? 'MAIL FROM' : verb === 'RCPT' ? 'RCPT TO' : verb;
    this.#socket!.write(`${line}\r\n`);
    const reply = await this.#reader.read(this.#opts.timeoutMs);
    if (reply.code === 421 && verb !== 'QUIT') {
      // "Service not available, closing transmission channel": the server is going away.
      this.#reader.fail(new SmtpError('closed', this.#reader.stage, `${this.host} closed the session: 421 ${reply.text}`.slice(0, 300), reply));
    }
    return reply;
  }

  /** Serialise calls: the protocol is strictly one command, one reply. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  rcpt(address: string): Promise<RcptResult> {
    const problem = addressProblem(address);
    if (problem) {
      return Promise.reject(new SmtpError('bad_address', 'RCPT TO', `refused to send RCPT TO for ${JSON.stringify(address.slice(0, 100))}: ${problem}`));
    }
    return this.#serial(async () => {
      const o = this.#opts;
      if (this.#inTransaction && this.#txRcpts >= (o.rcptsPerTransaction ?? 50)) {
        await this.#resetNow();
      }
      if (!this.#inTransaction) {
        if (this.#mailSent) await this.#resetNow(); // a refused MAIL FROM leaves state to clear
        const mail = await this.#command(`MAIL FROM:<${o.mailFrom}>`);
        this.#mailSent = true;
        if (mail.code !== 250) {
          const c = classifyReply(mail.code, mail.text);
          // A refusal of our sender says nothing about the recipient: never let it read as
          // "unknown user", "full" or "disabled".
          const kind: ReplyKind = ['unknown_user', 'full_inbox', 'disabled', 'syntax', 'accepted'].includes(c.kind) ? 'blocked_us' : c.kind;
          const result: RcptResult = { ...mail, kind, stage: 'mail' };
          if (c.retryAfterSeconds !== undefined) result.retryAfterSeconds = c.retryAfterSeconds;
          return result;
        }
        this.#inTransaction = true;
        this.#txRcpts = 0;
      }
      // Counted when sent: a RCPT that timed out still counts against per-session caps.
      this.rcptCount++;
      this.#txRcpts++;
      const reply = await this.#command(`RCPT TO:<${address}>`);
      const c = classifyReply(reply.code, reply.text);
      const result: RcptResult = { ...reply, kind: c.kind, stage: 'rcpt' };
      if (c.retryAfterSeconds !== undefined) result.retryAfterSeconds = c.retryAfterSeconds;
      return result;
    });
  }

  async #resetNow(): Promise<void> {
    const r = await this.#command('RSET');
    if (r.code !== 250) throw this.#reader.error ?? this.#fatal('protocol', 'RSET', r); // a 421 already closed it
    this.#inTransaction = false;
    this.#mailSent = false;
    this.#txRcpts = 0;
  }

  reset(): Promise<void> {
    return this.#serial(() => this.#resetNow());
  }

  quit(): Promise<void> {
    if (this.#quitting || this.#reader.error) {
      this.#teardown();
      return this.#gone;
    }
    this.#quitting = true;
    return this.#serial(async () => {
      try {
        if (!this.#reader.error) {
          this.#reader.stage = 'QUIT';
          this.#socket!.write('QUIT\r\n');
          // Wait briefly for "221 Bye" so the server logs a clean close; don't hold up the caller.
          await this.#reader.read(Math.min(this.#opts.timeoutMs, 2000));
        }
      } catch {
        // already gone: fine
      } finally {
        this.#reader.fail(new SmtpError('closed', 'QUIT', 'the session was closed with QUIT'));
      }
      await this.#gone;
    });
  }

  destroy(): void {
    this.#reader.fail(new SmtpError('closed', this.#reader.stage, 'the session was closed'));
  }

  unref(): void {
    this.#socket?.unref();
    this.#sessionTimer?.unref();
  }

  ref(): void {
    this.#socket?.ref();
    this.#sessionTimer?.ref();
  }

  /** Resolves once the socket is fully closed (so a server-side connection count has dropped). */
  #gone: Promise<void> = Promise.resolve();

  #teardown(): void {
    if (this.#sessionTimer) clearTimeout(this.#sessionTimer);
    this.#sessionTimer = null;
    const s = this.#socket;
    if (!s || s.destroyed) return;
    this.#socket = null;
    s.on('error', () => {}); // a late ECONNRESET after we stopped listening
    this.#gone = new Promise((resolve) => s.once('close', () => resolve()));
    // Half-close politely, then make sure the descriptor goes away even if the peer lingers.
    s.end();
    const t = setTimeout(() => s.destroy(), 1000);
    t.unref();
    s.once('close', () => clearTimeout(t));
  }
}

/**
 * Connects, reads the greeting, says EHLO (or HELO), upgrades with STARTTLS when offered.
 * Throws SmtpError (failure 'connect' | 'proxy' | 'greeting' | 'timeout' | 'dropped' | 'tls' | …)
 * when no usable session could be set up; the caller falls back to the next address.
 */
export async function openSession(opts: SessionOptions): Promise<SmtpSession> {
  if (!HELO_RE.test(opts.heloName)) throw new SmtpError('bad_address', 'EHLO', `HELO name ${JSON.stringify(opts.heloName)} is not a host name`);
  const fromProblem = addressProblem(opts.mailFrom);
  if (fromProblem) throw new SmtpError('bad_address', 'MAIL FROM', `MAIL FROM address is unusable: ${fromProblem}`);
  if (!net.isIP(opts.address)) throw new SmtpError('connect', 'connect', `refusing to connect to ${JSON.stringify(opts.address)}: not an IP address (resolve and check it first)`);
  const session = new Session(opts);
  try {
    await session.open();
  } catch (err) {
    session.destroy();
    if (err instanceof SmtpError && err.failure === 'tls' && opts.tls !== false) {
      // Opportunistic TLS falls back to plaintext on a fresh connection, as MTAs do.
      opts.log?.debug({ host: opts.host, err: err.message }, 'STARTTLS failed; retrying without TLS');
      return openSession({ ...opts, tls: false });
    }
    throw err;
  }
  opts.log?.debug({ host: opts.host, address: opts.address, esmtp: session.esmtp, secure: session.secure, proxy: session.viaProxy }, 'SMTP session open');
  return session;
}
