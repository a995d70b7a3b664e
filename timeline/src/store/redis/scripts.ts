/**
 * The few writes that must be atomic in Redis, as Lua scripts. Each touches keys of one hash
 * tag only, so it runs on Redis Cluster too.
 */
import { LuaScript } from '@lumina/common';

/**
 * Adds entries to a feed that exists (a missing feed belongs to a viewer inactive long enough for
 * it to expire, or was never built: it is built from MongoDB when they come back), logs each new
 * one for the live stream, and trims both to their newest entries (the sentinel, at rank 0,
 * stays); the viewer's kept first page is dropped (see pages-store.ts). Answers how many entries
 * were new.
 *   KEYS: feed, landed, page, pageGen   ARGV: maxEntries, maxLanded, then (postId, createdAtMs, landedMember)…
 */
export const feedAdd = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local added = 0
for i = 3, #ARGV, 3 do
  if redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i]) == 1 then
    added = added + 1
    redis.call('ZADD', KEYS[2], 0, ARGV[i + 2])
  end
end
if added > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 1, -(tonumber(ARGV[1]) + 1))
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[2]) + 1))
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
  redis.call('DEL', KEYS[3])
  redis.call('INCR', KEYS[4])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[4], ttl) end
end
return added
`);

/**
 * Fan-out's batch: feedAdd for many viewers at once (one entry, one landing member for all),
 * answering 1 or 0 per viewer. Its keys span many hash tags, so it runs on a single Redis; on
 * Redis Cluster the viewers would be grouped by slot first (see timeline/README.md).
 *   KEYS: (feed, landed, page, pageGen) per viewer   ARGV: maxEntries, maxLanded, postId, createdAtMs, landedMember
 */
export const feedAddMany = new LuaScript(`
local got = {}
local maxEntries = -(tonumber(ARGV[1]) + 1)
local maxLanded = -(tonumber(ARGV[2]) + 1)
-- Per viewer as few commands as will do (each costs Redis about a microsecond, and a celebrity's
-- post runs this for every follower): PTTL answers both whether the feed exists (-2: no) and
-- the TTL the landing log takes; the page generation, which only has to move on, gets a TTL when
-- it is created and keeps it (a generation that expires starts again, unlike any held value).
for k = 1, #KEYS, 4 do
  local added = 0
  local ttl = redis.call('PTTL', KEYS[k])
  if ttl ~= -2 and redis.call('ZADD', KEYS[k], ARGV[4], ARGV[3]) == 1 then
    added = 1
    redis.call('ZADD', KEYS[k + 1], 0, ARGV[5])
    redis.call('ZREMRANGEBYRANK', KEYS[k], 1, maxEntries)
    redis.call('ZREMRANGEBYRANK', KEYS[k + 1], 0, maxLanded)
    redis.call('DEL', KEYS[k + 2])
    local generation = redis.call('INCR', KEYS[k + 3])
    if ttl > 0 then
      redis.call('PEXPIRE', KEYS[k + 1], ttl)
      if generation == 1 then redis.call('PEXPIRE', KEYS[k + 3], ttl) end
    end
  end
  got[#got + 1] = added
end
return got
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
 * exists, the kept first page of this size ('' if none) and the viewer's page generation.
 *   KEYS: feed, page, pageGen   ARGV: activeMs, limit
 */
export const pageRead = new LuaScript(`
if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return {0, '', '0'} end
return {1, redis.call('HGET', KEYS[2], ARGV[2]) or '', redis.call('GET', KEYS[3]) or '0'}
`);

/**
 * Keeps an assembled page if the viewer's generation is still the one read before assembling.
 *   KEYS: page, pageGen   ARGV: gen, limit, value, ttlMs
 */
export const pagePut = new LuaScript(`
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`);

/**
 * Drops a viewer's kept pages and moves the generation on, so an assembly under way keeps nothing.
 *   KEYS: page, pageGen   ARGV: activeMs (the generation outlives any page)
 */
export const pageDrop = new LuaScript(`
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
`);
