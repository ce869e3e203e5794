/**
 * Homepage fetching and classification against a local HTTP server (127.0.0.1 only). Host names
 * are resolved by an injected resolver, so `*.test` names reach the local server, `internal.test`
 * pretends to be 10.0.0.5 and `nowhere.test` does not exist. https:// candidates go to port 1,
 * where nothing listens, so every fetch also exercises the https → http fallback.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import { fetchHomepage, type HomepageFetchOptions } from '../../core/classify/fetch-homepage.ts';
import { classifyCompany } from '../../core/classify/company.ts';

const page = (title: string, description: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><meta name="description" content="${description}"></head><body>${body}</body></html>`;

const PAGES: Record<string, string> = {
  'softco.test': page('Taskflow – project management software', 'The work management platform for teams', '<nav><a>Features</a><a>Pricing</a><a>Integrations</a><a>Log in</a><a>Start free trial</a></nav><h1>Plan and ship work faster</h1><p>Boards, timelines and automations. API and webhooks. SOC 2.</p>'),
  'brandworks.test': page('Brandworks – creative agency', 'Independent advertising and branding agency', '<nav><a>Work</a><a>Clients</a><a>About</a><a>Start a project</a></nav><h1>We make brands impossible to ignore</h1><h2>Case studies</h2><p>Campaigns, identity and social for consumer brands. Our clients include retailers and drinks brands.</p>'),
  'jobsmith.test': page('Jobsmith Recruitment', 'Specialist IT recruitment agency', '<nav><a>For employers</a><a>For candidates</a><a>Search jobs</a><a>Submit your CV</a></nav><h1>We place developers and engineers</h1><p>Permanent and contract recruitment for technology companies.</p>'),
  'whitman.test': page('Whitman &amp; Cole LLP – Attorneys', 'Employment law firm', '<nav><a>Practice areas</a><a>Attorneys</a><a>Case studies</a><a>Contact</a></nav><h1>Our clients come first</h1><p>Our lawyers represent our clients in employment litigation and advise on compliance. Free consultation.</p>'),
  'www.redirect.test': page('Harbor Dental', 'Family dentist', '<h1>Gentle dental care</h1><p>Cleanings, implants and whitening. Book an appointment. New patients welcome.</p>'),
};

let server: http.Server;
let silent: net.Server;
let port = 0;
let silentPort = 0;
const requests: string[] = [];
const silentSockets = new Set<net.Socket>();

const resolveHost = async (hostname: string): Promise<string[]> => {
  if (hostname === 'internal.test' || hostname === 'www.internal.test') return ['10.0.0.5'];
  if (hostname.endsWith('nowhere.test')) throw Object.assign(new Error(`${hostname} not found`), { code: 'ENOTFOUND' });
  return ['127.0.0.1'];
};

/** allowPrivate false, but the loopback test server itself is permitted: the guard is what is under test. */
function guarded(extra: Partial<HomepageFetchOptions> = {}): HomepageFetchOptions {
  return { allowPrivate: false, allowAddresses: ['127.0.0.1'], resolveHost, ports: { http: port, https: 1 }, ...extra };
}

