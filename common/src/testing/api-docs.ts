/**
 * What a service's OpenAPI document must be: valid OpenAPI 3.1 (by @seriousme/openapi-schema-validator)
 * and listing exactly the routes the service mounts (common's app keeps them in app.locals.mountedRoutes).
 */
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { routeKey } from '../http/response-check';

interface ValidatorAnswer {
  valid: boolean;
  version: string;
  errors: unknown[];
}

function validate(document: unknown): Promise<ValidatorAnswer> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [join(__dirname, 'openapi-validate.mjs')], (err, stdout, stderr) => {
      if (err) reject(new Error(`the OpenAPI validator failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as ValidatorAnswer);
    });
    child.stdin?.end(JSON.stringify(document));
  });
}

/** Every problem found; none for a valid document of exactly the mounted routes. */
export async function openApiProblems(document: unknown, mountedRoutes: string[]): Promise<string[]> {
  const problems: string[] = [];
  const answer = await validate(document);
  if (!answer.valid) problems.push(`not valid OpenAPI: ${JSON.stringify(answer.errors).slice(0, 2000)}`);
  if (answer.version !== '3.1') problems.push(`OpenAPI ${answer.version}, not 3.1`);
  const paths = (document as { paths?: Record<string, Record<string, unknown>> }).paths ?? {};
  const documented = new Set(
    Object.entries(paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => routeKey(method, path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1'))),
    ),
  );
  for (const route of mountedRoutes) if (!documented.has(route)) problems.push(`mounted but not documented: ${route}`);
  const mounted = new Set(mountedRoutes);
  for (const route of documented) if (!mounted.has(route)) problems.push(`documented but not mounted: ${route}`);
  return problems;
}

/**
 * Every problem with what a running service serves as documentation: /openapi.json on its port and
 * under its prefix (the same document, valid, of exactly the mounted routes) and Swagger UI at
 * `<prefix>/docs/` with its assets. The service's Express app is the server's request listener.
 */
export async function apiDocsProblems(server: Server, prefix: string): Promise<string[]> {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const problems: string[] = [];
  const own = await fetch(`${base}/openapi.json`);
  const underPrefix = await fetch(`${base}${prefix}/openapi.json`);
  if (own.status !== 200 || underPrefix.status !== 200)
    return [`/openapi.json answered ${own.status}, ${prefix}/openapi.json ${underPrefix.status}`];
  const document: unknown = await own.json();
  if (JSON.stringify(await underPrefix.json()) !== JSON.stringify(document)) problems.push(`${prefix}/openapi.json is another document`);
  const app = server.listeners('request')[0] as { locals?: { mountedRoutes?: string[] } } | undefined;
  problems.push(...(await openApiProblems(document, app?.locals?.mountedRoutes ?? [])));

  const bare = await fetch(`${base}${prefix}/docs`, { redirect: 'manual' });
  if (bare.status !== 301 || bare.headers.get('location') !== 'docs/')
    problems.push(`${prefix}/docs answered ${bare.status} to ${bare.headers.get('location')}`);
  const page = await fetch(`${base}${prefix}/docs/`);
  const html = await page.text();
  if (page.status !== 200 || !html.includes('swagger-ui-bundle.js'))
    problems.push(`${prefix}/docs/ answered ${page.status} without Swagger UI`);
  for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css', 'init.js']) {
    const res = await fetch(`${base}${prefix}/docs/${asset}`);
    await res.arrayBuffer();
    if (res.status !== 200) problems.push(`${prefix}/docs/${asset} answered ${res.status}`);
  }
  return problems;
}
