import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import iconv from 'iconv-lite';
import { CsvError, readCsv, RecordFramer, sniffDelimiter, type ParsedRow, type ReadCsvOptions } from '../../core/lists/read-csv.ts';
import { createResultsWriter, outputColumnNames, type ResultRow } from '../../core/lists/write-csv.ts';

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const bytesOf = (input: string | Buffer) => (typeof input === 'string' ? Buffer.from(input) : input);

async function read(input: string | Buffer, opts: ReadCsvOptions & { chunk?: number } = {}) {
  const result = await readCsv(chunks(bytesOf(input), opts.chunk ?? 64 * 1024), opts);
  const rows: ParsedRow[] = [];
  for await (const row of result.rows) rows.push(row);
  return { ...result, rows };
}

async function readError(input: string | Buffer): Promise<CsvError> {
  try {
    await read(input);
  } catch (err) {
    assert.ok(err instanceof CsvError, `expected a CsvError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a CsvError');
}

async function text(iterable: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const s of iterable) out += s;
  return out;
}

const HEADER = 'first_name,last_name,company,domain';

describe('readCsv: delimiters', () => {
  const cases: Array<[string, string, string]> = [
    ['comma', ',', 'First name,Last name,Company,Domain\nJane,Doe,"Acme; Ltd",acme.com\nJohn,Roe,Beta,beta.io\n'],
    ['semicolon', ';', 'Prénom;Nom;Société;Site web\nJane;Doe;"Acme, Inc";acme.com\nJohn;Roe;Beta, SA;beta.io\n'],
    ['tab', '\t', 'First name\tLast name\tCompany\tDomain\nJane\tDoe\tAcme, Inc; Ltd\tacme.com\nJohn\tRoe\tBeta\tbeta.io\n'],
    ['pipe', '|', 'First name|Last name|Company|Domain\nJane|Doe|Acme, Inc|acme.com\nJohn|Roe|Beta|beta.io\n'],
    ['Excel sep= line', ';', 'sep=;\nFirst name;Last name;Company;Domain\nJane;Doe;Acme, Inc;acme.com\nJohn;Roe;Beta;beta.io\n'],
  ];
  for (const [name, delimiter, csv] of cases) {
    it(`reads a ${name} file`, async () => {
      const r = await read(csv);
      assert.equal(r.meta.delimiter, delimiter);
      assert.deepEqual(r.meta.mapping, { first: 0, last: 1, company: 2, domain: 3 });
      assert.equal(r.rows.length, 2);
      assert.equal(r.rows[0].input.first, 'Jane');
      assert.equal(r.rows[0].input.domain, 'acme.com');
      assert.equal(r.rows[1].raw.length, 4);
    });
  }

  it('does not let delimiters inside quotes vote', () => {
    const sample = 'name;company\n"Doe, Jane";"Acme, Inc, Ltd"\n"Roe, John";"Beta, Inc"\n';
    assert.equal(sniffDelimiter(sample, true).delimiter, ';');
  });
});

describe('readCsv: encodings', () => {
  const csv = 'Prénom,Nom,Société,Domaine\nJürgen,Groß,Müller & Söhne,mueller.de\nRenée,Côté,Ça Va,cava.fr\n';
  const expected = [['Jürgen', 'Groß', 'Müller & Söhne', 'mueller.de'], ['Renée', 'Côté', 'Ça Va', 'cava.fr']];
  const cases: Array<[string, Buffer, string, boolean]> = [
    ['UTF-8', Buffer.from(csv), 'utf-8', false],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv)]), 'utf-8', true],
    ['UTF-16LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]), 'utf-16le', true],
    ['UTF-16BE with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(csv, 'utf16le').swap16()]), 'utf-16be', true],
    ['Windows-1252', iconv.encode(csv, 'win1252'), 'windows-1252', false],
  ];
  for (const [name, bytes, encoding, bom] of cases) {
    it(`reads ${name}, also in 1-byte chunks`, async () => {
      for (const chunk of [1, 64 * 1024]) {
        const r = await read(bytes, { chunk });
        assert.equal(r.meta.encoding, encoding);
        assert.equal(r.meta.bom, bom);
        assert.deepEqual(r.meta.header, ['Prénom', 'Nom', 'Société', 'Domaine']);
        assert.deepEqual(r.rows.map((row) => row.raw), expected);
      }
    });
  }

  it('keeps every row of a mostly-UTF-8 file with one Windows-1252 line (inside the sample)', async () => {
    const bytes = Buffer.concat([
      Buffer.from('Prénom,Nom,Société,Domaine\nRenée,Côté,Ça Va,cava.fr\n'),
      iconv.encode('Jürgen,Groß,Müller,mueller.de\n', 'win1252'),
      Buffer.from('Zoë,Brontë,Haworth,haworth.uk\n'),
    ]);
    const r = await read(bytes);
    assert.equal(r.meta.encoding, 'utf-8');
    assert.deepEqual(r.rows.map((row) => row.raw[1]), ['Côté', 'Groß', 'Brontë']);
    assert.equal(r.stats.repairedBytes, 3); // ü, ß, ü
  });

  it('keeps every row when the Windows-1252 line comes after the 64 KB sample', async () => {
    const good = Array.from({ length: 2000 }, (_, i) => `Zoë${i},Brontë,Haworth,haworth.uk\n`).join('');
    assert.ok(Buffer.byteLength(good) > 64 * 1024);
    const bytes = Buffer.concat([Buffer.from(`${HEADER}\n${good}`), iconv.encode('Jürgen,Groß,Müller,mueller.de\n', 'win1252'), Buffer.from('Ana,Peña,Sol,sol.es\n')]);
    const r = await read(bytes, { chunk: 4096 });
    assert.equal(r.rows.length, 2002);
    assert.deepEqual(r.rows[2000].raw, ['Jürgen', 'Groß', 'Müller', 'mueller.de']);
    assert.deepEqual(r.rows[2001].raw, ['Ana', 'Peña', 'Sol', 'sol.es']);
    assert.equal(r.rows.filter((row) => row.reason).length, 0);
  });
});

describe('readCsv: rows and line numbers', () => {
  it('keeps rows around an unclosed quote and names its line', async () => {
    const csv = `${HEADER}\nJane,Doe,Acme,acme.com\nJohn,"Roe,Beta,beta.io\nAmy,Poe,Gamma,gamma.io\nBob,Loe,Delta,delta.io\n`;
    const r = await read(csv);
    assert.deepEqual(r.rows.map((row) => row.raw[0]), ['Jane', 'John', 'Amy', 'Bob']);
    assert.deepEqual(r.rows.map((row) => row.line), [2, 3, 4, 5]);
    assert.equal(r.rows[1].reason, 'unclosed quote (") on line 3');
    assert.deepEqual(r.rows[1].raw, ['John', '"Roe', 'Beta', 'beta.io']);
    assert.equal(r.rows[2].reason, undefined);
    assert.equal(r.rows[3].reason, undefined);
  });

  it('recovers when a later quoted field "closes" the stray quote', async () => {
    const csv = `${HEADER}\nJohn,"Roe,Beta,beta.io\nAmy,Poe,Gamma,gamma.io\nBob,Loe,"Delta, Inc",delta.io\n`;
    const r = await read(csv);
    assert.deepEqual(r.rows.map((row) => [row.line, row.raw[0], row.reason]), [
      [2, 'John', 'unclosed quote (") on line 2'],
      [3, 'Amy', undefined],
      [4, 'Bob', undefined],
    ]);
    assert.equal(r.rows[2].input.company, 'Delta, Inc');
  });

  it('reads an unclosed quote on the last line, with or without a final line break', async () => {
    for (const end of ['', '\n']) {
      const r = await read(`${HEADER}\nJane,Doe,Acme,acme.com\nJohn,Roe,"Beta,beta.io${end}`);
      assert.equal(r.rows.length, 2);
      assert.equal(r.rows[1].reason, 'unclosed quote (") on line 3');
      assert.deepEqual(r.rows[1].raw, ['John', 'Roe', '"Beta', 'beta.io']);
    }
  });

  it('gives up on a quoted field that runs past 50 lines', async () => {
    const body = Array.from({ length: 80 }, (_, i) => `P${i},Q,Co,co.io\n`).join('');
    const r = await read(`${HEADER}\nJohn,Roe,"Beta,beta.io\n${body}`);
    assert.equal(r.rows.length, 81);
    assert.equal(r.rows[0].reason, 'unclosed quote (") on line 2');
    assert.equal(r.rows[80].line, 82);
    assert.equal(r.rows.filter((row) => row.reason).length, 1);
  });

  it('reads quoted fields with embedded line breaks and keeps line numbers right', async () => {
    const csv = `${HEADER},notes\r\nJane,Doe,Acme,acme.com,"line one\r\nline two\r\nline three"\r\nJohn,Roe,Beta,beta.io,"a\nb"\r\nAmy,"Poe\rJr",Gamma,gamma.io,x\r\nBob,Loe,Delta,delta.io,y\r\n`;
    const r = await read(csv);
    assert.deepEqual(r.rows.map((row) => row.line), [2, 5, 7, 9]);
    assert.equal(r.rows[0].raw[4], 'line one\r\nline two\r\nline three');
    assert.equal(r.rows[1].raw[4], 'a\nb');
    assert.equal(r.rows[2].raw[1], 'Poe\rJr');
  });

  it('gives the same rows whatever the chunk size (CRLF, "" and quotes split across chunks)', async () => {
    const csv = `${HEADER},notes\r\n"Ja""ne",Doe,Acme,acme.com,"x\r\ny"\r\n\r\nJohn,"Roe,Beta,beta.io\r\nAmy,Poe,"Gamma ""G""",gamma.io,\r\n"Bob",Loe,Delta,delta.io,"q"`;
    const whole = await read(csv);
    assert.equal(whole.rows.length, 4);
    assert.equal(whole.rows[0].raw[0], 'Ja"ne');
    assert.equal(whole.rows[2].raw[2], 'Gamma "G"');
    for (const chunk of [1, 2, 3, 5, 7]) {
      const r = await read(csv, { chunk });
      assert.deepEqual(r.rows, whole.rows, `chunk size ${chunk}`);
    }
  });

  it('skips blank lines and all-empty rows, and numbers rows in file order', async () => {
    const r = await read(`\n\n${HEADER}\n\nJane,Doe,Acme,acme.com\n   \n,,,\nJohn,Roe,Beta,beta.io\n\n`);
    assert.equal(r.meta.headerLine, 3);
    assert.deepEqual(r.rows.map((row) => [row.ordinal, row.line]), [[0, 5], [1, 8]]);
    assert.equal(r.stats.blankLines, 6);
  });

  it('keeps short and long rows as they are, mapping only within the header', async () => {
    const r = await read(`first,last,domain\nJane,Doe\nJohn,Roe,beta.io,extra,more\n`);
    assert.deepEqual(r.rows[0].raw, ['Jane', 'Doe']);
    assert.deepEqual(r.rows[0].input, { first: 'Jane', last: 'Doe' });
    assert.equal(r.rows[0].reason, 'no company or domain');
    assert.deepEqual(r.rows[1].raw, ['John', 'Roe', 'beta.io', 'extra', 'more']);
    assert.equal(r.rows[1].reason, undefined);
  });

  it('gives a reason for rows that cannot be looked up, and trims the input', async () => {
    const r = await read(`first,last,company,domain,email\n  Jane , Doe ,, acme.com ,\nJohn,,Beta,,\n,Roe,,,\nAmy,,,,\n,,,,amy@gamma.io\n,,,,not-an-email\n`);
    assert.deepEqual(r.rows[0].input, { first: 'Jane', last: 'Doe', domain: 'acme.com' });
    assert.deepEqual(r.rows.map((row) => row.reason), [
      undefined,
      'no last name',
      'no first name and no company or domain',
      'no last name and no company or domain',
      undefined, // an address to verify needs nothing else
      'no name and no company or domain',
    ]);
    assert.equal(r.stats.rowsWithReason, 4);
  });

  it('takes the reason from checkRow for rows that pass the built-in checks', async () => {
    const seen: number[] = [];
    const r = await read(`Full name,Company\nJane Doe,Acme\nJohn Roe,???\n,Beta\n`, {
      checkRow: (input, row) => {
        seen.push(row.line);
        return input.company === '???' ? 'company not found' : undefined;
      },
    });
    assert.deepEqual(r.rows.map((row) => row.reason), [undefined, 'company not found', 'no name']);
    assert.deepEqual(seen, [2, 3]);
  });

  it('removes NUL characters, which Postgres text cannot hold', async () => {
    const r = await read(Buffer.concat([Buffer.from(`${HEADER}\n`.repeat(1) + 'Jane,Doe,Acme,acme.com\n'.repeat(3000)), Buffer.from('Jo\0hn,Roe,Beta,beta.io\n')]));
    assert.equal(r.rows.at(-1)?.raw[0], 'John');
  });
});

