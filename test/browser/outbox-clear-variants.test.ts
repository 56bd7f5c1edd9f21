/**
 * Defect hunt, ninth round (D), in real Chromium (IndexedDB, Web Locks, BroadcastChannel: clients made
 * apart in a page hear each other as tabs do): a drain another tab asked for while a pass held the
 * outbox's lock, granted the lock after a clear() began, sends none of the entries the clear removes.
 */
import { describe, expect, it } from 'vitest';
import { createClient, indexedDbStore, outbox, OutboxQueuedError } from '../../src/entries/index.js';
import { noteHeard, waitingForLock } from '../helpers/other-tabs.js';
import { refusedUntilUp } from '../helpers/recording-fetch.js';

describe('clear() while another tab\'s drain waits for the outbox\'s lock (Chromium, IndexedDB)', () => {
	it('the waiting drain sends none of the entries the clear removes', async () => {
		const name = `clear-${Math.random().toString(36).slice(2)}`;
		let up = false;
		let release: () => void = () => undefined;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const sent: string[] = [];
		const transport = async (input: RequestInfo | URL): Promise<Response> => {
			if (!up) {
				throw new TypeError('Failed to fetch');
			}

			sent.push((input as Request).url);
			if (sent.length === 1) {
				await held; // The replaying tab's first replay: its pass holds the lock meanwhile.
			}

			return Response.json({ ok: true }, { status: 201 });
		};
		const options = { name, baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false as const, staleCache: false as const, store: indexedDbStore, outbox: outbox({ resumeJitterMs: 0 }) };
		const replaying = createClient(options);
		const other = createClient(options);
		for (let n = 0; n < 10; n++) {
			await expect(replaying.post(`w/${n}`, { json: { n } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		up = true;
		const flushed = replaying.outbox.flush();
		await expect.poll(() => sent.length).toBe(1);
		const waiting = async (): Promise<number> => waitingForLock(name);
		const waited = other.outbox.flush(); // Waits for the lock.
		await expect.poll(waiting).toBeGreaterThan(0);
		const before = await waiting();
		const heard = noteHeard(name);
		const cleared = other.clear(); // Logout in that tab.
		await heard; // The replaying tab hears of it: its pass ends after the replay in flight.
		await expect.poll(waiting).toBe(before + 1); // The clear's removal waits behind the drain.
		release();
		await cleared;
		await Promise.all([flushed, waited]);
		// Before: the waiting drain got the lock before the clear's removal and sent the nine others.
		expect({ sent: sent.length, size: await replaying.outbox.size() }).toEqual({ sent: 1, size: 0 });
		replaying.close();
		other.close();
	});
});

describe('a logout in another tab while this tab\'s failed write is being stored (Chromium, IndexedDB)', () => {
	it('the write the clear removes is never told "queued": the caller gets its failure, nothing is stored or sent', async () => {
		const name = `clear-store-${Math.random().toString(36).slice(2)}`;
		const { state, sent, transport } = refusedUntilUp();
		// This tab's IndexedDB takes its time with the entry (another tab's transaction before it, a busy disk).
		let holding = false;
		let release: () => void = () => undefined;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const slow = (namespace: string) => {
			const store = indexedDbStore(namespace);
			return { ...store, async set(key: string, value: unknown) {
				if (key.startsWith('p|')) {
					holding = true;
					await held;
				}

				return store.set(key, value);
			} };
		};
		const options = { name, baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false as const, staleCache: false as const, storageTimeoutMs: 60_000, outbox: outbox({ resumeJitterMs: 0 }) };
		const writing = createClient({ ...options, store: slow });
		const other = createClient({ ...options, store: indexedDbStore });
		const call = writing.post('w/1', { json: { n: 1 } }).then(() => 'resolved', (error: { code?: string; name?: string }) => error.code ?? error.name);
		await expect.poll(() => holding).toBe(true);
		// The other tab's note reaches this channel after the writing client's, made earlier (one task each, in order).
		const heard = noteHeard(name);
		// Logout in the other tab: its store holds nothing of the write yet. Its removal may wait for the outbox's
		// lock, which a pass here can hold while it waits for the entry the store is taking: not awaited before release().
		const cleared = other.clear();
		await heard;
		release();
		await cleared;
		// Before: 'QUEUED' (the entry the writing tab's part store then deleted again: the write was lost, the caller told it was kept).
		expect(await call).toBe('NetworkError');
		state.up = true;
		expect(await writing.outbox.flush()).toMatchObject({ sent: 0 });
		expect({ size: await writing.outbox.size(), others: await other.outbox.size(), sent }).toEqual({ size: 0, others: 0, sent: [] });
		writing.close();
		other.close();
	});
});
