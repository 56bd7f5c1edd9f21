/**
 * The outbox reads the pending records it has not read yet (`Queue#study`) to learn which ones a later write superseded
 * (`replaces`: the store failed the older key's delete). The fortieth hunt: that reading stopped at the first record the
 * store refused (its error, at once) as at one it did not answer in time, so an entry superseded behind an unreadable one
 * was counted by `size()`, shown by `list()`, and replayed by a pass (a superseded PUT sent) where removed, never sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxQueuedError, type KeyValueStore } from '../../src/entries/index.js';
import { failingDeletes, outboxOnStore } from './outbox-store-kit.js';

const { onStore } = outboxOnStore('study-hunt40');
type Api = ReturnType<typeof onStore>['api'];

const opened: Api[] = [];
afterEach(() => {
	for (const api of opened.splice(0)) {
		api.close();
	}
});

/** `failingDeletes()` whose `get` of a pending key holding one of the ids in `refused.gets` rejects (the store's error). */
const store = () => {
	const made = failingDeletes();
	const gets = new Set<string>();
	const refusing: KeyValueStore = { ...made.store, async get<T>(key: string): Promise<T | undefined> {
		if (key.startsWith('p|') && [...gets].some((id) => key.includes(`|${id}|`))) {
			throw new DOMException('The record could not be read', 'DataError');
		}

		return made.store.get<T>(key);
	} };
	return { ...made, store: refusing, gets };
};

/** `method path` with `json`, queued (the transport down), then flushed once: its entry id. */
const queue = async (api: Api, method: 'put' | 'patch', path: string, json: object): Promise<string> => {
	const error = await api[method](path, { json }).catch((caught: unknown) => caught) as OutboxQueuedError;
	expect(error).toBeInstanceOf(OutboxQueuedError);
	await api.outbox.flush();
	return error.entryId;
};

/**
 * Over a new store: `PATCH items/9` (`R`, its reads later refused) and `PUT items/1 {"v":1}` (`A`) in the order `order`
 * says, then `PUT items/1 {"v":2}` (`C`, coalescing) while the store fails deletes: `C`'s record names `A`, which stays
 * stored. A reload's client (deletes working again, `R`'s reads refused). The ids.
 */
const superseded = async (order: 'R A' | 'A R') => {
	const made = store();
	const { api } = onStore(made.store, { coalesce: true });
	opened.push(api);
	const ids: Record<string, string> = {};
	for (const name of order.split(' ')) {
		ids[name] = name === 'R' ? await queue(api, 'patch', 'items/9', { r: 1 }) : await queue(api, 'put', 'items/1', { v: 1 });
	}

	made.refused.deletes = ['p|'];
	ids.C = await queue(api, 'put', 'items/1', { v: 2 });
	made.refused.deletes = [];
	expect((await made.keys('p|')).length).toBe(3); // A's key still stored, named by C's record.
	api.close();
	made.gets.add(ids.R!);
	const reload = onStore(made.store, { coalesce: true });
	opened.push(reload.api);
	const told: string[] = [];
	reload.api.on('outbox:superseded', (event) => told.push(event.entryId));
	return { ...made, reload, ids, told };
};

describe('an entry superseded behind a pending record the store refuses to give back', () => {
	it('size() after a reload: the superseded one not counted (2 where 3)', async () => {
		const { reload } = await superseded('R A');
		expect(await reload.api.outbox.size()).toBe(2);
	});

	it('list() after a reload: the superseded one not shown', async () => {
		const { reload, ids } = await superseded('R A');
		expect((await reload.api.outbox.list()).map((entry) => entry.id)).toEqual([ids.R, ids.C]);
	});

	it('a pass after a reload: the superseded PUT removed and told, never sent (the refused PATCH holds the scope)', async () => {
		const { reload, ids, told } = await superseded('A R');
		reload.state.down = false;
		await reload.api.outbox.flush();
		expect([reload.state.sent.map((each) => `${each.line} ${each.body}`), told]).toEqual([[], [ids.A]]);
	});

	it('the store down (every read refused): size() still counts every listed entry', async () => {
		const { reload, gets, ids } = await superseded('R A');
		gets.add(ids.A!).add(ids.C!);
		expect(await reload.api.outbox.size()).toBe(3);
	});
});
