import { decode, isBlurhashValid } from 'blurhash';

/** Blurhash is decoded small and stretched by CSS: it is only a blur. */
export const BLURHASH_SIZE = 32;

/** Paints a blurhash onto a canvas; false when the hash is unusable or there is no 2D context. */
export function paintBlurhash(canvas: HTMLCanvasElement, hash: string): boolean {
  if (!hash || !isBlurhashValid(hash).result) return false;
  const ctx = canvas.getContext('2d');
  if (!ctx) return false;
  const pixels = decode(hash, BLURHASH_SIZE, BLURHASH_SIZE);
  const image = ctx.createImageData(BLURHASH_SIZE, BLURHASH_SIZE);
  image.data.set(pixels);
  ctx.putImageData(image, 0, 0);
  return true;
}
