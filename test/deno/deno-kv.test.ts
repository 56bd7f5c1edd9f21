// steadfetch/deno in real Deno: denoKvStore passes the store contract, and coordinator(kv) shares one
// breaker between two Deno processes on one KV file (--unstable-kv), one probe across both.
import * as lib from '../../dist/edge/index.js';
import { coordinator, denoKvStore } from '../../dist/edge/deno.js';
import { storeCases } from '../contract/stores.ts';

declare const Deno: {
	test(definition: { name: string; fn: () => Promise<void> }): void;
	openKv(path?: string): Promise<{ close(): void }>;
	makeTempDir(options?: { dir?: string }): Promise<string>;
	execPath(): string;
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Response | Promise<Response>): { finished: Promise<void>; shutdown(): Promise<void>; addr: { port: number } };
	Command: new (command: string, options: { args: string[]; stdout: 'piped'; stderr: 'inherit' }) => { output(): Promise<{ code: number; stdout: Uint8Array }> };
};

const equal = (actual: unknown, expected: unknown, what = ''): void => {
	if (JSON.stringify(actual) !== JSON.stringify(expected)) {
		throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
	}
};

const kvFile = async (): Promise<string> => `${await Deno.makeTempDir({ dir: 'test-results' })}/kv.sqlite`;

/** The key of a scope's breaker state for clients of `name`: a SHA-256 of the name and the scope, neither written. */
const breakerKey = async (name: string, scope: string): Promise<string[]> => {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(['steadfetch fleet', name, scope])));
	return ['steadfetch', 'breaker', [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('')];
};

{
	const kv = await Deno.openKv(await kvFile());
	for (const { name, run } of storeCases('denoKvStore', denoKvStore(kv as never))) {
		Deno.test({ name: `deno kv: ${name}`, fn: run });
	}

	Deno.test({
		name: 'deno kv: a value over 64 KiB is refused (the write rejects)',
		async fn() {
			const store = denoKvStore(kv as never)('big');
			let refused = false;
			await store.set('x', new Uint8Array(100_000)).catch(() => {
				refused = true;
			});
			equal(refused, true, 'refused');
			equal(await store.keys(), [], 'nothing stored');
		},
	});
}

Deno.test({
	name: 'deno kv: two processes share one breaker — opened by one, the other fails fast; one probe across both',
	async fn() {
		const path = await kvFile();
		let failing = true;
		let hits = 0;
		const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => undefined }, async () => {
			hits++;
			await new Promise((resolve) => setTimeout(resolve, failing ? 0 : 300)); // a slow probe: the other process asks meanwhile
			return new Response(failing ? 'down' : 'ok', { status: failing ? 503 : 200 });
		});
		const origin = `http://127.0.0.1:${server.addr.port}`;
		const kv = await Deno.openKv(path);
		// The open period outlasts the other process's start on a loaded machine (a clean-clone run: it started after a 1 s
		// period had ended, and its first call was the probe); the second half waits for the period's end in the KV record.
		const openMs = 8_000;
		const api = lib.createClient({ retry: 0, staleCache: false, breaker: { consecutiveFailures: 3, openMs, shared: coordinator(kv as never), share: false } });
		const peer = async (calls: number, startAt: number): Promise<string[]> => {
			const { code, stdout } = await new Deno.Command(Deno.execPath(), {
				args: ['run', '--no-check', '--sloppy-imports', '--unstable-kv', '--allow-net=127.0.0.1', '--allow-read', '--allow-write=test-results', 'test/deno/kv-peer.ts', path, origin, String(calls), String(startAt), String(openMs)],
				stdout: 'piped', stderr: 'inherit',
			}).output();
			equal(code, 0, 'the peer process exit code');
			return JSON.parse(new TextDecoder().decode(stdout).trim().split('\n').at(-1)!) as string[];
		};

		try {
			const mine: string[] = [];
			for (let index = 0; index < 3; index++) {
				mine.push(await api.get(`${origin}/mine`).then((response) => String(response.status), (error: unknown) => lib.classify(error).code));
			}

			equal(mine, ['HTTP_5XX', 'HTTP_5XX', 'HTTP_5XX'], 'this process');
			// The other process starts after the breaker opened here: it fails fast, sending nothing. The opening reaches
			// Deno KV behind this process's third call: wait for it there (a condition, not a time; CI once started the peer first).
			let reopensAt = 0;
			for (let waited = 0; ; waited += 10) {
				for await (const entry of kv.list({ prefix: ['steadfetch', 'breaker'] })) {
					const { record } = (entry.value ?? {}) as { record?: { state: string; reopensAt: number } };
					reopensAt = record?.state === 'open' ? record.reopensAt : reopensAt;
				}

				if (reopensAt) {
					break;
				}

				if (waited > 10_000) {
					throw new Error('the opening never reached Deno KV');
				}

				await new Promise((resolve) => setTimeout(resolve, 10));
			}

			equal(await peer(3, 0), ['CIRCUIT_OPEN', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN'], 'the other process');
			equal(hits, 3, 'requests that reached the origin');
			// Past the open period, both processes call at the same instant: one probe in the world.
			failing = false;
			hits = 0;
			// Once the open period ended (the record says when), and time enough for the other process to start, even on a loaded machine.
			const startAt = Math.max(Date.now() + 3_000, reopensAt + 50);
			const [theirs, ours] = await Promise.all([
				peer(1, startAt),
				(async () => {
					await new Promise((resolve) => setTimeout(resolve, startAt - Date.now()));
					return api.get(`${origin}/mine`).then((response) => String(response.status), (error: unknown) => lib.classify(error).code);
				})(),
			]);
			equal(hits, 1, `probes that reached the origin (theirs ${JSON.stringify(theirs)}, ours ${ours}, peer started ${Date.now() - startAt} ms before now)`);
			equal([...theirs, ours].sort(), ['200', 'CIRCUIT_OPEN'], 'the two calls');
			console.log(`[done-when] two Deno processes on one KV: 3 requests reached the dead origin (the other process sent none), then 1 probe for 2 simultaneous calls`);
		} finally {
			api.close();
			kv.close();
			await server.shutdown();
		}
	},
});

