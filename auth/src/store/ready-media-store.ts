/**
 * A small copy of media events: which images are ready, whose they are, their thumbnail; and
 * which were deleted (tombstones).
 */
import { upsertIfNewerMySql, type ApplyOutcome } from '@lumina/common';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { inTransaction, type Tx } from './db';

export interface ReadyMedia {
  mediaId: string;
  ownerId: string;
  thumbUrl: string;
  blurhash: string;
  version: number;
}

export class ReadyMediaStore {
  constructor(private readonly pool: Pool) {}

  /** Keeps the newest version seen; a duplicate or older event changes nothing. */
  save(media: ReadyMedia): Promise<ApplyOutcome> {
    return upsertIfNewerMySql(
      this.pool,
      'ready_media',
      { media_id: media.mediaId, owner_id: media.ownerId, thumb_url: media.thumbUrl, blurhash: media.blurhash, version: media.version },
      ['media_id'],
    );
  }

  /**
   * Marks the image deleted for good (media ids are never reused). The copy's row, if any, is
   * locked while the tombstone is written, so a PATCH /me that is checking it finishes first or
   * sees the tombstone.
   */
  async tombstone(mediaId: string, version: number): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await tx.query('SELECT media_id FROM ready_media WHERE media_id = ? FOR UPDATE', [mediaId]);
      await tx.query(
        'INSERT INTO deleted_media (media_id, version) VALUES (?, ?) ON DUPLICATE KEY UPDATE version = GREATEST(version, VALUES(version))',
        [mediaId, version],
      );
    });
  }

  /**
   * A ready image that was not deleted. Inside a transaction the copy's row stays share-locked
   * until it ends, so a deletion cannot slip in between this check and the write relying on it.
   */
  async findReady(mediaId: string, tx?: Tx): Promise<ReadyMedia | undefined> {
    const db = tx ?? this.pool;
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT media_id, owner_id, thumb_url, blurhash, version FROM ready_media WHERE media_id = ?${tx ? ' LOCK IN SHARE MODE' : ''}`,
      [mediaId],
    );
    if (rows.length === 0) return undefined;
    const [deleted] = await db.query<RowDataPacket[]>('SELECT 1 FROM deleted_media WHERE media_id = ?', [mediaId]);
    if (deleted.length > 0) return undefined;
    const row = rows[0];
    return (
      row && {
        mediaId: String(row.media_id),
        ownerId: String(row.owner_id),
        thumbUrl: String(row.thumb_url),
        blurhash: String(row.blurhash),
        version: Number(row.version),
      }
    );
  }
}
