/**
 * Defect hunt, forty-first round: the outbox's check of a placeholder a hook put in a header (enqueue.ts `hookedRef`) read
 * every header of every attempt of a client once it had made a placeholder (`outbox.ref()`), hooks or none: a cost per
 * attempt on the happy path (issue 47). Only a hook of the client's or the call's can put one there (the call's own
 * headers, the client's and a `Request`'s are read by the outbox's wrapper), so only then are they read.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Refs } from '../../src/outbox/refs.js';
import { fakeWindow, startHarness, type Harness } from './outbox-helpers.js';

let h: Harness;
let win: ReturnType<typeof fakeWindow>;

const api = async (): Promise<Response> => Response.json({ ok: true });

beforeEach(async () => {
	h = await startHarness();
	win = fakeWindow();
});
afterEach(async () => {
	vi.restoreAllMocks();
	win.restore();
	await h.close();
});

const setting = { hooks: { beforeRequest: [() => undefined] } };

describe('the hook check\'s cost: headers read only where a hook could have put a placeholder', () => {
	it('a client without hooks, once it made a placeholder: no attempt\'s headers scanned; with a hook, scanned (a guard)', async () => {
		const scans = vi.spyOn(Refs.prototype, 'inSent');
		const plain = h.make({ fetch: api, name: 'plain' });
		plain.outbox.ref('e1', '/id');
		await plain.get('todos/1', { headers: { 'x-a': '1', 'x-b': '2' } });
		// Before: one scan per header of each attempt.
		expect(scans).toHaveBeenCalledTimes(0);
		const hooked = h.make({ fetch: api, name: 'hooked', ...setting });
		hooked.outbox.ref('e1', '/id');
		await hooked.get('todos/1', { headers: { 'x-a': '1' } });
		expect(scans.mock.calls.length).toBeGreaterThan(0);
		const count = scans.mock.calls.length;
		await plain.get('todos/1', { headers: { 'x-a': '1' }, hooks: { beforeRequest: [() => undefined] } }); // A call's own hook: scanned too.
		expect(scans.mock.calls.length).toBeGreaterThan(count);
	});
});

describe('hooks the check must still see', () => {
	it('a hook an extend()ed client adds (its parent has none): its placeholder refused, never sent', async () => {
		const sent: string[] = [];
		const plain = h.make({ fetch: async (input: Parameters<typeof fetch>[0]) => {
			sent.push(`${(input as Request).headers.get('x-parent')}`);
			return Response.json({ ok: true });
		} });
		const placeholder = plain.outbox.ref('e1', '/id');
		const child = plain.extend({ hooks: { beforeRequest: [({ request }) => void request.headers.set('x-parent', placeholder)] } });
		expect(await child.get('todos/1').then(() => 'sent', (error: unknown) => (error as { code?: string }).code)).toBe('INVALID_REQUEST');
		expect(sent).toEqual([]);
	});
});
