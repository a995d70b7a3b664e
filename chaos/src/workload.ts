/**
 * The steady workload: a few hundred simulated people using Lumina through the entry point only
 * (NGINX), as a browser would: sign-ups, follows and unfollows, photo uploads and posts, likes
 * and unlikes, comments, edits and deletions. It keeps what each person did and what the system
 * acknowledged, which picks the next plausible action (unlike only what one liked) and lets the
 * checker ask whether an acknowledged write survived. What a copy should hold is decided from
 * the services' own databases, not from here: a request cut off by a crash may or may not have
 * been carried out.
 */
import sharp from 'sharp';
import { ApiClient } from '@lumina/datasets';
import { pick } from '@lumina/datasets';

export type ActionKind =
  'signup' | 'follow' | 'unfollow' | 'upload' | 'post' | 'like' | 'unlike' | 'comment' | 'uncomment' | 'edit' | 'delete';

/** Which service each write lands in (the fault injector kills a producer right after one). */
export const SERVICE_OF: Record<ActionKind, string> = {
  signup: 'auth',
  follow: 'auth',
  unfollow: 'auth',
  upload: 'media',
  post: 'posts',
  like: 'posts',
  unlike: 'posts',
  comment: 'posts',
  uncomment: 'posts',
  edit: 'posts',
  delete: 'posts',
};

