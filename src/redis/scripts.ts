/**
 * The two Lua scripts of the Redis coordinator. A key is a hash: `v` its version (a write count),
 * `s` its numbers (JSON). Each reply starts with Redis's clock in epoch ms, the fleet's clock.
 */

/**
 * The key's hash `h` and its version `v`: a write count, so one that is no whole number below 10^15
 * (what another program or a garbled write left: `-5`, `1.5`, `1e20`, `abc`) reads as 0, as a missing
 * key's, and the next write replaces it (before, no write ever matched it and every sync of the
 * scope failed until the key expired: a day by default). So does a key that is no hash (a string, a
 * list: HMGET would answer WRONGTYPE to every sync of the scope). Its numbers `s` are a JSON array or
 * none (''): anything else is not ours, and each client must read it so (`@upstash/redis` parses a
 * reply's strings once more: numbers stored as a JSON string of their JSON read as an open scope there
 * and as none over ioredis, a fleet split).
 */
const held = `local h = redis.call('TYPE', KEYS[1]).ok == 'hash' and redis.call('HMGET', KEYS[1], 'v', 's') or {}
local v = tonumber(h[1]) or 0
if not (v >= 0 and v < 1e15 and v % 1 == 0) then v = 0 end
local s = h[2]
if not s or string.sub(s, 1, 1) ~= '[' then s = '' end`;

/** Read a key: `[now, version, numbers]` (version 0 and '' when the key is missing or expired). */
export const reads = `local t = redis.call('TIME')
${held}
return {tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), v, s}`;

/**
 * Write a key if its version is still ARGV[1] and Redis's clock is not past ARGV[4] (the sync was
 * not given up): the numbers ARGV[2], the next version (over a key read as none: anew), expiry ARGV[3] ms from now ('0':
 * none, an isolated scope's); replies
 * `[1]`. A newer version: `[0, now, version, numbers]` (what to decide over again). Too late: `[-1]`.
 */
export const writes = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[4]) then return {-1} end
${held}
if v ~= tonumber(ARGV[1]) then return {0, now, v, s} end
if v == 0 then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], 'v', v + 1, 's', ARGV[2])
if ARGV[3] == '0' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1}`;
