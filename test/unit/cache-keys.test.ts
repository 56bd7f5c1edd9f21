/**
 * The stale cache's keys (src/cache/keys.ts): made once per URL, identity and credentials, not per
 * call (issue 47: the key's URL split and digest memo cost every call), and never shared across
 * identities, credentials or URLs.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PolicyContext } from '../../src/core/policy.js';

const split = vi.hoisted(() => ({ calls: 0 }));
vi.mock('../../src/utils/sensitive.js', async (original) => {
	const actual = await original<typeof import('../../src/utils/sensitive.js')>();
	return { ...actual, splitSensitive: (...args: Parameters<typeof actual.splitSensitive>) => (split.calls++, actual.splitSensitive(...args)) };
});

const { keys } = await import('../../src/cache/keys.js');

const contextOf = (): PolicyContext => ({ name: 'keys-test', options: { sensitiveHeaders: ['x-api-key'] } }) as unknown as PolicyContext;
/** A key once its digests are made (the first call for a partition may be a promise). */
const settled = async (key: string | Promise<string> | undefined): Promise<string | undefined> => key;

afterEach(() => {
	split.calls = 0;
});

describe('cache keys', () => {
	it('a repeated URL of one identity and credentials: its key is made once, then reused', async () => {
		const made = keys(contextOf(), false);
		const first = await settled(made.of(new Request('https://api.example/users/1?token=s'), 'alice'));
		await settled(made.of(new Request('https://api.example/users/1?token=s'), 'alice'));
		const before = split.calls;
		for (let index = 0; index < 10; index++) {
			expect(made.of(new Request('https://api.example/users/1?token=s'), 'alice')).toBe(first);
		}

		expect(split.calls).toBe(before);
	});

	it('another identity, another credential header value or another URL gets its own key', async () => {
		const made = keys(contextOf(), false);
		const url = 'https://api.example/users/1';
		const all = [
			await settled(made.of(new Request(url), 'alice')),
			await settled(made.of(new Request(url), 'bob')),
			await settled(made.of(new Request(url), undefined)),
			await settled(made.of(new Request(url), '')),
			await settled(made.of(new Request(url, { headers: { 'x-api-key': 'one' } }), 'alice')),
			await settled(made.of(new Request(url, { headers: { 'x-api-key': 'two' } }), 'alice')),
			await settled(made.of(new Request(`${url}?page=2`), 'alice')),
		];
		// Asked again (now from the memo): the same keys, each still its own.
		const again = [
			made.of(new Request(url), 'alice'),
			made.of(new Request(url), 'bob'),
			made.of(new Request(url), undefined),
			made.of(new Request(url), ''),
			made.of(new Request(url, { headers: { 'x-api-key': 'one' } }), 'alice'),
			made.of(new Request(url, { headers: { 'x-api-key': 'two' } }), 'alice'),
			made.of(new Request(`${url}?page=2`), 'alice'),
		];
		expect(again).toEqual(all);
		expect(new Set(all).size).toBe(all.length);
		expect(all.every((key) => typeof key === 'string' && !key.includes('alice') && !key.includes('one'))).toBe(true);
	});

	it('a shared cache never keys a request with credentials, also when asked again', async () => {
		const made = keys(contextOf(), true);
		expect(await settled(made.of(new Request('https://api.example/a', { headers: { authorization: 'Bearer x' } }), undefined))).toBeUndefined();
		expect(made.of(new Request('https://api.example/a', { headers: { authorization: 'Bearer x' } }), undefined)).toBeUndefined();
		expect(made.of(new Request('https://api.example/a?token=s'), undefined)).toBeUndefined();
	});
});