before(async () => {
  server = http.createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    requests.push(`${host}${req.url}`);
    if (PAGES[host] !== undefined && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGES[host]);
      return;
    }
    switch (host) {
      case 'redirect.test': // bare → www (absolute), then the page
        res.writeHead(301, { location: `http://www.redirect.test:${port}/` }).end();
        return;
      case 'relative.test':
        if (req.url === '/') res.writeHead(302, { location: '/en/home' }).end();
        else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGES['softco.test']);
        return;
      case 'toprivate.test':
        res.writeHead(302, { location: `http://127.0.0.2:${port}/` }).end();
        return;
      case 'tonumeric.test': // 2130706434 is 127.0.0.2 written as one number
        res.writeHead(302, { location: `http://2130706434:${port}/` }).end();
        return;
      case 'tov6.test': // IPv4-mapped IPv6 form of 127.0.0.2
        res.writeHead(302, { location: `http://[::ffff:127.0.0.2]:${port}/` }).end();
        return;
      case 'tometadata.test':
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        return;
      case 'toname.test':
        res.writeHead(307, { location: `http://internal.test:${port}/admin` }).end();
        return;
      case 'loop.test':
        res.writeHead(302, { location: req.url === '/' ? '/a' : '/' }).end();
        return;
      case 'bistro.test': // windows-1252, declared only in <meta>
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(iconv.encode(`<html><head><meta charset="windows-1252"><title>Café Rosé – restaurant</title></head><body><h1>Menu</h1><p>Book a table for lunch or dinner. Private dining, wine bar and takeaway. Crème brûlée.</p></body></html>`, 'win1252'));
        return;
      case 'huge.test': { // 10 MB: a real page head, then padding
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        const head = page('Grand Harbor Hotel', 'Boutique hotel by the waterfront', '<h1>Rooms and suites</h1><p>Book direct for the best rate. Spa and restaurant.</p>');
        res.end(Buffer.concat([Buffer.from(head), Buffer.alloc(10 * 1024 * 1024, '<p>padding</p>')]));
        return;
      }
      case 'gzipped.test': // compressed only because we said we accept it
        if (!/\bgzip\b/.test(String(req.headers['accept-encoding']))) {
          res.writeHead(500).end('the client did not offer gzip');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip' });
        res.end(zlib.gzipSync(PAGES['jobsmith.test']!));
        return;
      case 'brotli.test':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'br' });
        res.end(zlib.brotliCompressSync(PAGES['softco.test']!));
        return;
      case 'bomb.test': { // 20 MB of markup that compresses to ~20 KB
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
        const head = page('Northwind Freight', 'Trucking and logistics', '<h1>Freight and warehousing</h1>');
        res.end(zlib.gzipSync(Buffer.concat([Buffer.from(head), Buffer.alloc(20 * 1024 * 1024, ' ')])));
        return;
      }
      case 'zstd.test':
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'zstd' }).end('(\xb5/\xfd not for us');
        return;
      case 'pdf.test':
        res.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-1.7 not a homepage');
        return;
      case 'gone.test':
        res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>');
        return;
      default:
        res.writeHead(500).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
  // Accepts connections and never says a word.
  silent = net.createServer((socket) => {
    silentSockets.add(socket);
    socket.on('close', () => silentSockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
});

after(async () => {
  for (const s of silentSockets) s.destroy();
  server.closeAllConnections();
  await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => silent.close(r))]);
});

