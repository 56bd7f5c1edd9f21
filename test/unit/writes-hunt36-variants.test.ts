/**
 * Defect hunt, thirty-sixth round (offline writes for real apps): `onConflict` answers that name a rebase's keys but
 * give nothing (`{ json: undefined }`, `{ headers: undefined }`: a merge that produced nothing) — as `{}`, no rebased
 * write (OutboxOptions.onConflict): a 'conflict' dead letter, never the stored write replayed without its precondition.
 */
import { describe, expect, it } from 'vitest';
import type { OutboxOptions } from '../../src/entries/index.js';
import { harnessEachTest, queueOffline } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

const doc = (id: string) => h.state.docs?.get(id) ?? { version: 1, body: '', writes: [], conflicts: 0 };

describe('an onConflict answer of a rebase\'s keys, each undefined', () => {
	const conflicted = async (onConflict: NonNullable<OutboxOptions['onConflict']>, id: string) => {
		const api = h.make({ outbox: { onConflict } });
		const entry = await queueOffline(win, api, async () => api.put(`doc?id=${id}`, { json: { v: 'mine' }, headers: { 'If-Match': '"v1"' } }));
		expect((await fetch(`${h.api.url}/doc?id=${id}`, { method: 'PUT', body: 'theirs' })).status).toBe(200);
		return { api, entry, result: await api.outbox.flush() };
	};

	const answers: Array<[string, () => unknown]> = [
		['{ json: undefined }', () => ({ json: undefined })],
		['{ body: undefined }', () => ({ body: undefined })],
		['{ headers: undefined }', () => ({ headers: undefined })],
		['{ json: undefined, body: undefined, headers: undefined }', () => ({ json: undefined, body: undefined, headers: undefined })],
	];
	for (const [index, [name, answer]] of answers.entries()) {
		it(`${name}: a 'conflict' dead letter, the other device's change kept`, async () => {
			const { api, entry, result } = await conflicted(answer as never, `h36u${index}`);
			// Before: { sent: 1, dead: 0 }, and the document's body '{"v":"mine"}' (replayed without its If-Match).
			expect(result).toMatchObject({ sent: 0, dead: 1, remaining: 0 });
			expect((await api.outbox.deadLetters()).filter(({ id }) => id === entry.id)).toMatchObject([{ deadReason: 'conflict', lastError: { code: 'CONFLICT', status: 412 } }]);
			expect(doc(`h36u${index}`).body).toBe('theirs');
		});
	}
});
