/**
 * Defect hunt, ninth round (D), in real Chromium (IndexedDB, Web Locks, BroadcastChannel: clients made
 * apart in a page hear each other as tabs do): a drain another tab asked for while a pass held the
 * outbox's lock, granted the lock after a clear() began, sends none of the entries the clear removes.
 */
import { describe, expect, it } from 'vitest';
import { createClient, indexedDbStore, outbox, OutboxQueuedError } from '../../src/entries/index.js';

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
		const waited = other.outbox.flush(); // Waits for the lock.
		await new Promise((resolve) => setTimeout(resolve, 50));
		const cleared = other.clear(); // Logout in that tab.
		await new Promise((resolve) => setTimeout(resolve, 50));
		release();
		await cleared;
		await Promise.all([flushed, waited]);
		// Before: the waiting drain got the lock before the clear's removal and sent the nine others.
		expect({ sent: sent.length, size: await replaying.outbox.size() }).toEqual({ sent: 1, size: 0 });
		replaying.close();
		other.close();
	});
});