Deno.test({
	name: 'deno kv: two fleets (two KV files) opened at the same moment with different randoms reopen apart: each period jittered once by the random its opener sent',
	async fn() {
		const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => undefined }, () => new Response('down', { status: 503 }));
		const origin = `http://127.0.0.1:${server.addr.port}`;
		const fleets = await Promise.all([0.1, 0.9].map(async (random) => {
			const kv = await Deno.openKv(await kvFile()) as unknown as { close(): void; get(key: unknown[]): Promise<{ value: unknown }> };
			const api = lib.createClient({ random: () => random, retry: 0, staleCache: false, breaker: { consecutiveFailures: 1, openMs: 10_000, maxOpenMs: 60_000, shared: coordinator(kv as never), share: false } });
			return { kv, api };
		}));
		try {
			const results = await Promise.all(fleets.map(async ({ api }) => api.get(origin).then((response) => String(response.status), (error: unknown) => lib.classify(error).code)));
			equal(results, ['HTTP_5XX', 'HTTP_5XX'], 'the two calls');
			// The failure's report is not waited for by the call: read each fleet's state in its KV until it is open.
			const records: Array<{ openedAt: number; reopensAt: number }> = [];
			for (const { kv } of fleets) {
				for (let tries = 0; ; tries++) {
					if (tries >= 500) {
						throw new Error('timed out waiting for the fleet\'s breaker to open in its KV');
					}

					const { record } = ((await kv.get(await breakerKey('steadfetch', origin))).value ?? {}) as { record?: { state: string; openedAt: number; reopensAt: number } };
					if (record?.state === 'open') {
						records.push(record);
						break;
					}

					await new Promise((resolve) => setTimeout(resolve, 10));
				}
			}

			// 10 000 ms × (0.8 + 0.4 × random): 8 400 and 11 600 (both 10 000 before).
			equal(records.map(({ openedAt, reopensAt }) => Math.round(reopensAt - openedAt)), [8_400, 11_600], 'the two fleets\' open periods');
			equal(Math.abs(records[0]!.openedAt - records[1]!.openedAt) < 2_000, true, 'opened at the same moment');
		} finally {
			for (const { kv, api } of fleets) {
				api.close();
				kv.close();
			}

			await server.shutdown();
		}
	},
});

