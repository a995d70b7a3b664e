/**
 * jsdom has no canvas. This stands in for the one part the app uses — a 2D context's
 * createImageData / putImageData — and remembers what each canvas was given, so a test can
 * check that a blurhash was really decoded and painted.
 */
const painted = new WeakMap<HTMLCanvasElement, ImageData>();

export function installCanvas(): void {
  HTMLCanvasElement.prototype.getContext = function getContext(this: HTMLCanvasElement, kind: string) {
    if (kind !== '2d') return null;
    return {
      createImageData: (width: number, height: number) => ({
        width,
        height,
        data: new Uint8ClampedArray(width * height * 4),
        colorSpace: 'srgb',
      }),
      putImageData: (image: ImageData) => painted.set(this, image),
    };
  } as unknown as typeof HTMLCanvasElement.prototype.getContext;
}

export function paintedImage(canvas: Element): ImageData | undefined {
  return painted.get(canvas as HTMLCanvasElement);
}
