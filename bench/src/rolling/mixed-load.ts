/**
 * The rolling restart's workload: a few people reading and writing through the entry point while
 * the services restart one replica at a time — home timelines, post pages, new posts, likes and
 * unlikes, comments, sign-ins, and a search and a media read so that every service carries
 * requests. Every request is recorded with its answer; one that does not get the answer it
 * expects (or gets no answer) is a failure.
 */
import sharp from 'sharp';
import { ApiClient, generateCaption, pick, seededRandom, sleep } from '@lumina/datasets';

export interface Actor {
  client: ApiClient;
  email: string;
  password: string;
  mediaId: string;
  postIds: string[];
}

export interface Sample {
  /** When it was sent (ms since the epoch). */
  at: number;
  ms: number;
  kind: string;
  status: number;
  ok: boolean;
  /** For a failure: what came back, or the network error. */
  detail?: string;
}

const PASSWORD = 'a long enough password';

async function photo(seed: number): Promise<Buffer> {
  return sharp({ create: { width: 320, height: 240, channels: 3, background: { r: (seed * 40) % 255, g: 120, b: 200 } } })
    .jpeg()
    .toBuffer();
}

/** Signs up `count` people, each with a ready photo and a first post, everyone following everyone. */
export async function preparePeople(baseUrl: string, count: number, tag: string): Promise<Actor[]> {
  const actors: Actor[] = [];
  for (let i = 0; i < count; i += 1) {
    // A connection per request: NGINX's reload (a replica marked out or in) closes the kept-alive
    // client connections its old worker holds, and a request written on one at that instant is
    // reset before NGINX reads it. A browser sends such a request again; Node's fetch does not.
    const client = new ApiClient(baseUrl, { connectionClose: true });
    const username = `rr${tag}${i}`.slice(0, 30);
    const email = `${username}@example.com`;
    await client.signUpOrIn({ email, username, password: PASSWORD, displayName: `Restart ${i}` });
    const media = await client.upload(await photo(i), `photo-${i}.jpg`, 'A generated photo');
    await client.waitUntilReady(media.id, 60_000);
    const post = await client.createPost(generateCaption(i), [{ id: media.id, alt: 'A generated photo' }], 30_000);
    actors.push({ client, email, password: PASSWORD, mediaId: media.id, postIds: [post.id] });
  }
  for (const a of actors) for (const b of actors) if (a !== b) await a.client.follow(b.client.id);
  return actors;
}

interface Action {
  kind: string;
  method: string;
  path: string;
  body?: unknown;
  expect: number[];
  /** What to keep from the answer (a new post's id). */
  after?: (body: Record<string, unknown>) => void;
}

/** One request of the mix, by weight: reads most, then writes, a sign-in now and then. */
function nextAction(actor: Actor, everyone: Actor[], random: () => number, n: number): Action {
  const other = pick(everyone, random);
  const postId = pick(other.postIds, random);
  const roll = random();
  if (roll < 0.3) return { kind: 'home timeline', method: 'GET', path: '/api/timeline?limit=20', expect: [200] };
  if (roll < 0.5) return { kind: 'post page', method: 'GET', path: `/api/posts/${postId}`, expect: [200] };
  if (roll < 0.58) return { kind: 'search', method: 'GET', path: '/api/search/posts?q=photo', expect: [200] };
  if (roll < 0.64) return { kind: 'media read', method: 'GET', path: `/api/media/${actor.mediaId}`, expect: [200] };
  if (roll < 0.74) {
    const liked = random() < 0.5;
    return { kind: liked ? 'like' : 'unlike', method: liked ? 'PUT' : 'DELETE', path: `/api/posts/${postId}/like`, expect: [200] };
  }
  if (roll < 0.84) {
    return { kind: 'comment', method: 'POST', path: `/api/posts/${postId}/comments`, body: { body: `Comment ${n}` }, expect: [201] };
  }
  if (roll < 0.94) {
    return {
      kind: 'new post',
      method: 'POST',
      path: '/api/posts',
      body: { caption: `${generateCaption(10_000 + n)} (restart ${n})`, media: [{ id: actor.mediaId, alt: 'A generated photo' }] },
      expect: [201],
      after: (body) => {
        const id = (body.post as { id?: string } | undefined)?.id;
        if (id) actor.postIds.push(id);
      },
    };
  }
  return {
    kind: 'sign-in',
    method: 'POST',
    path: '/api/users/signin',
    body: { email: actor.email, password: actor.password },
    expect: [200],
  };
}

export interface MixedLoad {
  samples: Sample[];
  /** Stops sending and resolves once every request in flight has its answer. */
  stop(): Promise<void>;
}

/**
 * `workers` loops, each one person at a time sending the next request of the mix as soon as the
 * last one is answered (plus `pauseMs`), until stopped.
 */
export function startMixedLoad(actors: Actor[], options: { workers: number; pauseMs?: number; seed?: number }): MixedLoad {
  const samples: Sample[] = [];
  let stopping = false;
  let n = 0;
  const loops = Array.from({ length: options.workers }, async (_, w) => {
    const random = seededRandom((options.seed ?? 1) * 1000 + w);
    while (!stopping) {
      const actor = actors[(w + n) % actors.length]!;
      n += 1;
      const action = nextAction(actor, actors, random, n);
      const at = Date.now();
      try {
        const res = await actor.client.call<Record<string, unknown>>(action.method, action.path, action.body);
        const ok = action.expect.includes(res.status);
        samples.push({
          at,
          ms: res.ms,
          kind: action.kind,
          status: res.status,
          ok,
          ...(ok ? {} : { detail: JSON.stringify(res.body).slice(0, 200) }),
        });
        if (ok) action.after?.(res.body);
      } catch (err) {
        const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
        const detail = `${(err as Error).message}${cause ? `: ${cause.code ?? cause.message}` : ''}`;
        samples.push({ at, ms: Date.now() - at, kind: action.kind, status: 0, ok: false, detail });
      }
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  });
  return {
    samples,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}
