import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { decodeEntities, extractPageText } from '../../core/classify/html-text.ts';
import { decodeHtml } from '../../core/classify/fetch-homepage.ts';

describe('extractPageText', () => {
  it('keeps title, meta description, h1–h3, link labels, JSON-LD types and visible text; drops scripts, styles and comments', () => {
    const html = `<!doctype html><html lang="en-GB"><head>
      <title>Acme &amp; Sons &#8211; Builders</title>
      <meta property="og:description" content="og text">
      <meta name="description" content="We build &quot;homes&quot;">
      <style>.hidden { color: red }</style>
      <script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"HomeAndConstructionBusiness"},{"@type":["Organization"]}]}</script>
      </head><body>
      <nav><a href="/work">Our work</a><a href="/x">Contact&nbsp;us</a><a href="/long">This label is far too long to be navigation</a></nav>
      <!-- <p>commented out secret</p> -->
      <h1>Homes <em>built</em> right</h1><h2>Since 1990</h2><h4>not a heading we keep</h4>
      <script>var secret = "pricing api";</script><noscript>enable js</noscript><svg><text>logo</text></svg>
      <p>Kitchens,&nbsp;extensions &eacute;t roofs.</p>
      </body></html>`;
    const p = extractPageText(html);
    assert.equal(p.title, 'Acme & Sons – Builders');
    assert.equal(p.description, 'We build "homes"');
    assert.deepEqual(p.headings, ['Homes built right', 'Since 1990']);
    assert.deepEqual(p.links, ['Our work', 'Contact us']);
    assert.deepEqual(p.jsonLdTypes.sort(), ['HomeAndConstructionBusiness', 'Organization']);
    assert.equal(p.lang, 'en-gb');
    assert.match(p.text, /Kitchens, extensions ét roofs\./);
    for (const hidden of ['secret', 'color', 'enable js', 'logo', 'commented']) assert.ok(!p.text.includes(hidden), hidden);
  });

  it('survives unclosed elements and caps the words', () => {
    const p = extractPageText(`<title>T</title><body><p>${'word '.repeat(5000)}</p><script>never closed ${'x'.repeat(100)}`, 100);
    assert.equal(p.title, 'T');
    assert.equal(p.text.split(' ').length, 100);
    assert.ok(!p.text.includes('never closed'));
  });

  it('falls back to og:description and decodes numeric entities safely', () => {
    assert.equal(extractPageText('<meta property="og:description" content="Only og">').description, 'Only og');
    assert.equal(decodeEntities('&#x41;&#66;&#xD800;&bogus;'), 'AB &bogus;');
  });
});

describe('decodeHtml', () => {
  const text = '<p>Café Müller</p>';
  it('uses the Content-Type charset', () => {
    assert.deepEqual(decodeHtml(iconv.encode(text, 'latin1'), 'text/html; charset=ISO-8859-1'), { text, charset: 'iso-8859-1' });
  });
  it('uses <meta charset> when the header has none', () => {
    const r = decodeHtml(iconv.encode(`<meta charset="windows-1252">${text}`, 'win1252'), 'text/html');
    assert.equal(r.charset, 'windows-1252');
    assert.ok(r.text.endsWith(text));
  });
  it('uses a BOM, else UTF-8 when the bytes are valid UTF-8, else windows-1252', () => {
    assert.equal(decodeHtml(iconv.encode(text, 'utf-16le', { addBOM: true }), undefined).text.replace(/^\uFEFF/, ''), text);
    assert.equal(decodeHtml(Buffer.from(text, 'utf8'), 'text/html').charset, 'utf-8');
    assert.deepEqual(decodeHtml(iconv.encode(text, 'win1252'), 'text/html'), { text, charset: 'windows-1252' });
  });
  it('ignores an unknown charset label', () => {
    assert.equal(decodeHtml(Buffer.from(text), 'text/html; charset=x-klingon').text, text);
  });
});
