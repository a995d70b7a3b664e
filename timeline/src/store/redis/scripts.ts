/**
 * The few writes that must be atomic in Redis, as Lua scripts. Each touches keys of one hash
 * tag only, so it runs on Redis Cluster too.
 */
import { LuaScript } from '@lumina/common';

/**
 * Adds entries to a feed that exists (a missing feed belongs to a viewer inactive long enough for
 * it to expire, or was never built: it is built from MongoDB when they come back), trims it to its
 * newest entries (the sentinel, at rank 0, stays) and drops the viewer's kept first pages
 * (pages-store.ts). Each new entry is also logged for the live stream if the viewer has a landing
 * log: only a viewer streaming now, or a moment ago, has one (stream-hub.ts keeps it). Answers
 * how many entries were new.
 *   KEYS: feed, landed, page   ARGV: maxEntries, maxLanded, then (postId, createdAtMs, landedMember)…
 */
export const feedAdd = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local logged = redis.call('EXISTS', KEYS[2]) == 1
local added = 0
for i = 3, #ARGV, 3 do
  if redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i]) == 1 then
    added = added + 1
    if logged then redis.call('ZADD', KEYS[2], 0, ARGV[i + 2]) end
  end
end
if added > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 1, -(tonumber(ARGV[1]) + 1))
  if logged then redis.call('ZREMRANGEBYRANK', KEYS[2], 1, -(tonumber(ARGV[2]) + 1)) end
  redis.call('DEL', KEYS[3])
end
return added
`);

/**
 * Fan-out's batch: feedAdd for many viewers at once (one entry, one landing member for all),
 * answering 1 or 0 per viewer. Its keys span many hash tags, so it runs on a single Redis; on
 * Redis Cluster the viewers would be grouped by slot first (see timeline/README.md).
 *   KEYS: (feed, landed, page) per viewer   ARGV: maxEntries, maxLanded, postId, createdAtMs, landedMember
 */
export const feedAddMany = new LuaScript(`
local got = {}
local maxEntries = -(tonumber(ARGV[1]) + 1)
local maxLanded = -(tonumber(ARGV[2]) + 1)
-- Per viewer as few commands as will do (each costs Redis a microsecond or more, and a popular
-- author's post runs this for every follower): EXISTS on the feed, ZADD, the trim and the page
-- drop; the landing log only for the few who stream.
for k = 1, #KEYS, 3 do
  local added = 0
  if redis.call('EXISTS', KEYS[k]) == 1 and redis.call('ZADD', KEYS[k], ARGV[4], ARGV[3]) == 1 then
    added = 1
    redis.call('ZREMRANGEBYRANK', KEYS[k], 1, maxEntries)
    redis.call('DEL', KEYS[k + 2])
    if redis.call('EXISTS', KEYS[k + 1]) == 1 then
      redis.call('ZADD', KEYS[k + 1], 0, ARGV[5])
      redis.call('ZREMRANGEBYRANK', KEYS[k + 1], 1, maxLanded)
    end
  end
  got[#got + 1] = added
end
return got
`);

/**
 * Opens or keeps a viewer's landing log (a stream is open): the sentinel, at rank 0 and before
 * every member in lexical order, keeps an empty log in existence, and the TTL is the window in
 * which a reconnect with Last-Event-ID still finds what it missed.
 *   KEYS: landed   ARGV: resumeMs
 */
export const landedKeep = new LuaScript(`
redis.call('ZADD', KEYS[1], 'NX', 0, '!')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`);

/**
 * Makes a list complete (a feed, or an author's posts): adds the entries to whatever the key
 * holds (writes that raced the build are kept), adds the sentinel, trims and sets the TTL
 * (0: none).
 *   KEYS: list   ARGV: maxEntries, ttlMs, then (createdAtMs, postId)…
 */
export const listComplete = new LuaScript(`
redis.call('ZADD', KEYS[1], -1, '!')
for i = 3, #ARGV, 2000 do
  redis.call('ZADD', KEYS[1], unpack(ARGV, i, math.min(i + 1999, #ARGV)))
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 1, -(tonumber(ARGV[1]) + 1))
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`);

/**
 * Applies versioned facts to a hash of id → signed version (positive: on, negative: off), each
 * only if its version is newer than the one held, so duplicates and reordering are harmless. With
 * ARGV[1] = 1 the hash is also marked complete (its `!` field), and ARGV[2] > 0 sets its TTL.
 *   KEYS: hash   ARGV: complete, ttlMs, then (id, signedVersion)…
 */
export const signedApply = new LuaScript(`
local changed = 0
for i = 3, #ARGV, 2 do
  local held = redis.call('HGET', KEYS[1], ARGV[i])
  if (not held) or math.abs(tonumber(held)) < math.abs(tonumber(ARGV[i + 1])) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    changed = changed + 1
  end
end
if ARGV[1] == '1' then redis.call('HSET', KEYS[1], '!', '1') end
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return changed
`);

/**
 * Writes groups of a card's fields, each group only if its version is newer than the one held
 * (so an old fill never overwrites a newer event, nor the other way round), and renews the TTL.
 * Answers the version fields of the groups it wrote, space-separated.
 *   KEYS: card   ARGV: ttlSeconds, then per group: versionField, version, n, (field, value)×n
 */
export const cardPut = new LuaScript(`
local i = 2
local changed = ''
while i <= #ARGV do
  local n = tonumber(ARGV[i + 2])
  local held = redis.call('HGET', KEYS[1], ARGV[i])
  if (not held) or tonumber(held) < tonumber(ARGV[i + 1]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    for j = 0, n - 1 do redis.call('HSET', KEYS[1], ARGV[i + 3 + 2 * j], ARGV[i + 4 + 2 * j]) end
    changed = changed .. ' ' .. ARGV[i]
  end
  i = i + 3 + 2 * n
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return changed
`);

/**
 * A home read: renews the feed's activity window (as every read does) and answers whether it
 * exists, the kept first page of this size ('' if none) and the viewer's page stamp: the `#`
 * field of the page hash, set to ARGV[3] if there is none. Any drop deletes the whole hash, stamp
 * and all, so an assembly that read a stamp keeps its page only if nothing was dropped meanwhile.
 *   KEYS: feed, page   ARGV: activeMs, limit, a fresh stamp, ttlMs
 */
export const pageRead = new LuaScript(`
if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return {0, '', ''} end
local held = redis.call('HMGET', KEYS[2], ARGV[2], '#')
local stamp = held[2]
if not stamp then
  redis.call('HSET', KEYS[2], '#', ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  stamp = ARGV[3]
end
return {1, held[1] or '', stamp}
`);

/**
 * Keeps an assembled page if the viewer's page stamp is still the one read before assembling.
 *   KEYS: page   ARGV: stamp, limit, value, ttlMs
 */
export const pagePut = new LuaScript(`
if redis.call('HGET', KEYS[1], '#') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`);
