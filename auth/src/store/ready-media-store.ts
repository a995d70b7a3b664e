/** A small copy of media.ready events: which images are ready, whose they are, their thumbnail. */
import { upsertIfNewerMySql, type ApplyOutcome } from '@lumina/common';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { Tx } from './db';

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

  async find(mediaId: string, db: Pick<Pool | Tx, 'query'> = this.pool): Promise<ReadyMedia | undefined> {
    const [rows] = await db.query<RowDataPacket[]>(
      'SELECT media_id, owner_id, thumb_url, blurhash, version FROM ready_media WHERE media_id = ?',
      [mediaId],
    );
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
