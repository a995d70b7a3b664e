/**
 * An image that shows its blurhash while it loads: the hash is painted onto a tiny canvas
 * stretched to the image's box (its aspect ratio is known, so nothing jumps), and the image
 * fades in over it once loaded.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { BLURHASH_SIZE, paintBlurhash } from '../lib/blurhash';

export interface BlurhashImageProps {
  src: string;
  alt: string;
  width: number;
  height: number;
  blurhash?: string;
  className?: string;
  /** Crop to a square (grids) instead of keeping the image's own ratio. */
  square?: boolean;
  loading?: 'lazy' | 'eager';
}

export function BlurhashImage({ src, alt, width, height, blurhash, className = '', square = false, loading = 'lazy' }: BlurhashImageProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [loaded, setLoaded] = useState(false);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    setLoaded(false);
    setFailed(false);
  }, [src]);

  // A layout effect: painted in the same commit as the canvas, before the browser shows a frame,
  // so there is never an empty placeholder (nor a moment when the canvas is there unpainted).
  useLayoutEffect(() => {
    if (canvas.current && blurhash && !loaded) paintBlurhash(canvas.current, blurhash);
  }, [blurhash, loaded]);

  const ratio = square ? '1 / 1' : `${Math.max(1, width)} / ${Math.max(1, height)}`;
  return (
    <div className={`relative overflow-hidden bg-stone-200 ${className}`} style={{ aspectRatio: ratio }}>
      {blurhash && !loaded && (
        <canvas
          ref={canvas}
          width={BLURHASH_SIZE}
          height={BLURHASH_SIZE}
          data-testid="blurhash"
          data-blurhash={blurhash}
          aria-hidden="true"
          className="absolute inset-0 h-full w-full"
        />
      )}
      {failed ? (
        <div role="img" aria-label={alt} className="absolute inset-0 flex items-center justify-center text-sm text-stone-600">
          Image unavailable
        </div>
      ) : (
        <img
          src={src}
          alt={alt}
          width={width}
          height={height}
          loading={loading}
          decoding="async"
          onLoad={() => setLoaded(true)}
          onError={() => setFailed(true)}
          className={`absolute inset-0 h-full w-full object-cover transition-opacity duration-300 ${loaded ? 'opacity-100' : 'opacity-0'}`}
        />
      )}
    </div>
  );
}
