/**
 * The open Server-Sent Event streams of this replica. Each stream sends, as `event: post`, every
 * post that lands in its viewer's home, read from the stored timeline after the last sequence it
 * sent; a live hint (live-feed.ts) or a heartbeat wakes it to look.
 *
 * Sequences are made just before the insert that stores them, so an entry with a smaller sequence
 * can become visible just after one with a larger one (two fan-outs writing at once). A stream
 * therefore re-reads a short overlap window behind the largest sequence it sent and skips what it
 * already sent; the `id:` it writes is that largest sequence, so `Last-Event-ID` on reconnect
 * resumes after it.
 */
import type { BackgroundWorker, Logger } from '@lumina/common';
import type { Response } from 'express';
import type { HomeTimeline } from '../domain/home-timeline';
import { SequenceGenerator, sequences } from '../ids';
import type { FollowsStore } from '../store/follows-store';
import { timelineMetrics } from '../timeline-metrics';
import type { LiveFeed, LiveMessage } from './live-feed';

export interface StreamSettings {
  heartbeatMs: number;
  maxConnections: number;
  /** Open streams one viewer may hold on this replica; more is 429. */
  maxPerViewer: number;
  /**
   * A stream is ended after this long; the client reconnects with Last-Event-ID (losing nothing)
   * and so shows a current session, not one whose access token expired long ago.
   */
  maxAgeMs: number;
  /** How far behind the newest sent sequence a stream re-reads for late writes. */
  overlapMs?: number;
}

/** Events read per query; a catch-up reads at most MAX_PER_WAKE, the rest on the next wake. */
const BATCH = 100;
const MAX_PER_WAKE = 500;
/** A client this far behind in reading is cut off (it reconnects with Last-Event-ID). */
const MAX_BUFFERED_BYTES = 1 << 20;
/** Live hints do the work; every this many heartbeats a stream also looks by itself, in case one was lost. */
const CATCH_UP_EVERY_HEARTBEATS = 4;

export class StreamConnection {
  private maxSent: string;
  private readonly sent = new Set<string>();
  private running = false;
  private again = false;
  closed = false;
  readonly openedAt = Date.now();

  constructor(
    readonly viewerId: string,
    private readonly res: Response,
    /** Nothing at or before this sequence is sent: Last-Event-ID, or the moment of connecting. */
    private readonly floor: string,
    private readonly home: HomeTimeline,
    private readonly overlapMs: number,
    private readonly log: Logger,
  ) {
    this.maxSent = floor;
  }

  /** Looks for new posts now; concurrent wakes fold into one more pass. */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.catchUp();
        } while (this.again && !this.closed);
      } catch (err) {
        this.log.warn({ err, viewerId: this.viewerId }, 'stream catch-up failed');
      } finally {
        this.running = false;
      }
    })();
  }

  heartbeat(): void {
    this.write(': heartbeat\n\n');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end();
  }

  private async catchUp(): Promise<void> {
    const overlapStart = SequenceGenerator.floorOf(SequenceGenerator.timeOf(this.maxSent) - this.overlapMs);
    let from = overlapStart > this.floor ? overlapStart : this.floor;
    let delivered = 0;
    while (!this.closed && delivered < MAX_PER_WAKE) {
      const batch = await this.home.landedAfter(this.viewerId, from, BATCH);
      for (const landed of batch) {
        from = landed.seq;
        if (this.sent.has(landed.seq)) continue;
        this.sent.add(landed.seq);
        if (landed.seq > this.maxSent) this.maxSent = landed.seq;
        if (!landed.post) continue;
        this.write(`id: ${this.maxSent}\nevent: post\ndata: ${JSON.stringify({ post: landed.post })}\n\n`);
        delivered += 1;
      }
      if (batch.length < BATCH) break;
    }
    // Forget what is older than the overlap window: it is never re-read.
    const keepFrom = SequenceGenerator.floorOf(SequenceGenerator.timeOf(this.maxSent) - this.overlapMs);
    for (const seq of this.sent) if (seq < keepFrom) this.sent.delete(seq);
    if (delivered >= MAX_PER_WAKE) this.again = true;
  }

  private write(chunk: string): void {
    if (this.closed) return;
    if (this.res.writableLength > MAX_BUFFERED_BYTES) {
      this.log.warn({ viewerId: this.viewerId }, 'stream client too slow; closing');
      this.close();
      return;
    }
    this.res.write(chunk);
  }
}

