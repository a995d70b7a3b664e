/**
 * The API's limits, named once. Services check input against them (through the schemas of this
 * package) and the OpenAPI documents state them; nothing else spells the numbers out.
 */

// ---- lists ----------------------------------------------------------------------------------

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** A cursor longer than this is refused before it is decoded. */
export const MAX_CURSOR_LENGTH = 512;

// ---- ids ------------------------------------------------------------------------------------

/** Ids are opaque to clients, but always this shape: never an object (no `{"$gt": ""}`). */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_ID_LENGTH = 64;

// ---- users (auth) ---------------------------------------------------------------------------

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 30;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const DISPLAY_NAME_MAX = 50;
export const BIO_MAX = 160;
export const EMAIL_MAX = 254;

// ---- posts ----------------------------------------------------------------------------------

/** Lengths count UTF-16 code units, as the event schemas do. */
export const CAPTION_MAX = 2200;
export const MAX_MEDIA_PER_POST = 10;
export const ALT_TEXT_MAX = 1000;
export const COMMENT_MAX = 1000;
/** Different `@names` a caption or comment may hold; at most MAX_RESOLVED_MENTIONS become mentions. */
export const MAX_MENTIONS = 100;
export const MAX_RESOLVED_MENTIONS = 20;
export const MAX_HASHTAGS = 100;
export const HASHTAG_MAX = 100;

// ---- media ----------------------------------------------------------------------------------

/** Defaults; a deployment may set others (MEDIA_MAX_BYTES, MEDIA_MAX_PIXELS), told by GET /api/v1/media/limits. */
export const DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
export const DEFAULT_MAX_UPLOAD_PIXELS = 40_000_000;
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

// ---- search ---------------------------------------------------------------------------------

/** Characters (code points) of a search query, after trimming. */
export const MAX_QUERY_LENGTH = 200;
/** How many of each kind the combined search answers, and how many suggestions. */
export const SEARCH_BEST_FEW = 5;
export const SUGGESTIONS = 8;
