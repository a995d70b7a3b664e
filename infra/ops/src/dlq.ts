/**
 * `lumina-ops dlq`: the dead letters, for an operator to act on.
 *   dlq list   [filters] [--limit N]   counts by service, event and reason, then the letters
 *   dlq show   ID                      one letter whole, its original event included
 *   dlq replay (filters | --all)       republish each original to the consumer that failed it
 *   dlq purge  (filters | --all)       delete letters
 * Filters: --service S, --event TYPE (user.created), --reason TEXT (a part of it, any case),
 * --id ID. A replay goes to `<event subject>.replay.<service>`, which only that service's consumer
 * of the event filters on (common/src/events/dead-letter.ts), and the letter leaves the DLQ; if
 * the consumer fails it again it returns as a new letter, marked REPLAY.
 */
import {
  Events,
  SERVICES,
  getDeadLetter,
  purgeDeadLetters,
  replayDeadLetter,
  scanDeadLetters,
  type DeadLetterFilter,
  type EventBus,
  type StoredDeadLetter,
} from '@lumina/common';
import { UsageError } from './usage';

const EVENT_TYPES = new Set<string>(Object.values(Events).map((e) => e.type));

/** The filter the options name; throws a UsageError for a service, event or id that cannot be. */
export function dlqFilterFrom(options: Record<string, string>): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  if (options.service !== undefined) {
    if (!(SERVICES as readonly string[]).includes(options.service)) throw new UsageError(`unknown --service ${options.service}`);
    filter.service = options.service;
  }
  if (options.event !== undefined) {
    if (!EVENT_TYPES.has(options.event)) throw new UsageError(`unknown --event ${options.event} (an event type: user.created …)`);
    filter.event = options.event;
  }
  if (options.reason !== undefined) {
    if (options.reason.trim() === '') throw new UsageError('--reason needs some text');
    filter.reason = options.reason;
  }
  if (options.id !== undefined) filter.id = letterId(options.id);
  return filter;
}

export function letterId(value: string | undefined): number {
  const id = Number(value);
  if (!value || !Number.isSafeInteger(id) || id <= 0)
    throw new UsageError(`a letter ID is a positive integer (dlq list shows them), not ${value ?? 'nothing'}`);
  return id;
}