Deno.test({
	name: 'deno kv: clients of two names on one KV keep apart — name "a"\'s fleet opens (another client of "a" fails fast), name "b"\'s stays closed and its calls go out',
	async fn() {
		const path = await kvFile();
		let failing = true;
		let hits = 0;
		const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => undefined }, () => {
			hits++;
			return new Response(failing ? 'down' : 'ok', { status: failing ? 503 : 200 });
		});
		const origin = `http://127.0.0.1:${server.addr.port}`;
		// Three handles of one KV file (as three processes would open it), a client on each.
		const handles = [await Deno.openKv(path), await Deno.openKv(path), await Deno.openKv(path)] as unknown as Array<{ close(): void; get(key: unknown[]): Promise<{ value: unknown }> }>;
		const [a1, a2, b] = (['a', 'a', 'b'] as const).map((name, index) => lib.createClient({ name, retry: 0, staleCache: false, breaker: { consecutiveFailures: 3, openMs: 60_000, sharedTimeoutMs: 2_000, shared: coordinator(handles[index] as never), share: false } }));
		// Each call hands its background work (a failure's report) to its waitUntil, awaited here: the KV holds what it reported.
		const call = async (api: typeof a1): Promise<string> => {
			const syncs: Array<Promise<unknown>> = [];
			const outcome = await api!.get(`${origin}/x`, { waitUntil: (promise: Promise<unknown>) => syncs.push(promise) })
				.then((response: Response) => String(response.status), (error: unknown) => lib.classify(error).code);
			await Promise.all(syncs);
			return outcome;
		};
		try {
			const opening: string[] = [];
			for (let index = 0; index < 4; index++) {
				opening.push(await call(a1));
			}

			equal(opening, ['HTTP_5XX', 'HTTP_5XX', 'HTTP_5XX', 'CIRCUIT_OPEN'], 'a\'s first client');
			equal(await call(a2), 'CIRCUIT_OPEN', 'a\'s second client: the fleet\'s state, nothing sent');
			equal(hits, 3, 'requests that reached the origin');
			failing = false;
			// Before: one key per scope for every name, and "b" adopted "a"'s open state (CIRCUIT_OPEN).
			equal([await call(b), await call(b)], ['200', '200'], 'b: its own fleet, closed');
			equal(hits, 5, 'requests that reached the origin');
			equal(((await handles[0]!.get(await breakerKey('b', origin))).value as { record: { state: string; scope: string } }).record.state, 'closed', 'b\'s state, under a key of its own');
			console.log('[done-when] Deno KV: clients named "a" and "b" on one KV: a\'s fleet opened (its other client failed fast), b\'s two calls went out');
		} finally {
			for (const api of [a1, a2, b]) {
				api!.close();
			}

			for (const kv of handles) {
				kv.close();
			}

			await server.shutdown();
		}
	},
});

Deno.test({
	name: 'deno kv: a stored breaker state that lies (another program\'s, garbled) is bounded before use: failures in a row that are no count still open at the third, an open period decades long is an hour',
	async fn() {
		const kv = await Deno.openKv(await kvFile()) as unknown as { set(key: string[], value: unknown): Promise<unknown>; close(): void };
		const scope = 'https://lying.example';
		const key = await breakerKey('steadfetch', scope);
		const shared = coordinator(kv as never);
		const policy = { consecutiveFailures: 3, openMs: 1_000, maxOpenMs: 60_000, probeTimeoutMs: 10_000 };
		const now = Date.now();
		const closed = { v: 2, scope, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: now - 1_000 };
		try {
			for (const consecutive of [Number.NaN, -50, 2.5]) {
				await kv.set(key, { v: 1, record: closed, consecutive, probeAt: 0 });
				const { record } = await shared.sync(scope, { policy, outcomes: [1, 1, 1] }) as { record: { state: string } };
				equal(record.state, 'open', `consecutive ${consecutive}`); // before: closed (NaN never opens; -50 after 53)
			}

			await kv.set(key, { v: 1, record: { ...closed, state: 'open', openedAt: now - 7_200_000, reopensAt: now + 1e12, opens: 1 }, consecutive: 0, probeAt: 0 });
			const answer = await shared.sync(scope, { policy, outcomes: [], probe: true }) as { granted?: number };
			equal(typeof answer.granted, 'number', 'the probe granted (its hour is over)'); // before: refused for 30 years
		} finally {
			kv.close();
		}
	},
});

Deno.test({
	name: 'deno kv: a granted probe that failed with Retry-After re-opens the fleet for that long, not for the doubled period (API.md: "never shorter than a Retry-After that opened it")',
	async fn() {
		const kv = await Deno.openKv(await kvFile());
		const scope = 'https://retry-after.example';
		const shared = coordinator(kv as never);
		const policy = { consecutiveFailures: 1, openMs: 100, maxOpenMs: 120_000, probeTimeoutMs: 10_000 };
		try {
			const opened = await shared.sync(scope, { policy, outcomes: [1] }) as { record: { state: string; reopensAt: number } };
			equal(opened.record.state, 'open', 'opened');
			while (Date.now() <= opened.record.reopensAt) {
				await new Promise((resolve) => setTimeout(resolve, 10));
			}

			const { granted } = await shared.sync(scope, { policy, outcomes: [], probe: true }) as { granted?: number };
			equal(typeof granted, 'number', 'the probe granted');
			const { record } = await shared.sync(scope, { policy, outcomes: [], probed: { at: granted!, failed: true, retryAfterMs: 60_000 } }) as { record: { state: string; openedAt: number; reopensAt: number } };
			equal([record.state, record.reopensAt - record.openedAt], ['open', 60_000], 'the period'); // before: 200 (doubled)
		} finally {
			kv.close();
		}
	},
});
