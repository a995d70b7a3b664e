/**
 * Everything this service asks of sharp (libvips): read an upload's header without decoding
 * its pixels, and turn an original into the served variants. Nothing else imports sharp.
 */
import { createHash } from 'node:crypto';
import { encode as encodeBlurhash } from 'blurhash';
import sharp from 'sharp';
import type { ImageKind } from './sniff';

// Cached operations would keep upload temp files open after they are deleted.
sharp.cache({ files: 0 });

export interface ImageHeader {
  kind: ImageKind;
  /** As the image will be shown: after its EXIF orientation is applied. */
  width: number;
  height: number;
}

/** The upload is not an image we can take; `reason` is safe to show the client. */
export class ImageRejectedError extends Error {
  constructor(
    readonly reason: 'too-many-pixels' | 'unreadable',
    message: string,
  ) {
    super(message);
    this.name = 'ImageRejectedError';
  }
}

/** The original's pixels could not be decoded; the message is the decoder's first line. */
export class ImageDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

/** libvips' messages can span lines and repeat earlier ones; the first line says what went wrong. */
function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n').find((l) => l.trim() !== '') ?? 'unknown error').trim().slice(0, 200);
}

const SHARP_FORMAT: Record<ImageKind, string> = { jpeg: 'jpeg', png: 'png', gif: 'gif', webp: 'webp', avif: 'heif' };

/**
 * Reads the header only: libvips opens the file lazily and `metadata()` decodes no pixels, so a
 * small file that declares a huge image costs nothing. `limitInputPixels` is a second guard: sharp
 * itself refuses to open anything larger.
 */
export async function readImageHeader(path: string, kind: ImageKind, maxPixels: number): Promise<ImageHeader> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: maxPixels }).metadata();
  } catch (err) {
    if (/pixel limit/i.test(firstLine(err))) {
      throw new ImageRejectedError('too-many-pixels', `The image is larger than ${formatMegapixels(maxPixels)} megapixels`);
    }
    throw new ImageRejectedError('unreadable', 'The image could not be read');
  }
  const sameFormat = meta.format === SHARP_FORMAT[kind] && (kind !== 'avif' || meta.compression === 'av1');
  if (!sameFormat || !meta.width || !meta.height) throw new ImageRejectedError('unreadable', 'The image could not be read');
  if (meta.width * meta.height > maxPixels) {
    throw new ImageRejectedError('too-many-pixels', `The image is larger than ${formatMegapixels(maxPixels)} megapixels`);
  }
  const upright = meta.autoOrient ?? { width: meta.width, height: meta.height };
  return { kind, width: upright.width, height: upright.height };
}

function formatMegapixels(pixels: number): string {
  return String(Math.round((pixels / 1_000_000) * 10) / 10);
}

export interface RenderedVariant {
  data: Buffer;
  width: number;
  height: number;
  /** Of the bytes: the strong ETag they are served with. */
  sha256: string;
}

export interface RenderedImage {
  width: number;
  height: number;
  blurhash: string;
  variants: { thumb: RenderedVariant; feed: RenderedVariant };
}

export const VARIANT_SPECS = {
  /** A square centre crop for grids and avatars. */
  thumb: { width: 320, height: 320, fit: 'cover', withoutEnlargement: false, quality: 80 },
  /** The picture in a post: fits a 4:5 portrait frame, never enlarged. */
  feed: { width: 1080, height: 1350, fit: 'inside', withoutEnlargement: true, quality: 82 },
} as const;
export type VariantName = keyof typeof VARIANT_SPECS;
export const VARIANT_NAMES = Object.keys(VARIANT_SPECS) as VariantName[];

/** The original decoded once: upright, already reduced to what the largest variant needs. */
interface DecodedImage {
  pixels: Buffer;
  raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
}

/**
 * The scale of the one decode: large enough for the feed picture (fits 1080×1350) and for the
 * thumb (covers 320×320), never enlarged. Every variant is made from this, so the original's
 * pixels are decoded once, and libvips can shrink while it decodes (JPEG, WebP).
 */
function decodeScale(width: number, height: number): number {
  const feed = VARIANT_SPECS.feed;
  const thumb = VARIANT_SPECS.thumb;
  const forFeed = Math.min(feed.width / width, feed.height / height);
  const forThumb = Math.max(thumb.width / width, thumb.height / height);
  return Math.min(1, Math.max(forFeed, forThumb));
}

async function decodeOnce(source: sharp.Sharp, upright: { width: number; height: number }): Promise<DecodedImage> {
  const scale = decodeScale(upright.width, upright.height);
  const reduced =
    scale < 1
      ? source.resize(Math.max(1, Math.round(upright.width * scale)), Math.max(1, Math.round(upright.height * scale)), { fit: 'fill' })
      : source;
  const { data, info } = await reduced.raw().toBuffer({ resolveWithObject: true });
  return { pixels: data, raw: { width: info.width, height: info.height, channels: info.channels } };
}

/** Raw pixels in memory: libvips reads them as they are, nothing is decoded again. */
const fromDecoded = (decoded: DecodedImage) => sharp(decoded.pixels, { raw: decoded.raw });

async function renderVariant(decoded: DecodedImage, name: VariantName): Promise<RenderedVariant> {
  const spec = VARIANT_SPECS[name];
  const { data, info } = await fromDecoded(decoded)
    .resize(spec.width, spec.height, { fit: spec.fit, position: 'centre', withoutEnlargement: spec.withoutEnlargement })
    .webp({ quality: spec.quality })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, sha256: createHash('sha256').update(data).digest('hex') };
}

async function blurhashOf(decoded: DecodedImage): Promise<string> {
  const { data, info } = await fromDecoded(decoded)
    .resize(32, 32, { fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const [x, y] = info.width >= info.height ? [4, 3] : [3, 4];
  return encodeBlurhash(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height, x, y);
}

/**
 * Decodes the original once (first frame of an animation), turned upright by its EXIF
 * orientation, and renders the variants and the blurhash from those pixels. sharp writes no
 * metadata unless asked (no EXIF, GPS, ICC, XMP or IPTC), so what is served carries none.
 */
export async function renderImage(original: Buffer, maxPixels: number): Promise<RenderedImage> {
  try {
    const source = sharp(original, { limitInputPixels: maxPixels, failOn: 'error', pages: 1, autoOrient: true });
    const meta = await source.metadata();
    const upright = meta.autoOrient ?? { width: meta.width ?? 0, height: meta.height ?? 0 };
    const decoded = await decodeOnce(source, upright);
    const [thumb, feed, blurhash] = await Promise.all([
      renderVariant(decoded, 'thumb'),
      renderVariant(decoded, 'feed'),
      blurhashOf(decoded),
    ]);
    return { width: upright.width, height: upright.height, blurhash, variants: { thumb, feed } };
  } catch (err) {
    throw new ImageDecodeError(firstLine(err));
  }
}
