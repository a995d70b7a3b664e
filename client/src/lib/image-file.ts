/**
 * Client-side checks before an upload: the same rules the media service applies (type told by
 * the bytes, size, pixel count), so people hear about an unusable photo at once. The server
 * still decides; its 413/415/422 answers are shown as they come.
 */
import type { MediaLimits } from '../api/types';
import { formatBytes } from './format';

function readHead(file: Blob, length: number): Promise<Uint8Array> {
  const slice = file.slice(0, length);
  if (typeof slice.arrayBuffer === 'function') return slice.arrayBuffer().then((b) => new Uint8Array(b));
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error ?? new Error('Could not read the file'));
    reader.readAsArrayBuffer(slice);
  });
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

/** The image type from the file's first bytes, or null when it is none we know. */
export async function sniffImageType(file: Blob): Promise<string | null> {
  const b = await readHead(file, 32);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && ascii(b, 0, 8) === '\x89PNG\r\n\x1a\n') return 'image/png';
  if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) return 'image/gif';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'image/webp';
  if (b.length >= 12 && ascii(b, 4, 8) === 'ftyp' && ['avif', 'avis'].includes(ascii(b, 8, 12))) return 'image/avif';
  return null;
}

/** Whether a MIME type is in the limits' list, which may name MIME types or bare formats. */
export function typeAllowed(mime: string, types: readonly string[]): boolean {
  const sub = mime.split('/')[1] ?? mime;
  return types.some((t) => {
    const want = t.toLowerCase();
    return want === mime || want === sub || (sub === 'jpeg' && want === 'jpg');
  });
}

/** "JPEG, PNG, WebP, AVIF or GIF" from the limits' list. */
export function describeTypes(types: readonly string[]): string {
  const names = types.map((t) => {
    const sub = (t.split('/')[1] ?? t).toLowerCase();
    return sub === 'webp' ? 'WebP' : sub.toUpperCase();
  });
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** Width and height as the browser reads them, or null when it cannot (then the server decides). */
export function readDimensions(file: Blob, timeoutMs = 5000): Promise<{ width: number; height: number } | null> {
  if (typeof URL.createObjectURL !== 'function' || typeof Image === 'undefined') return Promise.resolve(null);
  return new Promise((resolve) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    const done = (value: { width: number; height: number } | null) => {
      clearTimeout(timer);
      URL.revokeObjectURL(url);
      resolve(value);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    img.onload = () => done(img.naturalWidth > 0 ? { width: img.naturalWidth, height: img.naturalHeight } : null);
    img.onerror = () => done(null);
    img.src = url;
  });
}

/** The reason a file cannot be uploaded, or null when it passes every check we can make here. */
export async function checkImageFile(file: File, limits: MediaLimits): Promise<string | null> {
  const type = await sniffImageType(file).catch(() => null);
  if (!type || !typeAllowed(type, limits.types)) {
    return `${file.name} is not a supported image. Use ${describeTypes(limits.types)}.`;
  }
  if (file.size > limits.maxBytes) {
    return `${file.name} is too large (${formatBytes(file.size)}). The limit is ${formatBytes(limits.maxBytes)}.`;
  }
  const size = await readDimensions(file);
  if (size && size.width * size.height > limits.maxPixels) {
    const mp = (n: number) => `${Math.round(n / 1_000_000)} megapixels`;
    return `${file.name} is too large (${mp(size.width * size.height)}). The limit is ${mp(limits.maxPixels)}.`;
  }
  return null;
}
