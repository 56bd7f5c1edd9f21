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
		const waiting = async (): Promise<number> => (await navigator.locks.query()).pending?.filter((each) => each.name === `steadfetch:${name}/outbox`).length ?? 0;
		const waited = other.outbox.flush(); // Waits for the lock.
		await expect.poll(waiting).toBeGreaterThan(0);
		const before = await waiting();
		const heard = new Promise<void>((resolve) => {
			const channel = new BroadcastChannel(`steadfetch:${name}:world`);
			channel.onmessage = ({ data }: MessageEvent) => {
				if ((data as { note?: string }).note) {
					channel.close();
					resolve();
				}
			};
		});
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
