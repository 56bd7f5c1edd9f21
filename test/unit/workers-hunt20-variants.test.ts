/**
 * Request contexts in Workers (defect hunt, twentieth round): a request context's `waitUntil`, and a call's own, as
 * an app may give it — a wrapper of its own that is `async` (Hono's or a test's `ctx`), so a failure of it is a
 * rejected promise rather than a throw. Background work handed to it (a stale copy written behind the call, a
 * shared breaker's sync) is reported as `storage:error` (operation `background`) when it is refused either way, never
 * an unhandled rejection (which ends a Node process, and is an uncaught error in workerd), never the call's failure.
 * A fake `fetch` answers at once: no timing.
 */
import { describe, expect, it } from 'vitest';
import { breaker, classify, createClient, memoryStore, outbox, staleCache } from '../../src/entries/index.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { unhandledDuring } from '../helpers/unhandled.js';
import { waitFor } from '../helpers/wait-for.js';
import { memoryCoordinator } from './breaker-kit.js';

const origin = 'https://api.test';
const fetch = (async () => new Response('ok', { headers: { 'cache-control': 'max-age=60' } })) as typeof globalThis.fetch;

/** A client with a stale cache (each read's copy written behind the call) and what it reports as `storage:error`. */
const make = (name: string, more: Record<string, unknown> = {}) => {
	const api = createClient({ name, clock: new ManualClock(), random: () => 0.5, fetch, retry: 0, store: () => memoryStore(name), staleCache: staleCache(), breaker: false, ...more });
	const errors: string[] = [];
	api.on('storage:error', ({ part, operation, error }) => errors.push(`${part} ${operation} ${(error as Error).message}`));
	return { api, errors };
};

/**
 * A `waitUntil` whose promise rejects with `message` once the work handed to it is over (nothing here handles that
 * rejection); `handed` is the work it got, `over()` waits for it and then for the rejections (a turn later).
 */
const rejecting = (message: string) => {
	const handed: Array<Promise<unknown>> = [];
	const waitUntil = async (promise: Promise<unknown>): Promise<void> => {
		handed.push(promise);
		await promise;
		throw new Error(message);
	};
	const over = async (): Promise<void> => {
		await Promise.all(handed);
		await new Promise((resolve) => setTimeout(resolve, 0));
	};
	return { handed, waitUntil, over };
};

describe('a waitUntil whose promise rejects (an app\'s async one)', () => {
	it('withContext(ctx): the copy written behind the call is reported as storage:error (background), no unhandled rejection; the call answers', async () => {
		const { api, errors } = make('hunt20-workers-a');
		const { handed, waitUntil, over } = rejecting('the request is over');
		const unhandled = await unhandledDuring(async () => {
			const answer = await api.withContext({ waitUntil }).get(`${origin}/a`);
			expect([answer.status, await answer.text()]).toEqual([200, 'ok']);
			await waitFor(() => handed.length > 0, 'the work to be handed over');
			await over();
		});
		// Before: ['the request is over', …] unhandled, and nothing reported.
		expect(unhandled).toEqual([]);
		expect(new Set(errors)).toEqual(new Set(['cache background the request is over']));
		// The work itself was done: the copy is stored.
		expect((await api.cache.list()).map(({ url }) => url)).toEqual([`${origin}/a`]);
		api.close();
	});

	it('a call\'s own waitUntil: the same', async () => {
		const { api, errors } = make('hunt20-workers-b');
		const { handed, waitUntil, over } = rejecting('not kept');
		const unhandled = await unhandledDuring(async () => {
			await (await api.get(`${origin}/b`, { waitUntil: waitUntil as (promise: Promise<unknown>) => void })).text();
			await waitFor(() => handed.length > 0, 'the work to be handed over');
			await over();
		});
		expect(unhandled).toEqual([]);
		expect(new Set(errors)).toEqual(new Set(['cache background not kept']));
		api.close();
	});

	it('a shared breaker\'s sync held by it: no unhandled rejection, the call answers', async () => {
		const clock = new ManualClock();
		const coordinator = memoryCoordinator(clock);
		const { api } = make('hunt20-workers-c', { clock, staleCache: false, breaker: breaker({ shared: coordinator }) });
		const { handed, waitUntil, over } = rejecting('sync not kept');
		const unhandled = await unhandledDuring(async () => {
			expect((await api.withContext({ waitUntil }).get(`${origin}/c`)).status).toBe(200);
			await waitFor(() => coordinator.syncs > 0 && handed.length > 0, 'the sync to be handed over');
			await over();
		});
		expect(unhandled).toEqual([]);
		api.close();
	});
});

