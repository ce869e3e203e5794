/**
 * Files as people really export them, through list.import on real Postgres: every row lands as a
 * record (usable or with its reason and line), or the whole file is refused with a message that
 * says what to do. Nothing is dropped silently.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import type { Services } from '../../core/services.ts';
import type { Logger } from '../../core/logger.ts';
import { getList, readRecords, type ResultRecord } from '../../core/lists/store.ts';
import { importList } from '../../worker/jobs/list.import.ts';
import type { WorkerContext } from '../../worker/context.ts';
import { freshServices } from '../helpers/db.ts';
import { fakeEnricher } from '../helpers/fake-enricher.ts';
import { offlineCompanies, submitCsv } from '../helpers/pipeline.ts';
import { checkFindInput } from '../../core/engine/input.ts';

describe('importing real-world files', () => {
  let services: Services;
  let log: Logger;
  let ctx: WorkerContext;

  before(async () => {
    ({ services, log } = await freshServices('import-files'));
    const enricher = { ...fakeEnricher(), checkInput: (i: Parameters<typeof checkFindInput>[0]) => checkFindInput(i) };
    ctx = { pool: services.db.pool, boss: services.boss, log, enricher, companies: offlineCompanies(services.db.pool), notifiers: {}, concurrency: 1, perDomainConcurrency: 1, progressIntervalSeconds: 60 };
  });
  after(() => services.close());

  async function load(content: string | Buffer) {
    const id = await submitCsv(services, content);
    await importList(ctx, id);
    const list = (await getList(services.db.pool, id))!;
    const records: ResultRecord[] = [];
    for await (const r of readRecords(services.db.pool, id)) records.push(r);
    const { rows: [jobs] } = await services.db.pool.query(
      `SELECT count(*)::int AS n FROM ${services.db.queueSchema}.job WHERE name = 'record.enrich' AND data->>'listId' = $1`,
      [id],
    );
    return { list, records, jobs: jobs.n as number };
  }

  it('should keep the rows around an unbalanced quote and name the bad line', async () => {
    const { list, records, jobs } = await load('first,last,domain\nAnn,Lee,acme.com\n"Bob,Stone,acme.com\nCy,Young,acme.com\n');
    assert.equal(list.status, 'running');
    assert.equal(records.length, 3);
    assert.deepEqual(records.map((r) => r.line), [2, 3, 4]);
    assert.equal(records[0]!.status, 'pending');
    assert.equal(records[1]!.status, 'bad');
    assert.match(records[1]!.reason!, /quote/i);
    assert.equal(records[2]!.status, 'pending');
    assert.deepEqual(records[2]!.raw, ['Cy', 'Young', 'acme.com']);
    assert.equal(jobs, 2, 'one job per usable row');
  });

  it('should refuse an empty file and finish a header-only one with no rows', async () => {
    const empty = await load('');
    assert.equal(empty.list.status, 'failed');
    assert.match(empty.list.error!, /empty/i);
    const headerOnly = await load('First name,Last name,Website\n');
    assert.equal(headerOnly.list.total_rows, 0);
    assert.notEqual(headerOnly.list.status, 'failed');
  });

  it('should refuse a file with no usable column, listing the columns it found', async () => {
    const { list } = await load('Colour;Size;Price\nred;10;3\n');
    assert.equal(list.status, 'failed');
    assert.match(list.error!, /Colour/);
    assert.match(list.error!, /name/i);
  });

  it('should read semicolons, UTF-16 and Windows-1252, and a UTF-8 file with one Windows-1252 line', async () => {
    const semi = await load('Vorname;Nachname;Firma Website\nJürgen;Groß;https://www.beispiel.de\n');
    assert.equal(semi.list.delimiter, ';');
    assert.deepEqual(semi.records[0]!.raw, ['Jürgen', 'Groß', 'https://www.beispiel.de']);
    assert.equal(semi.records[0]!.status, 'pending');

    const utf16 = await load(Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode('Prénom,Nom,Entreprise\r\nRenée,Lefèvre,exemple.fr\r\n', 'utf-16le')]));
    assert.deepEqual(utf16.records[0]!.raw, ['Renée', 'Lefèvre', 'exemple.fr']);

    const cp1252 = await load(iconv.encode('Nombre,Apellido,Empresa\nJosé,Muñoz,ejemplo.es\n', 'win1252'));
    assert.deepEqual(cp1252.records[0]!.raw, ['José', 'Muñoz', 'ejemplo.es']);

    const mixed = await load(Buffer.concat([Buffer.from('first,last,domain\nZoë,Ångström,a.com\n'), iconv.encode('Noël,Françoise,b.com\n', 'win1252'), Buffer.from('Łukasz,Żak,c.com\n')]));
    assert.deepEqual(mixed.records.map((r) => r.raw[0]), ['Zoë', 'Noël', 'Łukasz']);
    assert.equal(mixed.records.length, 3);
  });

  it('should refuse a spreadsheet saved as .xlsx with what to do instead', async () => {
    const { list } = await load(Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(200, 1)]));
    assert.equal(list.status, 'failed');
    assert.match(list.error!, /CSV/);
  });

  it('should store a 20 MB file row by row, every row once and in order', async () => {
    const note = 'x'.repeat(2000);
    const lines = ['First name,Last name,Website,Notes'];
    for (let i = 0; i < 10_000; i++) lines.push(`F${i},L${i},site${i % 50}.com,${note}`);
    const csv = lines.join('\n');
    assert.ok(csv.length > 20_000_000);
    const { list, records, jobs } = await load(csv);
    assert.equal(list.total_rows, 10_000);
    assert.equal(records.length, 10_000);
    assert.equal(jobs, 10_000);
    records.forEach((r, i) => {
      assert.equal(r.ordinal, i);
      assert.equal(r.raw[0], `F${i}`);
      assert.equal(r.raw[3]!.length, 2000);
    });
  });
});
