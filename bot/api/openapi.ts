/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate requests (schemas.ts):
 * query parameters come from each schema's fields, bodies from the response schemas, so the
 * document describes exactly what the code accepts.
 */
import { z } from 'zod';
import * as s from './schemas.ts';

type Obj = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): Obj {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Obj;
  return rest;
}

function queryParams(schema: z.ZodObject): Obj[] {
  const full = jsonSchema(schema) as { properties?: Record<string, Obj>; required?: string[] };
  return Object.entries(full.properties ?? {}).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return { name, in: 'query', required: (full.required ?? []).includes(name), description, schema: rest };
  });
}

const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const ok = (description: string, ref: string) => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const common = {
  '400': err('Invalid input: the message says which field and why'),
  '401': err('No API key, or a wrong or revoked one'),
  '429': err('Rate limit (per key, per minute) or monthly quota reached; see Retry-After'),
};
const idPath = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };

function lookupOp(summary: string, description: string, query: z.ZodObject, ref: string): Obj {
  return {
    get: {
      summary,
      description,
      parameters: queryParams(query),
      responses: {
        '200': ok('The answer', ref),
        '202': ok('Not answered within max_duration: poll the URL in `poll`', 'Pending'),
        ...common,
        '502': err('The lookup failed; try again'),
      },
    },
  };
}

export function openApiDocument(publicUrl: string): Obj {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Toofr API',
      version: '1',
      description:
        "Find a person's work email from name and company, verify addresses, read a company's pattern, industry and agency status, and run whole CSV lists. " +
        'Requests never hang: find, verify, pattern and company wait at most `max_duration` seconds, then answer 202 with a URL to poll. ' +
        'Errors are `{error: {code, message}}`.',
    },
    servers: [{ url: publicUrl }],
    security: [{ bearer: [] }, { queryKey: [] }],
    paths: {
      '/api/v1/find': lookupOp('Find an address', 'first + last (or full_name) and company (a domain or website).', s.findQuery, 'FindResult'),
      '/api/v1/verify': lookupOp('Verify an address', 'Whether the address exists, with flags (webmail, disposable, role).', s.verifyQuery, 'VerifyResult'),
      '/api/v1/pattern': lookupOp("A company's address pattern", 'The pattern learned for the domain, with its evidence.', s.patternQuery, 'PatternResult'),
      '/api/v1/company': lookupOp(
        "A company's industry and whether it is an agency",
        "Read from the company's homepage (once per domain, then cached): industry with its NAICS code and confidence, the top 3 industries, agency or not, the evidence, and which page was read. " +
          'A site that cannot be read (none, blocked, timeout) is not an error: industry is unknown and `website.reason` says why. Does not count against the monthly quota.',
        s.companyQuery,
        'CompanyResult',
      ),
      '/api/v1/lookups/{id}': {
        get: {
          summary: 'Poll a lookup',
          parameters: [idPath],
          responses: { '200': ok('Finished: the same body as the lookup would have answered', 'FindResult'), '202': ok('Still running', 'Pending'), '404': err('No such lookup in this account'), ...common },
        },
      },
      '/api/v1/lists': {
        post: {
          summary: 'Upload a CSV list',
          description:
            'The body is the CSV (Content-Type: text/csv), or a multipart/form-data upload with a `file` field (and `callback_url`, `filename` fields before it). ' +
            'The callback receives a POST signed with `Toofr-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` when the list is done or failed.',
          parameters: queryParams(s.createListQuery),
          requestBody: {
            required: true,
            content: {
              'text/csv': { schema: { type: 'string' } },
              'multipart/form-data': {
                schema: { type: 'object', properties: { callback_url: { type: 'string' }, filename: { type: 'string' }, file: { type: 'string', format: 'binary' } }, required: ['file'] },
              },
            },
          },
          responses: { '202': ok('Accepted: the list is queued', 'List'), ...common, '413': err('File too large'), '415': err('Not CSV or multipart') },
        },
        get: { summary: 'Your lists, newest first', parameters: queryParams(s.listsQuery), responses: { '200': ok('A page of lists', 'ListsPage'), ...common } },
      },
      '/api/v1/lists/{id}': {
        get: { summary: 'Status, counts and progress of a list', parameters: [idPath], responses: { '200': ok('The list', 'List'), '404': err('No such list in this account'), ...common } },
        delete: {
          summary: 'Cancel a running list, or delete a finished one',
          parameters: [idPath],
          responses: { '200': ok('Cancelled (it was running); DELETE again to remove it', 'List'), '204': { description: 'Deleted' }, '404': err('No such list in this account'), '409': err('Being delivered right now; try again shortly'), ...common },
        },
      },
      '/api/v1/lists/{id}/records': {
        get: { summary: 'The records of a list, in file order, paged', parameters: [idPath, ...queryParams(s.recordsQuery)], responses: { '200': ok('A page of records', 'RecordsPage'), '404': err('No such list in this account'), ...common } },
      },
      '/api/v1/lists/{id}/results.csv': {
        get: {
          summary: 'The results file: every original column, then email, confidence, verification, status, pattern',
          parameters: [idPath],
          responses: { '200': { description: 'CSV, streamed', content: { 'text/csv': { schema: { type: 'string' } } } }, '404': err('No such list in this account'), '409': err('The file has not been read yet'), ...common },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer toofr_… (create with `toofr keys create`)' },
        queryKey: { type: 'apiKey', in: 'query', name: 'api_key', description: 'For spreadsheet formulas that cannot send headers' },
      },
      schemas: {
        Error: jsonSchema(s.errorBody),
        Pending: jsonSchema(s.lookupPending),
        FindResult: jsonSchema(s.lookupDone(s.findAnswer)),
        VerifyResult: jsonSchema(s.lookupDone(s.verifyAnswer)),
        PatternResult: jsonSchema(s.lookupDone(s.patternAnswer)),
        CompanyResult: jsonSchema(s.lookupDone(s.companyAnswer)),
        List: jsonSchema(s.listBody),
        ListsPage: jsonSchema(s.listsPage),
        RecordsPage: jsonSchema(s.recordsPage),
      },
    },
  };
}
