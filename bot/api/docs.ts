/**
 * A docs page for the API, rendered on the server from the OpenAPI document itself, so it is
 * always the document's truth (and works offline: no Swagger UI bundle from a CDN).
 */
import { escapeHtml } from '../pages/html.ts';

type Obj = Record<string, any>;

function schemaLine(schema: Obj | undefined): string {
  if (!schema) return '';
  if (schema.enum) return schema.enum.join(' | ');
  return [schema.type, schema.format, schema.pattern ? `pattern ${schema.pattern}` : '', schema.maxLength ? `≤ ${schema.maxLength} chars` : ''].filter(Boolean).join(', ');
}

export function renderDocs(doc: Obj): string {
  const ops: string[] = [];
  for (const [path, item] of Object.entries(doc.paths as Obj)) {
    for (const [method, op] of Object.entries(item as Obj)) {
      const params = ((op.parameters ?? []) as Obj[])
        .map((p) => `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? ' <b>required</b>' : ''}</td><td>${escapeHtml(p.in)}</td><td>${escapeHtml(schemaLine(p.schema))}</td><td>${escapeHtml(p.description ?? '')}</td></tr>`)
        .join('');
      const responses = Object.entries(op.responses as Obj)
        .map(([code, r]) => `<li><code>${code}</code> ${escapeHtml((r as Obj).description)}</li>`)
        .join('');
      ops.push(`<section class="op" id="${escapeHtml(method + path)}">
  <h2><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h2>
  <p>${escapeHtml(op.summary ?? '')}${op.description ? ` — ${escapeHtml(op.description)}` : ''}</p>
  ${params ? `<table><thead><tr><th>parameter</th><th>in</th><th>type</th><th>meaning</th></tr></thead><tbody>${params}</tbody></table>` : ''}
  <ul>${responses}</ul>
</section>`);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Toofr API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/static/app.css"></head>
<body><header><a href="/" class="brand">Toofr</a> <span>API reference</span></header><main>
<h1>${escapeHtml(doc.info.title)} v${escapeHtml(doc.info.version)}</h1>
<p>${escapeHtml(doc.info.description)}</p>
<p>Authenticate with <code>Authorization: Bearer &lt;key&gt;</code> (or <code>?api_key=</code>); create a key with <code>toofr keys create</code>.
Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI ${escapeHtml(doc.openapi)}).</p>
<pre>curl -H "Authorization: Bearer $TOOFR_KEY" "${escapeHtml(doc.servers[0].url)}/api/v1/find?first=Jane&amp;last=Doe&amp;company=acme.com"</pre>
${ops.join('\n')}
</main></body></html>`;
}
