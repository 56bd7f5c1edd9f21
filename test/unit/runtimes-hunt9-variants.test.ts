/**
 * Defect hunt, ninth round (runtimes and what comes from outside): variants of earlier fixes, each
 * failing before its fix.
 */
import { describe, expect, it } from 'vitest';
import { auth } from '../../src/entries/auth.js';
import { trace } from '../../src/entries/trace.js';
import { harnessEachTest } from './outbox-helpers.js';

/**
 * Run `task` where `navigator.locks` exists but refuses every request, as a browser's does in an
 * opaque origin (a sandboxed iframe without `allow-same-origin`, a `file:` page): `SecurityError`.
 */
const withRefusingLocks = async <T>(task: () => Promise<T>): Promise<T> => {
	const refusing = {
		request: async () => {
			throw new DOMException('Access to the Locks API is denied in this context.', 'SecurityError');
		},
	};
	Object.defineProperty(navigator, 'locks', { value: refusing, configurable: true });
	try {
		return await task();
	} finally {
		delete (navigator as { locks?: unknown }).locks;
	}
};

describe('a Web Lock manager that refuses (an opaque origin): the documented fallback, as without Web Locks', () => {
	const { h } = harnessEachTest();

	it('the outbox still queues and delivers a write: flush() sends it, as where there are no Web Locks', async () => {
		await withRefusingLocks(async () => {
			const client = h.make();
			const queued = await client.post('mutate?id=locks-refused&fail=503&times=1', { json: { n: 1 } }).catch((error: unknown) => error);
			expect(queued).toMatchObject({ code: 'QUEUED' });
			const flushed = await client.outbox.flush().catch((error: unknown) => error);
			expect(flushed).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 0 });
			expect(h.sentOf('locks-refused')).toHaveLength(2);
		});
	});

	it('auth still refreshes on a 401 and sends the call again with the new token, as where there are no Web Locks', async () => {
		await withRefusingLocks(async () => {
			let token = 'locks-auth-stale';
			const client = h.make({ auth: auth({ token: () => token, refresh: async () => {
				token = 'locks-auth-fresh';
			} }) });
			const answer = await client.get('auth?id=locks-auth').then((response) => response.status, (error: unknown) => error);
			expect(answer).toBe(200);
		});
	});
});

/** Run `task` as on a page over plain http (an insecure context): `crypto.randomUUID` is missing there, `getRandomValues` is not. */
const withoutRandomUuid = async <T>(task: () => Promise<T>): Promise<T> => {
	Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true });
	try {
		return await task();
	} finally {
		delete (crypto as { randomUUID?: unknown }).randomUUID;
	}
};

const uuid = /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/;

describe('a page over plain http (no crypto.randomUUID, as no crypto.subtle): ids made from getRandomValues', () => {
	const { h } = harnessEachTest();

	it('a call with idempotencyKey: true is sent with a fresh key (was: a synchronous TypeError from the client method)', async () => {
		await withoutRandomUuid(async () => {
			expect(typeof crypto.randomUUID).toBe('undefined');
			const client = h.make();
			let answer: unknown;
			try {
				answer = await client.post('echo?id=plain-key', { json: {}, idempotencyKey: true }).json<{ headers: Record<string, string> }>();
			} catch (error) {
				answer = error;
			}

			expect((answer as { headers: Record<string, string> }).headers?.['idempotency-key']).toMatch(uuid);
		});
	});

	it('a write the outbox queues gets an entry id and an Idempotency-Key, and is delivered', async () => {
		await withoutRandomUuid(async () => {
			const client = h.make();
			const queued = await client.post('mutate?id=plain-queued&fail=503&times=1', { json: { n: 1 } }).catch((error: unknown) => error);
			expect(queued).toMatchObject({ code: 'QUEUED' });
			const [entry] = await client.outbox.list();
			expect(entry?.id).toMatch(uuid);
			expect(entry?.idempotencyKey).toMatch(uuid);
			expect(await client.outbox.flush()).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 0 });
		});
	});

	it('trace() gives each call a request id', async () => {
		await withoutRandomUuid(async () => {
			const client = h.make({ trace: trace() });
			const answer = await client.get('echo?id=plain-trace').json<{ headers: Record<string, string> }>().catch((error: unknown) => error);
			expect((answer as { headers: Record<string, string> }).headers?.['x-request-id']).toMatch(uuid);
		});
	});
});

describe('an outbox record from an older version holding a header the client now marks sensitive', () => {
	const { h } = harnessEachTest();

	it('is not listed with it: list() and deadLetters() never show a sensitive header (OutboxEntry.headers), as a replay never sends one', async () => {
		// The older version did not list `x-api-key` in sensitiveHeaders: its writes stored it.
		const older = h.make();
		await older.post('mutate?id=old-dead&fail=503,400', { json: {}, headers: { 'x-api-key': 'k-secret' } }).catch(() => undefined);
		await older.post('mutate?id=old-pending&fail=503', { json: {}, headers: { 'x-api-key': 'k-secret' } }).catch(() => undefined);
		expect(await older.outbox.flush()).toMatchObject({ dead: 1, remaining: 1 });
		older.close();
		const newer = h.make({ sensitiveHeaders: ['x-api-key'] });
		const shown = [...await newer.outbox.list(), ...await newer.outbox.deadLetters()];
		expect(shown.filter(({ headers }) => 'x-api-key' in headers).map(({ url }) => url)).toEqual([]);
	});
});
