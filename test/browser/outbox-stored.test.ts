/**
 * Defect hunt, eleventh round, third pass (Q), in real Chromium (IndexedDB): a stored outbox record whose
 * method, headers or fetch options Chromium's fetch refuses is malformed as it is read (API.md "Sensitive data":
 * records read from storage are validated before use), never a replay that fails.
 */
import { describe, expect, it } from 'vitest';
import { createClient, indexedDbStore, outbox, OutboxQueuedError } from '../../src/entries/index.js';
import { refusedUntilUp } from '../helpers/recording-fetch.js';

describe('stored outbox records Chromium\'s fetch refuses (IndexedDB)', () => {
	it('mode navigate, a header value with CR LF, a forbidden method: storage:error (decode), a \'rejected\' dead letter \'Unreadable\', never sent', async () => {
		const name = `stored-${Math.random().toString(36).slice(2)}`;
		const { state, sent, transport } = refusedUntilUp();
		const make = () => createClient({ name, baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false, staleCache: false, store: indexedDbStore, random: () => 0.5,
			// No replay before `state.up` (a long backoff): a pass reads the records, none is sent.
			outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 300_000 }) });
		const changes: Array<(record: Record<string, unknown>) => void> = [
			(record) => { record['init'] = { mode: 'navigate' }; },
			(record) => { record['headers'] = { 'x-note': 'one\r\nx-evil: 1' }; },
			(record) => { record['method'] = 'TRACE'; },
		];
		const store = indexedDbStore(`${name}/outbox`);
		const writer = make();
		for (const [index] of changes.entries()) {
			await expect(writer.post(`w/${index}`, { json: { index } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		// The records are changed in storage while no pass of any client can read or write them back: the writer's
		// drain has ended (its replays failed: the transport is down) and the writer is closed. (Changed while a pass
		// ran, a record was written back as the pass had read it: the stop-75 run of this test failed so.)
		await writer.outbox.flush();
		writer.close();
		const keys: string[] = [];
		for (const [index, entry] of (await writer.outbox.list()).entries()) {
			const key = (await store.keys()).find((each) => each.includes(`|${entry.id}|`))!;
			const record = (await store.get<Record<string, unknown>>(key))!;
			changes[index]!(record);
			await store.set(key, record);
			keys.push(key);
		}

		// The next start (a reload) reads them.
		state.up = true;
		const api = make();
		const errors: string[] = [];
		api.on('storage:error', (event) => errors.push(`${(event as { operation: string }).operation} ${(event as { key: string }).key}`));
		await api.outbox.flush();
		expect(await api.outbox.stats()).toMatchObject({ entries: 0, dead: 3 });
		expect(sent).toEqual([]);
		expect(errors).toEqual(keys.map((key) => `decode ${key}`));
		expect((await api.outbox.deadLetters()).map((entry) => [entry.deadReason, entry.lastError])).toEqual(changes.map(() => ['rejected', { code: 'INVALID_REQUEST', message: 'Unreadable' }]));
		api.close();
	});
});
