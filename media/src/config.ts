import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseServiceEnv, env, configLoader } from '@lumina/common';
import { z } from 'zod';

/** What this process does: serve the HTTP API, process images, or both (one-machine mode). */
export const MEDIA_ROLES = ['api', 'worker', 'all'] as const;
export type MediaRole = (typeof MEDIA_ROLES)[number];

export const configSchema = baseServiceEnv
  .extend({
    MONGO_URL: env.url(),
    MEDIA_ROLE: z.enum(MEDIA_ROLES).default('all'),

    /** `fs` (a directory; a PersistentVolume in Kubernetes) or `s3` (any S3-compatible store). */
    STORAGE_DRIVER: z.enum(['fs', 's3']).default('fs'),
    /** Kept outside the repository so a checkout never carries anyone's photos. */
    MEDIA_STORAGE_DIR: z
      .string()
      .min(1)
      .default(join(homedir(), '.local', 'share', 'lumina', 'media')),
    S3_ENDPOINT: env.url().optional(),
    S3_BUCKET: z.string().min(3).max(63).optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    /** Path-style URLs (`endpoint/bucket/key`): what MinIO, versitygw and most self-hosted stores expect. */
    S3_FORCE_PATH_STYLE: env.bool(true),

    /** Where an upload is spooled while it is hashed and checked, before it reaches the store. */
    MEDIA_TMP_DIR: z.string().min(1).default(join(tmpdir(), 'lumina-media-uploads')),
    MEDIA_MAX_BYTES: env.int(20 * 1024 * 1024, 1024),
    MEDIA_MAX_PIXELS: env.int(40_000_000, 1),
    /** Uploads one user may start per minute, counted in MongoDB so every replica shares the count. */
    MEDIA_UPLOADS_PER_MINUTE: env.int(30, 1),
    /** Media of one user still processing at once; more uploads wait (429) until some are done. */
    MEDIA_MAX_PROCESSING_PER_USER: env.int(20, 1),

    /** Media no post (and no avatar) uses are deleted once they are this old. */
    MEDIA_UNATTACHED_TTL_HOURS: z.coerce.number().positive().default(24),
    MEDIA_SWEEP_INTERVAL_MS: env.int(15 * 60_000, 100),

    /** Images processed at once by one worker process. */
    MEDIA_WORKER_CONCURRENCY: env.int(2, 1),
    /** How long a job stays claimed by a worker that stopped answering before another takes it. */
    MEDIA_JOB_ACK_WAIT_MS: env.int(60_000, 1000),
    /**
     * How often the outbox relay looks through every media for unpublished events. Writers wake it
     * naming the media they wrote (a lookup by _id); the look is for what a dead process left, and
     * on FerretDB it reads the whole collection.
     */
    OUTBOX_POLL_INTERVAL_MS: env.int(5_000, 10),
  })
  .superRefine((config, ctx) => {
    if (config.STORAGE_DRIVER !== 's3') return;
    for (const name of ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) {
      if (!config[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required when STORAGE_DRIVER=s3' });
    }
  });
export type Config = z.infer<typeof configSchema>;
export const loadConfig = configLoader(configSchema);

export function runsApi(config: Pick<Config, 'MEDIA_ROLE'>): boolean {
  return config.MEDIA_ROLE === 'api' || config.MEDIA_ROLE === 'all';
}

export function runsWorker(config: Pick<Config, 'MEDIA_ROLE'>): boolean {
  return config.MEDIA_ROLE === 'worker' || config.MEDIA_ROLE === 'all';
}
