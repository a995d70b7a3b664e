/**
 * How big and how long: the full run (the committed reports) and the quick one (trying the
 * benchmark out). Every load and every measurement is bounded by these numbers.
 */
import type { MongoBackend } from './system/ferretdb';

export interface Plan {
  mode: 'full' | 'quick';
  backend: MongoBackend;
  /** Reed98 people loaded (the first n of 962). */
  people: number;
  /** Reed98 follows made through the API; the rest are written directly (see load/direct.ts). */
  followsViaApi: number;
  /** Fans: Reed98 people who follow the generated celebrities through the API. */
  fans: number;
  celebrities: Array<{ name: string; followers: number }>;
  /** Every n-th person posts. */
  authorEvery: number;
  postsPerAuthor: number;
  loadPhotoSize: number;
  uploadPhotoSize: number;
  composers: number;
  /** Seconds per measurement (each workload: one fixed-rate and one saturation run). */
  durationS: number;
  /** Fixed offered rates, requests per second. */
  rates: { read: number; search: number; suggest: number; compose: number; mixed: number; upload: number };
  /** Connections (or in-process workers) at saturation. */
  saturation: { read: number; compose: number; upload: number; sharp: number };
  /** Posts timed through the pipeline: by Reed98's most followed, by a fanned-out and by a merged account. */
  pipelinePosts: { reed: number; celebrity: number; merged: number };
  /** The timeline service alone (workloads/fanout-component.ts), followers loaded each way. */
  component: { direct: { followers: number; posts: number; reads: number }; events: { followers: number; posts: number; reads: number } };
  probe: { sizes: number[]; times: number };
  /** Upper bounds for loading steps and for waiting on the pipeline to catch up. */
  loadTimeLimitMs: number;
  quietTimeoutMs: number;
}

export function planFor(mode: 'full' | 'quick', backend: MongoBackend): Plan {
  if (mode === 'quick') {
    return {
      mode,
      backend,
      people: 150,
      followsViaApi: Number.POSITIVE_INFINITY,
      fans: 20,
      celebrities: [
        { name: 'celebrity 2k', followers: 2_000 },
        { name: 'celebrity 12k', followers: 12_000 },
      ],
      authorEvery: 3,
      postsPerAuthor: 3,
      loadPhotoSize: 640,
      uploadPhotoSize: 1200,
      composers: 20,
      durationS: 4,
      rates: { read: 15, search: 30, suggest: 30, compose: 3, mixed: 8, upload: 0.5 },
      saturation: { read: 8, compose: 4, upload: 2, sharp: 2 },
      pipelinePosts: { reed: 2, celebrity: 1, merged: 1 },
      component: { direct: { followers: 2_000, posts: 2, reads: 10 }, events: { followers: 300, posts: 1, reads: 10 } },
      probe: { sizes: [500, 2_000], times: 5 },
      loadTimeLimitMs: 5 * 60_000,
      quietTimeoutMs: 2 * 60_000,
    };
  }
  return {
    mode,
    backend,
    people: 962,
    followsViaApi: 4_000,
    fans: 100,
    celebrities: [
      { name: 'celebrity 10k', followers: 10_000 },
      { name: 'celebrity 100k', followers: 100_000 },
    ],
    authorEvery: 2,
    postsPerAuthor: 1,
    loadPhotoSize: 800,
    uploadPhotoSize: 1600,
    composers: 60,
    durationS: 12,
    // Caps only: each fixed-rate run offers half of what its workload sustained at saturation.
    rates: { read: 5000, search: 2000, suggest: 2000, compose: 200, mixed: 1000, upload: 1 },
    saturation: { read: 16, compose: 8, upload: 4, sharp: 2 },
    pipelinePosts: { reed: 6, celebrity: 5, merged: 2 },
    component: { direct: { followers: 10_000, posts: 3, reads: 50 }, events: { followers: 1_000, posts: 1, reads: 20 } },
    probe: { sizes: [1_000, 5_000], times: 12 },
    loadTimeLimitMs: 8 * 60_000,
    quietTimeoutMs: 5 * 60_000,
  };
}
