// coordinator(kv) of steadfetch/deno in real Deno (a KV file): a sync whose atomic commit resolves after the world its
// call started in changed (API.md "Work that outlives its caller": an adopted breaker state is checked against the world
// at the moment of the write). Regression tests, fortieth hunt. A commit held until after an identity change adopts its
// answer since the forty-first hunt (6b8d8bab: the breaker is the origin's, so its sync is bound to the client's clears
// only, as its failure reports are; before, 'closed' where the fleet was 'open', and bob's next call went out); one held
// until after `client.clear()` adopts nothing (the clear dropped the circuit the answer lands on). The fleet's state (the
// KV's) is then adopted at the next call's sync, as after any clear.
import * as lib from '../../dist/edge/index.js';
import { coordinator } from '../../dist/edge/deno.js';
import { breaker } from '../../dist/edge/breaker.js';

declare const Deno: {
	test(definition: { name: string; fn: () => Promise<void> }): void;
	openKv(path?: string): Promise<{ close(): void; atomic(): { commit(): Promise<unknown> } }>;
	makeTempDir(options?: { dir?: string }): Promise<string>;
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Response | Promise<Response>): { shutdown(): Promise<void>; addr: { port: number } };
};

const equal = (actual: unknown, expected: unknown, what = ''): void => {
	if (JSON.stringify(actual) !== JSON.stringify(expected)) {
		throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
	}
};

const until = async (check: () => boolean, what: string): Promise<void> => {
	const end = Date.now() + 5_000;
	while (!check()) {
		if (Date.now() > end) {
			throw new Error(`timed out waiting for ${what}`);
		}

		await new Promise((resolve) => setTimeout(resolve, 5));
	}
};

/** A Deno KV whose atomic commits wait, while `hold` is set, until `release()`. */
const holding = (kv: Awaited<ReturnType<typeof Deno.openKv>>) => {
	const held: Array<() => void> = [];
	let hold = false;
	const wrapped = new Proxy(kv, {
		get(target, property) {
			if (property === 'atomic') {
				return () => {
					const atomic = target.atomic();
					const commit = atomic.commit.bind(atomic);
					return Object.assign(atomic, { commit: async () => {
						if (hold) {
							await new Promise<void>((resolve) => held.push(resolve));
						}

						return commit();
					} });
				};
			}

			const value = Reflect.get(target, property) as unknown;
			return typeof value === 'function' ? value.bind(target) : value;
		},
	});
	const release = (): void => {
		for (const resolve of held.splice(0)) {
			resolve();
		}
	};
	return { kv: wrapped, held, release, setHold: (on: boolean) => {
		hold = on;
	} };
};

Deno.test({
	name: 'deno kv: a failure\'s report whose commit resolves after client.clear() adopts nothing of it (the cleared state stays)',
	async fn() {
		const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => undefined }, () => new Response('x', { status: 503 }));
		const origin = `http://127.0.0.1:${server.addr.port}`;
		const real = await Deno.openKv(`${await Deno.makeTempDir({ dir: 'test-results' })}/kv.sqlite`);
		const { kv, held, setHold, release } = holding(real);
		const api = lib.createClient({ retry: 0, staleCache: false, breaker: breaker({ shared: coordinator(kv as never), share: false, consecutiveFailures: 2, sharedTimeoutMs: 1_000 }) });
		try {
			const syncs: Array<Promise<unknown>> = [];
			const waitUntil = (promise: Promise<unknown>) => syncs.push(promise);
			equal(await api.get(`${origin}/1`, { throwHttpErrors: false, waitUntil }).then((r: Response) => r.status), 503, 'first failure');
			await Promise.all(syncs.splice(0));
			setHold(true);
			equal(await api.get(`${origin}/2`, { throwHttpErrors: false, waitUntil }).then((r: Response) => r.status), 503, 'second failure');
			equal(api.breaker(origin).state, 'open', 'opened locally by its own failures');
			await until(() => held.length === 1, 'the report\'s commit, held');
			await api.clear();
			setHold(false);
			release();
			await Promise.all(syncs.splice(0));
			// The fleet's opening (the KV's) is adopted at the next call's sync, not by this answer.
			equal(api.breaker(origin).state, 'closed', 'the late answer after client.clear()');
		} finally {
			setHold(false);
			release();
			api.close();
			real.close();
			await server.shutdown();
		}
	},
});

Deno.test({
	name: 'deno kv: a report whose commit resolves after an identity change adopts its answer (the breaker is the origin\'s, not a user\'s: the fleet\'s opening by another process holds for bob at once)',
	async fn() {
		let status = 200;
		const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => undefined }, () => new Response('x', { status }));
		const origin = `http://127.0.0.1:${server.addr.port}`;
		const real = await Deno.openKv(`${await Deno.makeTempDir({ dir: 'test-results' })}/kv.sqlite`);
		const { kv, held, setHold, release } = holding(real);
		let who = 'alice';
		const options = { retry: 0, staleCache: false, identity: () => who };
		// This process's client opens at 3 failures in a row; another process's (its own coordinator over the same KV) at 1.
		const api = lib.createClient({ ...options, breaker: breaker({ shared: coordinator(kv as never), share: false, consecutiveFailures: 3, sharedTimeoutMs: 1_000 }) });
		const other = lib.createClient({ ...options, breaker: breaker({ shared: coordinator(real as never), share: false, consecutiveFailures: 1, sharedTimeoutMs: 1_000 }) });
		try {
			const syncs: Array<Promise<unknown>> = [];
			const waitUntil = (promise: Promise<unknown>) => syncs.push(promise);
			const get = async (client: typeof api, path: string) => client.get(`${origin}${path}`, { throwHttpErrors: false, waitUntil }).then((r: Response) => r.status);
			equal(await get(api, '/warm'), 200, 'this client\'s first call (its sync)');
			await Promise.all(syncs.splice(0));
			status = 503;
			equal(await get(other, '/other'), 503, 'the other process\'s failure');
			await Promise.all(syncs.splice(0));
			equal(other.breaker(origin).state, 'open', 'the fleet opened by the other process');
			setHold(true);
			equal(await get(api, '/mine'), 503, 'this client\'s failure (its state cached: no sync first)');
			await until(() => held.length === 1, 'the report\'s commit, held');
			who = 'bob';
			setHold(false);
			release();
			await Promise.all(syncs.splice(0));
			// The answer of a sync sent under alice is adopted under bob (forty-first hunt, 6b8d8bab: as the report, the adoption is
			// bound to the client's clears only): the fleet's opening holds here at once, not after bob's first call went out.
			equal(api.breaker(origin).state, 'open', 'the late answer after an identity change');
		} finally {
			setHold(false);
			release();
			api.close();
			other.close();
			real.close();
			await server.shutdown();
		}
	},
});
