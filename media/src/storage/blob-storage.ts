/**
 * Where image bytes live: one small interface, a directory on disk (the default; a
 * PersistentVolume in Kubernetes) or an S3-compatible bucket. Keys are ours, never a client's.
 */
import type { Readable } from 'node:stream';

export interface BlobInfo {
  size: number;
}

export interface PutOptions {
  contentType: string;
  /** Required when the body is a stream (S3 needs the length up front). */
  contentLength?: number;
}

export interface BlobStorage {
  /** Stores the bytes under the key, replacing what was there; readers never see half a blob. */
  put(key: string, body: Buffer | Readable, options: PutOptions): Promise<void>;
  /** Streams the blob; throws BlobNotFoundError when there is none. */
  get(key: string): Promise<Readable>;
  /** Answers null when there is no such blob; throws when the store cannot be reached. */
  stat(key: string): Promise<BlobInfo | null>;
  /** Removes the blob; removing a missing blob is not an error. */
  delete(key: string): Promise<void>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no blob at ${key}`);
    this.name = 'BlobNotFoundError';
  }
}

const KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

/** Keys are built by this service; anything else is a bug, not an input error. */
export function assertValidKey(key: string): void {
  if (!KEY.test(key) || key.includes('..') || key.length > 512) throw new Error(`invalid blob key: ${key}`);
}

/** The storage layout: originals (private) and variants (served). */
export const blobKeys = {
  original: (mediaId: string) => `originals/${mediaId}`,
  variant: (mediaId: string, variant: string) => `variants/${mediaId}/${variant}.webp`,
};
