/**
 * Distrust of what is stored, thirty-fourth round: values far larger than anything their writer makes, and a cache
 * record's Vary values holding what the cache never keeps, are refused before they are walked or shown.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient as createPreset, type StorageErrorEvent } from '../../src/entries/index.js';
import { coordinator, type RedisEvaluate } from '../../src/entries/redis.js';
import { reads } from '../../src/redis/scripts.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mapStore } from '../helpers/test-stores.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { contextOf } from './breaker-kit.js';
import { next } from './cache-kit.js';
import { harnessEachTest } from './outbox-helpers.js';

const t0 = 1_700_000_000_000;

describe('a cache record whose Vary values hold a URL with userinfo (what the cache never stores: copy.ts `varied`)', () => {
	it('is unreadable: cache.list() shows none of it and reports it (storage:error decode), as a header holding one', async () => {
		const records = new Map<string, unknown>();
		const api = createPreset({
			name: 'stored-hunt34-vary', clock: new ManualClock(t0), store: mapStore(records), retry: 0, breaker: false,
			fetch: (async () => new Response('ok', { headers: { 'cache-control': 'max-age=60', vary: 'referer' } })) as typeof fetch,
		});
		const stored = next(api, 'cache:stored');
		await api.get('https://a.test/x', { headers: { referer: 'https://h.test/' } }).text();
		await stored;
		const [key, record] = [...records].find(([each]) => each.startsWith('r:'))!;
		expect((record as { vary: unknown }).vary).toEqual([['referer', 'https://h.test/']]);
		const errors: StorageErrorEvent[] = [];
		api.on('storage:error', (event) => errors.push(event));
		for (const value of ['https://u:p@h.test/', 'https://user@h.test/page', 'http:u:p@h.test/']) {
			records.set(key, { ...record as object, vary: [['referer', value]] });
			// Before: [{ url: 'https://a.test/x', … }] and [] — listed, never reported.
			expect([value, await api.cache.list()]).toEqual([value, []]);
		}

		expect(errors.map(({ part, operation, key: named }) => [part, operation, named])).toEqual([['cache', 'decode', key], ['cache', 'decode', key], ['cache', 'decode', key]]);
		api.close();
	});
});

describe('a cache record of a URL with userinfo (no request has one: fetch refuses it), planted under a key naming it', () => {
	it('is unreadable: cache.list() does not show its password, and reports it (storage:error decode)', async () => {
		const records = new Map<string, unknown>();
		const api = createPreset({
			name: 'stored-hunt34-url', clock: new ManualClock(t0), store: mapStore(records), retry: 0, breaker: false,
			fetch: (async () => new Response('ok', { headers: { 'cache-control': 'max-age=60' } })) as typeof fetch,
		});
		const stored = next(api, 'cache:stored');
		await api.get('https://a.test/x').text();
		await stored;
		const [key, record] = [...records].find(([each]) => each.startsWith('r:'))!;
		const errors: StorageErrorEvent[] = [];
		api.on('storage:error', (event) => errors.push(event));
		const planted = key.replace('https://a.test/x', 'https://user:secret@a.test/x');
		records.delete(key);
		records.set(planted, { ...record as object, url: 'https://user:secret@a.test/x' });
		// Before: ['https://user:secret@a.test/x'] and [].
		expect((await api.cache.list()).map(({ url }) => url)).toEqual([]);
		expect(errors.map(({ part, operation, key: named }) => [part, operation, named])).toEqual([['cache', 'decode', planted]]);
		// An @ in its path or query is no userinfo: such a copy is listed.
		await api.get('https://a.test/@me/x?next=https://u:p@b.test/').text();
		await waitFor(async () => (await api.cache.list()).length === 1, 'the copy stored');
		expect((await api.cache.list()).map(({ url }) => url)).toEqual(['https://a.test/@me/x?next=https://u:p@b.test/']);
		expect(errors).toHaveLength(1);
		api.close();
	});
});

describe('coordinator(evaluate) over a real Redis: a key holding far more than the coordinator ever writes', { timeout: 30_000 }, () => {
	let redis: RunningRedis;
	beforeAll(async () => {
		redis = await startRedis();
	});
	afterAll(async () => {
		await redis?.stop();
	});

	it('is another program\'s: read as none and reported, never sent back whole (nor parsed)', async () => {
		const sizes: number[] = [];
		const evaluate: RedisEvaluate = async (s, k, a) => {
			const reply = await redis.client.eval(s, k.length, ...k, ...a) as unknown[];
			sizes.push(...reply.filter((item): item is string => typeof item === 'string').map((item) => item.length));
			return reply;
		};
		const clock = new ManualClock();
		const events: string[] = [];
		const fleet = coordinator(evaluate).fleet(contextOf(clock, events), 120_000);
		const scope = 'https://huge.example';
		// The scope's key, as a first report writes it; then another program's 10 MB list of numbers under it.
		fleet.add(scope, false);
		await fleet.sync(scope, undefined);
		await waitFor(async () => (await redis.client.keys('steadfetch:throttle:*')).length === 1, 'the first report written');
		const [key] = await redis.client.keys('steadfetch:throttle:*');
		await redis.client.hset(key!, 's', `[${'1,'.repeat(5_000_000)}1]`);
		sizes.length = 0;
		// Another process's first report.
		const other = coordinator(evaluate).fleet(contextOf(clock, events), 120_000);
		other.add(scope, false);
		await other.sync(scope, undefined);
		await waitFor(() => events.length > 0, 'the foreign value reported');
		// Before: [[10000003], …] — the whole value came back to the process at each sync (and was parsed there).
		expect([sizes.filter((size) => size > 1024), events]).toEqual([[], ['storage:error throttle decode']]);
		expect((await redis.client.hget(key!, 's'))!.length).toBeLessThan(1024);
	});

	it('its write tokens (`w`) far longer than the 8 a write keeps (103 characters): another program\'s, read as none and reported', async () => {
		await redis.client.flushall();
		const clock = new ManualClock();
		const events: string[] = [];
		const evaluate: RedisEvaluate = async (s, k, a) => redis.client.eval(s, k.length, ...k, ...a) as Promise<unknown[]>;
		const fleet = coordinator(evaluate).fleet(contextOf(clock, events), 120_000);
		const scope = 'https://tokens.example';
		fleet.add(scope, false);
		await fleet.sync(scope, undefined);
		await waitFor(async () => (await redis.client.keys('steadfetch:throttle:*')).length === 1, 'the first report written');
		const [key] = await redis.client.keys('steadfetch:throttle:*');
		expect((await redis.client.hget(key!, 'w'))!.length).toBeLessThanOrEqual(103);
		await redis.client.hset(key!, 'w', '1'.repeat(1_000_000));
		// Another process's first report.
		const other = coordinator(evaluate).fleet(contextOf(clock, events), 120_000);
		other.add(scope, false);
		await other.sync(scope, undefined);
		await waitFor(() => events.length > 0, 'the foreign value reported');
		// Before: [[], true] — taken as the coordinator's own, its million characters scanned by string.find inside Redis
		// at a conflicting write, never reported.
		expect([events, (await redis.client.hget(key!, 'w'))!.length <= 103]).toEqual([['storage:error throttle decode'], true]);
	});

	it('a reply holding such a string (a client or proxy that answers otherwise) is not parsed either', async () => {
		const huge = `[${'1,'.repeat(5_000_000)}1]`;
		const parse = vi.spyOn(JSON, 'parse');
		try {
			const shared = coordinator(async (script) => script === reads ? [Date.now(), 1, huge] : [1]);
			await shared.sync('https://huge.example', { policy: { consecutiveFailures: 100, openMs: 200, maxOpenMs: 200, probeTimeoutMs: 10_000 }, outcomes: [] });
			// Before: [10000003].
			expect(parse.mock.calls.map(([text]) => text.length).filter((length) => length > 1024)).toEqual([]);
		} finally {
			parse.mockRestore();
		}
	});
});

describe('an outbox record of a URL with userinfo (the outbox never stores one: fetch refuses such a request)', () => {
	const { h, win } = harnessEachTest();

	it('is unreadable: list() does not show its password; reported (storage:error decode), kept as a dead letter, never sent', async () => {
		const api = h.make({ outbox: true });
		win.setOnline(false, false);
		const { entryId } = await api.put('doc?id=userinfo', { body: 'x' }).then(() => ({ entryId: '' }), (error: { entryId: string }) => error);
		const key = (await h.store.keys()).find((each) => each.includes(`|${entryId}|`))!;
		const record = (await h.store.get<Record<string, unknown>>(key))!;
		const url = (record['url'] as string).replace('://', '://user:secret@');
		await h.store.set(key, { ...record, url });
		const errors = h.record(api, 'storage:error');
		// Before: ['http://user:secret@127.0.0.1:…/doc?id=userinfo'].
		expect((await api.outbox.list()).map((entry) => entry.url).filter((shown) => shown.includes('secret'))).toEqual([]);
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 1 });
		expect((await api.outbox.deadLetters()).map((entry) => [entry.url, entry.deadReason, entry.lastError])).toEqual([['', 'rejected', { code: 'INVALID_REQUEST', message: 'Unreadable' }]]);
		expect(errors.map((event) => (event as { operation: string }).operation)).toContain('decode');
	});
});

describe('neighbours that hold: an outbox record holding a lastError far longer than the outbox writes (Queue.read cuts it to record.ts `bounded`)', () => {
	const { h, win } = harnessEachTest();

	it('is not shown whole by list()', async () => {
		const api = h.make({ outbox: true });
		win.setOnline(false, false);
		const { entryId } = await api.put('doc?id=long', { body: 'x' }).then(() => ({ entryId: '' }), (error: { entryId: string }) => error);
		const key = (await h.store.keys()).find((each) => each.includes(`|${entryId}|`))!;
		const record = (await h.store.get<Record<string, unknown>>(key))!;
		await h.store.set(key, { ...record, lastError: { code: 'HTTP_ERROR', message: 'x'.repeat(10_000_000) } });
		const [entry] = await api.outbox.list();
		expect(entry!.lastError!.message.length).toBeLessThanOrEqual(1024);
	});
});
