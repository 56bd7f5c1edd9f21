/**
 * What the outbox reads back from storage is distrusted (API.md "Sensitive data"): a record whose
 * version is not a positive integer or whose preconditions name another header is malformed, and
 * no time read from one keeps it beyond retention. And entries this client leaves alone (a newer
 * version's, another identity's) hold nobody's writes: FIFO holds a call only behind what this client
 * would replay now.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, OutboxQueuedError, type OutboxEntry } from '../../src/entries/index.js';
import { type Harness, throwIfOffline, until, harnessEachTest } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

const retentionMs = 604_800_000;

/** Queue a PUT offline through `api`; returns its entry. */
const queue = async (api: ReturnType<Harness['make']>, path: string): Promise<OutboxEntry> => {
	win.setOnline(false, false);
	const { entryId } = await api.put(path, { body: 'x' }).then(() => ({ entryId: '' }), (error: { entryId: string }) => error);
	const entry = (await api.outbox.list()).find(({ id }) => id === entryId);
	expect(entry).toBeDefined();
	return entry!;
};

/** Change the stored record of entry `id` as a tampered or damaged store would hand it back. */
const tamper = async (id: string, change: (record: Record<string, unknown>) => void): Promise<string> => {
	const key = (await h.store.keys()).find((each) => each.includes(`|${id}|`))!;
	const record = await h.store.get<Record<string, unknown>>(key);
	change(record!);
	await h.store.set(key, record);
	return key;
};

describe('stored records are validated', () => {
	it('a version that is not a positive integer, preconditions naming another header or holding a bad value, a method, header or fetch option fetch refuses: malformed, reported (storage:error), kept as a dead letter (rejected); never migrated nor sent', async () => {
		const writer = h.make({ outbox: true });
		const changes: Array<(record: Record<string, unknown>) => void> = [
			(record) => { record['version'] = 0; },
			(record) => { record['version'] = -3; },
			(record) => { record['version'] = 2.5; },
			(record) => { record['preconditions'] = { authorization: 'Bearer stolen' }; },
			(record) => { record['preconditions'] = { 'x-evil': '1' }; },
			(record) => { record['preconditions'] = { 'if-match': '"v1"\r\nx-evil: 1' }; },
			(record) => { record['preconditions'] = { 'if-match': '' }; },
			// What a replay would send with (`init`, `without`, `auth`): only fetch's option names with a mode, lists of names.
			(record) => { record['init'] = { credentials: ['include'] }; },
			(record) => { record['init'] = { headers: 'x' }; },
			(record) => { record['without'] = 'authorization'; },
			(record) => { record['auth'] = true; },
			// A method, headers or fetch options fetch refuses (a replay could never be sent): each value, and a combination.
			(record) => { record['init'] = { mode: 'navigate' }; },
			(record) => { record['init'] = { redirect: 'nope' }; },
			(record) => { record['init'] = { cache: 'only-if-cached' }; },
			(record) => { record['method'] = 'PU T'; },
			(record) => { record['method'] = 'TRACE'; },
			(record) => { record['method'] = 'GET'; }, // With its body.
			(record) => { record['headers'] = { 'x-note': 'one\r\nx-evil: 1' }; },
			(record) => { record['headers'] = { 'x bad': '1' }; },
		];
		const keys: string[] = [];
		for (const [index, change] of changes.entries()) {
			const entry = await queue(writer, `doc?id=bad${index}`);
			keys.push(await tamper(entry.id, change));
		}

		writer.close();
		const migrated: string[] = [];
		const reader = h.make({ outbox: { version: 2, migrate: (entry) => {
			migrated.push(entry.url);
			return entry;
		} } });
		const errors = h.record(reader, 'storage:error');
		win.setOnline(true, false);
		expect(await reader.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: changes.length, remaining: 0 });
		expect(migrated).toEqual([]);
		expect(h.seen.filter((request) => request.url.includes('/doc?'))).toEqual([]);
		expect(errors.map((event) => [(event as { operation: string }).operation, (event as { key: string }).key])).toEqual(keys.map((key) => ['decode', key]));
		expect((await reader.outbox.deadLetters()).map((entry) => [entry.deadReason, entry.lastError])).toEqual(changes.map(() => ['rejected', { code: 'INVALID_REQUEST', message: 'Unreadable' }]));
	});

	it('preconditions holding bytes a header value may hold (an ETag with obs-text, RFC 9110 §8.8.3) are readable: replayed with them, byte for byte', async () => {
		// Twelfth round (U): the record's preconditions were checked as printable ASCII, so a queued PUT with If-Match
		// '"café"' became a 'rejected' dead letter 'Unreadable' (storage:error decode) on its replay: never sent.
		const api = h.make({ outbox: true });
		const errors = h.record(api, 'storage:error');
		win.setOnline(false, false);
		for (const etag of ['"caf\u00e9"', 'W/"\u00fcber\u00ff"']) {
			await expect(api.put('doc?id=latin', { body: 'x', headers: { 'If-Match': etag } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		win.setOnline(true, false);
		const flushed = await api.outbox.flush();
		expect(errors).toEqual([]);
		expect(h.sentOf('latin').map((request) => request.headers['if-match'])).toEqual(['"caf\u00e9"', 'W/"\u00fcber\u00ff"']);
		expect(flushed).toMatchObject({ sent: 0, dead: 2 }); // The document's version is "v1": both are conflicts, after being sent.
		expect((await api.outbox.deadLetters()).map((entry) => entry.deadReason)).toEqual(['conflict', 'conflict']);
	});

	it('retry(id) of the dead letter of an unreadable record: an InvalidRequestError, it stays a dead letter with its reason, nothing sent; a pending record without a method (one an older retry(id) moved back) is unreadable', async () => {
		const api = h.make({ outbox: true });
		const entry = await queue(api, 'doc?id=unreadable');
		await tamper(entry.id, (record) => { record['version'] = 0; });
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 1, remaining: 0 });
		const dead = await api.outbox.deadLetters();
		expect(dead).toMatchObject([{ id: entry.id, method: '', deadReason: 'rejected', lastError: { code: 'INVALID_REQUEST', message: 'Unreadable' } }]);
		const refused = await api.outbox.retry(entry.id).then(() => undefined, (error: unknown) => error);
		expect(refused).toBeInstanceOf(InvalidRequestError);
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 0 });
		expect(await api.outbox.deadLetters()).toEqual(dead);

		// As an older version's `retry(id)` left it: pending, no method, no reason.
		const key = (await h.store.keys()).find((each) => each.includes(`|${entry.id}|`))!;
		const record = (await h.store.get<Record<string, unknown>>(key))!;
		delete record['deadReason'];
		const pending = `p${key.slice(1)}`;
		await h.store.set(pending, record);
		await h.store.delete(key);
		const errors = h.record(api, 'storage:error');
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 1, remaining: 0 });
		expect(errors.map((event) => [(event as { operation: string }).operation, (event as { key: string }).key])).toEqual([['decode', pending]]);
		expect((await api.outbox.deadLetters()).map((each) => [each.id, each.deadReason, each.lastError])).toEqual([[entry.id, 'rejected', { code: 'INVALID_REQUEST', message: 'Unreadable' }]]);
		expect(h.sentOf('unreadable')).toEqual([]);
	});

	it('retention applies whatever the version: an entry of a newer version, or one created "in the future", expires past retentionMs', async () => {
		const newer = h.make({ outbox: { version: 5 } });
		const old = await queue(newer, 'doc?id=newer');
		const future = await queue(newer, 'doc?id=future');
		await tamper(future.id, (record) => {
			record['version'] = 1;
			record['createdAt'] = (record['createdAt'] as number) + 10 * retentionMs;
			record['nextAttemptAt'] = record['createdAt'];
		});
		newer.close();
		const reader = h.make({ outbox: true });
		win.setOnline(true, false);
		expect(await reader.outbox.flush()).toMatchObject({ sent: 0, dead: 1, remaining: 1 }); // the future one: far beyond its retention
		expect(await reader.outbox.list()).toMatchObject([{ id: old.id, version: 5 }]); // newer: left alone, within retention
		h.clock.advance(retentionMs + 1);
		expect(await reader.outbox.flush()).toMatchObject({ sent: 0, dead: 1, remaining: 0 });
		const dead = await reader.outbox.deadLetters();
		expect(dead.map((entry) => [entry.id, entry.deadReason]).sort()).toEqual([[old.id, 'expired'], [future.id, 'expired']].sort());
		expect(h.seen.filter((request) => request.method === 'PUT')).toEqual([]);
	});
});

