/** The contract's traffic part (bulkhead, rate limit, adaptive throttle, dedupe, hedge, failover) and trace: the same in every runtime. */
import { equal, eventually, ok, rejects } from './assert.js';
import { uid, type ContractCase, type ContractEnv, type Library } from './types.js';

export const trafficCases = (lib: Library, env: ContractEnv): ContractCase[] => {
	const { createClient, memoryStore } = lib;
	const base = env.baseUrl + '/';
	const make = (options: Parameters<typeof createClient>[0] = {}) => createClient({ baseUrl: base, store: memoryStore, retry: 0, staleCache: false, ...options });
	/** How many times the test API saw `path` for `id` (asked through a client of its own). */
	const hits = async (id: string, path: string) => {
		const api = make({ breaker: false });
		const { hits: count } = await api.get(`hits?id=${id}&path=${path}`).json<{ hits: number }>();
		api.close();
		return count;
	};

	return [
		{
			name: 'traffic: a full bulkhead refuses at once with BulkheadFullError, no I/O; the slot frees on abort',
			async run() {
				const api = make({ bulkhead: lib.bulkhead({ maxConcurrent: 1, maxQueue: 0 }) });
				const id = uid();
				const controller = new AbortController();
				const first = api.get(`hang?id=${id}`, { signal: controller.signal }).catch((error: unknown) => error);
				await eventually(async () => await hits(id, '/hang') > 0, 'the hanging call at the server (its slot taken)');
				const error = await rejects(api.get(`json?id=${id}`));
				ok(error instanceof lib.BulkheadFullError, String(error));
				equal(lib.classify(error).code, 'BULKHEAD_FULL');
				controller.abort();
				await first;
				equal((await api.get(`json?id=${id}`).json<{ n: number }>()).n, 1, 'the refused call never reached the server');
				api.close();
			},
		},
		{
			name: 'traffic: a call whose signal is already aborted is rejected at once with its reason by a full bulkhead, never queued',
			async run() {
				const api = make({ bulkhead: lib.bulkhead({ maxConcurrent: 1, maxQueue: 5 }) });
				const id = uid();
				const controller = new AbortController();
				const hung = api.get(`hang?id=${id}`, { signal: controller.signal }).catch((error: unknown) => error);
				await eventually(async () => await hits(id, '/hang') > 0, 'the hanging call at the server (its slot taken)');
				const reason = new Error('the caller left');
				const error = await rejects(api.get(`json?id=${id}`, { signal: AbortSignal.abort(reason) }));
				equal(error, reason);
				controller.abort();
				await hung;
				equal(await hits(id, '/json'), 0);
				api.close();
			},
		},
		{
			name: 'traffic: after a 429 with Retry-After, the rate limiter fails calls to the scope at once (RateLimitedError, no I/O)',
			async run() {
				const api = make({ rateLimit: lib.rateLimit(), timeout: 1_000 });
				const id = uid();
				await rejects(api.get(`status/429?id=${id}&retryAfter=5`));
				const error = await rejects(api.get(`json?id=${id}`));
				ok(error instanceof lib.RateLimitedError, String(error));
				ok((error as InstanceType<typeof lib.RateLimitedError>).retryAfterMs > 3_000, 'the server said 5 s');
				equal(await hits(id, '/json'), 0);
				api.close();
			},
		},
		{
			name: 'traffic: past minRequests of failures the throttle refuses attempts locally (ThrottledError, no I/O, not retried); accepts let them through',
			async run() {
				let draw = 0;
				const api = make({ adaptiveThrottle: lib.adaptiveThrottle({ minRequests: 3 }), random: () => draw, retry: { limit: 2, delay: () => 0 } });
				const id = uid();
				for (let index = 0; index < 3; index++) {
					// 0 requests, then 1, then 2: under minRequests, nothing refused (retry 0: one attempt each).
					await rejects(api.get(`status/503?id=${id}`, { retry: 0 }));
				}

				const rejected: number[] = [];
				api.on('throttle:rejected', (event) => rejected.push(event.rejectRatio));
				// 3 requests, 0 accepts: p = 3 / 4; random() = 0 < p.
				const error = await rejects(api.get(`json?id=${id}`));
				ok(error instanceof lib.ThrottledError, String(error));
				equal(lib.classify(error).code, 'THROTTLED');
				equal((error as InstanceType<typeof lib.ThrottledError>).rejectRatio, 0.75);
				equal(rejected.join(), '0.75', 'one refusal: not retried');
				equal(await hits(id, '/json'), 0, 'no I/O');
				// 4 requests: p = 4 / 5; a draw at p goes, and a 404 is an accept: p = (5 − 2) / 6.
				draw = 0.8;
				equal((await api.get(`status/404?id=${id}`, { throwHttpErrors: false })).status, 404);
				const { rejectRatio } = api.stats()[env.baseUrl]!['throttle'] as { rejectRatio: number };
				equal(rejectRatio, 0.5);
				api.close();
			},
		},
		{
			name: 'traffic: identical concurrent GETs of one request context share one request (dedupe); each caller reads its body',
			async run() {
				const api = make({ dedupe: lib.dedupe() });
				// One request context (a Worker's request: withContext(ctx)); in Workers calls share only within one.
				const here = api.withContext({ waitUntil: () => undefined });
				const id = uid();
				const bodies = await Promise.all([1, 2, 3].map(async () => here.get(`json?id=${id}`).json<{ n: number }>()));
				equal(bodies.map(({ n }) => n).join(), '1,1,1');
				api.close();
			},
		},
		{
			name: 'traffic: dedupe never shares between tenants: X-Tenant A and B in flight at once each get their own answer',
			async run() {
				const api = make({ dedupe: lib.dedupe() });
				const id = uid();
				const seen = await Promise.all(['TENANT-A', 'TENANT-B'].map(async (tenant) =>
					(await api.get(`echo?id=${id}`, { headers: { 'x-tenant': tenant } }).json<{ headers: Record<string, string> }>()).headers['x-tenant']));
				equal(seen.join(), 'TENANT-A,TENANT-B');
				api.close();
			},
		},
		{
			name: 'traffic: a hedged GET answers, and a fast answer sends no hedge',
			async run() {
				const api = make({ hedge: lib.hedge({ delayMs: 2_000 }) });
				const id = uid();
				equal((await api.get(`json?id=${id}`).json<{ n: number }>()).n, 1);
				equal(await hits(id, '/json'), 1);
				api.close();
			},
		},
		{
			name: 'failover: a read to a dead primary is answered by its mirror, by the first call after the breaker opens with no I/O to the primary',
			async run() {
				const dead = env.refusedUrl; // nothing listens there: connections are refused
				const api = make({ breaker: { consecutiveFailures: 1 }, failover: lib.failover({ mirrors: { [dead]: [env.baseUrl] } }) });
				const codes: string[] = [];
				api.on('failover', (event) => codes.push(event.code));
				const id = uid();
				for (const n of [1, 2]) {
					const response = await api.get(`${dead}/json?id=${id}`);
					equal(response.url, `${env.baseUrl}/json?id=${id}`);
					equal((await response.json<{ n: number }>()).n, n);
				}

				equal(codes.join(), 'NETWORK,CIRCUIT_OPEN');
				api.close();
			},
		},
		{
			name: 'auth: 10 concurrent calls answered 401 share one refresh and all succeed with the new token',
			async run() {
				const id = uid();
				let token = 'stale';
				let refreshes = 0;
				let next = `${id}-fresh`;
				const api = make({
					auth: lib.auth({
						token: () => token,
						refresh: async () => {
							refreshes++;
							await new Promise((resolve) => setTimeout(resolve, 20));
							token = next;
						},
					}),
				});
				// One request context (a Worker's request: withContext(ctx)); in Workers calls share a refresh only within one.
				const here = api.withContext({ waitUntil: () => undefined });
				const statuses = await Promise.all(Array.from({ length: 10 }, async () => (await here.get(`auth?id=${id}`)).status));
				equal(statuses.join(), Array(10).fill(200).join());
				equal(refreshes, 1);
				token = 'revoked';
				next = 'still-refused';
				ok(await rejects(api.get(`auth?id=${id}`)) instanceof lib.AuthError, 'a second 401 after the refresh is an AuthError');
				equal(refreshes, 2);
				api.close();
			},
		},
		{
			name: 'trace: one request id and trace id across the attempts of a call, a new span per attempt',
			async run() {
				const api = make({ trace: lib.trace(), retry: { limit: 1, delay: () => 0 } });
				const seen: string[] = [];
				api.on('attempt:start', (event) => seen.push(event.requestId));
				const body = await api.get(`echo?id=${uid()}`).json<{ headers: Record<string, string> }>();
				ok(/^[\da-f-]{36}$/.test(body.headers['x-request-id'] ?? ''), 'a request id');
				ok(/^00-[\da-f]{32}-[\da-f]{16}-01$/.test(body.headers['traceparent'] ?? ''), 'a traceparent');
				equal(seen.join(), body.headers['x-request-id']);
				api.close();
			},
		},
	];
};
