/**
 * A replay never changes hands (API.md "Identity", issue 33): an entry's identity is checked again
 * when its replay's attempt starts — after ky's `beforeRequest` hooks, with no await before it goes
 * out — so a user who logs out at any await of the drain (the record's read, `migrate`,
 * `onConflict`'s rebase, the hooks) never has a write sent with the next user's token. An entry
 * refused for it stays pending, untouched, and goes out with its own user's token once they return.
 */
import { describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../src/entries/index.js';
import { spyStore, harnessEachTest, queueOffline } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

/** The app's login, and a `beforeRequest` hook that signs every request as the user logged in now. */
const session = () => {
	const state = { who: 'alice' };
	const hooks = { beforeRequest: [({ request }: { request: Request }) => {
		request.headers.set('authorization', `Bearer ${state.who}`);
	}] };
	return { state, hooks };
};

/** Queue a write offline (nothing leaves the client); returns its entry as listed. */
/** The requests for `id` that reached the transport, by the token they carried. */
const tokens = (id: string): string[] => h.seen.filter((request) => request.url.includes(`id=${id}`)).map((request) => request.headers['authorization'] ?? '');

describe('a replay never goes out under another identity', () => {
	it('the user switches while the drain reads the record: alice\'s write is not sent with bob\'s token; it waits, untouched, and goes with alice\'s', async () => {
		const { state, hooks } = session();
		let switchOnRead = false;
		const store: KeyValueStore = spyStore(h.store, {
			async get(key, run) {
				const value = await run();
				if (switchOnRead && key.startsWith('p|')) {
					state.who = 'bob'; // logs out while the drain awaits the store
				}

				return value;
			},
		});
		const api = h.make({ identity: () => state.who, hooks, store: () => store, outbox: true });
		const entry = await queueOffline(win, api, async () => api.put('doc?id=hands-read', { body: 'alice\'s' }));
		switchOnRead = true;
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 1 });
		expect(tokens('hands-read')).toEqual([]); // before: one PUT with `Bearer bob`
		expect(await api.outbox.list()).toEqual([entry]); // untouched: no attempt counted, nothing rescheduled
		switchOnRead = false;
		state.who = 'alice';
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(tokens('hands-read')).toEqual(['Bearer alice']);
		expect(h.state.docs?.get('hands-read')?.body).toBe('alice\'s');
	});

	it('the user switches during migrate: the migrated write is kept, not sent under bob, and sent once alice is back (migrated once)', async () => {
		const { state, hooks } = session();
		const writer = h.make({ identity: () => state.who, outbox: true });
		const entry = await queueOffline(win, writer, async () => writer.put('doc?id=hands-migrate', { body: 'v1' }));
		writer.close();
		let migrations = 0;
		const api = h.make({
			identity: () => state.who, hooks,
			outbox: { version: 2, migrate: async (stored) => {
				migrations++;
				state.who = 'bob';
				return { ...stored, body: new TextEncoder().encode('v2').buffer as ArrayBuffer };
			} },
		});
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, dead: 0, remaining: 1 });
		expect(tokens('hands-migrate')).toEqual([]);
		expect(await api.outbox.list()).toMatchObject([{ id: entry.id, attempts: entry.attempts, nextAttemptAt: entry.nextAttemptAt, version: 2 }]);
		state.who = 'alice';
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(tokens('hands-migrate')).toEqual(['Bearer alice']);
		expect(h.state.docs?.get('hands-migrate')?.body).toBe('v2');
		expect(migrations).toBe(1);
	});

	it('the user switches while onConflict rebases: the rebased write waits for alice', async () => {
		const { state, hooks } = session();
		const api = h.make({
			identity: () => state.who, hooks,
			outbox: { onConflict: async ({ response }) => {
				state.who = 'bob';
				return { body: 'rebased', headers: { 'if-match': response.headers.get('etag')! } };
			} },
		});
		await queueOffline(win, api, async () => api.put('doc?id=hands-rebase', { body: 'mine', headers: { 'If-Match': '"v0"' } }));
		expect(await api.outbox.flush()).toMatchObject({ sent: 0, remaining: 1 });
		expect(tokens('hands-rebase')).toEqual(['Bearer alice']); // the replay that met the conflict; the rebase did not go as bob
		state.who = 'alice';
		expect(await api.outbox.flush()).toMatchObject({ sent: 1, remaining: 0 });
		expect(tokens('hands-rebase')).toEqual(['Bearer alice', 'Bearer alice']);
		expect(h.state.docs?.get('hands-rebase')?.body).toBe('rebased');
	});

	it('the user switches after the hooks signed the request, before it goes out: the attempt does not start', async () => {
		const { state, hooks } = session();
		let switchAfterHooks = false;
		const api = h.make({
			identity: () => state.who,
			hooks: { beforeRequest: [...hooks.beforeRequest, () => {
				if (switchAfterHooks) {
					state.who = 'bob';
				}
			}] },
			outbox: true,
		});
		const entry = await queueOffline(win, api, async () => api.post('mutate?id=hands-hooks', { json: { n: 1 } }));
		switchAfterHooks = true;
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 1 });
		expect(tokens('hands-hooks')).toEqual([]);
		expect(await api.outbox.list()).toEqual([entry]);
		switchAfterHooks = false;
		state.who = 'alice';
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		expect(tokens('hands-hooks')).toEqual(['Bearer alice']);
	});

	it('an entry refused for its identity keeps its scope\'s order: the next entry of its user does not overtake it', async () => {
		const { state, hooks } = session();
		let flip = false;
		let second = '';
		const store: KeyValueStore = spyStore(h.store, {
			async get(key, run) {
				if (key === second) {
					state.who = 'alice'; // back before the drain reads the next entry
				}

				return run();
			},
		});
		const api = h.make({
			identity: () => state.who, store: () => store,
			hooks: { beforeRequest: [...hooks.beforeRequest, () => {
				if (flip) {
					flip = false;
					state.who = 'bob';
				}
			}] },
			outbox: true,
		});
		await queueOffline(win, api, async () => api.post('mutate?id=hands-fifo', { json: { n: 1 } }));
		const { id } = await queueOffline(win, api, async () => api.post('mutate?id=hands-fifo', { json: { n: 2 } }));
		second = (await h.store.keys()).find((key) => key.includes(id))!;
		flip = true;
		await api.outbox.flush();
		expect(h.state.applied.get('hands-fifo')).toBeUndefined();
		state.who = 'alice';
		expect(await api.outbox.flush()).toMatchObject({ sent: 2 });
		expect(h.state.applied.get('hands-fifo')!.map((write) => JSON.parse(write.body).n)).toEqual([1, 2]);
	});
});
