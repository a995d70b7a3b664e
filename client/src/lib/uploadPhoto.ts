/**
 * One photo from file to usable media: checked here, uploaded with progress, then polled
 * until the media service has made its variants (or has given up on it).
 */
import { ApiError } from '../api/http';
import { mediaApi, waitUntilProcessed } from '../api/media';
import type { Media } from '../api/types';
import { checkImageFile } from './image-file';

export type UploadStatus = 'checking' | 'uploading' | 'processing' | 'ready' | 'failed';

export interface UploadState {
  status: UploadStatus;
  /** 0–1, the share of the bytes sent. */
  progress: number;
  error?: string;
  media?: Media;
}

export async function uploadPhoto(file: File, onState: (changes: Partial<UploadState>) => void, signal: AbortSignal): Promise<void> {
  try {
    const limits = await mediaApi.limits().catch(() => null);
    const problem = limits ? await checkImageFile(file, limits) : null;
    if (signal.aborted) return;
    if (problem) {
      onState({ status: 'failed', error: problem });
      return;
    }
    onState({ status: 'uploading', progress: 0 });
    const uploaded = await mediaApi.upload(file, { signal, onProgress: (progress) => onState({ progress }) });
    onState({ status: uploaded.status === 'ready' ? 'ready' : uploaded.status, progress: 1, media: uploaded });
    if (uploaded.status === 'failed') {
      onState({ error: uploaded.error || 'This image could not be processed.' });
      return;
    }
    const done = await waitUntilProcessed(uploaded, { signal });
    if (done.status === 'ready') onState({ status: 'ready', media: done });
    else onState({ status: 'failed', media: done, error: done.error || 'This image could not be processed.' });
  } catch (err) {
    if (signal.aborted) return;
    onState({ status: 'failed', error: err instanceof ApiError || err instanceof Error ? err.message : 'The upload failed.' });
  }
}

export function statusText(state: UploadState): string {
  switch (state.status) {
    case 'checking':
      return 'Checking…';
    case 'uploading':
      return `Uploading ${Math.round(state.progress * 100)}%`;
    case 'processing':
      return 'Processing…';
    case 'ready':
      return 'Ready';
    case 'failed':
      return 'Failed';
  }
}
