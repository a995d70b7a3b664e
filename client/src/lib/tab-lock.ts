/**
 * One tab at a time, across every tab of this origin: the Web Locks API where the browser has it
 * (it needs a secure context: HTTPS or localhost), else a small BroadcastChannel protocol, else
 * nothing (one tab alone cannot race itself).
 *
 * The BroadcastChannel fallback: a tab announces a claim and listens a moment for rivals; the
 * earliest claim (ties broken by a random id) runs, the others wait until it says it is done or
 * until a timeout, then run in turn. It is best effort — a tab that dies mid-work only delays the
 * others by the timeout — which is why the work itself must re-check whether it is still needed.
 */

/** How long a claim listens for rival claims before deciding. */
const CLAIM_WINDOW_MS = 60;
/** How long a tab waits for the holder's "done" before going ahead anyway. */
const HOLDER_TIMEOUT_MS = 10_000;

type Message = { kind: 'claim'; id: string; at: number } | { kind: 'held'; id: string } | { kind: 'done'; id: string };

export function withTabLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  // lib.dom types request() as Promise<Promise<T>>; `then` flattens it, as the browser does.
  if (locks) return locks.request(name, work).then((result) => result);
  if (typeof BroadcastChannel === 'undefined') return work();
  return broadcastLock(name, work);
}

async function broadcastLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const channel = new BroadcastChannel(`tab-lock:${name}`);
  const me = { id: Math.random().toString(36).slice(2), at: Date.now() };
  const rivals: Array<{ id: string; at: number }> = [];
  const holders = new Set<string>();
  let holding = false;
  let onDone: (() => void) | undefined;
  channel.onmessage = (event: MessageEvent<Message>) => {
    const message = event.data;
    if (message.kind === 'claim') {
      if (holding) {
        channel.postMessage({ kind: 'held', id: me.id } satisfies Message);
      } else if (!rivals.some((r) => r.id === message.id)) {
        rivals.push({ id: message.id, at: message.at });
        // A tab that opened its channel after our claim went out has not heard it: say it again.
        channel.postMessage({ kind: 'claim', ...me } satisfies Message);
      }
    } else if (message.kind === 'held') {
      holders.add(message.id);
    } else {
      holders.delete(message.id);
      const i = rivals.findIndex((r) => r.id === message.id);
      if (i >= 0) rivals.splice(i, 1);
      onDone?.();
    }
  };
  try {
    channel.postMessage({ kind: 'claim', ...me } satisfies Message);
    await sleep(CLAIM_WINDOW_MS);
    const ahead = () => holders.size > 0 || rivals.some((r) => r.at < me.at || (r.at === me.at && r.id < me.id));
    const deadline = Date.now() + HOLDER_TIMEOUT_MS;
    while (ahead() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        onDone = resolve;
        setTimeout(resolve, Math.max(0, deadline - Date.now()));
      });
    }
    holding = true;
    return await work();
  } finally {
    channel.postMessage({ kind: 'done', id: me.id } satisfies Message);
    channel.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
