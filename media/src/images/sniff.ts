/**
 * Tells an image's type from its first bytes, never from its name or the type a client
 * declares. Anything not on this list (SVG, HTML, PDF, archives, HEIC…) is refused.
 */

export const IMAGE_TYPES = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
} as const;

export type ImageKind = keyof typeof IMAGE_TYPES;

/** Bytes needed to tell every accepted type apart (the AVIF brand ends at byte 12). */
export const SNIFF_BYTES = 12;
/** How far into the file an AVIF `ftyp` box's compatible brands are looked for. */
export const SNIFF_MAX_BYTES = 64;

function startsWith(bytes: Buffer, signature: number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((b, i) => bytes[offset + i] === b);
}

function ascii(bytes: Buffer, start: number, end: number): string {
  return bytes.subarray(start, end).toString('latin1');
}

const AVIF_BRANDS = new Set(['avif', 'avis']);

/** ISO-BMFF: `[size]ftyp[major brand][minor version][compatible brands…]`. */
function isAvif(bytes: Buffer): boolean {
  if (bytes.length < 12 || ascii(bytes, 4, 8) !== 'ftyp') return false;
  if (AVIF_BRANDS.has(ascii(bytes, 8, 12))) return true;
  // A major brand like `mif1` with `avif` among the compatible brands is AVIF too.
  const boxSize = bytes.readUInt32BE(0);
  const end = Math.min(boxSize, bytes.length);
  for (let at = 16; at + 4 <= end; at += 4) if (AVIF_BRANDS.has(ascii(bytes, at, at + 4))) return true;
  return false;
}

/** The kind of image these first bytes start, or null when they start nothing we accept. */
export function sniffImageKind(head: Buffer): ImageKind | null {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a') return 'gif';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'webp';
  if (isAvif(head)) return 'avif';
  return null;
}
