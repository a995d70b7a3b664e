import type { Config } from '../config';
import type { BlobStorage } from './blob-storage';
import { FileSystemStorage } from './fs-storage';
import { S3Storage } from './s3-storage';

export * from './blob-storage';
export { FileSystemStorage } from './fs-storage';
export { S3Storage } from './s3-storage';

/** The store the configuration names. */
export function createStorage(config: Config): BlobStorage & { close?: () => void } {
  if (config.STORAGE_DRIVER === 's3') {
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
