/**
 * The two Lua scripts of the Redis coordinator. A key is a hash: `v` its version (a write count),
 * `s` its numbers (JSON). Each reply starts with Redis's clock in epoch ms, the fleet's clock.
 */

/**
 * The key's hash `h`, its version `v` (a write count) and its numbers `s` (a JSON array, or none: '').
 * A key that is not ours reads as none (version 0, no numbers) and the next write replaces it; its
 * version is answered as -1 (`f`), so the process reports it (`storage:error`): a key that is no hash (a
 * string, a list: HMGET would answer WRONGTYPE to every sync of the scope), a version that is no whole
 * number from 1 below 10^15 (what another program or a garbled write left: `-5`, `1.5`, `1e20`, `abc`,
 * none: before, no write ever matched it and every sync of the scope failed until the key expired, a
 * day by default), numbers that are no JSON array (`@upstash/redis` parses a reply's strings once more:
 * numbers stored as a JSON string of their JSON read as an open scope there and as none over ioredis, a
 * fleet split) or longer than 1,024 characters (the coordinator writes at most 31 numbers, 776: another program's
 * megabytes were sent back and parsed at every sync), or whose write tokens (`w`) are longer than the 8 a write keeps
 * (103 characters: scanned by `string.find` at a conflicting write). Both scripts read a key so, so the compare-and-set holds over one not ours too.
 */
const held = `local k = redis.call('TYPE', KEYS[1]).ok
local h = k == 'hash' and redis.call('HMGET', KEYS[1], 'v', 's', 'w') or {}
local v = tonumber(h[1]) or 0
local s = h[2] or ''
local w = h[3] or ''
local f = 0
if k ~= 'none' and not (v >= 1 and v < 1e15 and v % 1 == 0 and #s <= 1024 and #w <= 103 and (s == '' or string.sub(s, 1, 1) == '[')) then
f = -1
v = 0
s = ''
w = ''
end`;

/** Read a key: `[now, version, numbers]` (version 0 and '' when the key is missing or expired; -1 and '' when it is not ours). */
export const reads = `local t = redis.call('TIME')
${held}
return {tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), v + f, s}`;

/**
 * Write a key if its version is still ARGV[1] and Redis's clock is not past ARGV[4] (the sync was
 * not given up) nor before ARGV[6], its clock at the read the process decided over: one that stepped back meanwhile (a
 * failover, a step) stretched the deadline by the step (a write landing 2.5 s after it was sent, past the 2 s the process
 * gives a sync, was taken after a 10 s step); such a write is answered as a newer version is, decided again by the clock
 * as it reads now. The numbers ARGV[2], the next version (over a key read as none: anew), expiry ARGV[3] ms from now ('0':
 * none, an isolated scope's); replies
 * `[1]`. A newer version: `[0, now, version, numbers]` (what to decide over again). Too late: `[-1]`.
 * ARGV[5] is the write's own token (12 random digits), kept in `w` with those of the 7 writes before: a
 * write delivered again (its first reply lost: ioredis resends what was in flight after a reconnect,
 * `@upstash/redis` retries a fetch that failed) finds its token and replies `[1]`, else the process took
 * its own write for another's and counted its report twice. A key read as none is removed first with UNLINK, not DEL:
 * another program's value of a million members was freed inside the script, Redis answering nobody for over a second.
 */
export const writes = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[4]) then return {-1} end
${held}
if v ~= tonumber(ARGV[1]) or now < tonumber(ARGV[6]) then
if f == 0 and string.find(w, ARGV[5], 1, true) then return {1} end
return {0, now, v + f, s}
end
if v == 0 then redis.call('UNLINK', KEYS[1]) end
redis.call('HSET', KEYS[1], 'v', v + 1, 's', ARGV[2], 'w', w == '' and ARGV[5] or string.sub(ARGV[5] .. ' ' .. w, 1, 103))
if ARGV[3] == '0' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1}`;
