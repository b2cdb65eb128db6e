// The API reference page (GET /api/docs): server-rendered from the OpenAPI document itself, so it lists
// exactly what the routes accept. No scripts, no CDN; every string from the document is escaped.
import type { OpenApiDocument } from './openapi.ts';
import { PROBLEMS, type ProblemSlug } from './errors.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (ch) => ESC[ch]);

const isObj = (v: Json | undefined): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: Json | undefined): string => (typeof v === 'string' ? v : '');

/** A one-line type for a schema: `string (uuid)`, `"24h" | "7d"`, `Vm[]`, `object`. */
function typeOf(schema: Json | undefined): string {
  if (!isObj(schema)) return 'any';
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop() ?? 'object';
  if (Array.isArray(schema.enum)) return schema.enum.map((e) => JSON.stringify(e)).join(' | ');
  if (Array.isArray(schema.allOf) && schema.allOf.length) return schema.allOf.map(typeOf).join(' & ');
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map(typeOf).join(' | ');
  if (Array.isArray(schema.oneOf)) return schema.oneOf.map(typeOf).join(' | ');
  const t = str(schema.type) || 'object';
  const nullable = schema.nullable === true ? ' | null' : '';
  if (t === 'array') return `${typeOf(schema.items)}[]${nullable}`;
  return `${t}${schema.format ? ` (${str(schema.format)})` : ''}${nullable}`;
}

