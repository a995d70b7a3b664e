/**
 * The blob store contract, run against both implementations: the file system, and S3 through
 * versitygw (an S3-compatible gateway over a local directory, built by scripts/install-tools.sh
 * and started here on a free loopback port). Then the whole service, end to end, on S3.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { binDir, eventually, freePort, TestContext, waitForPort } from '@lumina/common/testing';
import { BlobNotFoundError, FileSystemStorage, type BlobStorage } from '../src/storage';
import { S3Storage } from '../src/storage/s3-storage';
import { alice, bearer, filesUnder, startTestMedia, tempDir } from './helpers';
import * as images from './images';

const ctx = new TestContext();
afterAll(() => ctx.cleanup());

function contract(name: string, open: () => BlobStorage) {
  describe(`${name}: the blob store contract`, () => {
    let storage: BlobStorage;
    beforeAll(() => {
      storage = open();
    });

    test('put a buffer, stat it, read it back as a stream, delete it', async () => {
      const bytes = Buffer.from('hello, blob');
      await storage.put('tests/a/hello.txt', bytes, { contentType: 'text/plain' });
      expect(await storage.stat('tests/a/hello.txt')).toEqual({ size: bytes.length });
      expect(await buffer(await storage.get('tests/a/hello.txt'))).toEqual(bytes);
      await storage.delete('tests/a/hello.txt');
      expect(await storage.stat('tests/a/hello.txt')).toBeNull();
    });

    test('put a stream of known length (how originals are stored), replacing what was there', async () => {
      const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
      await storage.put('tests/big', Buffer.from('old'), { contentType: 'application/octet-stream' });
      await storage.put('tests/big', Readable.from([big.subarray(0, 1_000_000), big.subarray(1_000_000)]), {
        contentType: 'application/octet-stream',
        contentLength: big.length,
      });
      expect(await storage.stat('tests/big')).toEqual({ size: big.length });
      expect((await buffer(await storage.get('tests/big'))).equals(big)).toBe(true);
    });

    test('a missing blob: get throws BlobNotFoundError, stat answers null, delete is fine', async () => {
      await expect(storage.get('tests/missing')).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await storage.stat('tests/missing')).toBeNull();
      await expect(storage.delete('tests/missing')).resolves.toBeUndefined();
    });

    test('keys that could escape the store are refused', async () => {
      for (const key of ['../etc/passwd', '/abs', 'a/../../b', 'UPPER', '']) {
        await expect(storage.put(key, Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(/invalid blob key/);
      }
    });
  });
}

contract('FileSystemStorage', () => new FileSystemStorage(tempDir(ctx, 'fs-contract')));

const versitygw = join(binDir(), 'versitygw');
const haveVersitygw = existsSync(versitygw);
if (!haveVersitygw) {
  console.warn(`SKIPPED the S3 tests: ${versitygw} is missing; run scripts/install-tools.sh to build it (CI does).`);
}
const describeS3 = haveVersitygw ? describe : describe.skip;

describeS3(`S3 (versitygw)${haveVersitygw ? '' : ' — skipped: versitygw is not built, run scripts/install-tools.sh'}`, () => {
  const credentials = { accessKeyId: 'lumina-test', secretAccessKey: 'lumina-test-secret' };
  let endpoint: string;
  let gateway: ChildProcess;
  const bucketStorage = (bucket: string) => new S3Storage({ bucket, region: 'us-east-1', endpoint, forcePathStyle: true, ...credentials });

  beforeAll(async () => {
    const port = await freePort();
    gateway = spawn(
      versitygw,
      ['-a', credentials.accessKeyId, '-s', credentials.secretAccessKey, '-p', `127.0.0.1:${port}`, '-q', 'posix', tempDir(ctx, 's3')],
      {
        stdio: 'ignore',
      },
    );
    ctx.onCleanup(
      () =>
        new Promise<void>((resolve) => {
          if (gateway.exitCode !== null) return resolve();
          gateway.once('exit', () => resolve());
          gateway.kill('SIGTERM');
        }),
    );
    await waitForPort(port);
    endpoint = `http://127.0.0.1:${port}`;
    for (const bucket of ['contract', 'media']) {
      const s = bucketStorage(bucket);
      await s.client.send(new CreateBucketCommand({ Bucket: bucket }));
      s.close();
    }
  });

  contract('S3Storage', () => bucketStorage('contract'));

  test('the whole service on S3: upload, process, serve; nothing lands on the local disk', async () => {
    const localDir = tempDir(ctx, 'unused-local');
    const svc = await startTestMedia(ctx, ctx.mongoDatabase('media'), {
      MEDIA_ROLE: 'all',
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: 'media',
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      MEDIA_STORAGE_DIR: localDir,
    });
    await ctx.eventBus();
    const res = await svc.http
      .post('/api/v1/media')
      .set('Authorization', bearer(alice))
      .attach('file', await images.sidewaysJpegWithGps(), 'a.jpg');
    expect(res.status).toBe(202);
    const id: string = res.body.media.id;
    await eventually(async () => expect((await svc.store.findById(id))?.status).toBe('ready'), { timeoutMs: 15_000 });

    const feed = await svc.http.get(`/api/v1/media/${id}/feed`).set('Authorization', bearer(alice)).buffer(true);
    expect(feed.status).toBe(200);
    expect(feed.headers['content-type']).toBe('image/webp');
    expect(feed.body.length).toBe(Number(feed.headers['content-length']));
    expect((await svc.http.get('/readyz')).body.checks.storage).toBe('ok');

    const listing = await (svc.storage as S3Storage).client.send(new ListObjectsV2Command({ Bucket: 'media' }));
    expect((listing.Contents ?? []).map((o) => o.Key).sort()).toEqual([
      `originals/${id}`,
      `variants/${id}/feed.webp`,
      `variants/${id}/thumb.webp`,
    ]);
    expect(filesUnder(localDir)).toEqual([]);

    expect((await svc.http.delete(`/api/v1/media/${id}`).set('Authorization', bearer(alice))).status).toBe(204);
    const after = await (svc.storage as S3Storage).client.send(new ListObjectsV2Command({ Bucket: 'media' }));
    expect(after.Contents ?? []).toEqual([]);
  });

  test('an unreachable store makes /readyz say so', async () => {
    const port = await freePort();
    const svc = await startTestMedia(ctx, ctx.mongoDatabase('media_down'), {
      MEDIA_ROLE: 'api',
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_BUCKET: 'media',
      S3_ACCESS_KEY_ID: 'x',
      S3_SECRET_ACCESS_KEY: 'y',
    });
    const res = await svc.http.get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks.storage).not.toBe('ok');
    await svc.stop();
  });
});