/** How often each action is chosen once everyone is signed up. */
const WEIGHTS: Array<[ActionKind, number]> = [
  ['follow', 18],
  ['unfollow', 6],
  ['upload', 4],
  ['post', 16],
  ['like', 22],
  ['unlike', 7],
  ['comment', 12],
  ['uncomment', 3],
  ['edit', 5],
  ['delete', 3],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

const WORDS = ['harbour', 'lighthouse', 'morning', 'fog', 'market', 'bicycle', 'garden', 'mountain', 'river', 'coffee', 'street', 'winter'];
const TAGS = ['coast', 'city', 'food', 'travel', 'nature', 'night'];

const PASSWORD = 'a long enough password';

export class SimulatedPerson {
  readonly client: ApiClient;
  id = '';
  signedUp = false;
  /** Uploaded media not yet put in a post (oldest first). */
  readonly unusedMedia: string[] = [];

  constructor(
    baseUrl: string,
    readonly index: number,
    readonly username: string,
  ) {
    this.client = new ApiClient(baseUrl);
  }

  get email(): string {
    return `${this.username}@example.com`;
  }
}

export interface KnownPost {
  id: string;
  author: number;
  caption: string;
}

export interface KnownComment {
  id: string;
  postId: string;
  author: number;
}

/** What the system answered 2xx to: the writes it acknowledged. */
export interface Acknowledged {
  users: Map<string, number>;
  posts: Set<string>;
  /** Deletions acknowledged (204) or attempted: an attempted one may have happened. */
  deletedPosts: Set<string>;
  comments: Set<string>;
  deletedComments: Set<string>;
}

export interface WorkloadOptions {
  baseUrl: string;
  people: number;
  /** Requests in flight at once. */
  concurrency: number;
  random: () => number;
  /** Names are unique per run, so two runs on one machine never collide. */
  namePrefix: string;
  /** Called with the service right after it acknowledged a write (the injector's hook). */
  onAcknowledged?: (service: string, kind: ActionKind) => void;
}

export interface WorkloadCounts {
  /** Acknowledged writes, by action: each produced an event in the system. */
  acknowledged: Record<string, number>;
  /** Requests that did not get the answer they expected, by action and status (0: no answer). */
  failed: Record<string, number>;
  requests: number;
}

export class Workload {
  readonly people: SimulatedPerson[] = [];
  readonly follows = new Set<string>();
  readonly livePosts: KnownPost[] = [];
  readonly likes = new Set<string>();
  readonly liveComments: KnownComment[] = [];
  readonly acknowledged: Acknowledged = {
    users: new Map(),
    posts: new Set(),
    deletedPosts: new Set(),
    comments: new Set(),
    deletedComments: new Set(),
  };
  readonly counts: WorkloadCounts = { acknowledged: {}, failed: {}, requests: 0 };
  private photoSeed = 0;
  /** People whose sign-up is in flight (not picked twice). */
  private readonly pendingSignups = new Set<SimulatedPerson>();

  constructor(private readonly options: WorkloadOptions) {
    for (let i = 0; i < options.people; i++) this.people.push(new SimulatedPerson(options.baseUrl, i, `${options.namePrefix}${i}`));
  }

  get events(): number {
    return Object.values(this.counts.acknowledged).reduce((a, b) => a + b, 0);
  }

  /** Runs `concurrency` loops of actions until `stop()` says so. */
  async run(stop: () => boolean): Promise<void> {
    await Promise.all(
      Array.from({ length: this.options.concurrency }, async () => {
        while (!stop()) await this.step();
      }),
    );
  }

  private get random(): () => number {
    return this.options.random;
  }

  private signedUp(): SimulatedPerson[] {
    return this.people.filter((p) => p.signedUp);
  }

  /** One action: sign-ups first (a few at a time), then the weighted mix. */
  async step(): Promise<void> {
    const waiting = this.people.filter((p) => !p.signedUp && !this.pendingSignups.has(p));
    const active = this.signedUp();
    if (waiting.length > 0 && (active.length < 10 || this.random() < 0.15)) return this.signUp(pick(waiting, this.random));
    if (active.length === 0) return new Promise((r) => setTimeout(r, 50));
    const person = pick(active, this.random);
    let roll = this.random() * TOTAL_WEIGHT;
    let kind: ActionKind = 'like';
    for (const [k, w] of WEIGHTS) {
      roll -= w;
      if (roll < 0) {
        kind = k;
        break;
      }
    }
    await this.act(person, kind);
  }

  private async act(person: SimulatedPerson, kind: ActionKind): Promise<void> {
    switch (kind) {
      case 'follow':
        return this.follow(person);
      case 'unfollow': {
        const mine = [...this.follows].filter((f) => f.startsWith(`${person.index}>`));
        if (mine.length === 0) return this.follow(person);
        const other = this.people[Number(pick(mine, this.random).split('>')[1])]!;
        return this.write(person, 'unfollow', 'DELETE', `/api/v1/users/${other.id}/follow`, undefined, [204], () =>
          this.follows.delete(`${person.index}>${other.index}`),
        );
      }
      case 'upload':
        // Three photos still unused are enough: the person posts one instead.
        return person.unusedMedia.length >= 3 ? this.post(person) : this.upload(person);
      case 'post':
        return this.post(person);
      case 'like': {
        const post = this.somePost();
        if (!post || this.likes.has(`${post.id}|${person.index}`)) return this.comment(person);
        return this.write(person, 'like', 'PUT', `/api/v1/posts/${post.id}/like`, undefined, [200], () =>
          this.likes.add(`${post.id}|${person.index}`),
        );
      }
      case 'unlike': {
        const mine = [...this.likes].filter((l) => l.endsWith(`|${person.index}`));
        if (mine.length === 0) return this.act(person, 'like');
        const postId = pick(mine, this.random).split('|')[0]!;
        return this.write(person, 'unlike', 'DELETE', `/api/v1/posts/${postId}/like`, undefined, [200], () =>
          this.likes.delete(`${postId}|${person.index}`),
        );
      }
      case 'comment':
        return this.comment(person);
      case 'uncomment': {
        const mine = this.liveComments.filter((c) => c.author === person.index);
        if (mine.length === 0) return this.comment(person);
        const comment = pick(mine, this.random);
        this.acknowledged.deletedComments.add(comment.id);
        return this.write(person, 'uncomment', 'DELETE', `/api/v1/posts/${comment.postId}/comments/${comment.id}`, undefined, [204], () =>
          removeFrom(this.liveComments, comment),
        );
      }
      case 'edit': {
        const mine = this.livePosts.filter((p) => p.author === person.index);
        if (mine.length === 0) return this.post(person);
        const post = pick(mine, this.random);
        // Hashtags and mentions stay as they were: only the words change.
        const caption = `${post.caption.replace(/ · edit \d+$/, '')} · edit ${Math.floor(this.random() * 1000)}`;
        return this.write(person, 'edit', 'PATCH', `/api/v1/posts/${post.id}`, { caption }, [200], () => (post.caption = caption));
      }
      case 'delete': {
        const mine = this.livePosts.filter((p) => p.author === person.index);
        if (mine.length === 0) return this.post(person);
        const post = pick(mine, this.random);
        // Taken out of play before the answer, so nobody likes or edits a post being deleted.
        removeFrom(this.livePosts, post);
        this.acknowledged.deletedPosts.add(post.id);
        return this.write(person, 'delete', 'DELETE', `/api/v1/posts/${post.id}`, undefined, [204]);
      }
      case 'signup':
        return this.signUp(person);
    }
  }

  private somePost(): KnownPost | undefined {
    if (this.livePosts.length === 0) return undefined;
    // Mostly recent posts, as people mostly see those.
    const recent = this.livePosts.slice(-60);
    return pick(this.random() < 0.8 ? recent : this.livePosts, this.random);
  }

  private async follow(person: SimulatedPerson): Promise<void> {
    const others = this.signedUp().filter((p) => p !== person && !this.follows.has(`${person.index}>${p.index}`));
    if (others.length === 0) return;
    const other = pick(others, this.random);
    await this.write(person, 'follow', 'PUT', `/api/v1/users/${other.id}/follow`, undefined, [204], () =>
      this.follows.add(`${person.index}>${other.index}`),
    );
  }

  private async signUp(person: SimulatedPerson): Promise<void> {
    this.pendingSignups.add(person);
    try {
      const body = { email: person.email, username: person.username, password: PASSWORD, displayName: `Person ${person.index}` };
      const res = await this.request(person, 'POST', '/api/v1/users/signup', body);
      if (res.status === 201) {
        this.acknowledge(person, 'signup', res.body as { user: { id: string } });
        return;
      }
      // Cut off by a crash after the commit: the account may exist; signing in tells.
      if (res.status === 409 || res.status >= 500 || res.status === 0) {
        if (await this.signIn(person)) return;
      }
      this.fail('signup', res.status);
    } finally {
      this.pendingSignups.delete(person);
    }
  }

  private acknowledge(person: SimulatedPerson, kind: 'signup', body: { user: { id: string } }): void {
    person.id = body.user.id;
    person.client.user = { id: person.id, username: person.username, displayName: `Person ${person.index}` };
    person.signedUp = true;
    this.acknowledged.users.set(person.id, person.index);
    this.count(kind);
    this.options.onAcknowledged?.('auth', kind);
  }

  private async signIn(person: SimulatedPerson): Promise<boolean> {
    const res = await this.request(person, 'POST', '/api/v1/users/signin', { email: person.email, password: PASSWORD });
    if (res.status !== 200) return false;
    const user = (res.body as { user: { id: string } }).user;
    person.id = user.id;
    person.signedUp = true;
    return true;
  }

  private async upload(person: SimulatedPerson): Promise<void> {
    const seed = ++this.photoSeed;
    // Random pixels: every upload is new bytes (the same bytes again would answer the same media).
    const pixels = Buffer.alloc(24 * 24 * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(this.random() * 256);
    const jpeg = await sharp(pixels, { raw: { width: 24, height: 24, channels: 3 } })
      .jpeg()
      .toBuffer();
    const form = new FormData();
    form.append('alt', `photo ${seed}`);
    form.append('file', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), `photo-${seed}.jpg`);
    await this.write(person, 'upload', 'POST', '/api/v1/media', form, [202], (body) =>
      person.unusedMedia.push((body as { media: { id: string } }).media.id),
    );
  }

  private async post(person: SimulatedPerson): Promise<void> {
    // The oldest upload that is ready; one still processing waits its turn (a killed media worker's
    // job comes back after ack_wait) while the person does something else; one that failed is dropped.
    if (person.unusedMedia.length === 0) return this.upload(person);
    const mediaId = person.unusedMedia.shift()!;
    const res = await this.request(person, 'GET', `/api/v1/media/${mediaId}`);
    const status = (res.body as { media?: { status: string } }).media?.status;
    if (status !== 'ready') {
      if (status !== 'failed' && res.status !== 404) person.unusedMedia.push(mediaId);
      return this.comment(person);
    }
    const caption = this.caption(person);
    await this.write(person, 'post', 'POST', '/api/v1/posts', { caption, media: [{ id: mediaId, alt: 'a photo' }] }, [201], (body) => {
      const id = (body as { post: { id: string } }).post.id;
      this.livePosts.push({ id, author: person.index, caption });
      this.acknowledged.posts.add(id);
    });
  }

  private caption(person: SimulatedPerson): string {
    const words = Array.from({ length: 3 }, () => pick(WORDS, this.random)).join(' ');
    const tag = this.random() < 0.7 ? ` #${pick(TAGS, this.random)}` : '';
    const others = this.signedUp().filter((p) => p !== person);
    const mention = others.length > 0 && this.random() < 0.3 ? ` for @${pick(others, this.random).username}` : '';
    return `${words}${tag}${mention}`;
  }

  /**
   * Nothing to comment on yet (early in a run, or while media is down): start a photo unless one
   * is already on its way, else follow someone. Uploading on every such turn, as this once did,
   * buried the media workers under thousands of uploads nobody posted, and few posts were made.
   */
  private async beforeAnyPost(person: SimulatedPerson): Promise<void> {
    return person.unusedMedia.length === 0 ? this.upload(person) : this.follow(person);
  }

  private async comment(person: SimulatedPerson): Promise<void> {
    const post = this.somePost();
    if (!post) return this.beforeAnyPost(person);
    const others = this.signedUp().filter((p) => p !== person);
    const mention = others.length > 0 && this.random() < 0.2 ? ` @${pick(others, this.random).username}` : '';
    const body = { body: `${pick(WORDS, this.random)}!${mention}` };
    await this.write(person, 'comment', 'POST', `/api/v1/posts/${post.id}/comments`, body, [201], (answer) => {
      const id = (answer as { comment: { id: string } }).comment.id;
      this.liveComments.push({ id, postId: post.id, author: person.index });
      this.acknowledged.comments.add(id);
    });
  }

  /** One write: counted when acknowledged, else counted as failed; `then` updates the model. */
  private async write(
    person: SimulatedPerson,
    kind: ActionKind,
    method: string,
    path: string,
    body: unknown,
    ok: number[],
    then?: (body: unknown) => void,
  ): Promise<void> {
    const res = await this.request(person, method, path, body);
    if (!ok.includes(res.status)) {
      // 404: a post someone else deleted meanwhile; not a failure of the system.
      this.fail(kind, res.status);
      return;
    }
    then?.(res.body);
    this.count(kind);
    this.options.onAcknowledged?.(SERVICE_OF[kind], kind);
  }

  /** A call that never throws (0: no answer at all); a lost session signs in again once. */
  async request(person: SimulatedPerson, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    this.counts.requests += 1;
    try {
      let res = await person.client.call(method, path, body);
      // The entry point answers 502 while the service is down: a person waits a moment, as
      // anyone would, instead of hammering a restarting machine.
      if (res.status >= 502) await new Promise((r) => setTimeout(r, 300));
      // A refresh cut off by a crash leaves a used refresh token (its family is revoked on reuse).
      if (res.status === 401 && person.signedUp && !path.startsWith('/api/v1/users/sign')) {
        if (await this.signIn(person)) res = await person.client.call(method, path, body);
      }
      return res;
    } catch {
      await new Promise((r) => setTimeout(r, 300));
      return { status: 0, body: {} };
    }
  }

  private count(kind: string): void {
    this.counts.acknowledged[kind] = (this.counts.acknowledged[kind] ?? 0) + 1;
  }

  private fail(kind: string, status: number): void {
    const key = `${kind} ${status}`;
    this.counts.failed[key] = (this.counts.failed[key] ?? 0) + 1;
  }
}

function removeFrom<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}
