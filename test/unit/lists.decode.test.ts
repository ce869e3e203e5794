import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { decodeStream, detectEncoding, Utf8RepairingDecoder } from '../../core/lists/decode.ts';

/** Yields `bytes` in pieces of `size`, the way a file or socket stream would. */
async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function decodeAll(bytes: Buffer, size = 3, sampleBytes?: number) {
  const d = await decodeStream(chunks(bytes, size), sampleBytes === undefined ? {} : { sampleBytes });
  let text = '';
  for await (const s of d.text) text += s;
  return { encoding: d.encoding, bom: d.bom, notText: d.notText, text, repaired: d.repairedBytes };
}

const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();
const SAMPLE = 'Prénom,Nom,Société\nJürgen,Groß,Müller & Söhne 😀\n';

describe('detectEncoding', () => {
  const cases: Array<[string, Buffer, string, boolean]> = [
    ['UTF-8', Buffer.from(SAMPLE), 'utf-8', false],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SAMPLE)]), 'utf-8', true],
    ['UTF-16LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SAMPLE, 'utf16le')]), 'utf-16le', true],
    ['UTF-16BE with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(SAMPLE)]), 'utf-16be', true],
    ['UTF-16LE without BOM', Buffer.from('first,last,company\nJane,Doe,Acme\n', 'utf16le'), 'utf-16le', false],
    ['UTF-16BE without BOM', utf16be('first,last,company\nJane,Doe,Acme\n'), 'utf-16be', false],
    ['Windows-1252', iconv.encode('Prénom,Nom\nJürgen,Groß\n', 'win1252'), 'windows-1252', false],
    ['ASCII', Buffer.from('first,last\nJane,Doe\n'), 'utf-8', false],
  ];
  for (const [name, bytes, encoding, bom] of cases) {
    it(`recognises ${name}`, () => {
      const d = detectEncoding(bytes, true);
      assert.equal(d.encoding, encoding);
      assert.equal(d.bom, bom);
      assert.equal(d.notText, undefined);
    });
  }

  const notText: Array<[string, Buffer, string, RegExp]> = [
    ['an .xlsx workbook', Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x06\x00', 'latin1'), Buffer.from('[Content_Types].xml xl/workbook.xml')]), 'xlsx', /Excel workbook.*export it as CSV/],
    ['an old .xls workbook', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), 'xls', /Excel workbook.*CSV/],
    ['an .ods spreadsheet', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('mimetypeapplication/vnd.oasis.opendocument.spreadsheet')]), 'ods', /OpenDocument/],
    ['a plain zip', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('leads.csv')]), 'zip', /zip archive.*Unzip/],
    ['a PDF', Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj', 'latin1'), 'pdf', /PDF/],
    ['a PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'image', /image/],
    ['a web page', Buffer.from('\n  <!DOCTYPE html><html><body>Sign in</body></html>'), 'html', /web page.*sign-in/],
    ['binary with NUL bytes', Buffer.from([0x41, 0x00, 0x00, 0x00, 0x42, 0x43, 0x00, 0x01, 0x02, 0x44, 0x45, 0x46]), 'binary', /NUL bytes/],
    ['UTF-32', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from('a\0\0\0')]), 'utf-32', /UTF-32/],
  ];
  for (const [name, bytes, kind, message] of notText) {
    it(`flags ${name} as not text`, () => {
      const d = detectEncoding(bytes, true);
      assert.equal(d.notText?.kind, kind);
      assert.match(d.notText?.message ?? '', message);
    });
  }

  it('keeps a mostly-UTF-8 sample with one Windows-1252 byte as UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('José,Müller,Ærø\nRenée,Côté,Ça\n'), iconv.encode('Zoé,X,Y\n', 'win1252')]);
    assert.equal(detectEncoding(bytes, true).encoding, 'utf-8');
  });

  it('does not count a multi-byte sequence cut by the end of the sample as invalid', () => {
    const bytes = Buffer.from('ab,cd\né').subarray(0, -1); // first byte of "é" only
    assert.equal(detectEncoding(bytes, false).encoding, 'utf-8');
    assert.equal(detectEncoding(bytes, true).encoding, 'windows-1252');
  });
});

