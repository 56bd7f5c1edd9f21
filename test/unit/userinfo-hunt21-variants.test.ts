/**
 * Defect hunt, twenty-first round: `hideUserinfo` (every error message and bad option value we show goes through it)
 * took time quadratic in its text — one regular expression that backtracked over a long run of scheme characters, or of
 * `a:`, with no `@` after it: an error message holding a long token froze the tab (16 000 characters: 0.2 to 2.3 s,
 * 160 000: 7 to 16 s). The same passwords go, each in one pass.
 */
import { describe, expect, it } from 'vitest';
import { hideUserinfo } from '../../src/utils/validate.js';

/** The expression `hideUserinfo` used before: what it hid is what must go. */
const previously = (text: string): string =>
	text.replace(/((?:[a-z][\w+.-]*:[/\\]*|[/\\]{2})[^\s/\\?#@:]*:)[^/\\?#]*@/gi, '$1@').replace(/".*"(?= is an invalid header value)/s, '"…"');

/** A generator of the same strings on every run (xorshift). */
const seeded = (seed: number) => () => {
	seed ^= seed << 13;
	seed ^= seed >>> 17;
	seed ^= seed << 5;
	return (seed >>> 0) / 2 ** 32;
};

describe('hideUserinfo: the same passwords hidden, in linear time', () => {
	it('hides what it hid: URLs in messages, every form the URL parser reads, and a refused header value', () => {
		for (const text of [
			'GET https://user:secret@api.example/x?y=1 failed', 'redis://:pw@host', 'x:u:p@h', '//u:p@h', 'HTTPS://U:P@H',
			'https://u:p@ss@h/x', 'ws://a:b@c d://e:f@g', 'https:\\\\u:p@h', 'https:u:p w@h', 'a:b://u:p@h', '\\s:h:\\:1@?s?',
			'Headers.append: "Bearer a\nb" is an invalid header value.', 'no url here', '', '"a" "b" is an invalid header value',
		]) {
			expect(hideUserinfo(text), text).toBe(previously(text));
		}

		expect(hideUserinfo('GET https://user:secret@api.example/x failed')).toBe('GET https://user:@api.example/x failed');
	});

	it('hides what it hid on 200,000 random strings of URL characters (a fixed seed)', () => {
		const random = seeded(21);
		const alphabet = 'a:/@ \\?#.hsA1_"';
		const differ: string[] = [];
		for (let i = 0; i < 200_000; i++) {
			let text = '';
			for (let length = 1 + Math.floor(random() * 20); length > 0; length--) {
				text += alphabet[Math.floor(random() * alphabet.length)];
			}

			if (hideUserinfo(text) !== previously(text)) {
				differ.push(text);
			}
		}

		expect(differ).toEqual([]);
	});

	it('a long token without an @ after it, in every shape that was quadratic, is read in one pass', () => {
		// Before: 'a' × 160 000 + '@' took 7 to 16 s, 'a:' × 80 000 6 to 7 s, 'a:' × 80 000 + '/@' as long; now a few ms each.
		// The bound is generous (a busy machine): a quadratic pass over 400 000 characters takes minutes.
		for (const text of ['a'.repeat(400_000), `${'a'.repeat(400_000)}@`, 'a:'.repeat(200_000), `${'a:'.repeat(200_000)}/@`, `${'a:/'.repeat(130_000)}@`, `${'"'.repeat(400_000)} is an invalid header value`]) {
			const started = performance.now();
			hideUserinfo(text);
			expect(performance.now() - started, text.slice(0, 6)).toBeLessThan(3_000);
		}
	});
});
