import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  ConfigError,
  Events,
  InvalidEventError,
  KeyedLock,
  STREAMS,
  baseServiceEnv,
  createEnvelope,
  parseConfig,
  parseEnvelope,
} from '../src';
import { user } from './helpers';

test('every subject in DESIGN.md is in the catalogue and every catalogue event is in DESIGN.md', () => {
  const design = readFileSync(join(__dirname, '..', '..', '..', 'shared', 'DESIGN.md'), 'utf8');
  const table = design.slice(design.indexOf('| subject | data |'), design.indexOf('Publishing is never lost'));
  const designed = new Set<string>();
  for (const match of table.matchAll(/`lumina\.([a-z]+)\.([a-z]+)`(?:\s*\/\s*`\.([a-z]+)`)?/g)) {
    designed.add(`${match[1]}.${match[2]}`);
    if (match[3]) designed.add(`${match[1]}.${match[3]}`);
  }
  const published = Object.values(Events)
    .filter((e) => e.stream !== 'MEDIA_JOBS')
    .map((e) => e.type);
  expect(new Set(published)).toEqual(designed);
});

test('every event lives in a stream whose subjects cover it', () => {
  for (const event of Object.values(Events)) {
    const patterns = STREAMS[event.stream].subjects.map((s) => s.replace('.>', '.'));
    expect(patterns.some((p) => event.type.startsWith(p))).toBe(true);
  }
});

test('an envelope with bad data is refused at creation and at parsing', () => {
  expect(() => createEnvelope(Events.userCreated, { ...user('x'), version: 0 })).toThrow(InvalidEventError);
  const envelope = createEnvelope(Events.userCreated, user('x'));
  expect(parseEnvelope(Events.userCreated, JSON.stringify(envelope)).data).toEqual(user('x'));
  expect(() => parseEnvelope(Events.userUpdated, JSON.stringify(envelope))).toThrow(/expected user.updated/);
  expect(() => parseEnvelope(Events.userCreated, JSON.stringify({ ...envelope, schemaVersion: 99 }))).toThrow(/newer/);
});

test('configuration errors name every bad variable', () => {
  const schema = baseServiceEnv.extend({ MYSQL_URL: z.string().url() });
  try {
    parseConfig(schema, { PORT: 'eighty', MYSQL_URL: 'nope' });
    throw new Error('expected a ConfigError');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/PORT/);
    expect((err as Error).message).toMatch(/MYSQL_URL/);
  }
});

test('the keyed lock runs work for one key one at a time and different keys together', async () => {
  const lock = new KeyedLock();
  const log: string[] = [];
  const step = (key: string, name: string, ms: number) =>
    lock.run(key, async () => {
      log.push(`${name} start`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name} end`);
    });
  await Promise.all([step('a', 'a1', 30), step('a', 'a2', 1), step('b', 'b1', 5)]);
  expect(log.indexOf('a1 end')).toBeLessThan(log.indexOf('a2 start'));
  expect(log.indexOf('b1 start')).toBeLessThan(log.indexOf('a1 end'));
  expect(lock.size).toBe(0);
});
