/**
 * Hunt 22: the text every event error, outbox outcome and span status goes through (`redactText`) in time linear in
 * its length. A server's status text, or an error message an app built, is outside input: before, each long word
 * without a `?` or `#` was scanned to its end from each of its starts (a 64 KB message took about 4 s).
 */
import { describe, expect, it } from 'vitest';
import { pathOf } from '../../src/cache/keys.js';
import { redactText, sensitiveParamSet } from '../../src/utils/sensitive.js';

const params = sensitiveParamSet({});

describe('redactText', () => {
	for (const [name, text] of [
		['one long word', 'a'.repeat(200_000)],
		['a long word, then a query', `${'a'.repeat(200_000)} ?`],
		['many slashes', '/'.repeat(200_000)],
		['a URL with a long path', `https://a.test/${'b'.repeat(200_000)}`],
	] as const) {
		it(`${name} (200,000 characters) is searched in linear time`, () => {
			const started = performance.now();
			const shown = redactText(text, params);
			const ms = performance.now() - started;
			expect(shown).toBe(text);
			expect(ms).toBeLessThan(1_000); // about 1 ms; the old pattern took tens of seconds here
		});
	}

	it('still removes every sensitive value from each word with a query or a fragment, and keeps the rest byte for byte', () => {
		expect(redactText('GET https://a.test/x?token=abc&q=1 failed', params)).toBe('GET https://a.test/x?token=&q=1 failed');
		expect(redactText('see https://a.test/x#access_token=abc and ?api_key=k', params)).toBe('see https://a.test/x#access_token= and ?api_key=');
		expect(redactText('  two  spaces\tand\nlines stay ?q=1  ', params)).toBe('  two  spaces\tand\nlines stay ?q=1  ');
	});
});

describe('the path a copy and a deduplicated read are named by (pathOf), in linear time', () => {
	for (const [name, url, expected] of [
		['a run of slashes inside the path', `https://a.test/${'/'.repeat(100_000)}x/`, `https://a.test/${'/'.repeat(100_000)}x`],
		['a path of slashes only', `https://a.test/${'/'.repeat(100_000)}`, 'https://a.test'],
	] as const) {
		it(`${name} (100,000)`, () => {
			const started = performance.now();
			const path = pathOf(url);
			const ms = performance.now() - started;
			expect(path).toBe(expected);
			expect(ms).toBeLessThan(1_000); // about 1 ms; the old pattern took seconds here
		});
	}

	it('keeps the rest: no query, no fragment, no ending slashes', () => {
		expect(pathOf('https://a.test/todos///?q=1#x')).toBe('https://a.test/todos');
		expect(pathOf('https://a.test/todos/%7E/')).toBe('https://a.test/todos/~');
		expect(pathOf('https://a.test')).toBe('https://a.test');
	});
});
