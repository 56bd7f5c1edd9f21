// adaptiveThrottle({ shared: coordinator(kv) }) in real Deno: two clients on two handles of one KV
// file (as two processes or isolates would open it), each sending fewer attempts than minRequests
// alone, throttle together; the KV holds their counts under a key of its own, next to nothing of the
// breaker's. Each client decides on its own injected clock, so a sync is due exactly when the test says.
import * as lib from '../../dist/edge/index.js';
import { coordinator } from '../../dist/edge/deno.js';
import { adaptiveThrottle } from '../../dist/edge/throttle.js';

declare const Deno: {
	test(definition: { name: string; fn: () => Promise<void> }): void;
	openKv(path?: string): Promise<{ close(): void; get(key: unknown[]): Promise<{ value: unknown }> }>;
	makeTempDir(options?: { dir?: string }): Promise<string>;
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Response | Promise<Response>): { shutdown(): Promise<void>; addr: { port: number } };
};

const equal = (actual: unknown, expected: unknown, what = ''): void => {
	if (JSON.stringify(actual) !== JSON.stringify(expected)) {
		throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
	}
};

/** The key of a scope's `kind` state for clients of `name`: a SHA-256 of the name and the scope, neither written. */
const key = async (kind: string, name: string, scope: string): Promise<string[]> => {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(['steadfetch fleet', name, scope])));
	return ['steadfetch', kind, [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('')];
};

Deno.test({
	name: 'deno kv: two clients on one KV, each below minRequests alone, throttle together; a client alone does not',
	async fn() {
		const path = `${await Deno.makeTempDir({ dir: 'test-results' })}/kv.sqlite`;
		let hits = 0;
		const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => undefined }, () => {
			hits++;
			return new Response('overloaded', { status: 503 });
		});
		const origin = `http://127.0.0.1:${server.addr.port}`;
		const handles = [await Deno.openKv(path), await Deno.openKv(path)];
		const make = (kv?: unknown, name?: string) => {
			let now = 1_700_000_000_000;
			const events: string[] = [];
			const api = lib.createClient({
				...(name ? { name } : {}), retry: 0, staleCache: false, breaker: false, random: () => 0, clock: { now: () => now },
				adaptiveThrottle: adaptiveThrottle({ minRequests: 10, ...(kv ? { shared: coordinator(kv as never) } : {}) }),
			});
			api.on('storage:error', (event: { part: string; operation: string }) => events.push(`${event.part} ${event.operation}`));
			// Each call hands its background work (the sync) to its waitUntil, awaited here: every sync is answered before the next call.
			const call = async () => {
				const syncs: Array<Promise<unknown>> = [];
				const outcome = await api.get(`${origin}/x`, { waitUntil: (promise: Promise<unknown>) => syncs.push(promise) })
					.then((response: Response) => String(response.status), (error: unknown) => lib.classify(error).code);
				await Promise.all(syncs);
				return outcome;
			};
			const counts = () => api.stats()[origin]?.throttle as { requests: number; rejectRatio: number };
			return { api, call, counts, events, advance: (ms: number) => { now += ms; } };
		};

		const [a, b] = handles.map((kv) => make(kv));
		const alone = make();
		// A client of another name on the same KV: its own fleet (API.md: shared only between clients of the same `name`).
		const other = make(handles[0], 'other');
		try {
			// 6 calls each, a second apart on each client's clock: each syncs (reports, reads back) with every call.
			for (let round = 0; round < 6; round++) {
				for (const client of [a!, b!, alone, other]) {
					equal(await client.call(), 'HTTP_5XX', `round ${round}`);
					client.advance(1_000);
				}
			}

			// A call decides on the fleet's last answer and what it has sent since. a's 6th call read back
			// a's 5 and b's 4; with its 6th, 10 = minRequests (each client alone: 6).
			equal(a!.counts(), { requests: 10, accepts: 0, rejectRatio: 0.9, rejected: 0 }, 'a, from the fleet');
			const before = hits;
			equal(await a!.call(), 'THROTTLED', 'a\'s 7th call refused, as the fleet learnt');
			equal(hits, before, 'no I/O for a refused attempt');
			equal(alone.counts().rejectRatio, 0, 'alone: 6 < minRequests');
			equal(await alone.call(), 'HTTP_5XX', 'alone: its 7th goes');
			// Before: one key per scope for every name, and "other" counted a's and b's attempts too (THROTTLED).
			equal(other.counts(), { requests: 6, accepts: 0, rejectRatio: 0, rejected: 0 }, 'other: its own fleet\'s 6');
			equal(await other.call(), 'HTTP_5XX', 'other: its 7th goes');
			equal([...a!.events, ...b!.events, ...other.events], [], 'the KV answered every sync');
			const stored = await handles[0]!.get(await key('throttle', 'steadfetch', origin));
			equal((stored.value as { v: number; scope: string }).scope, origin, 'the counts under a key of their own');
			equal((await handles[0]!.get(await key('throttle', 'other', origin))).value !== null, true, 'other\'s counts under a key of their own');
			equal((await handles[0]!.get(await key('breaker', 'steadfetch', origin))).value, null, 'no breaker state made');
			console.log(`[done-when] Deno KV: two clients, 6 failures each (minRequests 10): the 7th call of one refused locally from the fleet's window; a client alone sends it`);
		} finally {
			for (const client of [a!, b!, alone, other]) {
				client.api.close();
			}

			for (const kv of handles) {
				kv.close();
			}

			await server.shutdown();
		}
	},
});
