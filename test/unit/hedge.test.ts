/** Hedging (issue 14): a slow tail cut by a second attempt, paid from the retry budget, never a breaker failure. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { classify, createClient } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { hedge } from '../../src/entries/hedge.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { trace } from '../../src/entries/trace.js';
import { refusedUrl, serve, type RunningServer } from '../helpers/node-server.js';
import { scripted } from './counting-origin-kit.js';

/** An origin whose every 10th request is 30× slower than the others (its p99 ≈ 30× the median). */
let server: RunningServer;
let posts = 0;
/** The paths the origin has answered: a path's first request (the call's first attempt) may be slow, a hedge of it never. */
const answered = new Set<string>();
beforeAll(async () => {
	server = await serve(async (request) => {
		if (request.method === 'POST') {
			posts++;
		}

		// Every 10th call's first attempt is slow (its path ends in a multiple of 10): what hedging is for. Chosen by
		// path, not by arrival order, so the tail is the same calls in every run however the machine schedules them.
		const { pathname } = new URL(request.url);
		const slow = !answered.has(pathname) && Number(pathname.split('/').at(-1)) % 10 === 0;
		answered.add(pathname);
		await new Promise((resolve) => setTimeout(resolve, slow ? 600 : 20));
		return new Response(JSON.stringify({ slow }), { headers: { 'content-type': 'application/json' } });
	});
});
afterAll(async () => server.close());

/**
 * A second origin that answers after `?ms=` (unless the client leaves first) and records what it
 * saw: requests open at once (now and at most), and each request's method, Idempotency-Key and body.
 */
let slow: RunningServer;
const seen = { open: 0, max: 0, requests: [] as Array<{ method: string; key: string | null; body: string }> };
beforeAll(async () => {
	slow = await serve(async (request) => {
		seen.open++;
		seen.max = Math.max(seen.max, seen.open);
		try {
			seen.requests.push({ method: request.method, key: request.headers.get('idempotency-key'), body: request.method === 'POST' ? await request.text() : '' });
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, Number(new URL(request.url).searchParams.get('ms') ?? 0));
				request.signal.addEventListener('abort', () => {
					clearTimeout(timer);
					resolve();
				});
			});
			return Response.json({ ok: true });
		} finally {
			seen.open--;
		}
	});
});
afterAll(async () => slow.close());
const fresh = (): void => {
	seen.max = 0;
	seen.requests = [];
};

const percentile = (values: number[], p: number): number => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
};

/** 300 GETs, 6 at a time: the client's latency per call, and how many were answered by a slow response. */
let rounds = 0;
const run = async (api: ReturnType<typeof createClient>): Promise<number[] & { slow: number }> => {
	const times = Object.assign([] as number[], { slow: 0 });
	const round = ++rounds;
	let next = 0;
	await Promise.all(Array.from({ length: 6 }, async () => {
		while (next < 300) {
			const index = next++;
			const started = performance.now();
			const { slow } = await api.get(`${server.url}/item/${round}/${index}`).json<{ slow: boolean }>();
			times.push(performance.now() - started);
			times.slow += slow ? 1 : 0;
		}
	}));
	return times;
};

