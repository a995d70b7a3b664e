/**
 * Image upload to ready: POST /api/v1/media with a photo (202), then GET /api/v1/media/:id every 50 ms
 * until it is ready, as the client does. Each upload is a photo its uploader has not sent
 * before (media answers the same bytes from the same owner with the existing media), so every
 * one is processed. Run under the same fixed-rate and saturation schedules as the rest.
 */
import { type ApiClient } from '@lumina/datasets';
import { runInProcess, type RunMode, type RunResult } from './load-runner';
import { summarize, type LatencySummary } from '../util/stats';

export interface UploadRun extends RunResult {
  /** POST /api/v1/media until its 202 (the bytes are in; processing is queued). */
  acceptedMs: LatencySummary;
}

export class UploadPlan {
  private next = 0;

  constructor(
    private readonly uploaders: ApiClient[],
    private readonly photos: Buffer[],
  ) {}

  /** (uploader, photo) pairs not used yet; throws once every pair is spent. */
  take(): { client: ApiClient; photo: Buffer; n: number } {
    const n = this.next;
    this.next += 1;
    if (n >= this.uploaders.length * this.photos.length) throw new Error('no unused (uploader, photo) pair left');
    return { client: this.uploaders[n % this.uploaders.length]!, photo: this.photos[Math.floor(n / this.uploaders.length)]!, n };
  }
}

export async function runUploads(plan: UploadPlan, mode: RunMode, durationS: number): Promise<UploadRun> {
  const accepted: number[] = [];
  const result = await runInProcess(
    async () => {
      const { client, photo, n } = plan.take();
      const started = performance.now();
      const media = await client.upload(photo, `upload-${n}.jpg`, 'A generated photo');
      accepted.push(performance.now() - started);
      await client.waitUntilReady(media.id, 60_000, 50);
    },
    mode,
    durationS,
  );
  return { ...result, acceptedMs: summarize(accepted) };
}
