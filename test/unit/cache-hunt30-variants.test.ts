/**
 * Defect hunt, thirtieth round (the stale cache, the records it reads back from storage, `client.cache`, and the
 * readers of a server's timing headers). API.md "Sensitive data": records read from storage are validated before use,
 * a malformed one is ignored and reported as `storage:error`; the standards: what comes from outside is parsed
 * defensively and bounded by the options. Each test names its claim.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isRecord } from '../../src/cache/record.js';

const t0 = 1_700_000_000_000;

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('a stored record\'s head is bounded before it is walked (isRecord)', () => {
	/** A list of `count` well-formed pairs whose items read are counted in `seen`. */
	const counted = (count: number, seen: { items: number }): [string, string][] => new Proxy(Array.from({ length: count }, (_, index): [string, string] => [`x-h${index}`, 'v']), {
		get(target, property, receiver) {
			if (typeof property === 'string' && /^\d+$/.test(property)) {
				seen.items++;
			}

			return Reflect.get(target, property, receiver) as unknown;
		},
	});

	const record = (headers: unknown, vary: unknown) => ({
		v: 2, url: 'https://a.test/x', storedAt: t0, born: t0, until: t0 + 60_000, lifetime: 60, status: 200, statusText: 'OK', headers, vary, body: new ArrayBuffer(2),
	});

	it.each([
		['headers', (list: unknown) => record(list, [])],
		['vary', (list: unknown) => record([], list)],
	])('a record with 1,000,000 %s is refused having read at most the 256 a record may hold', (_, make) => {
		const seen = { items: 0 };
		expect(isRecord(make(counted(1_000_000, seen)))).toBe(false);
		// Before: 1000000 items read (every pair checked, then the count found over 256), on a request's path.
		expect(seen.items).toBeLessThanOrEqual(257);
	});

	it('a record of 256 header fields in all is still one', () => {
		const seen = { items: 0 };
		expect(isRecord(record(counted(200, seen), Array.from({ length: 56 }, (_, index) => [`x-v${index}`, null])))).toBe(true);
		expect(isRecord(record(counted(200, seen), Array.from({ length: 57 }, (_, index) => [`x-v${index}`, null])))).toBe(false);
	});
});
