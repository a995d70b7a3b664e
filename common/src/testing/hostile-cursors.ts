/**
 * Cursors an attacker would try next: each field of a valid cursor swapped for something hostile
 * (numbers no Date holds, wrong types, operators, oversized strings), and whole cursors that are
 * not base64, not JSON or not an object. Every one must be a 400 with `field: "cursor"`.
 */

/** Hostile values as raw JSON text, so that `1e999` (Infinity once parsed) can be written too. */
export const HOSTILE_CURSOR_VALUES = {
  time: ['9e15', '8640000000000001', '-1', '1e999', '-1e999', '1.5', '"1700000000000"', '"NaN"', 'null', 'true', '[]', '{"$gt":0}'],
  number: ['1e999', '-1e999', '"1"', '"NaN"', 'null', 'true', '[]', '{"$gt":0}'],
  id: ['""', `"${'x'.repeat(65)}"`, '5', 'null', '["a"]', '{"$ne":null}', '"../etc"', '"a\' OR 1=1"'],
  count: ['9e15', '-1', '1e999', '1.5', '"1"', 'null', '{"$gt":0}'],
  text: ['5', 'null', '[]', '{"$ne":null}', `"${'x'.repeat(400)}"`],
} as const;
export type HostileFieldKind = keyof typeof HOSTILE_CURSOR_VALUES;

const encode = (json: string): string => Buffer.from(json).toString('base64url');

function nested(depth: number): string {
  return depth === 0 ? '1' : `{"t":${nested(depth - 1)}}`;
}

/** Whole cursors that are broken whatever their schema. */
export const MALFORMED_CURSORS: readonly string[] = [
  '!!!not-base64!!!',
  '%00',
  'a'.repeat(5000),
  encode('null'),
  encode('[]'),
  encode('"a string"'),
  encode('42'),
  encode('{"t":'),
  encode('{}'),
  encode(nested(200)),
  encode(`{"t":1,"id":"a","pad":"${'x'.repeat(600)}"}`),
];

/**
 * Every field of `valid` replaced, one at a time, by each hostile value of its kind, plus the
 * malformed cursors. `valid` itself must be a cursor the route accepts (the test checks it).
 */
export function hostileCursors(
  valid: Record<string, unknown>,
  kinds: Record<string, HostileFieldKind>,
  optional: readonly string[] = [],
): string[] {
  const out: string[] = [];
  for (const [field, kind] of Object.entries(kinds)) {
    for (const raw of HOSTILE_CURSOR_VALUES[kind]) {
      const parts = Object.entries(valid).map(([k, v]) => `${JSON.stringify(k)}:${k === field ? raw : JSON.stringify(v)}`);
      out.push(encode(`{${parts.join(',')}}`));
    }
    // The field missing altogether.
    if (!optional.includes(field)) out.push(encode(JSON.stringify(Object.fromEntries(Object.entries(valid).filter(([k]) => k !== field)))));
  }
  return [...out, ...MALFORMED_CURSORS];
}

export const encodeTestCursor = (position: unknown): string => encode(JSON.stringify(position));