describe('readCsv: whole-file errors', () => {
  it('rejects an empty file, a BOM alone, or blank lines only', async () => {
    for (const input of [Buffer.alloc(0), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('\r\n\n  \n')]) {
      const err = await readError(input);
      assert.equal(err.code, 'empty');
      assert.match(err.message, /empty.*header row/);
    }
  });

  it('reads a header-only file as 0 rows, not an error', async () => {
    const r = await read(`${HEADER}\r\n\r\n`);
    assert.deepEqual(r.meta.header, ['first_name', 'last_name', 'company', 'domain']);
    assert.equal(r.rows.length, 0);
    assert.equal(r.stats.rows, 0);
  });

  it('names the columns it found when none is usable', async () => {
    const err = await readError('Phone,City,Job Title\n555,Paris,CEO\n');
    assert.equal(err.code, 'no_usable_columns');
    assert.match(err.message, /found columns: Phone, City, Job Title/);
    assert.match(err.message, /First name, Last name, Company, Domain/);
  });

  it('explains what is missing when some columns are recognised', async () => {
    const err = await readError('Vorname,Stadt\nJürgen,Berlin\n');
    assert.equal(err.code, 'no_usable_columns');
    assert.match(err.message, /found columns: Vorname, Stadt; need a last name column next to "Vorname" .* and a company \(Company, Domain or Website\)/);
  });

  it('reports a file whose first row is data as having no header row', async () => {
    const err = await readError('Jane,Doe,acme.com\nJohn,Roe,beta.io\n');
    assert.equal(err.code, 'no_header');
    assert.match(err.message, /no header row.*found columns: Jane, Doe, acme\.com.*Add a first row/);
  });

  it('tells the user to export an Excel workbook as CSV', async () => {
    const xlsx = Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x06\x00\x08\x00', 'latin1'), Buffer.from('[Content_Types].xml'), Buffer.alloc(200), Buffer.from('xl/worksheets/sheet1.xml')]);
    const err = await readError(xlsx);
    assert.equal(err.code, 'not_text');
    assert.match(err.message, /Excel workbook.*export it as CSV/);
  });

  it('rejects a PDF and a binary file', async () => {
    assert.match((await readError(Buffer.from('%PDF-1.4\n%\xe2\xe3\n', 'latin1'))).message, /PDF/);
    assert.equal((await readError(Buffer.from([1, 2, 0, 0, 0, 3, 4, 5, 0, 9]))).code, 'not_text');
  });

  it('stops at maxRows with a CsvError, counting rows with reasons too', async () => {
    const csv = `${HEADER}\n${'Jane,Doe,Acme,acme.com\n'.repeat(3)},,Beta,\n`;
    assert.equal((await read(csv, { maxRows: 4 })).rows.length, 4);
    await assert.rejects(read(csv, { maxRows: 3 }), (err: unknown) => {
      assert.ok(err instanceof CsvError);
      assert.equal(err.code, 'too_many_rows');
      assert.match(err.message, /more than 3 rows.*Split it/);
      return true;
    });
  });

  it('rejects a line too long to be a contact, instead of buffering it', async () => {
    async function* source() {
      yield Buffer.from(`${HEADER}\nJane,Doe,Acme,acme.com\n`);
      for (let i = 0; i < 20; i++) yield Buffer.alloc(64 * 1024, 0x78); // 1.3 MB without a line break
    }
    const r = await readCsv(source());
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const row of r.rows) seen.push(row.raw[0]);
    }, (err: unknown) => err instanceof CsvError && err.code === 'line_too_long' && /Line 3 is longer than 1,000,000 characters/.test(err.message));
    assert.deepEqual(seen, ['Jane']);
  });

  it('closes the source when the header is rejected', async () => {
    let closed = false;
    async function* source() {
      try {
        yield Buffer.from('Phone,City\n');
        yield Buffer.from('555,Paris\n');
      } finally {
        closed = true;
      }
    }
    await assert.rejects(readCsv(source()), CsvError);
    assert.equal(closed, true);
  });
});

