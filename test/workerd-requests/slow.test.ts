/**
 * Slow networks in real request contexts (API.md "Slow networks", "Request contexts"): a read with a
 * stored copy and no answer by its deadline is answered by the copy; with the call's `waitUntil` its
 * request goes on after the Worker answered and refreshes the copy, without one it is aborted when
 * the copy answers. The origin accepts every request and, while `hang` is set, answers none until
 * released; each request's signal tells whether the Worker went away.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { startWorkers, until, type Harness } from './harness.js';

/** One module-level client (deadline 300 ms): `GET /get?to=<url>[&ctx=1][&linger=<ms>]` answers its call as JSON (`ctx`: with the request's waitUntil; `linger`: the request stays open that long after the call settled); `/events` the events since the last. */
const source = `
import { createClient, isStale } from 'steadfetch';
const api = createClient({ name: 'slow', retry: 0, breaker: false, staleCache: { networkTimeoutMs: 300 } });
const events = [];
api.on('*', (event) => events.push({ type: event.type, url: event.url, reason: event.reason, operation: event.operation }));
export default {
	async fetch(request, env, ctx) {
		const url = new URL(request.url);
		if (url.pathname === '/events') {
			return Response.json(events.splice(0));
		}

		const options = url.searchParams.get('ctx') ? { waitUntil: (promise) => ctx.waitUntil(promise) } : {};
		const response = await api.get(url.searchParams.get('to'), options);
		const answer = { stale: isStale(response), status: response.headers.get('cache-status'), body: await response.text() };
		await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('linger') ?? 0)));
		return Response.json(answer);
	},
};
`;

interface Held {
	path: string;
	signal: AbortSignal;
	release(): void;
}

let harness: Harness;
let server: RunningServer;
let hang = false;
let down = false;
let version = 1;
const held: Held[] = [];
let logFrom = 0;

beforeAll(async () => {
	server = await serve(async (request) => {
		const { pathname } = new URL(request.url);
		if (hang) {
			await new Promise<void>((release) => {
				held.push({ path: pathname, signal: request.signal, release });
			});
		}

		return down ? new Response('down', { status: 503 }) : new Response(`v${version} ${pathname}`, { headers: { 'cache-control': 'max-age=0', 'content-type': 'text/plain' } });
	});
	harness = await startWorkers({ slow: { source } });
}, 60_000);

afterAll(async () => {
	await harness?.dispose();
	await server?.close();
});

beforeEach(() => {
	logFrom = harness.log.length;
});

afterEach(async () => {
	hang = down = false;
	version = 1;
	for (const each of held.splice(0)) {
		each.release();
	}

	// What a request left running reports late: give it a moment to show up.
	await new Promise((resolve) => setTimeout(resolve, 200));
	expect(harness.crossRequestWarnings(logFrom)).toEqual([]);
});

interface Answer {
	stale: boolean;
	status: string | null;
	body: string;
}

interface Seen {
	type: string;
	url?: string;
	reason?: string;
}

const get = async (path: string, query = '') => harness.json<Answer>('slow', `/get?to=${encodeURIComponent(server.url + path)}${query}`);
const events = async () => harness.json<Seen[]>('slow', '/events');
/** Wait for the event `type` of `path`, as later requests read them back. */
const stored = async (path: string): Promise<void> => {
	const seen: Seen[] = [];
	await until(async () => {
		seen.push(...await events());
		return seen.some((event) => event.type === 'cache:stored' && event.url === server.url + path);
	}, 10_000, `cache:stored of ${path}`);
};

describe('slow networks in Workers: a read answered by its copy at the deadline', () => {
	it('with waitUntil: the copy answers (detail=slow), the request goes on after the Worker answered, and its answer refreshes the copy', async () => {
		await get('/a', '&ctx=1');
		await stored('/a');
		const copied = performance.now();
		await until(() => performance.now() - copied > 1100, 5000, 'a second after the copy (a URL copied less than 1 s ago is not copied again)');
		hang = true;
		expect(await get('/a', '&ctx=1')).toEqual({ stale: true, status: expect.stringMatching(/detail=slow$/) as string, body: 'v1 /a' });
		expect(held.map(({ path, signal }) => [path, signal.aborted])).toEqual([['/a', false]]);
		version = 2;
		held[0]!.release();
		await stored('/a');
		down = true;
		hang = false;
		expect(await get('/a', '&ctx=1')).toMatchObject({ stale: true, body: 'v2 /a' });
	}, 30_000);

	it('without waitUntil: the copy answers and the request is aborted then, while the Worker\'s request is still open', async () => {
		await get('/b', '&ctx=1');
		await stored('/b');
		hang = true;
		let answered = false;
		const call = get('/b', '&linger=3000').then((answer) => {
			answered = true;
			return answer;
		});
		await until(() => held.length === 1 && held[0]!.signal.aborted, 5000, 'the request aborted');
		expect(answered).toBe(false);
		expect(await call).toEqual({ stale: true, status: expect.stringMatching(/detail=slow$/) as string, body: 'v1 /b' });
		expect((await events()).filter((event) => event.type === 'cache:stale')).toMatchObject([{ reason: 'slow', url: `${server.url}/b` }]);
	}, 30_000);
});
