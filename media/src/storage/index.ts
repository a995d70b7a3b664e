import type { Config } from '../config';
import type { BlobStorage } from './blob-storage';
import { FileSystemStorage } from './fs-storage';

export * from './blob-storage';
export { FileSystemStorage } from './fs-storage';

/** The store the configuration names. The AWS SDK is loaded only when S3 is configured. */
export function createStorage(config: Config): BlobStorage & { close?: () => void } {
  if (config.STORAGE_DRIVER === 's3') {
    // A plain require: this package compiles to CommonJS, and the SDK is big enough to load only when needed.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { S3Storage } = require('./s3-storage') as typeof import('./s3-storage');
    return new S3Storage({
      bucket: config.S3_BUCKET!,
      region: config.S3_REGION,
      endpoint: config.S3_ENDPOINT,
      accessKeyId: config.S3_ACCESS_KEY_ID!,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY!,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
    });
  }
  return new FileSystemStorage(config.MEDIA_STORAGE_DIR);
}