/** replay and purge act on what a filter names, or on everything with --all, never by default. */
function filterOrAll(options: Record<string, string>, flags: Set<string>, command: string): DeadLetterFilter {
  const filter = dlqFilterFrom(options);
  const narrowed = Object.keys(filter).length > 0;
  if (flags.has('all') && narrowed) throw new UsageError(`dlq ${command}: --all or filters, not both`);
  if (!flags.has('all') && !narrowed) throw new UsageError(`dlq ${command} needs --service, --event, --reason or --id, or --all`);
  return filter;
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const oneLine = (text: string) => text.replace(/\s+/g, ' ');

/** A letter that came back from a replay: its subject is the replay subject. */
const isReplay = (l: StoredDeadLetter) => l.subject.endsWith(`.replay.${l.service}`);

/** The original event in a line: its type, id and data when it is an envelope, else the raw text. */
function originalInBrief(original: string, max = 100): string {
  try {
    const e = JSON.parse(original) as { id?: unknown; type?: unknown; data?: unknown };
    if (typeof e.type === 'string' && typeof e.id === 'string') return clip(`${e.type} ${e.id} ${JSON.stringify(e.data)}`, max);
  } catch {
    // not JSON: shown as it is
  }
  return clip(oneLine(original), max);
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

interface Group {
  service: string;
  event: string;
  reason: string;
  count: number;
  lastFailedAt: string;
}

/**
 * Reads every letter the filter selects once, in batches (dead-letter.ts), keeping only the
 * counts per group and the first `limit` letters: memory does not grow with the DLQ.
 */
export async function dlqList(bus: EventBus, filter: DeadLetterFilter, limit: number): Promise<string> {
  const groups = new Map<string, Group>();
  const shown: StoredDeadLetter[] = [];
  let total = 0;
  for await (const letter of scanDeadLetters(bus, filter)) {
    total += 1;
    const key = JSON.stringify([letter.service, letter.eventType, letter.reason]);
    const group = groups.get(key) ?? {
      service: letter.service,
      event: letter.eventType,
      reason: letter.reason,
      count: 0,
      lastFailedAt: '',
    };
    group.count += 1;
    if (letter.failedAt > group.lastFailedAt) group.lastFailedAt = letter.failedAt;
    groups.set(key, group);
    if (shown.length < limit) shown.push(letter);
  }
  if (total === 0) return 'no dead letters\n';
  const parts = [
    `${total} dead letter${total === 1 ? '' : 's'}`,
    table(
      ['SERVICE', 'EVENT', 'REASON', 'COUNT', 'LAST FAILED'],
      [...groups.values()]
        .sort((a, b) => a.service.localeCompare(b.service) || a.event.localeCompare(b.event) || b.count - a.count)
        .map((g) => [g.service, g.event, clip(oneLine(g.reason), 70), String(g.count), g.lastFailedAt]),
    ),
    table(
      ['ID', 'SERVICE', 'CONSUMER', 'TRIES', 'FAILED AT', 'REPLAY', 'REASON', 'ORIGINAL'],
      shown.map((l) => [
        String(l.id),
        l.service,
        l.consumer,
        String(l.deliveryCount),
        l.failedAt,
        isReplay(l) ? 'yes' : '',
        clip(oneLine(l.reason), 50),
        originalInBrief(l.original),
      ]),
    ),
  ];
  if (total > shown.length) parts.push(`… and ${total - shown.length} more (narrow with --service, --event, --reason, or raise --limit)`);
  return `${parts.join('\n\n')}\n`;
}

/** One letter whole: what failed, where, how often, when, why, and the original event. */
export async function dlqShow(bus: EventBus, id: number): Promise<string | undefined> {
  const letter = await getDeadLetter(bus, id);
  if (!letter) return undefined;
  let original: unknown = letter.original;
  try {
    original = JSON.parse(letter.original);
  } catch {
    // shown as the text it is
  }
  const { id: letterId, eventType, ...rest } = letter;
  return `${JSON.stringify({ id: letterId, eventType, replay: isReplay(letter), ...rest, original }, null, 2)}\n`;
}

export interface ReplayReport {
  text: string;
  replayed: number;
}

/**
 * Replays what the filter selects, one letter at a time: the original to its consumer's replay
 * subject, then the letter deleted (dead-letter.ts says why twice is harmless).
 */
export async function dlqReplay(bus: EventBus, filter: DeadLetterFilter): Promise<ReplayReport> {
  const lines: string[] = [];
  let replayed = 0;
  for await (const letter of scanDeadLetters(bus, filter)) {
    if (!letter.consumer) {
      lines.push(`skipped ${letter.id}: ${letter.reason} (dlq show ${letter.id}; dlq purge --id ${letter.id})`);
      continue;
    }
    const result = await replayDeadLetter(bus, letter);
    replayed += 1;
    lines.push(
      `replayed ${letter.id} (${letter.eventType}, ${letter.consumer}) → ${result.subject}` +
        (result.duplicate ? ' (already replayed: JetStream kept the first)' : ` at ${letter.stream}#${result.sequence}`),
    );
  }
  lines.push(`${replayed} letter${replayed === 1 ? '' : 's'} replayed`);
  return { text: `${lines.join('\n')}\n`, replayed };
}

export async function dlqPurge(bus: EventBus, filter: DeadLetterFilter): Promise<string> {
  const purged = await purgeDeadLetters(bus, filter);
  return `${purged} letter${purged === 1 ? '' : 's'} purged\n`;
}

/** Runs `dlq <sub> …` on a connected bus; answers the exit code. */
export async function runDlq(
  bus: EventBus,
  args: string[],
  options: Record<string, string>,
  flags: Set<string>,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list': {
      const limit = options.limit === undefined ? 20 : Number(options.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new UsageError('--limit must be a whole number');
      out(await dlqList(bus, dlqFilterFrom(options), limit));
      return 0;
    }
    case 'show': {
      const id = letterId(rest[0]);
      const text = await dlqShow(bus, id);
      if (text === undefined) {
        err(`no dead letter ${id} (replayed, purged, or never was)\n`);
        return 1;
      }
      out(text);
      return 0;
    }
    case 'replay': {
      const filter = filterOrAll(options, flags, 'replay');
      const report = await dlqReplay(bus, filter);
      out(report.text);
      if (filter.id !== undefined && report.replayed === 0) {
        err(`no dead letter ${filter.id} (replayed, purged, or never was)\n`);
        return 1;
      }
      return 0;
    }
    case 'purge':
      out(await dlqPurge(bus, filterOrAll(options, flags, 'purge')));
      return 0;
    default:
      throw new UsageError(sub ? `unknown dlq command ${sub}` : 'dlq what? list, show ID, replay or purge');
  }
}