export class StreamHub implements BackgroundWorker {
  private readonly byViewer = new Map<string, Set<StreamConnection>>();
  private count = 0;
  private timer?: NodeJS.Timeout;
  private beats = 0;
  private unsubscribe?: () => void;
  private accepting = true;

  constructor(
    private readonly home: HomeTimeline,
    private readonly follows: FollowsStore,
    private readonly feed: LiveFeed,
    private readonly settings: StreamSettings,
    private readonly log: Logger,
  ) {}

  get connections(): number {
    return this.count;
  }

  get full(): boolean {
    return !this.accepting || this.count >= this.settings.maxConnections;
  }

  /** Whether this viewer already holds as many streams as one viewer may. */
  fullFor(viewerId: string): boolean {
    return (this.byViewer.get(viewerId)?.size ?? 0) >= this.settings.maxPerViewer;
  }

  start(): void {
    this.unsubscribe = this.feed.onMessage((message) => void this.onLive(message));
    this.timer = setInterval(() => {
      this.beats += 1;
      const catchUp = this.beats % CATCH_UP_EVERY_HEARTBEATS === 0;
      const now = Date.now();
      for (const [viewerId, set] of this.byViewer) {
        // The landing log stays open while the viewer streams (its TTL is the resume window).
        this.home.keepLanding(viewerId).catch((err: unknown) => this.log.warn({ err, viewerId }, 'could not keep a landing log open'));
        for (const connection of set) {
          if (now - connection.openedAt > this.settings.maxAgeMs) {
            connection.close();
            continue;
          }
          connection.heartbeat();
          if (catchUp) connection.wake();
        }
      }
    }, this.settings.heartbeatMs);
    this.timer.unref();
  }

  /** Ends every open stream and refuses new ones (first step of shutting down). */
  closeAll(): void {
    this.accepting = false;
    for (const set of this.byViewer.values()) for (const connection of set) connection.close();
  }

  async stop(): Promise<void> {
    this.closeAll();
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  /**
   * Opens the viewer's landing log, which open() needs: fan-out logs landings only for viewers
   * with one, and a stream reads nothing else. Awaited before open(), so that whatever lands after
   * the stream's starting sequence is logged.
   */
  prepare(viewerId: string): Promise<void> {
    return this.home.keepLanding(viewerId);
  }

  /** Takes over a response as an event stream (after prepare()); `lastEventId` resumes after what the client saw. */
  open(viewerId: string, res: Response, lastEventId: string | undefined): StreamConnection {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // no-transform: proxies must not compress or rewrite the stream.
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // NGINX (the ingress) must not buffer it.
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    res.write('retry: 3000\n\n');
    const now = sequences.next();
    // A Last-Event-ID from the future would silence the stream: resume from now at the latest.
    const floor = lastEventId && lastEventId < now ? lastEventId : now;
    const connection = new StreamConnection(viewerId, res, floor, this.home, this.settings.overlapMs ?? 5_000, this.log);
    let set = this.byViewer.get(viewerId);
    if (!set) {
      set = new Set();
      this.byViewer.set(viewerId, set);
    }
    set.add(connection);
    this.count += 1;
    timelineMetrics().openStreams.inc();
    res.on('close', () => {
      connection.closed = true;
      const viewers = this.byViewer.get(viewerId);
      if (viewers?.delete(connection)) {
        this.count -= 1;
        timelineMetrics().openStreams.dec();
      }
      if (viewers && viewers.size === 0) this.byViewer.delete(viewerId);
    });
    // A reconnect replays what it missed right away.
    if (lastEventId) connection.wake();
    return connection;
  }

  private async onLive(message: LiveMessage): Promise<void> {
    if (message.kind === 'landed') {
      for (const owner of message.owners) this.byViewer.get(owner)?.forEach((c) => c.wake());
      return;
    }
    // A celebrity's post is not fanned out: wake the local viewers who follow them.
    const viewers = [...this.byViewer.keys()];
    try {
      for (let i = 0; i < viewers.length; i += 1000) {
        const followers = await this.follows.activeFollowersAmong(message.authorId, viewers.slice(i, i + 1000));
        for (const follower of followers) this.byViewer.get(follower)?.forEach((c) => c.wake());
      }
      this.byViewer.get(message.authorId)?.forEach((c) => c.wake());
    } catch (err) {
      this.log.warn({ err }, 'could not route a live hint');
    }
  }
}
