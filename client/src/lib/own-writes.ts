/**
 * The viewer's own writes still on their way, by what they change. A read of the same thing waits
 * for them first, so it shows what the viewer just did: a person who likes a post and at once opens
 * it expects to see their like, not the post as it was a moment before their request landed.
 */
const inFlight = new Map<string, Promise<void>>();

/** Sends `write` on after the writes to `key` before it; a later read of `key` waits for it. */
export function ownWrite<T>(key: string, write: () => Promise<T>): Promise<T> {
  const before = inFlight.get(key) ?? Promise.resolve();
  const result = before.then(write);
  const settled = result.then(
    () => undefined,
    () => undefined,
  );
  inFlight.set(key, settled);
  void settled.then(() => {
    if (inFlight.get(key) === settled) inFlight.delete(key);
  });
  return result;
}

/** Resolves once the viewer's writes to `key` sent so far have been answered (or failed). */
export function afterOwnWrites(key: string): Promise<void> {
  return inFlight.get(key) ?? Promise.resolve();
}