describe('its neighbours (as before)', () => {
	it('a waitUntil that throws at once: storage:error (background), the call answers; one that resolves: nothing reported, the copy stored', async () => {
		const { api, errors } = make('hunt20-workers-d');
		const unhandled = await unhandledDuring(async () => {
			await (await api.withContext({ waitUntil: () => {
				throw new Error('gone');
			} }).get(`${origin}/d`)).text();
			const kept: Array<Promise<unknown>> = [];
			await (await api.withContext({ waitUntil: async (promise) => void kept.push(promise) }).get(`${origin}/e`)).text();
			await waitFor(() => errors.length > 0 && kept.length > 0, 'the work to be handed over');
			await Promise.all(kept);
		});
		expect([unhandled, [...new Set(errors)]]).toEqual([[], ['cache background gone']]);
		expect((await api.cache.list()).map(({ url }) => url).sort()).toEqual([`${origin}/d`, `${origin}/e`]);
		api.close();
	});

	it('a waitUntil that is no function: a TypeError from withContext, InvalidRequestError for a call\'s (no I/O)', async () => {
		const { api } = make('hunt20-workers-e');
		for (const ctx of [{}, { waitUntil: 'later' }, null]) {
			expect(() => api.withContext(ctx as never)).toThrow(TypeError);
		}

		for (const waitUntil of ['later', null, 5]) {
			await expect(api.get(`${origin}/f`, { waitUntil: waitUntil as never })).rejects.toMatchObject({ name: 'InvalidRequestError', code: 'INVALID_REQUEST' });
		}

		expect(await api.cache.list()).toEqual([]);
		api.close();
	});
});

describe('an outbox replay a request context sends is background work: its request\'s deadline is not its own', () => {
	/** A client whose network is down while `down.now` (a write is queued), a token every 500 ms; `sent` what went out. */
	const replaying = (name: string) => {
		const sent: string[] = [];
		const down = { now: true };
		const api = createClient({
			name, store: () => memoryStore(name), random: () => 0.5, retry: 0, staleCache: false, breaker: false,
			baseUrl: 'https://api.test/', deadlineHeader: 'request-timeout-ms', outbox: outbox(), rateLimit: rateLimit({ perSecond: 2, burst: 1 }),
			fetch: (async (request: Request) => {
				sent.push(`${request.method} ${new URL(request.url).pathname}`);
				if (down.now) {
					throw new TypeError('Failed to fetch');
				}

				return new Response('ok');
			}) as typeof globalThis.fetch,
		});
		return { api, sent, down };
	};
	const at = (ms: string) => new Request('https://worker.test/', { headers: { 'request-timeout-ms': ms } });

	it('a flush() of a request at its deadline: the replay waits for its rate-limit token (up to 500 ms) and is sent, not refused at once', async () => {
		const { api, sent, down } = replaying('hunt20-workers-f');
		expect(await api.put('w', { json: { v: 1 } }).then(() => 'OK', (error: unknown) => classify(error).code)).toBe('QUEUED');
		down.now = false;
		// Its token was taken by the failed first attempt: the replay waits for the next one.
		const result = await api.withContext({ waitUntil: () => undefined }, { request: at('0') }).outbox.flush();
		// Before: { sent: 0, failed: 1, remaining: 1 }, its lastError RATE_LIMITED ('retry in 4xx ms'): the request's 0 ms were the replay's.
		expect([result, sent]).toEqual([{ sent: 1, failed: 0, dead: 0, remaining: 0 }, ['PUT /w', 'PUT /w']]);
		api.close();
	});

	it('the request\'s own call is still bounded by it: not sent', async () => {
		const { api, sent, down } = replaying('hunt20-workers-g');
		down.now = false;
		const here = api.withContext({ waitUntil: () => undefined }, { request: at('0') });
		const outcome = await here.get('r').then(() => 'OK', (error: unknown) => classify(error).code);
		expect([outcome, sent]).toEqual(['TIMEOUT', []]);
		api.close();
	});
});
