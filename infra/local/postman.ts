/**
 * `npm run postman`: a Postman collection (v2.1) of the whole API and an environment for the
 * one-machine entry point, written to docs/postman/. Made from the OpenAPI documents the
 * services serve at /openapi.json — built here from the contract exactly as common's app builds
 * them (`openApiDocument(contract)`), without starting anything — never from a list of its own:
 * one folder per service, one request per operation, `{{baseUrl}}/api/v1/…` with path variables
 * as `:name`, example JSON bodies made from the request schemas, and the cookie session noted.
 * infra/local/test/postman.test.ts regenerates it and compares it with the committed files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { contracts, openApiDocument, type OpenApiDocument } from '@lumina/contract';
import { DEFAULT_PORT, entryPointUrl } from './entry-point';

export const POSTMAN_SCHEMA = 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json';
export const POSTMAN_DIR = join(__dirname, '..', '..', 'docs', 'postman');
export const COLLECTION_FILE = join(POSTMAN_DIR, 'lumina.postman_collection.json');
export const ENVIRONMENT_FILE = join(POSTMAN_DIR, 'one-machine.postman_environment.json');

// ---- the Postman shapes (what we write of Collection v2.1) --------------------------------

export interface PostmanKeyValue {
  key: string;
  value: string;
  description?: string;
  disabled?: boolean;
  type?: string;
}

export interface PostmanUrl {
  raw: string;
  host: string[];
  path: string[];
  query?: PostmanKeyValue[];
  variable?: PostmanKeyValue[];
}

export interface PostmanRequestItem {
  name: string;
  request: {
    method: string;
    header: PostmanKeyValue[];
    url: PostmanUrl;
    description?: string;
    body?:
      | { mode: 'raw'; raw: string; options: { raw: { language: 'json' } } }
      | { mode: 'formdata'; formdata: Array<PostmanKeyValue & { src?: string }> };
  };
}

export interface PostmanFolder {
  name: string;
  description: string;
  item: PostmanRequestItem[];
}

export interface PostmanCollection {
  info: { name: string; description: string; schema: string };
  item: PostmanFolder[];
  variable: PostmanKeyValue[];
}

// ---- the OpenAPI shapes we read --------------------------------------------------------------

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  format?: string;
  minLength?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  default?: unknown;
  example?: unknown;
  description?: string;
};

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: Schema;
}

interface Operation {
  summary?: string;
  description?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

// ---- example values from schemas -----------------------------------------------------------

/** Readable samples for the fields the API's bodies have; anything else gets a sample of its type. */
const SAMPLE_STRINGS: Record<string, string> = {
  email: 'ann@example.com',
  password: 'correct horse battery',
  username: 'ann',
  displayName: 'Ann',
  bio: 'Photos of the sea',
  caption: 'Low tide at dawn #sea',
  body: 'Lovely light!',
  alt: 'Waves on a pebble beach',
  id: 'MEDIA_ID',
  avatarMediaId: 'MEDIA_ID',
};

function resolve(schema: Schema, document: OpenApiDocument): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const target = (document.components?.schemas as Record<string, Schema> | undefined)?.[name];
  if (!target) throw new Error(`${document.info.title}: ${schema.$ref} is not in the document`);
  return target;
}

/** A value the schema accepts by its declared shape (the refinements the service adds are not in the document). */
export function exampleOf(schema: Schema, document: OpenApiDocument, name = '', depth = 0): unknown {
  const s = resolve(schema, document);
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.enum && s.enum.length > 0) return s.enum[0];
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) {
    const first = alternatives.find((a) => resolve(a, document).type !== 'null') ?? alternatives[0]!;
    return exampleOf(first, document, name, depth + 1);
  }
  if (s.allOf?.[0]) return exampleOf(s.allOf[0], document, name, depth + 1);
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  const type = types.find((t) => t !== 'null') ?? (s.properties ? 'object' : undefined);
  if (depth > 6) return null;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(s.properties ?? {})) out[key] = exampleOf(property, document, key, depth + 1);
      return out;
    }
    case 'array': {
      const item = s.items ? exampleOf(s.items, document, name, depth + 1) : 'string';
      return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => item);
    }
    case 'integer':
    case 'number':
      return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return true;
    case 'string': {
      if (SAMPLE_STRINGS[name]) return SAMPLE_STRINGS[name];
      if (s.format === 'date-time') return '2026-01-01T00:00:00.000Z';
      if (s.format === 'email') return 'ann@example.com';
      return 'string'.padEnd(s.minLength ?? 0, 'x');
    }
    default:
      return null;
  }
}

// ---- the conversion ------------------------------------------------------------------------

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const SESSION_NOTE =
  'Needs a session: send "Sign in" (or "Create an account and sign in") first. Auth answers with an HttpOnly `session` cookie (and a `refresh` cookie scoped to /api/v1/users) that Postman keeps in its cookie jar for the host and sends with every later request; "New session cookies for the refresh cookie" renews them after the session expires. An `Authorization: Bearer <jwt>` header works too.';

function describe(...parts: Array<string | undefined>): string | undefined {
  const text = parts.filter((p): p is string => Boolean(p)).join('\n\n');
  return text || undefined;
}