describe('decodeStream', () => {
  it('decodes UTF-8 split inside multi-byte characters, and strips the BOM', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SAMPLE)]);
    for (const size of [1, 2, 3, 5, 1024]) {
      const r = await decodeAll(bytes, size, 4);
      assert.equal(r.text, SAMPLE, `chunk size ${size}`);
      assert.equal(r.repaired, 0);
    }
  });

  it('decodes UTF-16 LE and BE with a surrogate pair split across chunks', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SAMPLE, 'utf16le')]);
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(SAMPLE)]);
    for (const size of [1, 3, 7]) {
      assert.equal((await decodeAll(le, size, 4)).text, SAMPLE);
      assert.equal((await decodeAll(be, size, 4)).text, SAMPLE);
    }
  });

  it('decodes Windows-1252 (é, ü, ß, €)', async () => {
    const r = await decodeAll(iconv.encode('Prénom,Nom,Note\nJürgen,Groß,5 €\n', 'win1252'));
    assert.equal(r.encoding, 'windows-1252');
    assert.equal(r.text, 'Prénom,Nom,Note\nJürgen,Groß,5 €\n');
  });

  it('reads Windows-1252 bytes that appear after the sample as Windows-1252, without throwing', async () => {
    const utf8Part = 'first,last\n' + 'Zoë,Brontë\n'.repeat(50);
    const bytes = Buffer.concat([Buffer.from(utf8Part), iconv.encode('Jürgen,Groß\n', 'win1252'), Buffer.from('Ana,Peña\n')]);
    const r = await decodeAll(bytes, 16, 64);
    assert.equal(r.encoding, 'utf-8');
    assert.equal(r.text, `${utf8Part}Jürgen,Groß\nAna,Peña\n`);
    assert.equal(r.repaired, 2); // ü and ß
  });

  it('stops reading the source when the consumer stops early', async () => {
    let closed = false;
    let pulled = 0;
    async function* source() {
      try {
        for (let i = 0; i < 1000; i++) {
          pulled++;
          yield Buffer.from('a,b\n'.repeat(100));
        }
      } finally {
        closed = true;
      }
    }
    const d = await decodeStream(source(), { sampleBytes: 400 });
    for await (const s of d.text) {
      assert.ok(s.length > 0);
      break;
    }
    assert.equal(closed, true);
    assert.ok(pulled < 10, `pulled ${pulled} chunks`);
  });

  it('refuses text chunks with a message that says how to fix the call', async () => {
    async function* strings() {
      yield 'a,b\n' as unknown as Buffer;
    }
    await assert.rejects(decodeStream(strings()), /needs bytes.*without an encoding/);
  });
});

describe('Utf8RepairingDecoder', () => {
  const cases: Array<[string, number[], string, number]> = [
    ['valid text', [0x63, 0x61, 0x66, 0xc3, 0xa9], 'café', 0],
    ['a lone Windows-1252 é', [0x63, 0x61, 0x66, 0xe9, 0x2c], 'café,', 1],
    ['an overlong encoding', [0xc0, 0x80], 'À€', 2],
    ['an encoded surrogate', [0xed, 0xa0, 0x80], 'í\u00a0€', 3],
    ['a sequence cut at the end of the file', [0x61, 0xe2, 0x82], 'aâ‚', 2],
    ['the unassigned byte 0x81', [0x81], '\u0081', 1],
  ];
  for (const [name, bytes, expected, repaired] of cases) {
    it(`decodes ${name}`, () => {
      const d = new Utf8RepairingDecoder();
      let out = '';
      for (const b of bytes) out += d.write(Buffer.from([b])); // worst case: one byte per chunk
      out += d.end();
      assert.equal(out, expected);
      assert.equal(d.repaired, repaired);
    });
  }
});