describe('fetchHomepage', () => {
  it('tries https first, falls back to http, and extracts the page', async () => {
    const r = await fetchHomepage('SoftCo.test', guarded());
    assert.equal(r.status, 'ok', r.reason);
    assert.equal(r.url, `http://softco.test:${port}/`);
    assert.match(r.attempts[0]!.url, /^https:\/\/softco\.test:1\//);
    assert.match(r.attempts[0]!.outcome, /unreachable/);
    assert.equal(r.page!.title, 'Taskflow – project management software');
    assert.ok(r.page!.links.includes('Pricing'));
  });

  it('follows redirects to www and relative locations', async () => {
    const a = await fetchHomepage('redirect.test', guarded());
    assert.equal(a.status, 'ok', a.reason);
    assert.equal(a.url, `http://www.redirect.test:${port}/`);
    assert.ok(a.attempts.some((x) => x.outcome === 'redirect 301'));
    const b = await fetchHomepage('relative.test', guarded());
    assert.equal(b.url, `http://relative.test:${port}/en/home`);
  });

  it('refuses a redirect to a private IP literal, to the metadata address, and to a name that resolves privately', async () => {
    const before = requests.length;
    const lit = await fetchHomepage('toprivate.test', guarded());
    assert.equal(lit.status, 'blocked');
    assert.match(lit.reason!, /127\.0\.0\.2/);
    assert.deepEqual(lit.attempts.at(-1), { url: `http://127.0.0.2:${port}/`, outcome: 'blocked' });

    const meta = await fetchHomepage('tometadata.test', guarded());
    assert.equal(meta.status, 'blocked');
    assert.match(meta.reason!, /169\.254\.169\.254/);

    const named = await fetchHomepage('toname.test', guarded());
    assert.equal(named.status, 'blocked');
    assert.match(named.reason!, /10\.0\.0\.5/);
    for (const disguised of ['tonumeric.test', 'tov6.test']) {
      const r = await fetchHomepage(disguised, guarded());
      assert.equal(r.status, 'blocked', `${disguised}: ${JSON.stringify(r.attempts)}`);
    }
    // Only the redirecting homepages were requested: nothing private was reached.
    assert.deepEqual(requests.slice(before).sort(), ['tometadata.test/', 'toname.test/', 'tonumeric.test/', 'toprivate.test/', 'tov6.test/']);
  });

  it('refuses a loopback site and an IP-literal domain unless ALLOW_PRIVATE_WEB', async () => {
    const before = requests.length;
    const named = await fetchHomepage('softco.test', { ...guarded(), allowAddresses: [] });
    assert.equal(named.status, 'blocked');
    assert.match(named.reason!, /ALLOW_PRIVATE_WEB/);
    const literal = await fetchHomepage('127.0.0.1', { ...guarded(), allowAddresses: [] });
    assert.equal(literal.status, 'blocked');
    assert.equal(requests.length, before, 'no request reached the server');

    const allowed = await fetchHomepage('softco.test', { ...guarded(), allowAddresses: [], allowPrivate: true });
    assert.equal(allowed.status, 'ok');
  });

  it('stops a redirect loop', async () => {
    const r = await fetchHomepage('loop.test', guarded());
    assert.equal(r.status, 'too_many_redirects');
    assert.match(r.reason!, /loop/);
  });

  it('reads at most maxBytes of a 10 MB page and still classifies its head', async () => {
    const started = performance.now();
    const r = await fetchHomepage('huge.test', guarded());
    assert.equal(r.status, 'ok');
    assert.equal(r.truncated, true);
    assert.equal(r.bytes, 1_000_000);
    assert.equal(r.page!.title, 'Grand Harbor Hotel');
    assert.ok(performance.now() - started < 3000);
    const small = await fetchHomepage('huge.test', guarded({ maxBytes: 10_000 }));
    assert.equal(small.bytes, 10_000);
  });

  it('reads gzip and brotli pages, caps a compression bomb at maxBytes decompressed, and refuses an encoding it never offered', async () => {
    const gz = await fetchHomepage('gzipped.test', guarded());
    assert.equal(gz.status, 'ok');
    assert.equal(gz.page!.title, 'Jobsmith Recruitment');
    const br = await fetchHomepage('brotli.test', guarded());
    assert.equal(br.status, 'ok');
    assert.match(br.page!.text, /Plan and ship work faster/);
    const bomb = await fetchHomepage('bomb.test', guarded());
    assert.equal(bomb.status, 'ok');
    assert.equal(bomb.truncated, true);
    assert.equal(bomb.bytes, 1_000_000);
    assert.equal(bomb.page!.title, 'Northwind Freight');
    const zstd = await fetchHomepage('zstd.test', guarded());
    assert.equal(zstd.status, 'unreachable');
    assert.match(zstd.reason!, /encoding we did not ask for \(zstd\)/);
  });

  it('decodes a windows-1252 page declared in <meta>', async () => {
    const r = await fetchHomepage('bistro.test', guarded());
    assert.equal(r.charset, 'windows-1252');
    assert.equal(r.page!.title, 'Café Rosé – restaurant');
    assert.match(r.page!.text, /Crème brûlée/);
  });

  it('reports non-HTML and HTTP errors without reading on', async () => {
    const pdf = await fetchHomepage('pdf.test', guarded());
    assert.equal(pdf.status, 'not_html');
    assert.match(pdf.reason!, /application\/pdf/);
    const gone = await fetchHomepage('gone.test', guarded());
    assert.equal(gone.status, 'http_error');
    assert.equal(gone.httpStatus, 404);
  });

  it('times out on a server that accepts and never answers', async () => {
    const r = await fetchHomepage('silent.test', guarded({ ports: { http: silentPort, https: 1 }, headersTimeoutMs: 150 }));
    assert.equal(r.status, 'timeout');
    assert.ok(r.attempts.some((a) => /timeout/.test(a.outcome)), JSON.stringify(r.attempts));
    const overall = await fetchHomepage('silent.test', guarded({ ports: { http: silentPort, https: 1 }, totalTimeoutMs: 200 }));
    assert.equal(overall.status, 'timeout');
    assert.match(overall.reason!, /200 ms/);
    assert.ok(overall.ms < 2000);
  });

  it('says no_website for a domain without addresses, and for a non-domain', async () => {
    const before = requests.length;
    const r = await fetchHomepage('nowhere.test', guarded());
    assert.equal(r.status, 'no_website');
    // Both names were looked up, and with neither resolving no HTTP request was tried.
    assert.deepEqual(r.attempts, [
      { url: 'http://nowhere.test/', outcome: 'no such host' },
      { url: 'http://www.nowhere.test/', outcome: 'no such host' },
    ]);
    assert.equal(requests.length, before);
    assert.equal((await fetchHomepage('not a domain', guarded())).status, 'no_website');
  });
});

describe('classifyCompany', () => {
  const settings = { web: { allowPrivate: true }, dns: { servers: undefined } };
  // `port` is known only once before() has run, hence a function.
  const classify = (domain: string) => classifyCompany(domain, { settings, fetch: { resolveHost, ports: { http: port, https: 1 } } });

  it('classifies fixture homepages: industries, an agency, a recruiter and a law-firm look-alike', async () => {
    const expected: [domain: string, industry: string, agency: boolean][] = [
      ['softco.test', 'software', false],
      ['brandworks.test', 'marketing_advertising', true],
      ['jobsmith.test', 'staffing_recruiting', true],
      ['whitman.test', 'professional_services', false],
      ['redirect.test', 'health_care', false],
      ['bistro.test', 'hospitality_food', false],
      ['huge.test', 'hospitality_food', false],
    ];
    for (const [domain, industry, agency] of expected) {
      const r = await classify(domain);
      assert.equal(r.website.status, 'ok', `${domain}: ${r.website.reason}`);
      assert.equal(r.industry, industry, `${domain}: ${JSON.stringify(r.top3)}`);
      assert.equal(r.is_agency, agency, `${domain}: agency ${r.agency_confidence} ${r.evidence.join('; ')}`);
      assert.ok(r.naics);
      assert.ok(r.evidence.length > 0);
    }
  });

  it('answers unknown (not an error) for no website, a PDF and a silent server', async () => {
    for (const domain of ['nowhere.test', 'pdf.test']) {
      const r = await classify(domain);
      assert.equal(r.industry, 'unknown', domain);
      assert.equal(r.naics, null);
      assert.equal(r.is_agency, false);
      assert.match(r.evidence[0]!, /no homepage to read/);
    }
    const s = await classifyCompany('silent.test', { settings, fetch: { resolveHost, ports: { http: silentPort, https: 1 }, totalTimeoutMs: 200 } });
    assert.equal(s.industry, 'unknown');
    assert.equal(s.website.status, 'timeout');
  });

  it('refuses private targets when settings.web.allowPrivate is false', async () => {
    const r = await classifyCompany('softco.test', { settings: { ...settings, web: { allowPrivate: false } }, fetch: { resolveHost, ports: { http: port, https: 1 } } });
    assert.equal(r.industry, 'unknown');
    assert.equal(r.website.status, 'blocked');
  });
});