describe('RecordFramer', () => {
  it('keeps only the unfinished record between chunks', () => {
    const f = new RecordFramer(',');
    assert.deepEqual(f.push('a,b\nc,"d'), [{ kind: 'record', text: 'a,b', line: 1 }]);
    assert.deepEqual(f.push('\ne",f\r'), []);
    assert.deepEqual(f.push('\ng'), [{ kind: 'record', text: 'c,"d\ne",f', line: 2 }]);
    assert.deepEqual(f.end(), [{ kind: 'record', text: 'g', line: 4 }]);
  });
});

describe('readCsv: a 20 MB file', () => {
  it('streams 100,000 rows chunk by chunk with bounded memory', async () => {
    // GC on demand, so heap readings measure what is retained, not garbage awaiting collection.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;

    const ROWS = 100_000;
    const notes = 'n'.repeat(160);
    let pulled = 0;
    async function* source(): AsyncGenerator<Buffer> {
      let buf = 'First name,Last name,Company,Website,Notes\r\n';
      for (let i = 0; i < ROWS; i++) {
        buf += `First${i},Last${i},"Company ${i % 997}, Inc",company${i % 997}.com,${notes}\r\n`;
        if (buf.length >= 64 * 1024) {
          const b = Buffer.from(buf);
          pulled += b.length;
          yield b;
          buf = '';
        }
      }
      pulled += buf.length;
      yield Buffer.from(buf);
    }

    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let pulledAtFirstRow = -1;
    let count = 0;
    let last: ParsedRow | undefined;
    const r = await readCsv(source());
    for await (const row of r.rows) {
      if (count === 0) pulledAtFirstRow = pulled;
      if (count % 10_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
      count++;
      last = row;
    }
    assert.ok(pulled > 20 * 1024 * 1024, `file is ${pulled} bytes`);
    assert.equal(count, ROWS);
    assert.equal(r.stats.rows, ROWS);
    assert.equal(last?.line, ROWS + 1);
    assert.deepEqual(last?.input, { first: `First${ROWS - 1}`, last: `Last${ROWS - 1}`, company: `Company ${(ROWS - 1) % 997}, Inc`, domain: `company${(ROWS - 1) % 997}.com` });
    // The first row comes out after the 64 KB sample, not after the whole file.
    assert.ok(pulledAtFirstRow < 256 * 1024, `first row after ${pulledAtFirstRow} bytes`);
    assert.ok(peak < 8 * 1024 * 1024, `heap grew by ${peak} bytes while reading a ${pulled}-byte file`);
  });
});

describe('results writer', () => {
  const header = ['First name', 'Last name', 'Company', 'Domain'];

  it('writes a BOM, CRLF, the original columns and then ours', async () => {
    const w = createResultsWriter(header);
    const out = await text(w.csv([
      { raw: ['Jane', 'Doe', 'Acme, Inc', 'acme.com'], email: 'jane.doe@acme.com', confidence: 92, verification: 'valid', status: 'found', pattern: '{first}.{last}', industry: 'Software & Internet', is_agency: false },
      { raw: ['John', 'Roe', 'Beta', 'beta.io'], email: null, confidence: 0, verification: 'unknown', status: 'not_found', pattern: null },
    ]));
    assert.equal(out, '\uFEFFFirst name,Last name,Company,Domain,email,confidence,verification,status,pattern,industry,is_agency\r\n'
      + 'Jane,Doe,"Acme, Inc",acme.com,jane.doe@acme.com,92,valid,found,{first}.{last},Software & Internet,false\r\n'
      + 'John,Roe,Beta,beta.io,,0,unknown,not_found,,,\r\n');
  });

  it('neutralises cells a spreadsheet would execute, in original cells, header and ours', async () => {
    const w = createResultsWriter(['=HYPERLINK("http://x")', 'Last name', 'Company', 'Domain']);
    const out = await text(w.csv([
      { raw: ['=1+1', '+SUM(A1)', '-2', '@cmd'], email: '=evil@x.io', status: 'found' },
      { raw: ['\tTab', '\rCR', 'safe', 'a=b'] },
    ]));
    const lines = out.slice(1).split('\r\n');
    assert.equal(lines[0], `"'=HYPERLINK(""http://x"")",Last name,Company,Domain,email,confidence,verification,status,pattern,industry,is_agency`);
    assert.equal(lines[1], `'=1+1,'+SUM(A1),'-2,'@cmd,'=evil@x.io,,,found,,,`);
    assert.equal(lines[2], `'\tTab,"'\rCR",safe,a=b,,,,,,,`);
  });

  it('renames our columns that clash with the upload\'s, and keeps the upload\'s', () => {
    assert.deepEqual(outputColumnNames(['E-mail', 'Status', 'toofr_status', 'Name', 'Industry']), ['toofr_email', 'confidence', 'verification', 'toofr_status_2', 'pattern', 'toofr_industry', 'is_agency']);
    const w = createResultsWriter(['Name', 'Email', 'Company'], { includeReason: true });
    assert.deepEqual(w.columns, ['Name', 'Email', 'Company', 'toofr_email', 'confidence', 'verification', 'status', 'pattern', 'reason', 'industry', 'is_agency']);
    assert.deepEqual(w.cells({ raw: ['Jane Doe', 'old@acme.com', 'Acme'], email: 'jane@acme.com', reason: 'x', industry: 'Retail & E-commerce', is_agency: true }), ['Jane Doe', 'old@acme.com', 'Acme', 'jane@acme.com', '', '', '', '', 'x', 'Retail & E-commerce', 'true']);
  });

  it('pads short rows and keeps the extra cells of long rows after our columns', () => {
    const w = createResultsWriter(['a', 'b']);
    assert.deepEqual(w.cells({ raw: ['1'], email: 'e' }), ['1', '', 'e', '', '', '', '', '', '']);
    assert.deepEqual(w.cells({ raw: ['1', '2', '3', '4'], email: 'e' }), ['1', '2', 'e', '', '', '', '', '', '', '3', '4']);
  });

  it('writes the header even with no rows, and uses the given delimiter', async () => {
    assert.equal(await text(createResultsWriter(['a;b', 'c'], { delimiter: ';' }).csv([])), '\uFEFF"a;b";c;email;confidence;verification;status;pattern;industry;is_agency\r\n');
  });

  it('streams into a writable with backpressure', async () => {
    const received: string[] = [];
    const sink = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _enc, cb) {
        received.push(chunk.toString());
        cb();
      },
    });
    async function* rows(): AsyncGenerator<ResultRow> {
      for (let i = 0; i < 5000; i++) yield { raw: [`F${i}`, `L${i}`, 'Co', 'co.io'], status: 'found' };
    }
    const w = createResultsWriter(header);
    await pipeline(rows(), w.stream(), sink);
    const out = received.join('');
    assert.equal(out.split('\r\n').length, 5002); // header + rows + trailing empty
    assert.ok(out.endsWith('F4999,L4999,Co,co.io,,,,found,,,\r\n'));
  });

  it('passes an error from the rows to the reader', async () => {
    async function* rows(): AsyncGenerator<ResultRow> {
      yield { raw: ['a'] };
      throw new Error('database went away');
    }
    await assert.rejects(text(createResultsWriter(['x']).csv(rows())), /database went away/);
  });
});

