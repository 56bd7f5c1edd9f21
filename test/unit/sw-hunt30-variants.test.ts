/**
 * The thirtieth round on the service worker (`fetchHandler`), how a page's client reads its answers, auth and the
 * TanStack Query helpers (defect hunt).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}

	vi.unstubAllGlobals();
});

type Isolating = { breaker: { isolate(url: string): Promise<void>; reset(url: string): Promise<void> } };
type Options = Parameters<typeof createClient>[0];

/**
 * A page whose calls go through a service worker: the worker's client (`worker` options, its origin `origin`) behind
 * `fetchHandler`, and the page's own client whose `fetch` is the worker (it counts the requests the page made).
 */
const throughWorker = (origin: (request: Request) => Promise<Response>, worker: Options = {}, page: Options = {}) => {
	const api = createClient({ name: `h30-sw-${crypto.randomUUID()}`, store: memoryStore, retry: 0, ...worker, fetch: async (input: Request) => origin(input) } as never);
	made.push(api);
	const handle = fetchHandler(api, { match: () => true });
	let asked = 0;
	const pageFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
		asked++;
		const request = new Request(input, init);
		let answer: Promise<Response> | undefined;
		handle({ request, respondWith: (response) => {
			answer = Promise.resolve(response);
		} });
		// What crosses from the worker to the page is the Response's status, headers and bytes: no property the worker set on it.
		const { body, status, statusText, headers } = await answer!;
		return new Response(body, { status, statusText, headers });
	};

	const client = createClient({ name: `h30-page-${crypto.randomUUID()}`, store: memoryStore, staleCache: false, retry: 0, ...page, fetch: pageFetch } as never);
	made.push(client);
	return { api, client, asked: () => asked };
};

const codeOf = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: { code?: string; response?: Response }) => error.response?.headers.get('steadfetch-error') ?? error.code ?? String(error));

describe('the page\'s own breaker and the worker\'s refusals', () => {
	it('an isolated scope in the worker: the page\'s breaker does not open on its 503s (the origin never failed)', async () => {
		let origin = 0;
		const { api, client, asked } = throughWorker(async () => {
			origin++;
			return Response.json({ ok: true });
		}, { breaker: breaker() } as never, { breaker: breaker({ consecutiveFailures: 2 }) } as never);
		await (api as unknown as Isolating).breaker.isolate('https://api.test');
		const refused = [];
		for (let index = 0; index < 3; index++) {
			refused.push(await codeOf(client.get('https://api.test/todos')));
		}

		await (api as unknown as Isolating).breaker.reset('https://api.test');
		const after = await codeOf(client.get('https://api.test/todos'));
		// Before: [[…, 'CIRCUIT_OPEN'], 'CIRCUIT_OPEN', 2, 0] (the page's breaker opened on two refusals, and stayed open after the reset).
		expect([refused, after, asked(), origin]).toEqual([['CIRCUIT_OPEN', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN'], 'OK', 4, 1]);
	});

	it('its neighbours: the origin\'s own 503 and the worker\'s NETWORK or TIMEOUT still open the page\'s breaker', async () => {
		for (const [origin, expected] of [
			[async () => new Response('down', { status: 503 }), '503'],
			[async () => {
				throw new TypeError('fetch failed');
			}, 'NETWORK'],
		] as const) {
			const { client, asked } = throughWorker(origin, {}, { breaker: breaker({ consecutiveFailures: 2 }) } as never);
			const codes = [];
			for (let index = 0; index < 3; index++) {
				codes.push(await client.get('https://api.test/todos').then(() => 'OK', (error: { code?: string; response?: Response }) => error.response?.headers.get('steadfetch-error') ?? error.response?.status.toString() ?? error.code));
			}

			expect([codes, asked()]).toEqual([[expected, expected, 'CIRCUIT_OPEN'], 2]);
		}
	});
});

describe('the page\'s own adaptive throttle and the worker\'s refusals', () => {
	it('an isolated scope in the worker: the page\'s throttle does not count its 503s as the origin\'s rejections', async () => {
		let origin = 0;
		const { api, client, asked } = throughWorker(async () => {
			origin++;
			return Response.json({ ok: true });
		}, { breaker: breaker() } as never, { random: () => 0, adaptiveThrottle: adaptiveThrottle({ minRequests: 1 }) } as never);
		await (api as unknown as Isolating).breaker.isolate('https://api.test');
		const refused = await codeOf(client.get('https://api.test/todos'));
		await (api as unknown as Isolating).breaker.reset('https://api.test');
		const after = await codeOf(client.get('https://api.test/todos'));
		// Before: ['CIRCUIT_OPEN', 'THROTTLED', 1, 0] (the page's throttle took the worker's refusal for the origin's rejection).
		expect([refused, after, asked(), origin]).toEqual(['CIRCUIT_OPEN', 'OK', 2, 1]);
	});
});
