/**
 * The twenty-seventh round on auth, the TanStack Query helpers and the headers the library reads back (defect hunt):
 * a server's own `Steadfetch-Outbox-Entry` on a 201 that hid a delivered write; an isolated scope's refusal retried by
 * TanStack after `maxOpenMs`; a call made before a `clear()` (no identity, no auth) whose first attempt went out after it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { queryOptionsFor } from '../../src/entries/tanstack-query.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}
});

/** What a promise ends with: its value, else `code` (or name) of its error. */
const ending = async (promise: Promise<unknown>): Promise<unknown> => promise.then(
	(value) => value,
	(error: { code?: string; name?: string }) => error?.code ?? error?.name,
);

describe('an isolated scope (breaker.isolate) is not retried by TanStack after maxOpenMs', () => {
	it('a first load\'s CircuitOpenError is not retried: the query shows its error at once', async () => {
		const api = createClient({ retry: 0, breaker: breaker(), fetch: async () => Response.json({ ok: true }) } as never);
		made.push(api);
		await (api as unknown as { breaker: { isolate(url: string): Promise<void> } }).breaker.isolate('https://api.test');
		const query = queryOptionsFor(api, 'https://api.test/todos');
		const refused = await query.queryFn({ signal: new AbortController().signal }).then(() => undefined, (error: unknown) => error as Error & { code: string; retryAfterMs: number });
		expect(refused?.code).toBe('CIRCUIT_OPEN');
		// Before: true, and retryDelay 300000: TanStack waited 5 minutes twice (a first load pending for 10 minutes).
		expect(query.retry(0, refused!)).toBe(false);
	});

	it('its neighbour: a breaker that opened by failures is still retried when it lets a request through', async () => {
		const api = createClient({ retry: 0, clock: { now: () => 1_000_000 }, random: () => 0.5, breaker: breaker({ consecutiveFailures: 1, openMs: 5_000 }), fetch: async () => new Response(null, { status: 503 }) } as never);
		made.push(api);
		const query = queryOptionsFor(api, 'https://api.test/todos');
		await query.queryFn({ signal: new AbortController().signal }).catch(() => undefined);
		const refused = await query.queryFn({ signal: new AbortController().signal }).then(() => undefined, (error: unknown) => error as Error & { code: string });
		expect([refused?.code, query.retry(0, refused!)]).toEqual(['CIRCUIT_OPEN', true]);
		// Its wait is until the breaker lets a request through (openMs), not maxOpenMs.
		expect(query.retryDelay(0, refused!)).toBe(5_000);
	});
});

describe('a call made before clear() (no identity, no auth) does not go out after it', () => {
	it('its first attempt waited for a bulkhead slot during clear(): ABORTED, never sent', async () => {
		const sent: string[] = [];
		const answers: Array<() => void> = [];
		const api = createClient({
			name: `h27-${crypto.randomUUID()}`, store: memoryStore, retry: 0, breaker: false, bulkhead: bulkhead({ maxConcurrent: 1 }),
			fetch: async (request: Request) => {
				sent.push(new URL(request.url).pathname);
				await new Promise<void>((resolve) => answers.push(resolve));
				return new Response('ok');
			},
		} as never);
		made.push(api);
		const first = ending(api.get('https://api.test/first').then((response) => response.status));
		await expect.poll(() => sent.length).toBe(1);
		const waiting = ending(api.get('https://api.test/waiting').then((response) => response.status));
		await api.clear();
		answers.shift()!();
		expect(await first).toBe(200);
		// Before: 200, sent ['/first', '/waiting'] (a call of the session before the logout went out after it).
		const outcome = await Promise.race([waiting, expect.poll(() => sent.length).toBe(2).then(() => 'sent')]);
		expect([outcome, sent]).toEqual(['ABORTED', ['/first']]);
		// A call made after the clear goes.
		const next = ending(api.get('https://api.test/next').then((response) => response.status));
		await expect.poll(() => answers.length).toBe(1);
		answers.shift()!();
		expect([await next, sent]).toEqual([200, ['/first', '/next']]);
	});
});

describe('a server\'s own Steadfetch-Outbox-Entry on a write it took does not hide the delivery', () => {
	it('a 201 with the header is a delivered write (write:delivered), as a service worker\'s queued 202 is not', async () => {
		const api = createClient({
			name: `h27-${crypto.randomUUID()}`, store: memoryStore, retry: 0,
			fetch: async (request: Request) => new Response(null, { status: new URL(request.url).pathname === '/queued' ? 202 : 201, headers: { 'steadfetch-outbox-entry': 'x' } }),
		} as never);
		made.push(api);
		const told: string[] = [];
		api.on('write:delivered', ({ url }) => told.push(new URL(url).pathname));
		await api.post('https://api.test/todos', { json: { a: 1 } });
		await api.post('https://api.test/queued', { json: { a: 1 } });
		// Before: [] (the server's header hid the delivery: no syncInvalidation, the stale copies of /todos kept).
		expect(told).toEqual(['/todos']);
	});
});
