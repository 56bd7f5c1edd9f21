// coordinator(kv) of steadfetch/deno in real Deno, thirtieth round: a value under a scope's key that is not the
// coordinator's own (another program's, a garbled write) is read as none, written over and reported once as
// storage:error (operation `decode`), as the Redis coordinator does (API.md "Sensitive data": a malformed record
// read from storage is ignored and reported as `storage:error`); what is its own is not reported.
import * as lib from '../../dist/edge/index.js';
import { coordinator } from '../../dist/edge/deno.js';
import { breaker } from '../../dist/edge/breaker.js';
import { adaptiveThrottle } from '../../dist/edge/throttle.js';

declare const Deno: {
	test(definition: { name: string; fn: () => Promise<void> }): void;
	openKv(path?: string): Promise<{ close(): void; get(key: unknown[]): Promise<{ value: unknown; versionstamp: string | null }>; set(key: unknown[], value: unknown): Promise<unknown> }>;
	makeTempDir(options?: { dir?: string }): Promise<string>;
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Response | Promise<Response>): { shutdown(): Promise<void>; addr: { port: number } };
};

const equal = (actual: unknown, expected: unknown, what = ''): void => {
	if (JSON.stringify(actual) !== JSON.stringify(expected)) {
		throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
	}
};

/** The key of a scope's `kind` state for clients of `name`: a SHA-256 of the name and the scope. */
const key = async (kind: string, name: string, scope: string): Promise<string[]> => {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(['steadfetch fleet', name, scope])));
	return ['steadfetch', kind, [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('')];
};

const slots = (value: number): number[] => Array<number>(10).fill(value);

Deno.test({
	name: 'deno kv (hunt 30): a foreign value under a breaker\'s or a throttle\'s key is reported once as storage:error, the call answered, the key written over; the coordinator\'s own values are not reported',
	async fn() {
		const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => undefined }, () => new Response('ok'));
		const origin = `http://127.0.0.1:${server.addr.port}`;
		const kv = await Deno.openKv(`${await Deno.makeTempDir({ dir: 'test-results' })}/kv.sqlite`);
		const now = Date.now();
		const closed = { v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: now - 1_000 };
		const breakerState = { v: 1, record: closed, consecutive: 0, probeAt: 0 };
		const throttleState = (windowMs: number) => ({ v: 1, scope: origin, windowMs, at: slots(-1), requests: slots(0), accepts: slots(0) });
		const foreign: Record<string, unknown> = {
			'a string': '[1,2,3]',
			'an object of another program': { url: 'https://x.example/?token=1' },
			'numbers': [1, 2, 3],
			'another scope\'s state': 'other scope',
			'negative counts': 'negative',
		};
		const kinds = {
			breaker: { own: { 'its state': breakerState }, planted: (name: string, value: unknown) => name === 'another scope\'s state' ? { ...breakerState, record: { ...closed, scope: 'https://other.example' } } : name === 'negative counts' ? { ...breakerState, consecutive: -5 } : value },
			throttle: { own: { 'its counts': throttleState(10_000), 'another window\'s counts': throttleState(60_000) }, planted: (name: string, value: unknown) => name === 'another scope\'s state' ? { ...throttleState(10_000), scope: 'https://other.example' } : name === 'negative counts' ? { ...throttleState(10_000), requests: slots(-1) } : value },
		};
		const seen: Record<string, string> = {};
		try {
			for (const [kind, { own, planted }] of Object.entries(kinds)) {
				for (const [name, value] of [...Object.entries(foreign).map(([name, value]) => [name, planted(name, value)] as const), ...Object.entries(own)]) {
					const where = await key(kind, 'steadfetch', origin);
					await kv.set(where, value);
					const shared = coordinator(kv as never);
					const api = lib.createClient({ retry: 0, staleCache: false, ...(kind === 'breaker' ? { breaker: breaker({ shared, share: false, sharedTimeoutMs: 1_000 }) } : { breaker: false, adaptiveThrottle: adaptiveThrottle({ windowMs: 10_000, shared }) }) });
					const errors: string[] = [];
					api.on('storage:error', (event: { part: string; operation: string }) => errors.push(`${event.part} ${event.operation}`));
					try {
						// Each call hands its sync to its waitUntil, awaited here: the sync is done when the call is.
						const syncs: Array<Promise<unknown>> = [];
						const status = await api.get(`${origin}/x`, { waitUntil: (promise: Promise<unknown>) => syncs.push(promise) }).then((response: Response) => response.status);
						await Promise.all(syncs);
						const stored = (await kv.get(where)).value as { v?: number; scope?: string; record?: { scope?: string } };
						seen[`${kind} ${name}`] = `${status} ${errors.join(',') || 'none'} ${stored?.v === 1 && (stored.scope ?? stored.record?.scope) === origin ? 'ours' : 'not ours'}`;
					} finally {
						api.close();
					}
				}
			}
		} finally {
			kv.close();
			await server.shutdown();
		}

		const expected = Object.fromEntries(Object.keys(seen).map((name) => [name, Object.keys(foreign).some((one) => name.endsWith(one)) ? `200 ${name.split(' ')[0]} decode ours` : '200 none ours']));
		// Before: every foreign value '200 none ours': dropped silently (the Redis coordinator reports it).
		equal(seen, expected, 'what each value under the key did');
	},
});

Deno.test({
	name: 'deno kv (hunt 30): a sync whose read outlasts the isolate\'s wait (answerMs) writes nothing, also when the wall clock stepped back meanwhile',
	async fn() {
		const kv = await Deno.openKv(`${await Deno.makeTempDir({ dir: 'test-results' })}/kv.sqlite`);
		const scope = 'https://stepped.example';
		const where = await key('throttle', 'steadfetch', scope);
		const realNow = Date.now;
		let back = 0;
		// A KV whose read takes 2.3 s (a KV file another process holds locked), while the wall clock steps back 10 s.
		const slow = {
			get: async (k: unknown[]) => {
				const entry = await kv.get(k);
				await new Promise((resolve) => setTimeout(resolve, 2_300));
				back = 10_000;
				return entry;
			},
			atomic: () => (kv as unknown as { atomic(): unknown }).atomic(),
			set: kv.set.bind(kv),
		};
		Date.now = () => realNow() - back;
		let outcome: string;
		try {
			outcome = await coordinator(slow as never).sync(scope, { throttle: { windowMs: 10_000, requests: 5, accepts: 5 } }).then(() => 'answered', () => 'given up');
		} finally {
			Date.now = realNow;
		}

		const stored = (await kv.get(where)).versionstamp;
		kv.close();
		// Before: 'answered written': the counts of a sync the isolate gave up at 2 s were written at 2.3 s (counted
		// again with its next report: the isolate counts a given-up report as its own only).
		equal(`${outcome} ${stored === null ? 'nothing written' : 'written'}`, 'given up nothing written', 'a sync past its time');
	},
});
