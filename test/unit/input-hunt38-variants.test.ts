/**
 * Defect hunt, thirty-eighth round (bad input before any I/O, in every build). API.md "Errors": `InvalidRequestError` is
 * bad input found before any I/O, a rejected promise; "Builds per runtime": the same behaviour in every build.
 *
 * - A URL no `fetch` sends (a scheme it never fetches: `ftp:`, `ws:`, `mailto:`; a port the Fetch standard blocks: `:6000`,
 *   `:1`) was, in the browser and edge builds, the platform's plain TypeError, which `classify()` calls `NETWORK`: retried,
 *   counted by the breaker and reachability, a write queued in the outbox for ever (Node's build mapped undici's refusal
 *   after the fact). Now refused before any I/O in every build (`refusedUrl`, src/core/refused-url.ts). This file loads
 *   src/ as each build has it (edge-body-kit's `loadBuild`), against Node's `fetch`, whose refusal the browser's and the
 *   edge's stand-ins read as the network failure a browser's `Failed to fetch` is.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadBuild, type Build } from './edge-body-kit.js';

const builds: Build[] = ['node', 'browser', 'edge'];
let made = 0;

afterEach(() => {
	vi.restoreAllMocks();
});

/** Per build: two calls of `url` (a retry allowed, a breaker that opens at 2 failures), what each ended with, how many times the platform's `fetch` was called, the scope's reachability and breaker. */
const twoCalls = async (url: string): Promise<Record<string, string>> => {
	const results: Record<string, string> = {};
	for (const build of builds) {
		const { classify, createClient, memoryStore } = await loadBuild(build);
		const fetched = vi.spyOn(globalThis, 'fetch');
		const api = createClient({ store: memoryStore, name: `h38-input-${++made}`, retry: { limit: 2, delay: () => 0 }, retryBudget: false, breaker: { consecutiveFailures: 2 } } as never);
		const outcome = (call: Promise<Response>) => call.then((response) => String(response.status), (error: unknown) => `${(error as Error).constructor.name} ${classify(error).code}`);
		const outcomes = [await outcome(api.get(url)), await outcome(api.get(url))];
		results[build] = `${outcomes.join(', ')}; fetch ${fetched.mock.calls.length}; ${api.reachability(url)} ${api.breaker(url).state}`;
		fetched.mockRestore();
		api.close();
	}

	return results;
};

describe('a URL no fetch sends: InvalidRequestError before any I/O, in every build', () => {
	// Before, in the browser and edge builds: 'CircuitOpenError CIRCUIT_OPEN, CircuitOpenError CIRCUIT_OPEN; fetch 2; unreachable open'
	// (the first call's attempt a NetworkError, its retry refused by the breaker it opened); Node's build: 'InvalidRequestError
	// INVALID_REQUEST' twice, but after 2 calls of its `fetch`.
	it.each(['ftp://files.test/a', 'ws://api.test/socket', 'wss://api.test/socket', 'mailto:someone@api.test', 'http://127.0.0.1:6000/x', 'https://api.test:1/x', 'http://[::1]:10080/x'])('%s: refused, never retried nor counted, its scope untouched', async (url) => {
		const refused = 'InvalidRequestError INVALID_REQUEST, InvalidRequestError INVALID_REQUEST; fetch 0; unknown closed';
		expect(await twoCalls(url)).toEqual({ node: refused, browser: refused, edge: refused });
	});

	it('a write to a blocked port is refused in the browser build, not queued in the outbox for ever', async () => {
		// Before: 'OutboxQueuedError QUEUED 1' (one entry pending, each replay failing as a network failure).
		const { classify, createClient, memoryStore, outbox } = await loadBuild('browser');
		const api = createClient({ store: memoryStore, name: `h38-input-${++made}`, retry: 0, outbox: outbox() });
		const outcome = await api.post('http://127.0.0.1:6000/notes', { json: { a: 1 } }).then(() => 'sent', (error: unknown) => `${(error as Error).constructor.name} ${classify(error).code}`);
		expect(`${outcome} ${(await api.outbox.list()).length}`).toBe('InvalidRequestError INVALID_REQUEST 0');
		api.close();
	});

	it('a scheme left to the runtime (data:) and a port the standard does not block are sent as they are (a guard)', async () => {
		for (const build of builds) {
			const { createClient, memoryStore } = await loadBuild(build);
			const api = createClient({ store: memoryStore, name: `h38-input-${++made}`, retry: 0 });
			expect(await (await api.get('data:text/plain,hi')).text()).toBe('hi');
			const fetched = vi.spyOn(globalThis, 'fetch');
			await api.get('http://127.0.0.1:6001/x').catch(() => {});
			expect(fetched).toHaveBeenCalledTimes(1);
			fetched.mockRestore();
			api.close();
		}
	});
});
