/**
 * The two Lua scripts of the Redis coordinator. A key is a hash: `v` its version (a write count),
 * `s` its numbers (JSON). Each reply starts with Redis's clock in epoch ms, the fleet's clock.
 */

/** Read a key: `[now, version, numbers]` (version 0 and '' when the key is missing or expired). */
export const reads = `local t = redis.call('TIME')
local h = redis.call('HMGET', KEYS[1], 'v', 's')
return {tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), tonumber(h[1]) or 0, h[2] or ''}`;

/**
 * Write a key if its version is still ARGV[1] and Redis's clock is not past ARGV[4] (the sync was
 * not given up): the numbers ARGV[2], the next version, expiry ARGV[3] ms from now; replies
 * `[1]`. A newer version: `[0, now, version, numbers]` (what to decide over again). Too late: `[-1]`.
 */
export const writes = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[4]) then return {-1} end
local h = redis.call('HMGET', KEYS[1], 'v', 's')
local version = tonumber(h[1]) or 0
if version ~= tonumber(ARGV[1]) then return {0, now, version, h[2] or ''} end
redis.call('HSET', KEYS[1], 'v', version + 1, 's', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1}`;
