/** Starts the real media service for a test file: its own MongoDB database, NATS namespace and directories. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import supertest from 'supertest';
import { lifecycle, type Events, type EventData } from '@lumina/common';
import { TestContext, testLogger, tokenFor } from '@lumina/common/testing';
import { loadConfig } from '../src/config';
import { startMediaService, type StartOptions, type StartedMediaService } from '../src/server';

export interface TestMedia extends StartedMediaService {
  http: ReturnType<typeof supertest>;
  storageDir: string;
  tmpDir: string;
  stop(): Promise<void>;
}

/** A directory of this test file's own, removed at cleanup. */
export function tempDir(ctx: TestContext, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `lumina-media-${name}-`));
  ctx.onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startTestMedia(
  ctx: TestContext,
  mongoUrl: string,
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<TestMedia> {
  const storageDir = env.MEDIA_STORAGE_DIR ?? tempDir(ctx, 'store');
  const tmpDir = env.MEDIA_TMP_DIR ?? tempDir(ctx, 'tmp');
  const config = loadConfig(
    ctx.serviceEnv('media', {
      MONGO_URL: mongoUrl,
      MEDIA_STORAGE_DIR: storageDir,
      MEDIA_TMP_DIR: tmpDir,
      MEDIA_SWEEP_INTERVAL_MS: '3600000',
      // Tests upload much faster than people; the tests of these limits set their own.
      MEDIA_UPLOADS_PER_MINUTE: '100000',
      MEDIA_MAX_PROCESSING_PER_USER: '100000',
      ...env,
    }),
  );
  // Port 0: the system picks a free one (the configuration insists on a real port).
  const started = await startMediaService({ ...config, PORT: 0 }, { log: testLogger, ...options });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await started.running.shutdown('test');
    // shutdown() flags the whole process as shutting down (for /readyz); other services in this file live on.
    lifecycle.shuttingDown = false;
  };
  ctx.onCleanup(stop);
  return { ...started, http: supertest(started.running.server), storageDir, tmpDir, stop };
}

export const alice = { id: 'user-alice', username: 'alice' };
export const bob = { id: 'user-bob', username: 'bob' };

export function bearer(user: { id: string; username: string }): string {
  return `Bearer ${tokenFor(user)}`;
}

/** Every file under a directory, relative to it. */
export function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
  } catch {
    return [];
  }
}

export interface RawUploadResult {
  status: number;
  body: string;
  /** Bytes the client managed to hand to its socket before the server answered or hung up. */
  bytesSent: number;
}

/**
 * Uploads `size` bytes of a JPEG-looking file with a plain HTTP client, in chunks, stopping as
 * soon as the server answers: supertest would insist on sending everything first.
 */
export function rawUpload(port: number, auth: string, size: number, options: { chunked: boolean }): Promise<RawUploadResult> {
  const boundary = 'luminaboundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers: Record<string, string> = { authorization: auth, 'content-type': `multipart/form-data; boundary=${boundary}` };
  if (!options.chunked) headers['content-length'] = String(head.length + size + tail.length);
  return new Promise((resolve, reject) => {
    let bytesSent = 0;
    let answered = false;
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/media', headers });
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, bytesSent }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body, bytesSent }));
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    Buffer.from([0xff, 0xd8, 0xff, 0xe0]).copy(chunk);
    const pump = () => {
      while (!answered && !req.destroyed && bytesSent < size) {
        const piece = chunk.subarray(0, Math.min(chunk.length, size - bytesSent));
        bytesSent += piece.length;
        const ok = req.write(bytesSent === piece.length ? Buffer.concat([head, piece]) : piece);
        if (!ok) return void req.once('drain', pump);
      }
      if (!answered && !req.destroyed) req.end(tail);
    };
    pump();
  });
}

/** A post.created that shows these media (what posts publishes; only the ids matter to media). */
export function postShowing(postId: string, authorId: string, mediaIds: string[], version = 1): EventData<typeof Events.postCreated> {
  return {
    id: postId,
    authorId,
    caption: 'a post',
    hashtags: [],
    mentions: [],
    media: mediaIds.map((m) => ({
      id: m,
      alt: '',
      width: 10,
      height: 10,
      blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj',
      variants: {
        thumb: { url: `/api/v1/media/${m}/thumb`, width: 10, height: 10 },
        feed: { url: `/api/v1/media/${m}/feed`, width: 10, height: 10 },
      },
    })),
    likeCount: 0,
    commentCount: 0,
    createdAt: new Date().toISOString(),
    version,
  };
}
