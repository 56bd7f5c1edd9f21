/**
 * Defect hunt, thirty-eighth round (bad input before any I/O, in every build). API.md "Errors": `InvalidRequestError` is
 * bad input found before any I/O, a rejected promise; "Builds per runtime": the same behaviour in every build.
 *
 * - A URL no `fetch` sends (a scheme it never fetches: `ftp:`, `ws:`, `mailto:`; a port the Fetch standard blocks: `:6000`,
 *   `:1`) was, in the browser and edge builds, the platform's plain TypeError, which `classify()` calls `NETWORK`: retried,
 *   counted by the breaker and reachability, a write queued in the outbox for ever (Node's build mapped undici's refusal
 *   after the fact). Now bad input in every build (`refusedUrl`, src/core/refused-url.ts: the runtime's refusal read as such). This file loads
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

describe('a URL no fetch sends: InvalidRequestError, no I/O, in every build', () => {
	// Before, in the browser and edge builds: 'CircuitOpenError CIRCUIT_OPEN, CircuitOpenError CIRCUIT_OPEN; fetch 2; unreachable open'
	// (the first call's attempt a NetworkError, its retry refused by the breaker it opened); Node's build: 'InvalidRequestError
	// INVALID_REQUEST' twice, but after 2 calls of its `fetch`.
	it.each(['ftp://files.test/a', 'ws://api.test/socket', 'wss://api.test/socket', 'mailto:someone@api.test', 'http://127.0.0.1:6000/x', 'https://api.test:1/x', 'http://[::1]:10080/x'])('%s: refused, never retried nor counted, its scope untouched', async (url) => {
		// The runtime's `fetch` is asked once a call (it refuses before any I/O); the attempt's failure is then bad input, never retried.
		const refused = 'InvalidRequestError INVALID_REQUEST, InvalidRequestError INVALID_REQUEST; fetch 2; unknown closed';
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

describe('a RequestInit value fetch takes silently, as something else: refused before any I/O', () => {
	// fetch reads each as its IDL type: `integrity: 5` as the metadata '5' (no valid hash: the bytes are never checked),
	// `keepalive: 'false'` as true, and `duplex` is ignored by a request without a stream body.
	const given: Array<[string, unknown]> = [['integrity', 5], ['integrity', { sha256: 'x' }], ['keepalive', 'false'], ['keepalive', 1], ['duplex', 'bogus']];

	it.each(given)('per call, %s: %j is an InvalidRequestError naming it, its fetch never called', async (name, value) => {
		const { classify, createClient } = await loadBuild('node');
		const fetched = vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response('ok'));
		const api = createClient({ retry: 0, name: `h38-input-${++made}` });
		// Before: '200 1' (sent as fetch read it).
		const outcome = await api.get('http://api.test/x', { [name]: value } as never).then((response) => String(response.status), (error: unknown) => `${classify(error).code} ${(error as Error).message}`);
		expect(`${outcome} ${fetched.mock.calls.length}`).toMatch(new RegExp(`^INVALID_REQUEST \`${name}\` must be .* 0$`));
		api.close();
	});

	it.each([...given, ['referrer', 5]])('createClient and extend(), %s: %j throws naming it', async (name, value) => {
		const { createClient } = await loadBuild('node');
		// Before: accepted (every call then sent as fetch read it, or, for `referrer`, refused one by one).
		expect(() => createClient({ [name]: value } as never)).toThrow(`\`${name}\``);
		const api = createClient({ name: `h38-input-${++made}` });
		expect(() => api.extend({ [name]: value } as never)).toThrow(`\`${name}\``);
		api.close();
	});

	it('their values fetch takes as they are still go out (a guard)', async () => {
		const { createClient } = await loadBuild('node');
		const api = createClient({ retry: 0, name: `h38-input-${++made}`, keepalive: false, referrer: '', integrity: '' });
		const fetched = vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response('ok'));
		const response = await api.post('http://api.test/x', { body: 'x', duplex: 'half', keepalive: true, integrity: '' } as never);
		expect(`${response.status} ${fetched.mock.calls.length}`).toBe('200 1');
		api.close();
	});
});