describe('hedge', () => {
	it('answers the slow tail with hedges on an origin whose p99 is 30× its median, within the retry budget', async () => {
		const plain = await run(createClient({ retry: 0, retryBudget: false }));
		// delayMs well above a busy machine's median (20 ms answers took 70 ms there: at delayMs 60 most calls were hedged, the
		// budget was spent before the slow tail, 9 of 30 answered slow) and well below the slow answer.
		const api = createClient({ retry: 0, hedge: hedge({ delayMs: 150, maxHedges: 2 }), retryBudget: { ratio: 0.2, minRetries: 10 } });
		const hedges: unknown[] = [];
		api.on('hedge', (event) => hedges.push(event));
		const hedged = await run(api);
		const [p50, p99] = [percentile(plain, 0.5), percentile(plain, 0.99)];
		const [hedgedP50, hedgedP99] = [percentile(hedged, 0.5), percentile(hedged, 0.99)];
		// The figures are printed, not asserted (timed assertions flake on a loaded machine; npm run
		// bench is where speed is claimed); what is asserted is why the tail shrinks: without hedging
		// every 10th call waits for a slow answer, with it a fast hedge answers nearly all of them.
		console.log(`hedge: without p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (${plain.slow} slow answers); with delayMs 150, maxHedges 2: p50 ${hedgedP50.toFixed(0)} ms, p99 ${hedgedP99.toFixed(0)} ms (${hedged.slow} slow answers); ${hedges.length} hedges for 300 calls`);
		expect(plain.slow).toBeGreaterThanOrEqual(27);
		// At least 80 % of the slow tail answered by a hedge (a loaded machine can delay a fast hedge past a slow answer).
		expect(hedged.slow).toBeLessThanOrEqual(Math.floor(plain.slow / 5));
		// Paid from the budget: at most max(minRetries, ratio × first attempts) in the window.
		expect(hedges.length).toBeGreaterThan(0);
		expect(hedges.length).toBeLessThanOrEqual(Math.max(10, 0.2 * 300));
		expect(api.stats()[server.url]).toMatchObject({ hedge: { hedges: hedges.length } });
	}, 60_000);

	it('a hedge of an attempt failover sent to a mirror is the mirror\'s: paid from its budget and announced in its scope (the primary\'s spent budget does not stop it)', async () => {
		const dead = await refusedUrl();
		const mirror = new URL(server.url).origin;
		// One retry per window per scope: the primary's is spent by the call's own retry, the mirror's is left.
		const api = createClient({ retry: { limit: 1, delay: () => 0 }, retryBudget: { ratio: 0, minRetries: 1 }, hedge: hedge({ delayMs: 40 }), trace: trace(), failover: failover({ mirrors: { [dead]: [server.url] } }) });
		const hedges: Array<{ scope: string; url: string }> = [];
		const starts: Array<{ scope: string; url: string; hedge: boolean }> = [];
		api.on('hedge', ({ scope, url }) => hedges.push({ scope, url }));
		api.on('attempt:start', ({ scope, url, hedge: isHedge }) => starts.push({ scope, url, hedge: isHedge }));
		// The mirror's first answer to this path takes 600 ms (a path ending in a multiple of 10), a hedge of it 20.
		const { slow: answeredSlow } = await api.get(`${dead}/item/mirror/10`).json<{ slow: boolean }>();
		expect({ answeredSlow, hedges, mirrorStarts: starts.filter(({ url }) => url.startsWith(mirror)).map(({ scope, hedge: isHedge }) => [scope, isHedge]) }).toEqual({
			answeredSlow: false,
			hedges: [{ scope: mirror, url: `${mirror}/item/mirror/10` }],
			mirrorStarts: [[mirror, false], [mirror, true]],
		});
		api.close();
	});

	it('no budget, no hedge', async () => {
		const api = createClient({ retry: 0, hedge: hedge({ delayMs: 10 }), retryBudget: { ratio: 0, minRetries: 0 } });
		const hedges: unknown[] = [];
		api.on('hedge', (event) => hedges.push(event));
		await Promise.all(Array.from({ length: 20 }, async (_, index) => api.get(`${server.url}/nobudget/${index}`).json()));
		expect(hedges).toEqual([]);
	});

	it('a hedge that lost is not a breaker failure; a POST without a key is never hedged', async () => {
		const api = createClient({ retry: 0, retryBudget: false, hedge: hedge({ delayMs: 30 }), breaker: breaker({ consecutiveFailures: 1, share: false }) });
		await Promise.all(Array.from({ length: 40 }, async (_, index) => api.get(`${server.url}/lost/${index}`).json()));
		expect(api.breaker(server.url).state).toBe('closed');
		const before = posts;
		await api.post(`${server.url}/write`, { json: { a: 1 } }).json();
		expect(posts - before).toBe(1);
	});

	it('with bulkhead({ maxConcurrent: 2 }) the server never has more than 2 requests open: a hedge takes a free slot or is not sent (no event, no budget token)', async () => {
		fresh();
		// One budget token: spent by a hedge that goes, never by one the bulkhead had no slot for.
		const api = createClient({ retry: 0, timeout: false, bulkhead: bulkhead({ maxConcurrent: 2 }), hedge: hedge({ delayMs: 50 }), retryBudget: { ratio: 0, minRetries: 1 } });
		const hedges: unknown[] = [];
		api.on('hedge', (event) => hedges.push(event));
		await Promise.all(Array.from({ length: 6 }, async (_, index) => api.get(`${slow.url}/busy/${index}?ms=300`).json()));
		expect(seen.max).toBe(2);
		expect(seen.requests).toHaveLength(6);
		expect(hedges).toEqual([]);
		// Alone, a call's hedge finds the second slot free: it goes, paid with the budget's token.
		await api.get(`${slow.url}/alone?ms=300`).json();
		expect(hedges).toEqual([expect.objectContaining({ type: 'hedge', hedge: 1 })]);
		expect(seen.requests).toHaveLength(8);
		expect(seen.max).toBe(2);
		expect(api.stats()[slow.url]).toMatchObject({ bulkhead: { running: 0, queued: 0, rejected: 0 }, hedge: { hedges: 1 } });
	});

	it('with rateLimit a hedge takes a token or is not sent', async () => {
		for (const [burst, requests, events] of [[1, 1, 0], [2, 2, 1]] as const) {
			fresh();
			const api = createClient({ retry: 0, retryBudget: false, rateLimit: rateLimit({ perSecond: 1, burst }), hedge: hedge({ delayMs: 50 }) });
			const hedges: unknown[] = [];
			api.on('hedge', (event) => hedges.push(event));
			await api.get(`${slow.url}/paced?ms=300`).json();
			expect(seen.requests, `burst ${burst}`).toHaveLength(requests);
			expect(hedges, `burst ${burst}`).toHaveLength(events);
			expect(api.stats()[slow.url]).toMatchObject({ rateLimit: { waits: 0 } });
		}
	});

	it('a keyed POST with a JSON body is hedged with the same bytes and the same key; nothing is thrown from the hedge timer', async () => {
		fresh();
		const thrown: unknown[] = [];
		const onError = (error: unknown): void => {
			thrown.push(error);
		};

		// An error thrown from the hedge timer is uncaught: seen here (with a listener installed,
		// vitest itself would not report it).
		process.on('uncaughtException', onError);
		process.on('unhandledRejection', onError);
		try {
			const api = createClient({ retry: 0, retryBudget: false, hedge: hedge({ delayMs: 50 }) });
			const hedges: unknown[] = [];
			api.on('hedge', (event) => hedges.push(event));
			const order = { order: 42, lines: [{ sku: 'A-1', qty: 2 }], note: 'é ✓' };
			expect(await api.post(`${slow.url}/orders?ms=300`, { json: order, idempotencyKey: 'order-42' }).json()).toEqual({ ok: true });
			await new Promise((resolve) => setTimeout(resolve, 20)); // Anything left to throw has had its turn.
			expect(thrown).toEqual([]);
			expect(seen.requests).toEqual([
				{ method: 'POST', key: 'order-42', body: JSON.stringify(order) },
				{ method: 'POST', key: 'order-42', body: JSON.stringify(order) },
			]);
			expect(hedges).toHaveLength(1);
		} finally {
			process.off('uncaughtException', onError);
			process.off('unhandledRejection', onError);
		}
	});

	it('when every attempt fails, a server\'s answer (503) is what the call gets, not a later attempt\'s network error', async () => {
		let sent = 0;
		const fetch = (async () => {
			const attempt = ++sent;
			await new Promise((resolve) => setTimeout(resolve, attempt === 1 ? 60 : 100));
			if (attempt === 1) {
				return new Response('down', { status: 503 });
			}

			throw new TypeError('fetch failed');
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, retryBudget: false, hedge: hedge({ delayMs: 20 }) });
		const error = await api.get('https://api.test/down').catch((error_: unknown) => error_);
		expect(sent).toBe(2);
		expect(classify(error)).toMatchObject({ code: 'HTTP_5XX', status: 503 });
	});

	it('with trace, a hedge is an attempt of its own: attempt:start with hedge: true, the call\'s request id, its own traceparent', async () => {
		const api = createClient({ baseUrl: slow.url, retry: 0, hedge: hedge({ delayMs: 30 }), trace: trace() });
		const starts: Array<{ hedge: boolean; requestId: string }> = [];
		api.on('attempt:start', ({ hedge: isHedge, requestId }) => starts.push({ hedge: isHedge, requestId }));
		const before = seen.requests.length;
		await api.get('?ms=150').text();
		expect(starts.map((start) => start.hedge)).toEqual([false, true]);
		expect(new Set(starts.map((start) => start.requestId)).size).toBe(1);
		expect(seen.requests.length - before).toBe(2);
		api.close();
	});

	it('a hedge answered with a transient failure (408, 501: classify() says so) does not win over an attempt still running: the call gets its 200', async () => {
		for (const status of [408, 501, 503, 429]) {
			const { attempts, fetch } = scripted();
			const api = createClient({ fetch, retry: 0, retryBudget: false, timeout: false, hedge: hedge({ delayMs: 10 }) });
			const call = api.get('https://api.test/slow').text().catch((error: unknown) => error);
			await expect.poll(() => attempts).toHaveLength(2);
			attempts[1]!.answer(status);
			// The hedge's answer reaches the race first (every promise job it takes runs before a timer's turn).
			await new Promise((resolve) => setTimeout(resolve, 0));
			attempts[0]!.answer(200);
			expect(await call, `a hedge answering ${status}`).toBe('200');
			api.close();
		}
	});

	it('the caller\'s abort while a hedge\'s transient answer is held (the first attempt still running): the call rejects with the abort (ABORTED), not with that held 503', async () => {
		const { attempts, fetch } = scripted();
		const api = createClient({ fetch, retry: 0, retryBudget: false, timeout: false, hedge: hedge({ delayMs: 10 }) });
		const controller = new AbortController();
		const call = api.get('https://api.test/held', { signal: controller.signal }).text().catch((error: unknown) => error);
		await expect.poll(() => attempts).toHaveLength(2);
		attempts[1]!.answer(503);
		// The hedge's 503 reaches the race (held: the first attempt may still answer) before the caller gives up.
		await new Promise((resolve) => setTimeout(resolve, 0));
		controller.abort();
		const error = await call;
		expect([(error as Error).name, classify(error).code]).toEqual(['AbortError', 'ABORTED']);
		api.close();
	});

	it('close(): no hedge goes out after the client closed (its timer is stopped); the attempt already sent goes on', async () => {
		const { attempts, fetch } = scripted();
		const api = createClient({ fetch, retry: 0, retryBudget: false, timeout: false, hedge: hedge({ delayMs: 60 }) });
		const call = api.get('https://api.test/closing').text().catch((error: unknown) => error);
		await expect.poll(() => attempts).toHaveLength(1);
		api.close();
		// Past the hedge's delay: nothing more was sent.
		await new Promise((resolve) => setTimeout(resolve, 150));
		expect(attempts).toHaveLength(1);
		attempts[0]!.answer(200);
		expect(await call).toBe('200');
	});

	it('with trace, a hedge that is not sent (no budget, no bulkhead slot, no rate-limit token) has no attempt events and no span; a hedge that lost ends ABORTED, never UNKNOWN', async () => {
		const setups = {
			'no budget': { retryBudget: { ratio: 0, minRetries: 0 } },
			'no bulkhead slot': { retryBudget: false, bulkhead: bulkhead({ maxConcurrent: 1 }) },
			'no rate-limit token': { retryBudget: false, rateLimit: rateLimit({ perSecond: 1, burst: 1 }) },
		} as const;
		for (const [name, extra] of Object.entries(setups)) {
			const api = createClient({ baseUrl: slow.url, retry: 0, timeout: false, hedge: hedge({ delayMs: 20 }), trace: trace(), ...extra });
			const events: string[] = [];
			api.on('attempt:start', ({ hedge: isHedge }) => events.push(`start ${isHedge}`));
			api.on('attempt:end', ({ hedge: isHedge, status, code }) => events.push(`end ${isHedge} ${status ?? code}`));
			const before = seen.requests.length;
			await api.get('?ms=150').text();
			expect(seen.requests.length - before, name).toBe(1);
			expect(events, name).toEqual(['start false', 'end false 200']);
			api.close();
		}

		// Both sent: the hedge answers first, the first attempt lost.
		const { attempts, fetch } = scripted();
		const api = createClient({ fetch, retry: 0, retryBudget: false, timeout: false, hedge: hedge({ delayMs: 10 }), trace: trace() });
		const ends: Array<[boolean, number | undefined, string | undefined]> = [];
		api.on('attempt:end', ({ hedge: isHedge, status, code }) => ends.push([isHedge, status, code]));
		const call = api.get('https://api.test/lost').text();
		await expect.poll(() => attempts).toHaveLength(2);
		attempts[1]!.answer(200);
		expect(await call).toBe('200');
		await expect.poll(() => ends).toHaveLength(2);
		expect(ends).toEqual(expect.arrayContaining([[true, 200, undefined], [false, undefined, 'ABORTED']]));
		api.close();
	});

	it('each attempt keeps every property of the call\'s Request: referrerPolicy and referrer too', async () => {
		const { attempts, fetch } = scripted();
		const api = createClient({ fetch, retry: 0, retryBudget: false, timeout: false, hedge: hedge({ delayMs: 10 }) });
		const options = { referrerPolicy: 'no-referrer', referrer: 'https://api.test/from', integrity: 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', cache: 'no-cache', redirect: 'manual', credentials: 'omit', keepalive: true } as const;
		const call = api.get('https://api.test/p', options).text();
		await expect.poll(() => attempts).toHaveLength(2);
		for (const { request } of attempts) {
			expect(Object.fromEntries(Object.keys(options).map((name) => [name, request[name as keyof typeof options]]))).toEqual(options);
		}

		attempts[1]!.answer(200);
		expect(await call).toBe('200');
	});

	it.each(['an identity change', 'clear()'] as const)('after %s since the call started, its hedge is not sent (API.md "Work that outlives its caller")', async (how) => {
		const { attempts, fetch } = scripted();
		let who = 'alice';
		const api = createClient({ fetch, retry: 0, retryBudget: false, timeout: false, identity: () => who, hedge: hedge({ delayMs: 10 }) });
		const alices = api.get('https://api.test/alices').text();
		await expect.poll(() => attempts.length).toBe(1);
		if (how === 'clear()') {
			await api.clear();
		} else {
			who = 'bob';
		}

		// A call started afterwards is hedged: its hedge timer, armed later with the same delay, fires after alice's.
		const later = api.get('https://api.test/later').text();
		await expect.poll(() => attempts.map(({ request }) => new URL(request.url).pathname)).toEqual(['/alices', '/later', '/later']);
		for (const { answer } of attempts) {
			answer(200);
		}

		expect(await Promise.all([alices, later])).toEqual(['200', '200']);
	});

	it('per call, hedge: false is never hedged', async () => {
		const { attempts, fetch } = scripted();
		const api = createClient({ fetch, retry: 0, retryBudget: false, timeout: false, hedge: hedge({ delayMs: 10 }) });
		const alone = api.get('https://api.test/alone', { hedge: false }).text();
		const hedged = api.get('https://api.test/hedged').text();
		// Both were slow for as long: the second call's hedge went out, the first call got none.
		await expect.poll(() => attempts.map(({ request }) => new URL(request.url).pathname)).toEqual(['/alone', '/hedged', '/hedged']);
		for (const { answer } of attempts) {
			answer(200);
		}

		expect(await Promise.all([alone, hedged])).toEqual(['200', '200']);
	});

	it('bad options are RangeErrors naming option and value', () => {
		expect(() => hedge({ delayMs: 0 })).toThrow(/hedge\.delayMs.*0/);
		expect(() => hedge({ maxHedges: 4 })).toThrow(/hedge\.maxHedges.*4/);
		expect(() => hedge({ maxHedges: 0 })).toThrow(/hedge\.maxHedges/);
	});
});