function requestItem(path: string, method: (typeof METHODS)[number], operation: Operation, document: OpenApiDocument): PostmanRequestItem {
  const expressPath = path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
  const parameters = operation.parameters ?? [];
  const ofKind = (kind: Parameter['in']) => parameters.filter((p) => p.in === kind);
  const note = (p: Parameter) => describe(p.description ?? p.schema?.description, p.required ? '(required)' : undefined);

  const query = ofKind('query').map((p) => ({
    key: p.name,
    value: '',
    ...(note(p) ? { description: note(p) } : {}),
    ...(p.required ? {} : { disabled: true }),
  }));
  const variable = ofKind('path').map((p) => ({ key: p.name, value: '', ...(note(p) ? { description: note(p) } : {}) }));
  const header: PostmanKeyValue[] = ofKind('header').map((p) => ({
    key: p.name,
    value: '',
    ...(note(p) ? { description: note(p) } : {}),
    ...(p.required ? {} : { disabled: true }),
  }));

  let body: PostmanRequestItem['request']['body'];
  const content = operation.requestBody?.content ?? {};
  if (content['application/json']) {
    header.unshift({ key: 'Content-Type', value: 'application/json' });
    body = {
      mode: 'raw',
      raw: JSON.stringify(exampleOf(content['application/json'].schema, document), null, 2),
      options: { raw: { language: 'json' } },
    };
  } else if (content['multipart/form-data']) {
    const form = resolve(content['multipart/form-data'].schema, document);
    body = {
      mode: 'formdata',
      formdata: Object.entries(form.properties ?? {}).map(([key, property]) => {
        const p = resolve(property, document);
        const description = describe(p.description, form.required?.includes(key) ? '(required)' : undefined);
        return p.format === 'binary'
          ? { key, type: 'file', value: '', src: '', ...(description ? { description } : {}) }
          : { key, type: 'text', value: String(exampleOf(p, document, key)), ...(description ? { description } : {}) };
      }),
    };
  }

  const segments = expressPath.split('/').filter(Boolean);
  const enabledQuery = query.filter((q) => !q.disabled);
  const raw = `{{baseUrl}}${expressPath}${enabledQuery.length ? `?${enabledQuery.map((q) => `${q.key}=`).join('&')}` : ''}`;
  const needsSession = operation.security?.some((s) => 'session' in s);
  return {
    name: operation.summary ?? `${method.toUpperCase()} ${expressPath}`,
    request: {
      method: method.toUpperCase(),
      header,
      url: {
        raw,
        host: ['{{baseUrl}}'],
        path: segments,
        ...(query.length ? { query } : {}),
        ...(variable.length ? { variable } : {}),
      },
      ...(describe(operation.description, needsSession ? SESSION_NOTE : undefined)
        ? { description: describe(operation.description, needsSession ? SESSION_NOTE : undefined) }
        : {}),
      ...(body ? { body } : {}),
    },
  };
}

/** One folder of a service's document: a request per operation, in the document's order. */
export function folderOf(service: string, document: OpenApiDocument): PostmanFolder {
  const item: PostmanRequestItem[] = [];
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = (operations as Record<string, Operation | undefined>)[method];
      if (operation) item.push(requestItem(path, method, operation, document));
    }
  }
  return { name: service, description: `${document.info.title}: ${document.info.description ?? ''}`.trim(), item };
}

/** The collection of the given documents (by service), with `{{baseUrl}}` defaulting to `baseUrl`. */
export function postmanCollection(documents: Record<string, OpenApiDocument>, baseUrl: string): PostmanCollection {
  return {
    info: {
      name: 'Lumina API v1',
      description: [
        'Every route of the Lumina API under /api/v1, one folder per service, generated by `npm run postman` from the OpenAPI documents the services serve at /api/v1/<service>/openapi.json (do not edit by hand).',
        'Set `baseUrl` to the entry point (the one-machine environment beside this file has the URL `npm start` prints).',
        'Sessions are cookies: send "Sign in" (auth) first and Postman\'s cookie jar sends the `session` cookie with later requests; routes that need it say so.',
        'The unversioned /api/<service> paths still answer for one release, with a `Deprecation` header and a `Link: <…>; rel="successor-version"` to the /api/v1 path.',
      ].join('\n\n'),
      schema: POSTMAN_SCHEMA,
    },
    item: Object.entries(documents).map(([service, document]) => folderOf(service, document)),
    variable: [{ key: 'baseUrl', value: baseUrl }],
  };
}

/** The documents the services serve: the same function of the same contracts (common's app). */
export function servedDocuments(): Record<string, OpenApiDocument> {
  return Object.fromEntries(Object.entries(contracts).map(([service, contract]) => [service, openApiDocument(contract)]));
}

/** The URL `npm start` prints for the entry point (LUMINA_PORT unset). */
export const ONE_MACHINE_URL = entryPointUrl(DEFAULT_PORT);

export function oneMachineEnvironment(): object {
  return {
    name: 'Lumina one machine (npm start)',
    values: [{ key: 'baseUrl', value: ONE_MACHINE_URL, type: 'default', enabled: true }],
    _postman_variable_scope: 'environment',
  };
}

/** Generated files, as JSON.stringify lays them out (.prettierignore leaves docs/postman alone). */
const asFile = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** The two files' contents by path, as `npm run postman` writes them. */
export function postmanFiles(): Record<string, string> {
  return {
    [COLLECTION_FILE]: asFile(postmanCollection(servedDocuments(), ONE_MACHINE_URL)),
    [ENVIRONMENT_FILE]: asFile(oneMachineEnvironment()),
  };
}

function main(): void {
  for (const [file, text] of Object.entries(postmanFiles())) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    process.stdout.write(`wrote ${file}\n`);
  }
}

if (require.main === module) {
  main();
}
