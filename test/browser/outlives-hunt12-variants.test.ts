/**
 * Defect hunt, twelfth round (work that outlives its caller), in real Chromium (IndexedDB, Web Locks,
 * BroadcastChannel: clients of one name made apart in a page hear each other as tabs do): what another
 * tab's logout ends here.
 */
import { describe, expect, it } from 'vitest';
import { createClient, indexedDbStore, outbox, OutboxQueuedError } from '../../src/entries/index.js';
import { auth } from '../../src/entries/auth.js';
import { noteHeard } from '../helpers/other-tabs.js';

describe('another tab\'s logout while a call is in flight here (Chromium)', () => {
	it('its 401 starts no token refresh here: the session it was made for has ended', async () => {
		const name = `h12-auth-${Math.random().toString(36).slice(2)}`;
		let answer: () => void = () => undefined;
		const held = new Promise<void>((resolve) => {
			answer = resolve;
		});
		let waiting = false;
		const transport = async (): Promise<Response> => {
			waiting = true;
			await held;
			return new Response('expired', { status: 401 });
		};
		const refreshed: number[] = [];
		const here = createClient({
			name, baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false, staleCache: false,
			auth: auth({ token: () => 'token-of-alice', refresh: async () => void refreshed.push(1) }),
		});
		const there = createClient({ name, baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false, staleCache: false });
		const call = here.get('me').then((response) => response.status, (error: { code?: string }) => error.code);
		await expect.poll(() => waiting).toBe(true);
		const heard = noteHeard(name);
		await there.clear(); // The logout, in another tab.
		await heard;
		answer();
		// Before: 'ABORTED' with refreshed [1] (the app's refresh run for the session that had ended).
		expect({ code: await call, refreshed }).toEqual({ code: 'AUTH_FAILED', refreshed: [] });
		here.close();
		there.close();
	});

	it('a replay answered 412 after that tab discarded its entry: onConflict is not asked, outbox:conflict not told (IndexedDB)', async () => {
		const name = `h12-conflict-${Math.random().toString(36).slice(2)}`;
		let up = false;
		let answer: () => void = () => undefined;
		const held = new Promise<void>((resolve) => {
			answer = resolve;
		});
		let replaying = false;
		const transport = async (): Promise<Response> => {
			if (!up) {
				throw new TypeError('Failed to fetch');
			}

			replaying = true;
			await held;
			return Response.json({ error: 'precondition failed' }, { status: 412 });
		};
		const asked: string[] = [];
		const options = { name, baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false as const, staleCache: false as const, store: indexedDbStore };
		const here = createClient({ ...options, outbox: outbox({ resumeJitterMs: 0, onConflict: ({ entry }) => {
			asked.push(entry.id);
			return 'dead';
		} }) });
		const queued = await here.put('doc/1', { json: { v: 'mine' }, headers: { 'If-Match': '"v1"' } }).catch((error: unknown) => error);
		expect(queued).toBeInstanceOf(OutboxQueuedError);
		const { entryId } = queued as OutboxQueuedError;
		const conflicts: unknown[] = [];
		here.on('outbox:conflict', (event) => conflicts.push(event));
		up = true;
		const flushed = here.outbox.flush();
		await expect.poll(() => replaying).toBe(true);
		// Another tab, opened now (its own drain waits for this tab's pass: the outbox's lock).
		const there = createClient({ ...options, outbox: outbox({ resumeJitterMs: 0 }) });
		const heard = noteHeard(name);
		const discarded = there.outbox.discard(entryId); // Noted at once; its removal waits for this tab's pass.
		await heard;
		answer();
		await flushed;
		await discarded;
		// Before: asked [<id>] and `outbox:conflict` told for the entry the other tab had discarded.
		expect({ asked, conflicts: conflicts.length, dead: (await here.outbox.deadLetters()).length, pending: await here.outbox.size() }).toEqual({ asked: [], conflicts: 0, dead: 0, pending: 0 });
		here.close();
		there.close();
	});
});

describe('another tab\'s clear({ identity }) of a long identity (a token used as the identity), while a read of it is in flight here (Chromium, IndexedDB)', () => {
	it.each([['an identity of 3 000 characters', 3_000], ['a short one (as before)', 12]])('%s: the read stores no copy after the clear', async (_, length) => {
		const name = `h12-long-${Math.random().toString(36).slice(2)}`;
		const who = `u${'x'.repeat(length - 1)}`;
		let answer: () => void = () => undefined;
		const held = new Promise<void>((resolve) => {
			answer = resolve;
		});
		let waiting = false;
		const transport = async (input: RequestInfo | URL): Promise<Response> => {
			if ((input as Request).url.endsWith('/me')) {
				waiting = true;
				await held;
			}

			return Response.json({ me: 'alice' }, { headers: { 'cache-control': 'max-age=60' } });
		};
		const options = { name, baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false as const, store: indexedDbStore, identity: () => who };
		const here = createClient(options);
		const there = createClient(options);
		const errors: unknown[] = [];
		here.on('storage:error', (event) => errors.push(event.error));
		const stored: string[] = [];
		here.on('cache:stored', (event) => stored.push(event.url));
		const read = here.get('me').json();
		await expect.poll(() => waiting).toBe(true);
		const heard = noteHeard(name);
		await there.clear({ identity: who }); // The logout, in another tab.
		await heard;
		answer();
		expect(await read).toEqual({ me: 'alice' });
		// A read made after the clear, stored: the copy of the first (its write decided first, behind its caller) was let go by then.
		await here.get('after').json();
		await expect.poll(() => stored.some((url) => url.endsWith('/after'))).toBe(true);
		// Before (3 000 characters): the note was ignored here as malformed (storage:error), the copy stored after the clear.
		expect({ stored: stored.filter((url) => url.endsWith('/me')), listed: (await here.cache.list()).map(({ url }) => url.replace(/.*\//, '')), errors: errors.length }).toEqual({ stored: [], listed: ['after'], errors: 0 });
		here.close();
		there.close();
	});
});
