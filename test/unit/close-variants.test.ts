/**
 * `client.close()` against the calls it finds waiting (defect hunt, fifth round). API.md: `ABORTED` is
 * "the caller's signal"; a call after close() rejects `CLIENT_CLOSED`. A call the client's close()
 * refuses while it waits (for a bulkhead slot, a rate-limit token, an auth refresh, a shared breaker's or
 * throttle's coordinator) did not abort: it
 * is refused because the client closed, as one made a moment later is — `CLIENT_CLOSED`, not transient.
 * (A call waiting for its rate-limit token: rate-limit.test.ts.)
 */
import { describe, expect, it, vi } from 'vitest';
import { auth } from '../../src/entries/auth.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { createClient } from '../../src/entries/core.js';
import { classify, SteadfetchError } from '../../src/entries/index.js';
import { breaker } from '../../src/entries/breaker.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { sharedCoordinator } from '../../src/breaker/shared.js';
import { held } from './counting-origin-kit.js';

const outcome = (error: unknown) => [error instanceof SteadfetchError, classify(error)];
const closed = [true, { code: 'CLIENT_CLOSED', transient: false }];

describe('close(): the calls it finds waiting are refused as closed, not as aborted', () => {
	it('a call waiting for a bulkhead slot rejects CLIENT_CLOSED (a SteadfetchError, not transient) and is never sent', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 5 }), retry: 0, timeout: false });
		const first = api.get('https://api.test/1').text().catch((error: unknown) => error);
		await vi.waitFor(() => expect(pending).toHaveLength(1), { timeout: 5000 });
		const waiting = api.get('https://api.test/2').text().catch((error: unknown) => error);
		await vi.waitFor(() => expect(api.stats()['https://api.test']).toMatchObject({ bulkhead: { queued: 1 } }), { timeout: 5000 });
		api.close();
		// Before: [false, { code: 'ABORTED', transient: false }] (a DOMException AbortError).
		expect(outcome(await waiting)).toEqual(closed);
		expect(outcome(await api.get('https://api.test/3').catch((error: unknown) => error))).toEqual(closed);
		pending[0]!.release();
		await first;
		expect(pending.map(({ request }) => new URL(request.url).pathname)).toEqual(['/1']);
	});

	it('a call waiting for an auth refresh rejects CLIENT_CLOSED and is not sent again', async () => {
		const sent: string[] = [];
		let refreshing = false;
		const api = createClient({
			retry: 0, auth: auth({ origins: '*', token: () => 'old', refresh: async () => new Promise<void>(() => {
				refreshing = true;
			}) }),
			fetch: (async (request: Request) => {
				sent.push(request.headers.get('authorization') ?? '');
				return new Response('', { status: 401 });
			}) as typeof fetch,
		});
		const call = api.get('https://api.test/a').catch((error: unknown) => error);
		await vi.waitFor(() => expect([sent, refreshing]).toEqual([['Bearer old'], true]), { timeout: 5000 });
		api.close();
		// Before: [false, { code: 'ABORTED', transient: false }].
		expect([...outcome(await call), sent]).toEqual([...closed, ['Bearer old']]);
	});
});

/** A client with `slots` (a shared breaker or throttle); the paths it sends are pushed to `sent`. */
const sendingClient = (slots: Parameters<typeof createClient>[0], sent: string[]) => createClient({ retry: 0, ...slots, fetch: (async (request: Request) => {
	sent.push(new URL(request.url).pathname);
	return new Response('ok');
}) as typeof fetch });

type Shared = ReturnType<typeof sharedCoordinator>;

describe.each([
	['a shared breaker\'s coordinator (the first call to a scope waits for it, up to 2 000 ms)', (shared: Shared) => ({ breaker: breaker({ shared }) })],
	['a shared throttle\'s first window (an isolate\'s first call to a scope waits for it, up to 100 ms)', (shared: Shared) => ({ adaptiveThrottle: adaptiveThrottle({ shared }) })],
] as const)('close(): a call waiting for %s', (_name, slots) => {
	it('rejects CLIENT_CLOSED at once and is never sent', async () => {
		const sent: string[] = [];
		let asked = 0;
		// A coordinator that never answers.
		const shared = sharedCoordinator(async () => new Promise<never>(() => {
			asked++;
		}));
		const api = sendingClient(slots(shared), sent);
		const started = Date.now();
		const waiting = api.get('https://api.test/a').text().catch((error: unknown) => error);
		await vi.waitFor(() => expect(asked).toBe(1), { timeout: 5000 });
		api.close();
		// Before: the call was sent once the wait ended: its answer 'ok' (UNKNOWN), sent ['/a'].
		expect([...outcome(await waiting), sent]).toEqual([...closed, []]);
		expect(Date.now() - started).toBeLessThan(1500);
	});
});

describe('close(): a call waiting for the coordinator\'s probe grant', () => {
	it('rejects CLIENT_CLOSED at once, is never sent, and the grant that comes later is given back', async () => {
		const sent: string[] = [];
		const asked: object[] = [];
		let grant: ((answer: never) => void) | undefined;
		// The fleet's breaker is open and its period over: the first call asks for the probe, which comes late.
		const shared = sharedCoordinator(async (scope, message) => {
			asked.push(message);
			const now = Date.now();
			const record = { v: 2, scope, state: 'open', openedAt: now - 10_000, reopensAt: now - 1, opens: 1, at: now } as const;
			return 'probe' in message ? new Promise((resolve) => {
				grant = resolve as (answer: never) => void;
			}) : { record };
		});
		const api = sendingClient({ breaker: breaker({ shared }) }, sent);
		const started = Date.now();
		const waiting = api.get('https://api.test/a').text().catch((error: unknown) => error);
		await vi.waitFor(() => expect(grant).toBeTypeOf('function'), { timeout: 5000 });
		api.close();
		// Before: the call was sent once the coordinator counted as unreachable (2 000 ms): its answer 'ok' (UNKNOWN), sent ['/a'].
		expect([...outcome(await waiting), sent]).toEqual([...closed, []]);
		expect(Date.now() - started).toBeLessThan(1500);
		grant!({ record: { v: 2, scope: 'https://api.test', state: 'open', openedAt: started - 10_000, reopensAt: started - 1, opens: 1, at: Date.now() }, granted: Date.now() } as never);
		// The grant is given back (freed), not held until the probe's timeout.
		await vi.waitFor(() => expect(asked.some((message) => 'freed' in message)).toBe(true), { timeout: 5000 });
	});
});
