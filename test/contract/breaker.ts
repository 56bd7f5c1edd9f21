/** The contract's breaker part: the per-origin circuit breaker against the real loopback API, in every runtime. */
import { deepEqual, equal, ok, rejects } from './assert.js';
import { uid, type ContractCase, type ContractEnv, type Library } from './types.js';

export const breakerCases = (lib: Library, env: ContractEnv): ContractCase[] => {
	const { createClient, memoryStore, CircuitOpenError } = lib;
	const base = env.baseUrl + '/';
	const start = 1_700_000_000_000;
	type Options = NonNullable<Parameters<typeof createClient>[0]>;
	/** A client with its own name and memory store, the stale cache off, and a clock (and random source) the case moves. */
	const make = (options: Options = {}) => {
		const clock = { time: start, now: () => clock.time };
		// random 0.5: open periods as long as the options say (each is drawn within ±20 % of its length).
		const api = createClient({ baseUrl: base, store: memoryStore, staleCache: false, retry: 0, clock, random: () => 0.5, name: `contract-${uid()}`, ...options });
		return { api, clock };
	};

	const hits = async (api: ReturnType<typeof createClient>, id: string, path: string): Promise<number> =>
		(await api.get(`hits?id=${id}&path=${path}`, { breaker: false }).json<{ hits: number }>()).hits;

	return [
		{
			name: 'breaker: opens after consecutive failures (retries count); then fails fast with no I/O and no retry',
			async run() {
				const { api } = make({ retry: { limit: 2, delay: () => 0 }, breaker: { consecutiveFailures: 3 } });
				const opened: unknown[] = [];
				api.on('breaker:open', (event) => opened.push(event));
				const id = uid();
				ok(lib.isHTTPError(await rejects(api.get(`status/503?id=${id}`))), 'the third attempt fails as usual');
				deepEqual(opened, [{ type: 'breaker:open', time: start, scope: env.baseUrl, reason: 'consecutive-failures', reopensAt: start + 5_000 }]);
				const error = await rejects(api.get(`status/503?id=${id}`));
				ok(error instanceof CircuitOpenError, String(error));
				equal((error as InstanceType<typeof CircuitOpenError>).retryAfterMs, 5_000);
				equal(lib.classify(error).code, 'CIRCUIT_OPEN');
				equal(await hits(api, id, '/status/503'), 3, 'no request while open, no retry of CircuitOpenError');
				const stats = api.stats()[env.baseUrl]!;
				equal(stats.retries, 2);
				deepEqual(stats.breaker, { scope: env.baseUrl, state: 'open', consecutiveFailures: 3, openedAt: start, reopensAt: start + 5_000 });
				api.close();
			},
		},
		{
			name: 'breaker: a refused connection counts; the scope is the origin',
			async run() {
				const { api } = make({ breaker: { consecutiveFailures: 2 } });
				equal(lib.classify(await rejects(api.get(env.refusedUrl + '/x'))).code, 'NETWORK');
				equal(lib.classify(await rejects(api.get(env.refusedUrl + '/y'))).code, 'NETWORK');
				ok(await rejects(api.get(env.refusedUrl + '/z')) instanceof CircuitOpenError);
				equal(api.breaker(env.refusedUrl).state, 'open');
				equal(api.breaker(env.baseUrl).state, 'closed');
				equal((await api.get(`json?id=${uid()}`)).status, 200);
				api.close();
			},
		},
		{
			name: 'breaker: a 401 or 404 storm does not open it',
			async run() {
				const { api } = make({ breaker: { consecutiveFailures: 2, minimumThroughput: 2 } });
				const id = uid();
				for (let index = 0; index < 10; index++) {
					await rejects(api.get(`status/${index % 2 ? 401 : 404}?id=${id}`));
				}

				deepEqual(api.breaker(env.baseUrl), { scope: env.baseUrl, state: 'closed', consecutiveFailures: 0 });
				api.close();
			},
		},
		{
			name: 'breaker: a timeout counts, the caller\'s abort does not',
			async run() {
				const { api } = make({ timeout: 100, breaker: { consecutiveFailures: 2 } });
				const id = uid();
				for (let index = 0; index < 3; index++) {
					const controller = new AbortController();
					const promise = api.get(`hang?id=${id}`, { signal: controller.signal });
					setTimeout(() => controller.abort(new Error('user left')), 10);
					equal((await rejects(promise) as Error).message, 'user left');
				}

				equal(api.breaker(env.baseUrl).consecutiveFailures, 0);
				equal(lib.classify(await rejects(api.get(`hang?id=${id}`))).code, 'TIMEOUT');
				equal(lib.classify(await rejects(api.get(`hang?id=${id}`))).code, 'TIMEOUT');
				equal(api.breaker(env.baseUrl).state, 'open');
				api.close();
			},
		},
		{
			name: 'breaker: a 503 with Retry-After opens it at once for that long (capped at maxOpenMs)',
			async run() {
				const { api } = make({ breaker: { maxOpenMs: 100_000 } });
				await rejects(api.get(`status/503?retryAfter=60&id=${uid()}`));
				deepEqual(api.breaker(env.baseUrl), { scope: env.baseUrl, state: 'open', consecutiveFailures: 1, openedAt: start, reopensAt: start + 60_000 });
				const capped = make({ breaker: { maxOpenMs: 100_000 } }).api;
				await rejects(capped.get(`status/429?retryAfter=3600&id=${uid()}`));
				equal(capped.breaker(env.baseUrl).reopensAt, start + 100_000);
				api.close();
				capped.close();
			},
		},
		{
			name: 'breaker: after openMs one probe goes out; its success closes the breaker; a failure doubles the open time',
			async run() {
				const { api, clock } = make({ breaker: { consecutiveFailures: 1, openMs: 1000 } });
				const events: string[] = [];
				for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed'] as const) {
					api.on(type, (event) => events.push(`${type} ${event.reason}`));
				}

				const id = uid();
				await rejects(api.get(`plan/503,503,200?id=${id}`));
				clock.time += 1000;
				// The probe fails: open for 2000 ms. In a browser the probe's Web Lock is given back once that state is stored
				// (behind the call, handed to its waitUntil): the test's clock skips the 2 s in which it lands, so it waits for it.
				const behind: Promise<unknown>[] = [];
				await rejects(api.get(`plan/503,503,200?id=${id}`, { waitUntil: (promise) => behind.push(promise) }));
				await Promise.all(behind);
				equal(api.breaker(env.baseUrl).reopensAt, clock.time + 2000);
				clock.time += 1999;
				ok(await rejects(api.get(`plan/503,503,200?id=${id}`)) instanceof CircuitOpenError);
				clock.time += 1;
				const [probe, other] = await Promise.allSettled([api.get(`plan/503,503,200?id=${id}`), api.get(`plan/503,503,200?id=${id}`)]);
				equal(probe.status === 'fulfilled' && probe.value.status, 200);
				ok(other.status === 'rejected' && other.reason instanceof CircuitOpenError, 'the second call of the half-open period fails fast');
				equal(await hits(api, id, '/plan/503,503,200'), 3);
				equal(api.breaker(env.baseUrl).state, 'closed');
				deepEqual(events, [
					'breaker:open consecutive-failures', 'breaker:half-open open-elapsed', 'breaker:open probe-failed',
					'breaker:half-open open-elapsed', 'breaker:closed probe-succeeded',
				]);
				api.close();
			},
		},
		{
			name: 'breaker: with breaker.probe the probe URL is the only request while half-open; waitForHealthy sends it',
			async run() {
				const id = uid();
				const { api, clock } = make({ breaker: { consecutiveFailures: 1, openMs: 1_000, probe: `/json?id=${id}&probe=1` } });
				await rejects(api.get(`status/503?id=${id}`));
				clock.time += 1_000;
				ok(await rejects(api.get(`status/503?id=${id}`)) instanceof CircuitOpenError, 'the caller fails fast: it is not the probe');
				await api.waitForHealthy(env.baseUrl, { timeoutMs: 5_000 });
				equal(api.breaker(env.baseUrl).state, 'closed');
				equal(await hits(api, id, '/status/503'), 1);
				equal(await hits(api, id, '/json'), 1);
				api.close();
			},
		},
		{
			name: 'breaker: per-call breaker: false bypasses an open breaker',
			async run() {
				const { api } = make({ breaker: { consecutiveFailures: 1 } });
				await rejects(api.get(`status/500?id=${uid()}`));
				ok(await rejects(api.get(`json?id=${uid()}`)) instanceof CircuitOpenError);
				equal((await api.get(`json?id=${uid()}`, { breaker: false })).status, 200);
				equal(api.breaker(env.baseUrl).state, 'open');
				api.close();
			},
		},
		{
			name: 'breaker: the open state is persisted: a new client on the same store fails fast without a request',
			async run() {
				const shared = memoryStore('breaker-contract');
				const name = `contract-${uid()}`;
				const first = make({ name, store: () => shared, breaker: { consecutiveFailures: 1 } }).api;
				const id = uid();
				// The state is written behind the call, handed to its waitUntil (without one, a Worker drops it).
				const behind: Promise<unknown>[] = [];
				await rejects(first.get(`status/503?id=${id}`, { waitUntil: (promise) => behind.push(promise) }));
				await Promise.all(behind);
				first.close();
				const second = make({ name, store: () => shared }).api;
				ok(await rejects(second.get(`status/503?id=${id}`)) instanceof CircuitOpenError);
				equal(await hits(second, id, '/status/503'), 1);
				second.close();
			},
		},
	];
};
