/**
 * Posts through the public API, as people make them: upload a photo, wait until media has made
 * its variants, then post it with a caption (words and hashtags for search and explore). Photos
 * come from a small pool of generated ones: media keeps one upload per owner and bytes, so
 * different people may upload the same pool photo and each is processed as its own.
 */
import type { ApiClient } from './api';
import { ProgressBar } from './util/progress';
import { runBounded } from './util/pool';
import { generateCaption, generatePhoto } from './content';

export interface Author {
  client: ApiClient;
  /** A number that makes this author's captions and photos differ from the others'. */
  seed: number;
}

export interface LoadedPost {
  id: string;
  authorId: string;
  caption: string;
  mediaId: string;
}

export interface PostLoadOptions {
  postsPerAuthor: number;
  concurrency: number;
  timeLimitMs: number;
  /** Distinct generated photos to draw from. */
  photoPool: number;
  photoSize: number;
  label: string;
  /** Skip authors who have posts already (a second `npm run seed`). */
  skipAuthorsWithPosts?: boolean;
}

export interface PostLoadResult {
  posts: LoadedPost[];
  /** Each author's ready media, for composing more posts later. */
  mediaByAuthor: Map<string, string>;
  uploads: number;
  skippedAuthors: number;
  ms: number;
}

export async function generatePhotoPool(count: number, size: number, label = 'photos'): Promise<Buffer[]> {
  const bar = new ProgressBar(label, count);
  const photos: Buffer[] = [];
  for (let i = 0; i < count; i += 1) {
    // Every third photo carries EXIF orientation 6 (shown rotated), as phone photos often do.
    photos.push(await generatePhoto(1000 + i, { width: size, height: size, orientation: i % 3 === 0 ? 6 : 1 }));
    bar.tick();
  }
  bar.finish();
  return photos;
}

export async function loadPosts(authors: Author[], options: PostLoadOptions): Promise<PostLoadResult> {
  const photos = await generatePhotoPool(options.photoPool, options.photoSize, `${options.label}: photos`);
  const posts: LoadedPost[] = [];
  const mediaByAuthor = new Map<string, string>();
  let uploads = 0;
  let skippedAuthors = 0;
  const bar = new ProgressBar(`${options.label}: posts`, authors.length * options.postsPerAuthor);
  const outcome = await runBounded(
    authors,
    async (author) => {
      const client = author.client;
      if (options.skipAuthorsWithPosts && (await client.postsBy(client.id, 1)).items.length > 0) {
        skippedAuthors += 1;
        bar.tick(options.postsPerAuthor);
        return;
      }
      const photo = photos[author.seed % photos.length]!;
      const media = await client.upload(photo, `photo-${author.seed}.jpg`, 'A generated photo');
      uploads += 1;
      await client.waitUntilReady(media.id);
      mediaByAuthor.set(client.id, media.id);
      for (let i = 0; i < options.postsPerAuthor; i += 1) {
        const caption = generateCaption(author.seed * 10 + i);
        const post = await client.createPost(caption, [{ id: media.id, alt: caption.replace(/#\S+/g, '').trim() }]);
        posts.push({ id: post.id, authorId: client.id, caption, mediaId: media.id });
        bar.tick();
      }
    },
    { concurrency: options.concurrency, timeLimitMs: options.timeLimitMs, onSettled: (ok) => !ok && bar.tick(0, 1) },
  );
  const ms = bar.finish();
  if (outcome.failed > 0) throw new Error(`loading posts: ${outcome.failed} authors failed (${outcome.errors[0]})`);
  return { posts, mediaByAuthor, uploads, skippedAuthors, ms };
}
