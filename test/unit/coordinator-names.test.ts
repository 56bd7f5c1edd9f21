/**
 * `coordinator(namespace)` of steadfetch/cloudflare over the real `BreakerCoordinator` class, its
 * namespace a map of objects by name (storage in memory): clients of different `name`s keep apart
 * per scope (API.md: "Processes share a scope's breaker and throttle only when their clients have
 * the same `name`"), and the object's name holds neither the client's name nor the scope.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { CircuitOpenError, createClient } from '../../src/entries/core.js';
import { BreakerCoordinator, type DurableObjectNamespaceLike } from '../../src/cloudflare/index.js';
import { coordinator } from '../../src/cloudflare/coordinator.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

let server: RunningServer;
let failing = true;
let hits = 0;
beforeAll(async () => {
	server = await serve(() => {
		hits++;
		return new Response(failing ? 'down' : 'ok', { status: failing ? 503 : 200 });
	});
});
afterAll(async () => server.close());

/** A Durable Object namespace in memory: one `BreakerCoordinator` per name given to `idFromName`, which it records. */
const memoryNamespace = (): DurableObjectNamespaceLike & { names: string[] } => {
	const objects = new Map<string, BreakerCoordinator>();
	const names: string[] = [];
	return {
		names,
		idFromName: (name) => {
			names.push(name);
			return name;
		},
		get: (id) => {
			const name = id as string;
			let object = objects.get(name);
			if (!object) {
				const stored = new Map<string, unknown>();
				object = new BreakerCoordinator({ storage: { get: async (key) => structuredClone(stored.get(key)), put: async (key, value) => void stored.set(key, structuredClone(value)) } });
				objects.set(name, object);
			}

			const target = object;
			return { fetch: async (input: string, init?: RequestInit) => target.fetch(new Request(input, init)) };
		},
	};
};

const client = (name: string, namespace: DurableObjectNamespaceLike) => createClient({ name, retry: 0, breaker: breaker({ consecutiveFailures: 2, openMs: 60_000, sharedTimeoutMs: 2_000, share: false, shared: coordinator(namespace) }) });

/** A call, and the work it left behind (a failure's report) awaited: the coordinator holds what it reported. */
const outcome = async (api: ReturnType<typeof createClient>): Promise<string> => {
	const behind: Array<Promise<unknown>> = [];
	const result = await api.get(`${server.url}/x`, { waitUntil: (promise: Promise<unknown>) => void behind.push(promise) })
		.then((response) => String(response.status), (error: unknown) => (error instanceof CircuitOpenError ? 'OPEN' : String((error as { response?: Response }).response?.status)));
	await Promise.all(behind);
	return result;
};

describe('coordinator(namespace): a fleet per client name and scope', () => {
	it('name "a"\'s fleet opens (another client of "a" fails fast); name "b" on the same namespace keeps its own, closed; no object is named by the name or the scope', async () => {
		const namespace = memoryNamespace();
		const [a1, a2, b] = [client('a', namespace), client('a', namespace), client('b', namespace)];
		failing = true;
		hits = 0;
		expect([await outcome(a1), await outcome(a1)]).toEqual(['503', '503']);
		// Another client of "a": its first call waits for the fleet's state (open), sending nothing.
		expect(await outcome(a2)).toBe('OPEN');
		expect(hits).toBe(2);
		failing = false;
		// Before: one object per scope for every name, and "b" adopted "a"'s open state (OPEN).
		expect([await outcome(b), await outcome(b)]).toEqual(['200', '200']);
		expect(hits).toBe(4);
		const names = new Set(namespace.names);
		expect(names.size).toBe(2); // one object for "a", one for "b", of the one scope
		for (const name of names) {
			expect(name).toMatch(/^[0-9a-f]{64}$/);
		}

		for (const api of [a1, a2, b]) {
			api.close();
		}
	});
});

describe('coordinator(namespace): the object\'s answer is read bounded, as the object reads a sync (defect hunt, eleventh round)', () => {
	/** A namespace whose every object answers with `answer()`. */
	const answering = (answer: () => Response): DurableObjectNamespaceLike => ({ idFromName: (name) => name, get: () => ({ fetch: async () => answer() }) });
	const message = { policy: { consecutiveFailures: 2, openMs: 1_000, maxOpenMs: 60_000, probeTimeoutMs: 1_000 }, outcomes: [], jitter: 0.5 };
	/** How a sync ended within `ms` (real time): its answer as JSON, the error's message, or still pending. */
	const ended = async (promise: Promise<unknown>, ms: number): Promise<string> =>
		Promise.race([promise.then((answer) => `answered ${JSON.stringify(answer)}`, (error: unknown) => `failed: ${(error as Error).message}`), new Promise<string>((resolve) => setTimeout(resolve, ms, `still pending after ${ms} ms`))]);

	it('an answer whose body stalls mid-way: the sync fails within answerMs (2 000 ms) and the body is cancelled, not read for ever behind it', { timeout: 10_000 }, async () => {
		let cancelled = false;
		const stalled = () => new Response(new ReadableStream({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('{"record": '));
			},
			cancel() {
				cancelled = true;
			},
		}));
		const shared = coordinator(answering(stalled));
		const result = await ended(shared.sync('https://fleet.example', message), 5_000);
		// Before: 'still pending after 5000 ms', the body never cancelled.
		expect([result.replace(/^failed: .*/s, 'failed'), cancelled]).toEqual(['failed', true]);
	});

	it('an answer over the message bound (65 536 bytes): refused, as the object refuses such a sync; one under it is taken', async () => {
		const answer = { granted: false };
		const padded = coordinator(answering(() => new Response(' '.repeat(70_000) + JSON.stringify(answer))));
		// Before: 'answered {"granted":false}' (70 017 bytes read whole and parsed).
		expect((await ended(padded.sync('https://fleet.example', message), 5_000)).replace(/^failed: .*/s, 'failed')).toBe('failed');
		const small = coordinator(answering(() => new Response(' '.repeat(100) + JSON.stringify(answer))));
		expect(await ended(small.sync('https://fleet.example', message), 5_000)).toBe('answered {"granted":false}');
	});
});

describe('fleet keys', () => {
	it('a digest is computed once per text and kept (at most 1,000, then computed again), the same value every time', async () => {
		const { digests } = await import('../../src/coordinator/keys.js');
		const { sha256 } = await import('../../src/utils/digest.js');
		const subtle = globalThis.crypto.subtle;
		const real = subtle.digest.bind(subtle);
		let computed = 0;
		const spy = vi.spyOn(subtle, 'digest').mockImplementation(async (...args: Parameters<SubtleCrypto['digest']>) => {
			computed++;
			return real(...args);
		});
		try {
			const digestOf = digests();
			const first = await digestOf('steadfetch fleet a');
			expect(await digestOf('steadfetch fleet a')).toBe(first);
			expect(computed).toBe(1);
			for (let index = 0; index < 1000; index++) {
				await digestOf(`other ${index}`);
			}

			expect(computed).toBe(1001);
			expect(await digestOf('steadfetch fleet a')).toBe(first); // forgotten with the others once 1,000 were kept
			expect(computed).toBe(1002);
			spy.mockRestore();
			expect(first).toBe(await sha256('steadfetch fleet a'));
		} finally {
			spy.mockRestore();
		}
	});
});
