/**
 * The Postman collection in docs/postman (`npm run postman`): regenerated here from the OpenAPI
 * documents, it must be the committed file byte for byte (so it cannot go stale), and it must
 * hold one request per route of the contract's route tables (method and path) and nothing else.
 */
import { readFileSync } from 'node:fs';
import { routeTables } from '@lumina/contract';
import { COLLECTION_FILE, ENVIRONMENT_FILE, ONE_MACHINE_URL, POSTMAN_SCHEMA, postmanFiles, type PostmanCollection } from '../postman';

const files = postmanFiles();

test('the committed collection and environment are what `npm run postman` makes now', () => {
  expect(Object.keys(files).sort()).toEqual([COLLECTION_FILE, ENVIRONMENT_FILE].sort());
  for (const [file, text] of Object.entries(files)) {
    expect({ file, text: readFileSync(file, 'utf8') }).toEqual({ file, text });
  }
});

test('the collection lists every route of the route tables, one folder per service, and nothing else', () => {
  const collection = JSON.parse(files[COLLECTION_FILE]!) as PostmanCollection;
  expect(collection.info.schema).toBe(POSTMAN_SCHEMA);
  expect(collection.item.map((folder) => folder.name)).toEqual(Object.keys(routeTables));
  for (const [service, table] of Object.entries(routeTables)) {
    const folder = collection.item.find((f) => f.name === service)!;
    const listed = folder.item.map((item) => `${item.request.method} /${item.request.url.path.join('/')}`).sort();
    const declared = Object.values(table)
      .map((route) => `${route.method.toUpperCase()} ${route.path}`)
      .sort();
    expect({ service, listed }).toEqual({ service, listed: declared });
  }
});

test('each URL is {{baseUrl}}/api/v1/…, with every :variable declared; JSON bodies are JSON', () => {
  const collection = JSON.parse(files[COLLECTION_FILE]!) as PostmanCollection;
  for (const item of collection.item.flatMap((folder) => folder.item)) {
    const { url, body } = item.request;
    expect(url.raw.startsWith('{{baseUrl}}/api/v1/')).toBe(true);
    expect(url.host).toEqual(['{{baseUrl}}']);
    const variables = url.path.filter((segment) => segment.startsWith(':')).map((segment) => segment.slice(1));
    expect({ raw: url.raw, variables: (url.variable ?? []).map((v) => v.key) }).toEqual({ raw: url.raw, variables });
    if (body?.mode === 'raw') expect(() => JSON.parse(body.raw) as unknown).not.toThrow();
  }
});

test('the environment points baseUrl at the URL npm start prints', () => {
  const environment = JSON.parse(files[ENVIRONMENT_FILE]!) as { values: Array<{ key: string; value: string }> };
  expect(ONE_MACHINE_URL).toBe('http://127.0.0.1:8080');
  expect(environment.values).toEqual([expect.objectContaining({ key: 'baseUrl', value: ONE_MACHINE_URL })]);
});
