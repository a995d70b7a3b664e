/** media — its route table: uploads (with progress), processing status and the upload limits. */
import { mediaRoutes } from '@lumina/contract/client';
import { api, upload } from './http';
import type { Media, MediaLimits } from './types';

let limits: Promise<MediaLimits> | null = null;

export const mediaApi = {
  /** The limits change only with a deploy; one fetch per page load is enough. */
  limits: (): Promise<MediaLimits> => {
    limits ??= api(mediaRoutes.limits).catch((err: unknown) => {
      limits = null;
      throw err;
    });
    return limits;
  },
  upload: (file: Blob, options: { alt?: string; onProgress?: (fraction: number) => void; signal?: AbortSignal } = {}) =>
    upload(mediaRoutes.upload, 'file', file, {
      fields: options.alt ? { alt: options.alt } : {},
      onProgress: options.onProgress,
      signal: options.signal,
    }).then((r) => r.media),
  get: (id: string, signal?: AbortSignal) => api(mediaRoutes.getMedia, { params: { id } }, { signal }).then((r) => r.media),
  remove: (id: string) => api(mediaRoutes.deleteMedia, { params: { id } }),
};

/** Forget the cached limits (tests start each case afresh). */
export function resetMediaLimitsCache(): void {
  limits = null;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new DOMException('Cancelled', 'AbortError'));
      },
      { once: true },
    );
  });

/**
 * Polls the media (mediaRoutes.getMedia) until the variants are made or the processing failed. Starts quick
 * (most images are done within a second) and backs off to one poll every two seconds.
 */
export async function waitUntilProcessed(
  media: Media,
  { signal, timeoutMs = 120_000, firstDelayMs = 400 }: { signal?: AbortSignal; timeoutMs?: number; firstDelayMs?: number } = {},
): Promise<Media> {
  let current = media;
  let delay = firstDelayMs;
  const deadline = Date.now() + timeoutMs;
  while (current.status === 'processing') {
    if (Date.now() > deadline) return { ...current, status: 'failed', error: 'Processing took too long. Try again.' };
    await sleep(delay, signal);
    delay = Math.min(delay * 1.5, 2000);
    current = await mediaApi.get(current.id, signal);
  }
  return current;
}
