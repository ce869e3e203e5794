/**
 * What an SMTP reply to RCPT TO (or MAIL FROM, or a greeting) means for an address check.
 *
 * Order of evidence (anchors-email.md §3.3): the enhanced status code (RFC 3463) first, then the
 * reply text, then the basic code. Two rules are never broken, because getting them wrong is how
 * verifiers report good addresses as bad (Reacher #939, AfterShip #126):
 *  - a server refusing *us* (blocklists, reverse DNS, policy, our sender rejected) is `blocked_us`,
 *    whatever code it came with — the caller maps it to "unknown", never "invalid";
 *  - a 4xx is never an answer about the mailbox; greylisting and rate limits are told apart so the
 *    caller can re-check later through the queue (not by sleeping).
 */

export type ReplyKind =
  | 'accepted'        // 2xx: the server will take mail for this address (maybe because it takes all mail)
  | 'unknown_user'    // 5.1.x / "user unknown": the mailbox does not exist
  | 'full_inbox'      // 4.2.2 / 5.2.2 / "over quota": the mailbox exists but is full
  | 'disabled'        // 5.2.1 / "account disabled": the mailbox exists but takes no mail
  | 'greylisted'      // 4xx from greylisting software: ask again later, it will likely pass
  | 'temporary'       // any other 4xx: ask again later
  | 'blocked_us'      // the server refused the checker itself (IP reputation, rDNS, sender, policy)
  | 'rate_limited'    // 421 / too many connections / too many recipients: slow down
  | 'syntax'          // 5.1.3, 500–504: the command or address was malformed
  | 'other_permanent'; // another 5xx we cannot attribute: treat as unknown

export interface ReplyClass {
  kind: ReplyKind;
  /** The RFC 3463 code the server sent, e.g. "5.1.1", if any. */
  enhanced?: string;
  /** When the text says how long to wait ("try again in 300 seconds"). */
  retryAfterSeconds?: number;
}

// "5.1.1", "#5.1.0" (Cisco IronPort), with or without the "550-" prefix already stripped.
const ENHANCED_RE = /^#?([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$|[^\d.])/;

// About us, not about the address. Checked before anything else so it always wins.
const BLOCKED_RE = new RegExp(
  [
    'spamhaus', 'spamcop', 'barracuda', 'sorbs', 'dnsbl', '\\brbl\\b', 'block ?list', 'black ?list', 'blocked using',
    'listed (?:at|on|in|by)', 'reverse dns', '\\brdns\\b', '\\bptr\\b', 'cannot find your hostname', 'client host',
    'your ip', 'sending ip', 'poor reputation', 'ip reputation', 'ipcheck\\.proofpoint', 'banned send',
    'administrative prohibition', 'envelope blocked', 'security polic', 'sender address rejected', 'sender verify',
    'verification failed for <', 'relay access denied', 'relaying denied', 'not permitted to relay', 'unsolicited',
    'dmarc', '\\bspf\\b', 'helo', 'ehlo command rejected',
  ].join('|'),
  'i',
);

// Greylisting software and the gateways that greylist (postgrey, Exim/Postfix policy daemons, Mimecast 451).
const GREYLIST_RE =
  /gr[ea]y ?list|not yet authori[sz]ed|try again later|please retry later|retry in a (?:few|moment)|come back later|temporarily deferred|mimecast\.com.*#451|internal resource temporarily unavailable/i;

const RATE_RE =
  /too many (?:concurrent )?(?:connections|sessions|recipients|rcpt|messages|smtp)|rate limit|ratelimit|throttl|slow down|connection limit|unexpected volume|exceeded the (?:maximum|limit)/i;

const UNKNOWN_USER_RE = new RegExp(
  [
    'user unknown', 'unknown user', 'no such (?:user|mailbox|recipient|address|account)', 'mailbox unavailable',
    'mailbox not found', 'mailbox (?:is )?unknown', 'recipient rejected', 'recipient address rejected', 'does not exist',
    "doesn'?t exist", "doesn'?t have an? [\\w.-]+ account", 'utilisateur inconnu', 'unknown recipient', 'recipient unknown',
    'invalid recipient', 'invalid mailbox', 'not a valid mailbox', 'unrouteable address', 'unroutable address',
    'user not found', 'recipient not found', 'address not found', 'no mailbox here', 'unknown or illegal alias',
    'account does not exist', 'not our customer', 'address rejected', 'unbekannt', 'nicht vorhanden',
  ].join('|'),
  'i',
);

const FULL_RE =
  /over ?quota|quota exceeded|exceeded (?:\w+ )?(?:storage|quota)|mailbox (?:is )?full|inbox (?:is )?full|mailbox size limit|storage allocation|out of storage/i;

const DISABLED_RE =
  /disabled|inactive|deactivated|suspended|account (?:has been )?(?:closed|locked|blocked|expired)|no longer (?:active|in use|with)/i;

