/**
 * The image work of media's worker (media/src/images/image-processor.ts renderImage), done with
 * sharp directly on the same photo: decode the first frame, turn it upright by its EXIF
 * orientation, make the 320×320 centre-cropped thumb and the feed picture that fits 1080×1350
 * (never enlarged), both WebP with no metadata, and the blurhash from a 32-pixel copy. What the
 * worker adds around this (queue, blob store, database, events) is the difference to upload-to-ready.
 */
import { encode as encodeBlurhash } from 'blurhash';
import sharp from 'sharp';

export async function renderLikeMedia(original: Buffer): Promise<void> {
  const source = sharp(original, { limitInputPixels: 40_000_000, failOn: 'error', pages: 1, autoOrient: true });
  await source.metadata();
  const thumb = source
    .clone()
    .resize(320, 320, { fit: 'cover', position: 'centre', withoutEnlargement: false })
    .webp({ quality: 80 })
    .toBuffer();
  const feed = source
    .clone()
    .resize(1080, 1350, { fit: 'inside', position: 'centre', withoutEnlargement: true })
    .webp({ quality: 82 })
    .toBuffer();
  const blur = source
    .clone()
    .resize(32, 32, { fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .then(({ data, info }) => {
      const [x, y] = info.width >= info.height ? [4, 3] : [3, 4];
      encodeBlurhash(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height, x, y);
    });
  await Promise.all([thumb, feed, blur]);
}