describe('FIFO holds a call only behind entries this client would replay now', () => {
	it('a newer version\'s entries do not hold this client\'s writes to their scope: sent at once, not queued', async () => {
		const newer = h.make({ outbox: { version: 2 } });
		await queue(newer, 'doc?id=lane-newer');
		newer.close();
		const older = h.make({ outbox: true });
		win.setOnline(true, false);
		const response = await older.put('doc?id=lane-mine', { body: 'now' });
		expect(response.status).toBe(200);
		expect(h.state.docs?.get('lane-mine')?.body).toBe('now');
		expect(await older.outbox.size()).toBe(1); // the newer version's entry stays, untouched
	});

	it('another identity\'s entries do not hold the new user\'s writes; the user\'s own entries still do', async () => {
		let who = 'ann';
		const api = h.make({ identity: () => who, outbox: true });
		await queue(api, 'doc?id=lane-ann');
		who = 'bob'; // ann logs out, bob logs in
		win.setOnline(true, false);
		const response = await api.put('doc?id=lane-bob', { body: 'bob' });
		expect(response.status).toBe(200);
		expect(h.state.docs?.get('lane-bob')?.body).toBe('bob');
		// A fresh client (a reload) for bob, with ann's entry never read by it before: the same.
		const reloaded = h.make({ identity: () => who, outbox: true });
		expect((await reloaded.put('doc?id=lane-bob2', { body: 'bob' })).status).toBe(200);
		// Bob's own pending entry holds bob's next write (FIFO), as before.
		await queue(reloaded, 'doc?id=lane-bob3');
		win.setOnline(true, false);
		await expect(reloaded.put('doc?id=lane-bob4', { body: 'later' })).rejects.toBeInstanceOf(OutboxQueuedError);
	});
});

describe('identity is checked for each entry, not once per drain', () => {
	it('a user who logs out while a drain replays one of their writes: their next entries are not sent under the next user', async () => {
		let who = 'ann';
		let release!: () => void;
		let atGate = false;
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		const api = h.make({
			identity: () => who,
			fetch: async (input, init) => {
				throwIfOffline();
				if ((input as Request).url.includes('gate=1') && !atGate) {
					atGate = true;
					await gate;
				}

				return fetch(input as Request, init);
			},
		});
		await queue(api, 'doc?id=who1&gate=1');
		await queue(api, 'doc?id=who2');
		win.setOnline(true, false);
		const flushed = api.outbox.flush();
		await until(() => atGate);
		who = 'bob'; // ann logs out while her first write is in flight
		release();
		expect(await flushed).toMatchObject({ sent: 1, remaining: 1 });
		expect(h.state.docs?.get('who2')).toBeUndefined();
		expect(await api.outbox.list()).toMatchObject([{ url: expect.stringContaining('who2') }]);
	});
});
