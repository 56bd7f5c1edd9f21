/**
 * Defect hunt, thirty-second round (the stale cache: a newer answer the cache does not keep). RFC 9111 §4: the most recent
 * response decides; a caller who has seen a newer answer is never answered later by an older copy. Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import { createClient, isStale } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mapStore } from '../helpers/test-stores.js';
import { afterNewer as newer, type Answer, answering, collect, copiedUrl, resetMidway, settle, t0 } from './cache-kit.js';

const url = copiedUrl;
const origin = (records: Map<string, unknown>) => answering('hunt32', records);
const afterNewer = async (then: Answer, reload = false, gapMs = 5000) => newer('hunt32', then, { reload, gapMs });

const big = 'v2'.repeat(100);
const manyHeaders = Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`x-h${index}`, 'v']));

describe('a newer good answer the cache does not keep (too large) drops the older copy: the caller has seen newer data', () => {
	it.each([
		['a Content-Length over maxBodyBytes', { body: big, headers: { 'content-length': '200' } }],
		['a body over maxBodyBytes (no Content-Length)', { body: big }],
		['a head over what a record holds (300 header fields)', { body: 'v2', headers: manyHeaders }],
	] as Array<[string, Answer]>)('%s', async (_, then) => {
		// Before: [<v2>, 'steadfetch; hit; ttl=-5; detail=network v1'] (the older copy answered the failure).
		expect(await afterNewer(then)).toEqual([then.body!.slice(0, 8), 'NetworkError']);
	});

	it('neighbours: a newer answer the cache keeps replaces the copy; one whose body fails mid-way (the caller has no newer data) leaves it', async () => {
		expect(await afterNewer({ body: 'v2' })).toEqual(['v2', 'steadfetch; hit; ttl=-60; detail=network v2']);
		expect(await afterNewer({ response: () => resetMidway('{"v"') })).toEqual(['TypeError', 'steadfetch; hit; ttl=-5; detail=network v1']);
	});

	it('a newer copy stored while a large answer was read is not dropped by it', async () => {
		const records = new Map<string, unknown>();
		const { api, clock, state } = origin(records);
		const stored = collect(api, 'cache:stored');
		let more!: (chunk?: string) => void;
		state.answer = {
			response: () => new Response(new ReadableStream<Uint8Array>({
				start(controller) {
					more = (chunk) => chunk === undefined ? controller.close() : controller.enqueue(new TextEncoder().encode(chunk));
				},
			})),
		};
		const slow = api.get(url);
		await (await slow).clone().body; // Its headers arrived, its body goes on.
		clock.advance(2000);
		state.answer = { body: 'v2' };
		await api.get(url).text();
		await settle();
		expect(stored).toHaveLength(1);
		more(big);
		more();
		await (await slow).text();
		await settle();
		clock.advance(5000);
		state.down = true;
		const response = await api.get(url);
		expect([isStale(response), await response.text()]).toEqual([true, 'v2']);
		api.close();
	});
});

describe('after a reload, a newer answer that allows no copy drops the older copy stored before it, as in the tab that stored it', () => {
	it.each([
		['max-age=0, must-revalidate', { body: 'v2', headers: { 'cache-control': 'max-age=0, must-revalidate' } }],
		['max-age=0, stale-if-error=0', { body: 'v2', headers: { 'cache-control': 'max-age=0, stale-if-error=0' } }],
		['a Content-Length over maxBodyBytes', { body: big, headers: { 'content-length': '200' } }],
	] as Array<[string, Answer]>)('%s', async (_, then) => {
		// Before: [<v2>, 'steadfetch; hit; ttl=-5; detail=network v1'] (the new client knew no copy: the one its store held stayed).
		expect(await afterNewer(then, true)).toEqual([then.body!.slice(0, 8), 'NetworkError']);
	});

	it('neighbours: without a reload as before; after one, no-store and a body over maxBodyBytes as read drop it (as before)', async () => {
		expect(await afterNewer({ body: 'v2', headers: { 'cache-control': 'max-age=0, must-revalidate' } })).toEqual(['v2', 'NetworkError']);
		expect(await afterNewer({ body: 'v2', headers: { 'cache-control': 'no-store' } }, true)).toEqual(['v2', 'NetworkError']);
		expect(await afterNewer({ body: big }, true)).toEqual([big.slice(0, 8), 'NetworkError']);
	});
});

it('neighbour: a client whose every answer allows no copy lists its store at its first answer, not per answer', async () => {
	const records = new Map<string, unknown>();
	let listings = 0;
	const store = mapStore(records);
	const clock = new ManualClock(t0);
	const api = createClient({
		name: 'hunt32-listings', clock, retry: 0, breaker: false,
		store: () => ({ ...store(), keys: async () => (listings++, [...records.keys()]) }),
		fetch: (async () => new Response('v', { headers: { 'cache-control': 'max-age=0, must-revalidate' } })) as typeof fetch,
	});
	const counts: number[] = [];
	for (let index = 0; index < 5; index++) {
		clock.advance(2000);
		await api.get(url).text();
		await settle();
		counts.push(listings);
	}

	// At the first answer (its deadline's listing, and the drop's when that one is still under way), never after.
	expect(counts.slice(1)).toEqual(Array.from({ length: 4 }, () => counts[0]));
	api.close();
});

describe('a newer success with nothing to keep (a 204, a 202) drops the older copy: the caller was told the resource is now so', () => {
	it.each([
		['204 No Content', { body: null, status: 204 }, ''],
		['202 Accepted', { body: 'pending', status: 202 }, 'pending'],
	] as Array<[string, Answer, string]>)('%s', async (_, then, seen) => {
		// Before: [<seen>, 'steadfetch; hit; ttl=-5; detail=network v1'].
		expect(await afterNewer(then)).toEqual([seen, 'NetworkError']);
		expect(await afterNewer(then, true)).toEqual([seen, 'NetworkError']);
	});

	it('neighbours: a 206 (a part of it) and an error answer (a 404) leave the copy as it was', async () => {
		expect(await afterNewer({ body: 'v', status: 206 })).toEqual(['v', 'steadfetch; hit; ttl=-5; detail=network v1']);
		expect(await afterNewer({ body: 'gone', status: 404 })).toEqual(['HTTPError', 'steadfetch; hit; ttl=-5; detail=network v1']);
	});
});

describe('a newer answer that allows no stale copy drops the older one also within 1 s of it (when no copy is taken again)', () => {
	it.each([
		['max-age=0, must-revalidate'],
		['max-age=0, stale-if-error=0'],
	])('%s, 500 ms after the copy', async (cacheControl) => {
		// Before: ['v2', 'steadfetch; hit; ttl=0; detail=network v1'] (not copied, 'recent', and the older copy stayed).
		expect(await afterNewer({ body: 'v2', headers: { 'cache-control': cacheControl } }, false, 500)).toEqual(['v2', 'NetworkError']);
	});

	it('neighbour: an answer that may be served is still not copied within 1 s: the copy of 500 ms before answers', async () => {
		expect(await afterNewer({ body: 'v2', headers: { 'cache-control': 'max-age=60, must-revalidate, stale-if-error=600' } }, false, 500)).toEqual(['v2', 'steadfetch; hit; ttl=0; detail=network v1']);
	});
});
