/** The OpenAPI document is generated from the validating schemas, served without a key, and the docs page renders it. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApiHarness, type ApiHarness } from './api.harness.ts';

describe('API OpenAPI document and docs page', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness('api.openapi', { PUBLIC_URL: 'https://toofr.example.com' });
  });
  after(async () => {
    await h.close();
  });

  it('should serve an OpenAPI 3 document covering every endpoint, without a key', async () => {
    const res = await h.get('/api/v1/openapi.json', null);
    assert.equal(res.status, 200);
    const doc = await res.json();
    assert.match(doc.openapi, /^3\./);
    assert.equal(doc.servers[0].url, 'https://toofr.example.com');
    const ops = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
    assert.deepEqual(ops.sort(), [
      'DELETE /api/v1/lists/{id}',
      'GET /api/v1/company',
      'GET /api/v1/find',
      'GET /api/v1/lists',
      'GET /api/v1/lists/{id}',
      'GET /api/v1/lists/{id}/records',
      'GET /api/v1/lists/{id}/results.csv',
      'GET /api/v1/lookups/{id}',
      'GET /api/v1/pattern',
      'GET /api/v1/verify',
      'POST /api/v1/lists',
    ]);
    // Every $ref resolves.
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/\w+"/g) ?? [];
    for (const ref of refs) assert.ok(doc.components.schemas[ref.slice(22, -1)], `${ref} is defined`);
  });

  it('should describe parameters with the same limits the validation applies', async () => {
    const doc = await (await h.get('/api/v1/openapi.json', null)).json();
    const params = Object.fromEntries(doc.paths['/api/v1/find'].get.parameters.map((p: { name: string }) => [p.name, p]));
    assert.deepEqual(Object.keys(params).sort(), ['company', 'domain', 'first', 'full_name', 'last', 'max_duration']);
    assert.equal(params.first.schema.maxLength, 100);
    assert.match(params.max_duration.description, /at most 20/);
    const verify = doc.paths['/api/v1/verify'].get.parameters.find((p: { name: string }) => p.name === 'email');
    assert.equal(verify.required, true);
    assert.equal(verify.schema.maxLength, 254);
    // The limit in the document is the limit enforced.
    const tooLong = await h.get(`/api/v1/find?first=${'a'.repeat(params.first.schema.maxLength + 1)}&last=b&company=acme.com`);
    assert.equal(tooLong.status, 400);
    const atLimit = await h.get(`/api/v1/find?first=${'a'.repeat(params.first.schema.maxLength)}&last=b&company=acme.com`);
    assert.equal(atLimit.status, 200);
    assert.deepEqual(doc.components.schemas.Error.required, ['error']);
  });

  it('should document the company lookup: its parameters, its answer and its 202', async () => {
    const doc = await (await h.get('/api/v1/openapi.json', null)).json();
    const op = doc.paths['/api/v1/company'].get;
    const params = Object.fromEntries(op.parameters.map((p: { name: string }) => [p.name, p]));
    assert.deepEqual(Object.keys(params).sort(), ['domain', 'max_duration', 'refresh']);
    assert.equal(params.domain.required, true);
    assert.equal(params.domain.schema.maxLength, 253);
    assert.deepEqual([...params.refresh.schema.enum].sort(), ['0', '1', 'false', 'true']);
    assert.ok(op.responses['202'] && op.responses['400']);
    assert.equal(op.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/CompanyResult');
    const data = doc.components.schemas.CompanyResult.properties.data;
    for (const field of ['industry', 'industry_name', 'naics', 'confidence', 'top3', 'is_agency', 'agency_confidence', 'evidence', 'website', 'checked_at', 'cached']) {
      assert.ok(data.properties[field], `CompanyResult.data.${field} is documented`);
    }
    assert.ok(doc.components.schemas.CompanyResult.properties.kind.enum.includes('company'));
  });

  it('should render a docs page from the document', async () => {
    const res = await h.get('/api/docs', null);
    assert.equal(res.status, 200);
    const page = await res.text();
    for (const path of ['/api/v1/find', '/api/v1/company', '/api/v1/lists/{id}/results.csv', '/api/v1/lookups/{id}']) assert.ok(page.includes(path), path);
    assert.match(page, /max_duration/);
    assert.match(page, /toofr keys create/);
  });
});
