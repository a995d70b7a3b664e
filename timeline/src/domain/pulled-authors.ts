/**
 * The authors merged at read time (over the fan-out threshold), held in this process so a page
 * need not ask for them: they are few, and the list only grows when an author crosses the
 * threshold. Read from Redis (completed from MongoDB when Redis lost it), refreshed in the
 * background every few seconds; this replica's own fan-out and other replicas' live hints add an
 * author at once.
 */
import type { AuthoredStore } from '../store/redis/authored-store';
import type { AuthorsStore } from '../store/authors-store';

const REFRESH_MS = 2000;

export class PulledAuthors {
  private ids = new Set<string>();
  private loadedAt = 0;
  private loading?: Promise<void>;

  constructor(
    private readonly authored: AuthoredStore,
    private readonly authors: AuthorsStore,
  ) {}

  /** The current list; waits only for the first load, later refreshes run in the background. */
  async list(): Promise<string[]> {
    if (Date.now() - this.loadedAt > REFRESH_MS) {
      const load = (this.loading ??= this.load().finally(() => (this.loading = undefined)));
      if (this.loadedAt === 0) await load;
      else load.catch(() => undefined);
    }
    return [...this.ids];
  }

  async has(authorId: string): Promise<boolean> {
    return (await this.list()).includes(authorId);
  }

  add(authorId: string): void {
    this.ids.add(authorId);
  }

  private async load(): Promise<void> {
    let ids = await this.authored.pulledIds();
    if (ids === null) {
      ids = await this.authors.pulledIds();
      await this.authored.completePulled(ids);
    }
    // Keep what was added here meanwhile: the list only grows.
    this.ids = new Set([...ids, ...this.ids]);
    this.loadedAt = Date.now();
  }
}
