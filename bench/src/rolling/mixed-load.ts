/**
 * The rolling restart's workload: a few people reading and writing through the entry point while
 * the services restart one replica at a time — home timelines, post pages, new posts, likes and
 * unlikes, comments, sign-ins, and a search and a media read so that every service carries
 * requests. Every request is recorded with its answer; one that does not get the answer it
 * expects (or gets no answer) is a failure.
 */
import sharp from 'sharp';
import {
  authRoutes,
  mediaRoutes,
  postsRoutes,
  searchRoutes,
  timelineRoutes,
  type ApiRoute,
  type CallArgs,
  type RouteAnswer,
} from '@lumina/contract';
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
  expect: number[];
  /** Sends it as `client`; what the answer leaves behind (a new post's id) is kept by the action. */
  send(client: ApiClient): Promise<{ status: number; body: unknown; ms: number }>;
}

/** A call of a route of the contract, typed by it; `after` sees the body of an expected answer. */
function action<R extends ApiRoute>(
  kind: string,
  expect: number[],
  route: R,
  args: CallArgs<R>,
  after?: (body: RouteAnswer<R>) => void,
): Action {
  return {
    kind,
    expect,
    async send(client) {
      const res = await client.send(route, ...args);
      if (res.ok && expect.includes(res.status)) after?.(res.body as RouteAnswer<R>);
      return res;
    },
  };
}

/** One request of the mix, by weight: reads most, then writes, a sign-in now and then. */
function nextAction(actor: Actor, everyone: Actor[], random: () => number, n: number): Action {
  const other = pick(everyone, random);
  const postId = pick(other.postIds, random);
  const roll = random();
  if (roll < 0.3) return action('home timeline', [200], timelineRoutes.home, [{ query: { limit: '20' } }]);
  if (roll < 0.5) return action('post page', [200], postsRoutes.getPost, [{ params: { id: postId } }]);
  if (roll < 0.58) return action('search', [200], searchRoutes.posts, [{ query: { q: 'photo' } }]);
  if (roll < 0.64) return action('media read', [200], mediaRoutes.getMedia, [{ params: { id: actor.mediaId } }]);
  if (roll < 0.74) {
    const liked = random() < 0.5;
    return liked
      ? action('like', [200], postsRoutes.like, [{ params: { id: postId } }])
      : action('unlike', [200], postsRoutes.unlike, [{ params: { id: postId } }]);
  }
  if (roll < 0.84) {
    return action('comment', [201], postsRoutes.addComment, [{ params: { id: postId }, body: { body: `Comment ${n}` } }]);
  }
  if (roll < 0.94) {
    const body = { caption: `${generateCaption(10_000 + n)} (restart ${n})`, media: [{ id: actor.mediaId, alt: 'A generated photo' }] };
    return action('new post', [201], postsRoutes.createPost, [{ body }], (answer) => actor.postIds.push(answer.post.id));
  }
  return action('sign-in', [200], authRoutes.signIn, [{ body: { email: actor.email, password: actor.password } }]);
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
        const res = await action.send(actor.client);
        const ok = action.expect.includes(res.status);
        samples.push({
          at,
          ms: res.ms,
          kind: action.kind,
          status: res.status,
          ok,
          ...(ok ? {} : { detail: JSON.stringify(res.body).slice(0, 200) }),
        });
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