function propertiesTable(schema: Json | undefined): string {
  if (!isObj(schema) || !isObj(schema.properties)) return '';
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const rows = Object.entries(schema.properties).map(([name, p]) => {
    const desc = isObj(p) ? str(p.description) : '';
    return `<tr><td><code>${esc(name)}</code>${required.has(name) ? '' : ' <span class="opt">optional</span>'}</td><td><code>${esc(typeOf(p))}</code></td><td>${esc(desc)}</td></tr>`;
  });
  return `<table><thead><tr><th>Field</th><th>Type</th><th>Notes</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function contentList(content: Json | undefined): string {
  if (!isObj(content)) return '';
  return Object.entries(content)
    .map(([type, media]) => `<code>${esc(type)}</code> ${isObj(media) ? `<code>${esc(typeOf(media.schema))}</code>` : ''}`)
    .join(', ');
}

const anchor = (method: string, path: string) => `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;

function operation(method: string, path: string, op: Obj): string {
  const params = Array.isArray(op.parameters) ? op.parameters.filter(isObj) : [];
  const paramRows = params.map((p) => {
    const desc = str(p.description) || (isObj(p.schema) ? str(p.schema.description) : '');
    const def = isObj(p.schema) && p.schema.default !== undefined ? ` (default ${JSON.stringify(p.schema.default)})` : '';
    return `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required === true ? 'yes' : 'no'}</td><td><code>${esc(typeOf(p.schema))}</code></td><td>${esc(desc + def)}</td></tr>`;
  });
  const body = isObj(op.requestBody) ? `<h4>Request body</h4><p>${contentList(op.requestBody.content)}</p>` : '';
  const responses = isObj(op.responses)
    ? Object.entries(op.responses)
        .map(([status, r]) => `<tr><td>${esc(status)}</td><td>${isObj(r) ? esc(str(r.description)) : ''}</td><td>${isObj(r) ? contentList(r.content) : ''}</td></tr>`)
        .join('')
    : '';
  return `<section class="op" id="${esc(anchor(method, path))}">
<h3><span class="method ${esc(method)}">${esc(method.toUpperCase())}</span> <code class="path">${esc(path)}</code></h3>
<p class="summary">${esc(str(op.summary))}</p>${op.description ? `<p>${esc(str(op.description))}</p>` : ''}
${paramRows.length ? `<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Required</th><th>Type</th><th>Notes</th></tr></thead><tbody>${paramRows.join('')}</tbody></table>` : ''}
${body}<h4>Responses</h4><table><thead><tr><th>Status</th><th>Meaning</th><th>Body</th></tr></thead><tbody>${responses}</tbody></table>
</section>`;
}

export function renderDocsPage(doc: OpenApiDocument, cssHref: string): string {
  const d = JSON.parse(JSON.stringify(doc)) as Obj;
  const info = isObj(d.info) ? d.info : {};
  const servers = Array.isArray(d.servers) && isObj(d.servers[0]) ? str(d.servers[0].url) : '';
  const ops: Array<{ method: string; path: string; op: Obj }> = [];
  for (const [path, item] of Object.entries(isObj(d.paths) ? d.paths : {})) {
    if (!isObj(item)) continue;
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[method];
      if (isObj(op)) ops.push({ method, path: `${servers}${path}`, op });
    }
  }
  const components = isObj(d.components) ? d.components : {};
  const schemes = isObj(components.securitySchemes) ? components.securitySchemes : {};
  const schemas = isObj(components.schemas) ? components.schemas : {};
  const toc = ops.map((o) => `<li><a href="#${esc(anchor(o.method, o.path))}"><span class="method ${esc(o.method)}">${esc(o.method.toUpperCase())}</span> ${esc(o.path)}</a></li>`);
  const auth = Object.entries(schemes)
    .map(([name, s]) => `<li><strong>${esc(name)}</strong>: ${isObj(s) ? esc(`${str(s.type)} ${str(s.scheme) || str(s.in)} ${str(s.name)}`.trim()) : ''} — ${isObj(s) ? esc(str(s.description)) : ''}</li>`)
    .join('');
  const problemRows = (Object.keys(PROBLEMS) as ProblemSlug[])
    .map((k) => `<tr id="problem-${esc(k)}"><td>${PROBLEMS[k].status}</td><td><code>${esc(`/api/docs#problem-${k}`)}</code></td><td>${esc(PROBLEMS[k].title)}</td><td>${esc(PROBLEMS[k].about)}</td></tr>`)
    .join('');
  const schemaSections = Object.entries(schemas)
    .map(([name, s]) => `<section class="schema" id="schema-${esc(name)}"><h3>${esc(name)}</h3>${isObj(s) && s.description ? `<p>${esc(str(s.description))}</p>` : ''}${propertiesTable(s)}</section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(str(info.title))} reference</title><link rel="stylesheet" href="${esc(cssHref)}"></head>
<body><main>
<h1>${esc(str(info.title))} <small>${esc(str(info.version))}</small></h1>
<p>${esc(str(info.description))}</p>
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI ${esc(str(d.openapi))}).</p>
<h2>Authentication</h2><ul>${auth}</ul>
<h2>Operations</h2><ul class="toc">${toc.join('')}</ul>
${ops.map((o) => operation(o.method, o.path, o.op)).join('\n')}
<h2 id="problems">Errors</h2>
<p>Every error is <code>application/problem+json</code> with <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code>, <code>instance</code> and <code>requestId</code>.</p>
<table><thead><tr><th>Status</th><th>type</th><th>Title</th><th>When</th></tr></thead><tbody>${problemRows}</tbody></table>
<h2>Schemas</h2>
${schemaSections}
</main></body></html>`;
}

export const DOCS_CSS = `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fafafa}
main{max-width:960px;margin:0 auto;padding:1.5rem}
h1 small{font-size:.6em;color:#667}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border:1px solid #dde;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eef}
code{font-family:ui-monospace,monospace;font-size:.92em}
.op{border-top:2px solid #dde;padding-top:.5rem;margin-top:1.5rem}
.method{display:inline-block;min-width:4.5em;font-weight:700;font-family:ui-monospace,monospace}
.method.get{color:#0a6}.method.post{color:#06c}.method.delete{color:#c30}
.opt{color:#889;font-size:.85em}
.toc{columns:2;list-style:none;padding:0}
`;
