/**
 * Reply classification against real-world replies (Gmail, Microsoft 365 / Exchange, Postfix,
 * Exim, Mimecast, Proofpoint, Yahoo, IronPort, postgrey, qmail, sendmail). Text as the SMTP
 * client hands it over: code stripped, continuation lines joined by spaces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyReply, enhancedCode, retryAfterFromText, shortReply, type ReplyKind } from '../../core/engine/smtp-reply.ts';

type Row = [source: string, code: number, text: string, kind: ReplyKind, enhanced?: string, retry?: number];

const ROWS: Row[] = [
  // --- accepted
  ['Gmail 250', 250, '2.1.5 OK a1-20020a05 - gsmtp', 'accepted', '2.1.5'],
  ['Postfix 250', 250, '2.1.5 Ok', 'accepted', '2.1.5'],
  ['Exim 250 plain', 250, 'Accepted', 'accepted'],
  ['251 forward', 251, 'User not local; will forward to <x@example.org>', 'accepted'],

  // --- unknown user
  ['Gmail 550 5.1.1', 550, "5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. Learn more at https://support.google.com/mail/?p=NoSuchUser a1si - gsmtp", 'unknown_user', '5.1.1'],
  ['M365 5.1.10', 550, '5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient jane@contoso.com not found by SMTP address lookup', 'unknown_user', '5.1.10'],
  ['M365 DBEB 5.4.1', 550, '5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]', 'unknown_user', '5.4.1'],
  ['Exchange on-prem', 550, '5.1.1 RESOLVER.ADR.RecipNotFound; not found', 'unknown_user', '5.1.1'],
  ['Postfix local table', 550, '5.1.1 <jane@example.com>: Recipient address rejected: User unknown in local recipient table', 'unknown_user', '5.1.1'],
  ['Postfix virtual table', 550, '5.1.1 <jane@example.com>: Recipient address rejected: User unknown in virtual mailbox table', 'unknown_user', '5.1.1'],
  ['Exim unrouteable', 550, 'Unrouteable address', 'unknown_user'],
  ['cPanel Exim', 550, 'No Such User Here', 'unknown_user'],
  ['IronPort #5.1.0', 550, '#5.1.0 Address rejected jane@example.com', 'unknown_user', '5.1.0'],
  ['Mimecast 550', 550, 'Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 [abc123.uk1]', 'unknown_user'],
  ['Proofpoint', 550, '5.1.1 User Unknown', 'unknown_user', '5.1.1'],
  ['French server', 550, '5.1.1 <jean@exemple.fr>: Utilisateur inconnu', 'unknown_user', '5.1.1'],
  ['Yahoo 554', 554, "delivery error: dd This user doesn't have a yahoo.com account (jane@yahoo.com) [0] - mta1042.mail.gq1.yahoo.com", 'unknown_user'],
  ['sendmail 5.0.0', 550, '5.0.0 <jane@example.com>... User unknown', 'unknown_user', '5.0.0'],
  ['qmail', 511, 'sorry, no mailbox here by that name (#5.1.1)', 'unknown_user'],
  ['Zimbra', 550, '5.1.1 <jane@example.com>: Recipient address rejected: example.com', 'unknown_user', '5.1.1'],

  // --- mailbox state
  ['Gmail over quota 552', 552, '5.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm', 'full_inbox', '5.2.2'],
  ['Gmail over quota 452', 452, '4.2.2 The email account that you tried to reach is over quota and inactive.', 'full_inbox', '4.2.2'],
  ['Dovecot LMTP full', 452, 'Mailbox full, over quota', 'full_inbox'],
  ['plain 552', 552, 'Requested mail action aborted: exceeded storage allocation', 'full_inbox'],
  ['Gmail disabled', 550, '5.2.1 The email account that you tried to reach is disabled. Learn more at https://support.google.com/mail/?p=DisabledUser', 'disabled', '5.2.1'],
  ['account inactive', 550, 'Recipient account is inactive', 'disabled'],

  // --- greylisting and other temporary answers
  ['postgrey', 450, '4.2.0 <jane@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html', 'greylisted', '4.2.0'],
  ['Exim greylist', 451, '4.7.1 Greylisting in action, please come back later', 'greylisted', '4.7.1'],
  ['greylist with delay', 451, '4.7.1 <jane@example.com>: Recipient address rejected: Greylisted for 300 seconds', 'greylisted', '4.7.1', 300],
  ['try again later 4.7.0', 451, '4.7.0 Temporary server error. Please try again later. PRX4', 'greylisted', '4.7.0'],
  ['not yet authorized', 450, 'Not yet authorized to deliver mail from <verify@toofr.example> to <jane@example.com>. Please try later.', 'greylisted'],
  ['Mimecast 451', 451, 'Internal resource temporarily unavailable - https://community.mimecast.com/docs/DOC-1369#451', 'greylisted'],
  ['Gmail 4.2.1 rate per user', 450, '4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.', 'temporary', '4.2.1'],
  ['Postfix unverified', 450, '4.1.1 <jane@example.com>: Recipient address rejected: unverified address: host mx.example.com said: 450 try again', 'temporary', '4.1.1'],
  ['Exim local problem', 451, 'Temporary local problem - please try later', 'temporary'],
  ['Exchange resources', 452, '4.3.1 Insufficient system resources', 'temporary', '4.3.1'],

  // --- rate limits
  ['Gmail 421', 421, '4.7.0 Try again later, closing connection. (EHLO) a1si - gsmtp', 'rate_limited', '4.7.0'],
  ['M365 too many recipients', 452, '4.5.3 Too many recipients (AS780090) [AM0PR01MB.eurprd01.prod.exchangelabs.com]', 'rate_limited', '4.5.3'],
  ['world conn limit', 421, '4.7.0 mx1.limited.test Error: too many connections from 127.0.0.1', 'rate_limited', '4.7.0'],
  ['Postfix anvil', 421, '4.7.0 mail.example.com Error: too many connections from 203.0.113.9', 'rate_limited', '4.7.0'],
  ['Yahoo deferral', 421, '4.7.0 [TSS04] Messages from 203.0.113.9 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1', 'rate_limited', '4.7.0'],
  ['no enhanced, rate', 450, 'Too many concurrent SMTP connections; please slow down', 'rate_limited'],

  // --- the server refused us: never "invalid"
  ['Spamhaus 554', 554, '5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.9', 'blocked_us', '5.7.1'],
  ['M365 banned IP', 550, '5.7.606 Access denied, banned sending IP [203.0.113.9]. To request removal from this list please visit https://sender.office.com/', 'blocked_us', '5.7.606'],
  ['Proofpoint block', 554, '5.7.1 Blocked - see https://ipcheck.proofpoint.com/?ip=203.0.113.9', 'blocked_us', '5.7.1'],
  ['Postfix rDNS', 450, '4.7.1 Client host rejected: cannot find your hostname, [203.0.113.9]', 'blocked_us', '4.7.1'],
  ['Barracuda', 554, 'Service unavailable; Client host [203.0.113.9] blocked using Barracuda Reputation; http://www.barracudanetworks.com/reputation/?pr=1&ip=203.0.113.9', 'blocked_us'],
  ['Mimecast policy', 550, 'Administrative prohibition - envelope blocked - https://community.mimecast.com/docs/DOC-1369#550', 'blocked_us'],
  ['Gmail unsolicited', 550, '5.7.1 [203.0.113.9] Our system has detected that this message is likely unsolicited mail.', 'blocked_us', '5.7.1'],
  ['relay denied', 554, '5.7.1 <jane@example.com>: Relay access denied', 'blocked_us', '5.7.1'],
  ['sender rejected', 553, '5.1.8 <verify@toofr.example>: Sender address rejected: Domain not found', 'blocked_us', '5.1.8'],
  ['listed in RBL with 5.1.1 (blocklist wins)', 550, '5.1.1 Your IP is listed at bl.spamcop.net', 'blocked_us', '5.1.1'],
  ['policy without text', 550, '5.7.1 Recipient address rejected: Access denied', 'blocked_us', '5.7.1'],

  // --- syntax and unattributable
  ['bad address syntax', 501, '5.1.3 Bad recipient address syntax', 'syntax', '5.1.3'],
  ['command unrecognised', 500, '5.5.1 Error: command not recognized', 'syntax', '5.5.1'],
  ['generic 554', 554, 'Transaction failed', 'other_permanent'],
  ['5.2.0 is not "no such user"', 550, '5.2.0 mailbox unavailable', 'other_permanent', '5.2.0'],
];

for (const [source, code, text, kind, enhanced, retry] of ROWS) {
  test(`classifyReply: ${source} → ${kind}`, () => {
    const c = classifyReply(code, text);
    assert.equal(c.kind, kind, `${code} ${text}`);
    assert.equal(c.enhanced, enhanced);
    if (retry !== undefined) assert.equal(c.retryAfterSeconds, retry);
  });
}

test('there are about forty real-world replies in the table', () => {
  assert.ok(ROWS.length >= 40);
});

test('no reply about us or any 4xx ever classifies as unknown_user', () => {
  for (const [, code, text, kind] of ROWS) {
    if (kind === 'blocked_us' || code < 500) assert.notEqual(classifyReply(code, text).kind, 'unknown_user', text);
  }
});

test('enhancedCode reads the RFC 3463 code at the start only', () => {
  assert.equal(enhancedCode('5.1.1 user unknown'), '5.1.1');
  assert.equal(enhancedCode('#5.1.0 Address rejected'), '5.1.0');
  assert.equal(enhancedCode('5.1.10 RESOLVER'), '5.1.10');
  assert.equal(enhancedCode('user unknown (5.1.1)'), undefined);
  assert.equal(enhancedCode('4.16.55.1 yahoo'), undefined);
});

test('retryAfterFromText understands seconds and minutes', () => {
  assert.equal(retryAfterFromText('Greylisted for 300 seconds'), 300);
  assert.equal(retryAfterFromText('please try again in 5 minutes'), 300);
  assert.equal(retryAfterFromText('retry after 60s'), 60);
  assert.equal(retryAfterFromText('try again later'), undefined);
});

test('shortReply strips control characters and cuts long server text', () => {
  assert.equal(shortReply(550, '5.1.1 user\r\nunknown'), '550 5.1.1 user unknown');
  const long = shortReply(550, 'x'.repeat(500));
  assert.equal(long.length, 120);
  assert.ok(long.endsWith('…'));
});