/** Seconds from "try again in 5 minutes", "retry after 60s", "greylisted for 300 seconds". */
export function retryAfterFromText(text: string): number | undefined {
  const m = /(?:in|after|for|wait)\s+(\d{1,5})\s*(s|secs?|seconds?|m|mins?|minutes?)\b/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const seconds = /^m/i.test(m[2]) ? n * 60 : n;
  return seconds > 0 ? seconds : undefined;
}

/** The RFC 3463 code at the start of a reply's text, e.g. "5.1.1". */
export function enhancedCode(text: string): string | undefined {
  const m = ENHANCED_RE.exec(text.trim());
  return m ? `${m[1]}.${Number(m[2])}.${Number(m[3])}` : undefined;
}

/**
 * Classifies one reply. `text` is the reply with the code stripped; multi-line replies joined by
 * spaces ("5.1.1 The email account that you tried to reach does not exist. ...").
 */
export function classifyReply(code: number, text: string): ReplyClass {
  const enhanced = enhancedCode(text);
  const out = (kind: ReplyKind): ReplyClass => {
    const result: ReplyClass = { kind };
    if (enhanced) result.enhanced = enhanced;
    if (kind === 'greylisted' || kind === 'temporary' || kind === 'rate_limited') {
      const retry = retryAfterFromText(text);
      if (retry !== undefined) result.retryAfterSeconds = retry;
    }
    return result;
  };

  if (code >= 200 && code < 300) return out('accepted');
  if (code < 400 || code >= 600) return out('other_permanent'); // 3xx/1xx to RCPT is a protocol error
  const temp = code < 500;

  // 1. About us, whatever the code says. A blocklisted checker must read "unknown", never "invalid".
  if (BLOCKED_RE.test(text)) return out('blocked_us');

  // 2. 421 means "closing the channel": back off, whatever else it says.
  if (code === 421) return out('rate_limited');

  // 3. Greylisting uses varied codes (postgrey 450 4.2.0, Exim 451 4.7.1, Mimecast 451 with none).
  if (temp && GREYLIST_RE.test(text) && !FULL_RE.test(text)) return out('greylisted');

  // 4. The enhanced code, when it is specific.
  if (enhanced) {
    const [, subject, detail] = enhanced.split('.').map(Number);
    // The basic code decides temporary vs permanent: it is what the protocol acts on, and a
    // mismatched enhanced class ("550 4.7.1") happens in the wild.
    const perm = !temp;
    switch (subject) {
      case 1: // addressing
        if (detail === 3) return out('syntax');                 // bad destination mailbox syntax
        if (detail === 7 || detail === 8) return out('blocked_us'); // *our sender* address rejected
        return out(perm ? 'unknown_user' : 'temporary');          // 5.1.0/5.1.1/5.1.2/5.1.6/5.1.10 …
      case 2: // mailbox status
        if (detail === 2) return out('full_inbox');               // 4.2.2 / 5.2.2
        if (detail === 1 && perm) return out('disabled');         // 5.2.1
        if (perm && FULL_RE.test(text)) return out('full_inbox');
        // 5.2.0 says the mailbox *exists* in some state: never read it as "no such user".
        return out(perm ? 'other_permanent' : 'temporary');       // e.g. Gmail 4.2.1 "receiving mail at a rate"
      case 3: // mail system status (the server's own storage, not the mailbox)
        return out(perm ? 'other_permanent' : 'temporary');
      case 4: // network and routing
        // Microsoft 365 directory-based edge blocking: "550 5.4.1 Recipient address rejected: Access denied"
        if (perm && detail === 1 && /recipient address rejected/i.test(text)) return out('unknown_user');
        return out(perm ? 'other_permanent' : 'temporary');
      case 5: // protocol
        if (detail === 3) return out('rate_limited');             // 4.5.3 / 5.5.3 too many recipients
        return out(perm ? 'syntax' : 'temporary');
      case 7: // security or policy: always about us
        if (!perm && RATE_RE.test(text)) return out('rate_limited');
        return out('blocked_us');
      default:
        break; // X.0.x and others: read the text
    }
  }

  // 5. The text.
  if (RATE_RE.test(text)) return out('rate_limited');
  if (FULL_RE.test(text)) return out('full_inbox');
  if (temp) return out('temporary');
  if (DISABLED_RE.test(text)) return out('disabled');
  if (UNKNOWN_USER_RE.test(text)) return out('unknown_user');

  // 6. The basic code.
  if (code === 552) return out('full_inbox'); // RFC 5321: exceeded storage allocation
  if (code >= 500 && code <= 504) return out('syntax');
  if (code === 555) return out('syntax');
  return out('other_permanent');
}

/**
 * A short, user-safe rendering of a reply: no control characters, no long server echo (servers put
 * IPs, internal host names and tracking ids in their text; appsmith learned not to echo it raw).
 */
export function shortReply(code: number, text: string, max = 120): string {
  const clean = `${code} ${text}`.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}
