import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  companyDomain,
  flagsFor,
  isDisposable,
  isRoleLocalPart,
  isValidEmailSyntax,
  isWebmail,
  mailProviderOf,
  parseEmail,
  resolveCompanyDomain,
} from '../../core/engine/domain.ts';

describe('resolveCompanyDomain', () => {
  const accepted: [input: string, domain: string, source: 'email' | 'url' | 'hostname'][] = [
    ['acme.com', 'acme.com', 'hostname'],
    ['ACME.COM', 'acme.com', 'hostname'],
    ['  acme.com  ', 'acme.com', 'hostname'],
    ['"acme.com"', 'acme.com', 'hostname'],
    ['acme.com.', 'acme.com', 'hostname'],
    ['www.acme.com', 'acme.com', 'hostname'],
    ['careers.acme.com', 'acme.com', 'hostname'],
    ['acme.com/about', 'acme.com', 'hostname'],
    ['acme.com:8080/x?y=1#z', 'acme.com', 'hostname'],
    ['https://www.acme.co.uk/about', 'acme.co.uk', 'url'],
    ['http://acme.com.au', 'acme.com.au', 'url'],
    ['https://shop.acme.com.au:443/', 'acme.com.au', 'url'],
    ['HTTPS://WWW.ACME.DE', 'acme.de', 'url'],
    ['//acme.com/x', 'acme.com', 'url'],
    ['http://user:pw@acme.com', 'acme.com', 'url'], // userinfo, not an email address
    ['www.acme.co.jp', 'acme.co.jp', 'hostname'],
    // IDN → punycode
    ['bücher.de', 'xn--bcher-kva.de', 'hostname'],
    ['https://www.bücher.de/x', 'xn--bcher-kva.de', 'url'],
    ['пример.рф', 'xn--e1afmkfd.xn--p1ai', 'hostname'],
    ['xn--bcher-kva.de', 'xn--bcher-kva.de', 'hostname'],
    // email: the mail domain as is (mail domains can be subdomains)
    ['jane@acme.com', 'acme.com', 'email'],
    ['jane@sub.acme.com', 'sub.acme.com', 'email'],
    ['Jane Doe <Jane@Sub.Acme.COM>', 'sub.acme.com', 'email'],
    ['mailto:jane@acme.co.uk?subject=hi', 'acme.co.uk', 'email'],
    ['jane@bücher.de', 'xn--bcher-kva.de', 'email'],
    // private suffixes stay, so we never guess at the platform's own domain
    ['acme.github.io', 'acme.github.io', 'hostname'],
    ['https://www.acme.uk.com', 'acme.uk.com', 'url'],
  ];
  for (const [input, domain, source] of accepted) {
    it(`should read ${JSON.stringify(input)} as ${domain}`, () => {
      const r = resolveCompanyDomain(input);
      assert.deepEqual(r.ok ? { domain: r.domain, source: r.source } : r, { domain, source });
      assert.equal(companyDomain(input), domain);
    });
  }

  const refused: [input: string | null | undefined, reason: RegExp][] = [
    ['Acme Inc', /company name, not a domain: add the company's website or domain/],
    ['Acme', /company name/],
    ['Acme Inc.', /company name/],
    ['AT&T', /company name/],
    ['', /no company website or domain/],
    [null, /no company website or domain/],
    [undefined, /no company website or domain/],
    ['127.0.0.1', /IP address/],
    ['10.1.2.3', /IP address/],
    ['http://192.168.1.1/admin', /IP address/],
    ['0x7f.1', /IP address/], // WHATWG URL reads this as 127.0.0.1
    ['[::1]', /IP address/],
    ['::1', /IP address/],
    ['http://[::1]:8080/', /IP address/],
    ['jane@[10.0.0.1]', /IP address/],
    ['localhost', /localhost/],
    ['http://localhost:3000', /localhost/],
    ['app.localhost', /localhost/],
    ['acme.test', /reserved name/],
    ['acme.example', /reserved name/],
    ['acme.invalid', /reserved name/],
    ['example.org', /reserved name \(example\.org\)/],
    ['acme.cmo', /known domain suffix.*typo/],
    ['acme.internal', /known domain suffix/],
    ['co.uk', /public suffix/],
    ['a..b.com', /not a valid domain/],
    ['-acme.com', /not a valid domain/],
    ['jane@', /not a valid one/],
    ['http://', /not a valid URL/],
  ];
  for (const [input, reason] of refused) {
    it(`should refuse ${JSON.stringify(input)} with a reason`, () => {
      const r = resolveCompanyDomain(input);
      assert.equal(r.ok, false, JSON.stringify(r));
      if (!r.ok) assert.match(r.reason, reason);
      assert.equal(companyDomain(input), undefined);
    });
  }

  it('should accept reserved names when allowed (tests and labs)', () => {
    assert.equal(companyDomain('acme.test', { allowReserved: true }), 'acme.test');
    assert.equal(companyDomain('jane@mail.acme.test', { allowReserved: true }), 'mail.acme.test');
    assert.equal(companyDomain('127.0.0.1', { allowReserved: true }), undefined, 'IP addresses stay refused');
  });

  it('should note webmail and shared-platform domains', () => {
    const gmail = resolveCompanyDomain('jane@gmail.com');
    assert.ok(gmail.ok && /webmail/.test(gmail.note ?? ''));
    const gh = resolveCompanyDomain('acme.github.io');
    assert.ok(gh.ok && /shared platform/.test(gh.note ?? ''));
    const plain = resolveCompanyDomain('acme.com');
    assert.ok(plain.ok && plain.note === undefined);
  });
});

describe('isWebmail / isDisposable / isRoleLocalPart / flagsFor', () => {
  const domains: [domain: string, webmail: boolean, disposable: boolean][] = [
    ['gmail.com', true, false],
    ['GMAIL.COM', true, false],
    ['outlook.com', true, false],
    ['yahoo.co.uk', true, false],
    ['gmx.de', true, false],
    ['qq.com', true, false],
    ['mailinator.com', true, true],
    ['guerrillamail.com', true, true],
    ['sub.33mail.com', false, true], // wildcard entry covers subdomains
    ['acme.com', false, false],
    ['microsoft.com', false, false],
  ];
  for (const [domain, webmail, disposable] of domains) {
    it(`should classify ${domain}: webmail=${webmail} disposable=${disposable}`, () => {
      assert.equal(isWebmail(domain), webmail);
      assert.equal(isDisposable(domain), disposable);
    });
  }

  const locals: [local: string, role: boolean][] = [
    ['info', true],
    ['INFO', true],
    ['sales', true],
    ['support', true],
    ['no-reply', true],
    ['noreply', true],
    ['no_reply', true],
    ['info+newsletter', true],
    ['jane', false],
    ['jane.doe', false],
    ['jdoe', false],
    ['sydney', false], // a given name the package lists as a role
    ['paris', false],
    ['', false],
  ];
  for (const [local, role] of locals) {
    it(`should say ${JSON.stringify(local)} is ${role ? '' : 'not '}a role`, () => {
      assert.equal(isRoleLocalPart(local), role);
    });
  }

  it('should gather flags for an address', () => {
    assert.deepEqual(flagsFor('info@gmail.com'), ['webmail', 'role']);
    assert.deepEqual(flagsFor('jane@mailinator.com'), ['webmail', 'disposable']);
    assert.deepEqual(flagsFor('jane.doe@acme.com'), []);
    assert.deepEqual(flagsFor('not-an-address'), []);
  });
});

describe('isValidEmailSyntax', () => {
  const table: [email: string, valid: boolean][] = [
    ['jane@acme.com', true],
    ['jane.doe@acme.co.uk', true],
    ['jane.doe+tag@acme.com', true],
    ["o'brien@acme.com", true],
    ['j_doe-1@sub.acme.com', true],
    ['jane@xn--bcher-kva.de', true],
    [`${'a'.repeat(64)}@acme.com`, true],
    [`${'a'.repeat(65)}@acme.com`, false],
    [`jane@${'a'.repeat(63)}.com`, true],
    [`jane@${'a'.repeat(64)}.com`, false],
    [`jane@${Array(64).fill('abc').join('.')}.com`, false], // domain > 253
    ['jane@acme.com\r\nDATA', false],
    ['jane@acme.com\n', false],
    ['jane doe@acme.com', false],
    [' jane@acme.com', false],
    ['jane@@acme.com', false],
    ['jane@acme@com', false],
    ['@acme.com', false],
    ['jane@', false],
    ['jane', false],
    ['jane@acme', false],
    ['jane@-acme.com', false],
    ['jane@acme-.com', false],
    ['jane@acme..com', false],
    ['.jane@acme.com', false],
    ['jane.@acme.com', false],
    ['ja..ne@acme.com', false],
    ['"jane doe"@acme.com', false],
    ['jane@[192.168.0.1]', false],
    ['jane@acme.123', false],
    ['josé@acme.com', false],
    ['jane@bücher.de', false], // use parseEmail first
    ['jane@acme.com>', false],
    ['', false],
  ];
  for (const [email, valid] of table) {
    it(`should say ${JSON.stringify(email)} is ${valid ? 'valid' : 'invalid'}`, () => {
      assert.equal(isValidEmailSyntax(email), valid);
    });
  }
});

describe('parseEmail', () => {
  const table: [input: string | null, expected: { email: string; local: string; domain: string } | undefined][] = [
    ['jane@acme.com', { email: 'jane@acme.com', local: 'jane', domain: 'acme.com' }],
    ['  Jane.Doe@ACME.com  ', { email: 'jane.doe@acme.com', local: 'jane.doe', domain: 'acme.com' }],
    ['<jane@acme.com>', { email: 'jane@acme.com', local: 'jane', domain: 'acme.com' }],
    ['Jane Doe <jane@acme.com>', { email: 'jane@acme.com', local: 'jane', domain: 'acme.com' }],
    ['"Doe, Jane" <jane@acme.com>', { email: 'jane@acme.com', local: 'jane', domain: 'acme.com' }],
    ['mailto:jane@acme.com', { email: 'jane@acme.com', local: 'jane', domain: 'acme.com' }],
    ['MAILTO:jane@acme.com?subject=Hello&body=x', { email: 'jane@acme.com', local: 'jane', domain: 'acme.com' }],
    ['mailto:jane%2Bnews@acme.com', { email: 'jane+news@acme.com', local: 'jane+news', domain: 'acme.com' }],
    ['<mailto:jane@acme.com>', { email: 'jane@acme.com', local: 'jane', domain: 'acme.com' }],
    ['jane@acme.com.', { email: 'jane@acme.com', local: 'jane', domain: 'acme.com' }],
    ['jane@Bücher.de', { email: 'jane@xn--bcher-kva.de', local: 'jane', domain: 'xn--bcher-kva.de' }],
    ['jane@acme.com\r\nRCPT TO:<x@y.com>', undefined],
    ['mailto:jane%0d%0a@acme.com', undefined],
    ['jane@[1.2.3.4]', undefined],
    ['jane', undefined],
    ['', undefined],
    [null, undefined],
    ['mailto:%E0%A4%A', undefined], // broken percent-encoding
  ];
  for (const [input, expected] of table) {
    it(`should parse ${JSON.stringify(input)}`, () => {
      assert.deepEqual(parseEmail(input), expected);
    });
  }
});

describe('mailProviderOf', () => {
  const table: [mx: string[], provider: string][] = [
    [['acme-com.mail.protection.outlook.com'], 'microsoft365'],
    [['acme-com.mail.protection.outlook.com.'], 'microsoft365'],
    [['mta5.am0.yahoodns.net'], 'yahoo'],
    [['aspmx.l.google.com', 'alt1.aspmx.l.google.com'], 'google'],
    [['smtp.google.com'], 'google'],
    [['mx.acme.com', 'aspmx.l.google.com'], 'google'],
    [['mx1.acme.com'], 'other'],
    [['notgoogle.com.evil.net'], 'other'],
    [[], 'other'],
  ];
  for (const [mx, provider] of table) {
    it(`should say ${JSON.stringify(mx)} is ${provider}`, () => {
      assert.equal(mailProviderOf(mx), provider);
    });
  }
});
