/**
 * Defect hunt, thirty-third round (the stale cache): variants of the thirty-second's "a newer answer the cache does not
 * keep leaves an older copy servable" (RFC 9111 §4: the most recent response decides), and of work that outlives its caller.
 * Each test names its claim.
 */
import { describe, expect, it } from 'vitest';
import { copyPlan } from '../../src/cache/copy-plan.js';
import { createClient, isStale } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mapStore } from '../helpers/test-stores.js';
import { next, settle } from './cache-kit.js';

const t0 = 1_700_000_000_000;
const url = 'https://a.test/x';

/** What the origin answers: a body, its headers and status. */
interface Answer {
	body?: string | null;
	headers?: Record<string, string>;
	status?: number;
}

/** A client (maxBodyBytes 100) over `records` whose origin answers `state.answer`, or fails as a dropped connection while `down`. */
const origin = (records: Map<string, unknown>, clock = new ManualClock(t0)) => {
	const state = { down: false, answer: {} as Answer };
	const api = createClient({
		name: 'hunt33', clock, store: mapStore(records), retry: 0, breaker: false, staleCache: { maxBodyBytes: 100 },
		fetch: (async () => {
			if (state.down) {
				throw new TypeError('fetch failed');
			}

			const { body = 'v1', headers = {}, status = 200 } = state.answer;
			return new Response(body, { status, headers });
		}) as typeof fetch,
	});
	return { api, clock, state };
};

/** The stale answer's `Cache-Status` and body, 'fresh', or the error's name. */
const outcome = async (api: ReturnType<typeof createClient>): Promise<string> =>
	api.get(url).then(async (response) => isStale(response) ? `${response.headers.get('cache-status')} ${await response.text()}` : 'fresh', (error: Error) => error.name);

/**
 * A copy of `url` stored (`max-age=60`), then `gapMs` on an answer `then`: what the caller read of it, and 60 s on with the
 * origin down the stale answer's `Cache-Status` and body (or the error's name).
 */
const afterNewer = async (then: Answer, gapMs: number): Promise<[string, string]> => {
	const records = new Map<string, unknown>();
	const { api, clock, state } = origin(records);
	state.answer = { body: 'v1', headers: { 'cache-control': 'max-age=60' } };
	const stored = next(api, 'cache:stored');
	await api.get(url).text();
	await stored;
	clock.advance(gapMs);
	state.answer = then;
	const seen = await api.get(url).text().then((text) => text.slice(0, 8), (error: Error) => error.name);
	await settle();
	clock.advance(60_000);
	state.down = true;
	const after = await outcome(api);
	api.close();
	return [seen, after];
};

const big = 'v2'.repeat(100);

describe('within 1 s of a copy, a newer answer whose Content-Length is over maxBodyBytes drops the older copy', () => {
	it('500 ms after the copy', async () => {
		// Before: ['v2v2v2v2', 'steadfetch; hit; ttl=0; detail=network v1'] (not copied, 'recent', and the older copy stayed).
		expect(await afterNewer({ body: big, headers: { 'content-length': '200' } }, 500)).toEqual([big.slice(0, 8), 'NetworkError']);
	});

	it('the plan: size and drop within 1 s; at maxBodyBytes, recent (the copy of 500 ms before still answers)', async () => {
		const plan = (length: string) => copyPlan({ headers: new Headers(), credentials: false }, new Response('x', { headers: { 'content-length': length } }), { at: t0 - 500 }, t0, { shared: false, maxStaleMs: 86_400_000, maxBodyBytes: 100 });
		expect([plan('101'), plan('100')]).toEqual([{ store: false, why: 'size', drop: true }, { store: false, why: 'recent', drop: false }]);
		expect(await afterNewer({ body: 'v2', headers: { 'content-length': '2' } }, 500)).toEqual(['v2', 'steadfetch; hit; ttl=0; detail=network v1']);
	});
});
