/** A scope that takes one request at a time below `dedupe()`, for the dedupe hunt files: who joins whose request, and what each is told. */
import { expect, vi } from 'vitest';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { createClient, type CoreClientOptions as ClientOptions } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { classify } from '../../src/entries/index.js';
import { holdGate } from '../helpers/hold-gate.js';

/** What a call ends in: its status, or its error's code. */
export const code = async (promise: Promise<unknown>): Promise<unknown> => promise.then((response) => (response as Response).status, (error: unknown) => classify(error).code);

/**
 * A client whose scope takes one request at a time (`bulkhead`, below dedupe): `/block` holds the slot while `gate` is shut;
 * `/a` answers `firstStatus` to its first request (held while `first` is shut; 0: a network failure), then 200 (each with the
 * number of requests it had, and `headers`). `sent`: each request's path; `ids`: the request id each carried.
 */
export const oneSlotScope = (options: ClientOptions = {}, firstStatus = 503, headers: Record<string, string> = {}) => {
	const gate = holdGate();
	const first = holdGate();
	const sent: string[] = [];
	const ids: Array<string | null> = [];
	let hits = 0;
	const api = createClient({
		retry: { limit: 1, jitter: false, delay: () => 1 },
		dedupe: dedupe(),
		bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 10 }),
		...options,
		fetch: (async (request: Request) => {
			const path = new URL(request.url).pathname;
			sent.push(path);
			ids.push(request.headers.get('x-request-id'));
			if (path === '/block') {
				await gate.held();
				return new Response('block');
			}

			const hit = ++hits;
			if (hit === 1) {
				await first.held();
			}

			if (hit === 1 && firstStatus === 0) {
				throw new TypeError('fetch failed');
			}

			return new Response(String(hit), { status: hit === 1 ? firstStatus : 200, headers });
		}) as typeof fetch,
	});
	const queued = () => (api.stats()['https://api.test'] as { bulkhead?: { queued: number } } | undefined)?.bulkhead?.queued;
	const shared = () => (api.stats()['https://api.test'] as { dedupe?: { shared: number } } | undefined)?.dedupe?.shared;
	/**
	 * The calls `make` makes get `/a`'s 503 (the first of them sends it, the others join it), then their retries wait for
	 * the slot `/block` holds: one shared request, queued. Returns the calls' codes and `/block`'s call.
	 */
	const retrying = async (make: Array<() => Promise<unknown>>) => {
		first.hold();
		gate.hold();
		const calls = [code(make[0]!())];
		await vi.waitFor(() => expect(sent).toEqual(['/a']), { timeout: 5000 });
		for (const [index, more] of make.slice(1).entries()) {
			calls.push(code(more()));
			await vi.waitFor(() => expect(shared()).toBe(index + 1), { timeout: 5000 });
		}

		const blocker = api.get('https://api.test/block');
		await vi.waitFor(() => expect(queued()).toBe(1), { timeout: 5000 });
		first.release();
		await vi.waitFor(() => expect([sent, queued(), api.stats()['https://api.test']?.retries]).toEqual([['/a', '/block'], 1, make.length]), { timeout: 5000 });
		return { calls, blocker };
	};

	/** A call of `/a` (with `init`) that joins the shared request: `[its code]`, once `shared()` counted it. */
	const join = async (init?: Parameters<typeof api.get>[1]) => {
		const joiner = code(api.get('https://api.test/a', init));
		await vi.waitFor(() => expect(shared()).toBe(1), { timeout: 5000 });
		return [joiner] as const;
	};

	/** `change()` (by default a clear()), then the slot opened: waits for `/block`'s call (`blocker`). */
	const settle = async (blocker: Promise<unknown>, change: () => unknown = async () => api.clear()) => {
		await change();
		gate.release();
		await blocker;
	};

	return { api, gate, first, sent, ids, shared, queued, retrying, join, settle };
};
