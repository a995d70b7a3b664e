import type { Post, User } from '../../src/api/types';

export const alice: User = { id: 'u-alice', username: 'alice', displayName: 'Alice Liddell', avatar: null, bio: 'Down the rabbit hole' };
export const bob: User = { id: 'u-bob', username: 'bob', displayName: 'Bob', avatar: null };

// A real blurhash (from the blurhash README) so the placeholder really decodes.
export const BLURHASH = 'LEHV6nWB2yk8pyo0adR*.7kCMdnj';

let n = 0;
export function makePost(overrides: Partial<Post> = {}): Post {
  n += 1;
  const id = overrides.id ?? `p-${n}`;
  return {
    id,
    author: bob,
    caption: `Post number ${n}`,
    hashtags: [],
    mentions: [],
    media: [
      {
        id: `m-${id}`,
        alt: `Alt text of ${id}`,
        width: 1080,
        height: 1350,
        blurhash: BLURHASH,
        variants: {
          feed: { url: `/api/v1/media/m-${id}/feed`, width: 1080, height: 1350 },
          thumb: { url: `/api/v1/media/m-${id}/thumb`, width: 320, height: 320 },
        },
      },
    ],
    likeCount: 0,
    commentCount: 0,
    likedByViewer: false,
    createdAt: new Date(Date.now() - n * 60_000).toISOString(),
    ...overrides,
  };
}

/** The first bytes of a PNG: enough for the client's type sniffing. */
export function pngFile(name = 'photo.png', size = 2048): File {
  const bytes = new Uint8Array(size);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new File([bytes], name, { type: 'image/png' });
}

export function jpegFile(name = 'photo.jpg', size = 2048): File {
  const bytes = new Uint8Array(size);
  bytes.set([0xff, 0xd8, 0xff, 0xe0]);
  return new File([bytes], name, { type: 'image/jpeg' });
}