describe('round trip', () => {
  it('read → write → read gives the same cells in the same order', async () => {
    const csv = 'Prénom;Nom;Société;Site web;Notes\r\n'
      + 'Jürgen;Groß;"Müller; Söhne";mueller.de;"two\r\nlines"\r\n'
      + 'Renée;"Côté ""RC""";Ça Va;cava.fr;\r\n'
      + 'Zoë;Brontë;Haworth\r\n'
      + 'Ana;Peña;Sol;sol.es;x;extra cell\r\n'
      + 'John;"Roe;Beta;beta.io\r\n';
    const first = await read(iconv.encode(csv, 'win1252'));
    assert.equal(first.rows.length, 5);

    const w = createResultsWriter(first.meta.header, { delimiter: first.meta.delimiter });
    const out = await text(w.csv(first.rows.map((row) => ({ raw: row.raw, email: 'x@y.io', confidence: 50, verification: 'valid', status: 'found', pattern: '{first}' }))));
    const second = await read(out, { chunk: 5 });

    assert.equal(second.meta.encoding, 'utf-8');
    assert.equal(second.meta.bom, true);
    assert.deepEqual(second.meta.header, [...first.meta.header, 'email', 'confidence', 'verification', 'status', 'pattern', 'industry', 'is_agency']);
    const width = first.meta.header.length;
    for (const [i, row] of first.rows.entries()) {
      const padded = [...row.raw, ...Array<string>(Math.max(0, width - row.raw.length)).fill('')];
      const back = second.rows[i].raw;
      assert.deepEqual(back.slice(0, width), padded.slice(0, width), `row ${i}`);
      assert.deepEqual(back.slice(width, width + 7), ['x@y.io', '50', 'valid', 'found', '{first}', '', '']);
      assert.deepEqual(back.slice(width + 7), row.raw.slice(width));
    }
    assert.equal(second.rows[4].raw[1], '"Roe'); // the stray quote survives as text
  });
});
