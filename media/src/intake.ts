/**
 * Receives one multipart upload: the `file` part is streamed to a temporary file while it is
 * hashed (sha256), counted and sniffed, so no upload is ever held in memory. The request is
 * abandoned (never read to its end) the moment it breaks a rule: too many bytes, a type that
 * is not an accepted image, a malformed body.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import busboy from 'busboy';
import { BadRequestError, HttpError, PayloadTooLargeError, UnsupportedMediaTypeError } from '@lumina/common';
import { SNIFF_BYTES, SNIFF_MAX_BYTES, sniffImageKind, type ImageKind } from './images/sniff';

export interface IntakeLimits {
  maxBytes: number;
  maxAltLength: number;
  tmpDir: string;
}

export interface ReceivedUpload {
  /** The temporary file holding the bytes; `discard()` removes it. */
  path: string;
  kind: ImageKind;
  bytes: number;
  sha256: string;
  alt: string;
  discard(): Promise<void>;
}

/** Room for the multipart framing and the alt text around the file itself. */
const MULTIPART_OVERHEAD = 64 * 1024;

export function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The file is larger than ${Math.floor(maxBytes / (1024 * 1024))} MB`);
}

const notAnImage = () => new UnsupportedMediaTypeError('The file is not a JPEG, PNG, WebP, AVIF or GIF image');

/** Counts, hashes and sniffs the bytes going through; fails as soon as a limit is broken. */
class InspectingStream extends Transform {
  bytes = 0;
  kind: ImageKind | null = null;
  /** Set once the last byte went through. */
  sha256 = '';
  private readonly hash = createHash('sha256');
  private head: Buffer = Buffer.alloc(0);

  /** `onViolation` is told synchronously, so the request can stop flowing before another chunk arrives. */
  constructor(
    private readonly maxBytes: number,
    private readonly onViolation: (err: Error) => void,
  ) {
    super();
  }

  private violated(err: Error, callback: TransformCallback): void {
    this.onViolation(err);
    callback(err);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return this.violated(tooLarge(this.maxBytes), callback);
    if (this.kind === null && this.head.length < SNIFF_MAX_BYTES) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, SNIFF_MAX_BYTES - this.head.length)]);
      const error = this.decide(false);
      if (error) return this.violated(error, callback);
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const error = this.kind === null ? this.decide(true) : undefined;
    if (error) return callback(error);
    this.sha256 = this.hash.digest('hex');
    callback();
  }

  /** Decides the type once enough bytes are in (or the file ended); answers an error to fail with. */
  private decide(ended: boolean): Error | undefined {
    if (this.head.length < SNIFF_BYTES && !ended) return undefined;
    this.kind = sniffImageKind(this.head);
    if (this.kind) return undefined;
    // Only an AVIF whose brand is listed late in its `ftyp` box needs more than the first bytes.
    if (!ended && this.head.length < SNIFF_MAX_BYTES && this.head.subarray(4, 8).toString('latin1') === 'ftyp') return undefined;
    return notAnImage();
  }
}

/**
 * Reads the multipart body of `req`. On failure the request is left unread (the caller answers
 * and closes the connection, see `closeAfterAnswer`) and the temporary file is gone.
 */
export async function receiveUpload(req: Request, limits: IntakeLimits): Promise<ReceivedUpload> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes + MULTIPART_OVERHEAD) throw tooLarge(limits.maxBytes);
  if (!req.is('multipart/form-data')) throw new UnsupportedMediaTypeError('Send the image as multipart/form-data in a field named "file"');

  await mkdir(limits.tmpDir, { recursive: true });
  const path = join(limits.tmpDir, `${randomUUID()}.upload`);
  const discard = () => rm(path, { force: true });

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      limits: {
        files: 1,
        fields: 8,
        parts: 10,
        fileSize: limits.maxBytes + 1,
        fieldSize: 4 * limits.maxAltLength + 16,
        fieldNameSize: 100,
      },
    });
  } catch {
    throw new BadRequestError('Malformed multipart/form-data request');
  }

  return new Promise<ReceivedUpload>((resolve, reject) => {
    let alt = '';
    let settled = false;
    let fileStream: Readable | undefined;
    let fileDone: Promise<InspectingStream> | undefined;
    let parserClosed = false;

    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      // Stop the flow now; tear the parser and the file's pipeline down once out of the callback
      // we may be in (busboy's own), and remove the temporary file only after the pipeline has
      // closed it: a file still being opened would otherwise appear after its removal.
      req.unpipe(parser);
      req.pause();
      parser.removeAllListeners();
      parser.on('error', () => undefined);
      setImmediate(() => {
        fileStream?.destroy();
        parser.destroy();
      });
      const closed = fileDone
        ? fileDone.then(
            () => undefined,
            () => undefined,
          )
        : Promise.resolve();
      void closed
        .then(discard)
        .finally(() => reject(err instanceof HttpError ? err : new BadRequestError('Malformed multipart/form-data request')));
    };

    const finish = async () => {
      if (settled || !parserClosed) return;
      if (!fileDone) return fail(new BadRequestError('Attach the image in a field named "file"', 'file'));
      try {
        const inspected = await fileDone;
        if (settled) return;
        settled = true;
        resolve({ path, kind: inspected.kind!, bytes: inspected.bytes, sha256: inspected.sha256, alt, discard });
      } catch (err) {
        fail(err);
      }
    };

    parser.on('file', (name, stream) => {
      if (name !== 'file') return fail(new BadRequestError('Only a field named "file" may carry a file', name.slice(0, 100)));
      fileStream = stream;
      const inspector = new InspectingStream(limits.maxBytes, fail);
      // Errors surface through the pipeline's promise; fail() is called from there.
      // busboy counts too, ahead of the inspector, and past its limit it would read on and discard:
      // its limit is one byte over ours, and reaching it stops everything at once.
      stream.once('limit', () => fail(tooLarge(limits.maxBytes)));
      fileDone = pipeline(stream, inspector, createWriteStream(path, { flags: 'wx' })).then(() => inspector);
      fileDone.catch(fail);
      void finish();
    });
    parser.on('field', (name, value, info) => {
      if (name !== 'alt') return;
      if (info.valueTruncated || [...value].length > limits.maxAltLength) {
        return fail(new BadRequestError(`Alt text is at most ${limits.maxAltLength} characters`, 'alt'));
      }
      alt = value.trim();
    });
    parser.on('filesLimit', () => fail(new BadRequestError('Send one file per upload', 'file')));
    parser.on('fieldsLimit', () => fail(new BadRequestError('Too many fields')));
    parser.on('partsLimit', () => fail(new BadRequestError('Too many parts')));
    parser.on('error', (err) => fail(err));
    parser.on('close', () => {
      parserClosed = true;
      void finish();
    });
    req.on('aborted', () => fail(new BadRequestError('The upload was interrupted')));
    req.on('error', (err) => fail(err));
    req.pipe(parser);
  });
}

/**
 * For an answer given before the request body was read to its end: ask the client to close the
 * connection and close our side once the answer is out, so the rest is never read.
 */
export function closeAfterAnswer(req: Request, res: import('express').Response): void {
  if (req.complete) return;
  res.setHeader('Connection', 'close');
  res.once('finish', () => {
    // A moment for the answer to reach the client before the socket goes.
    setTimeout(() => req.socket.destroy(), 250).unref();
  });
}

/** Temporary files a process left behind when it died mid-upload; removed at start-up. */
export async function removeStaleUploads(tmpDir: string, olderThanMs: number, now = Date.now()): Promise<number> {
  let removed = 0;
  const names = await readdir(tmpDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.upload'))) {
    const path = join(tmpDir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && now - info.mtimeMs > olderThanMs) {
      await rm(path, { force: true });
      removed += 1;
    }
  }
  return removed;
}
