/** A dependent write's placeholders filled in a form body (src/outbox/refs.ts `substitute`): encoded as the form's own values. */
import { describe, expect, it } from 'vitest';
import { substitute } from '../../src/outbox/refs.js';

const placeholder = 'steadfetch-ref-0a1b2c-1';
const filled = (value: unknown, type = 'application/x-www-form-urlencoded;charset=UTF-8', body = `a=${placeholder}&b=1`): string => {
	const out = substitute(
		{ url: 'https://api.test/x', headers: { 'content-type': type }, body: new TextEncoder().encode(body).buffer as ArrayBuffer },
		{ [placeholder]: { entry: 'e1', pointer: '/v' } },
		new Map([['e1', { '/v': value }]]),
	);
	if (typeof out === 'string') {
		throw new TypeError(out);
	}

	return new TextDecoder().decode(out.body);
};

describe('a form-encoded body (application/x-www-form-urlencoded) takes a value as URLSearchParams encodes it', () => {
	const values = ['a b', 'a+b', 'x&y=z', "~!'()*", 'é ü', '😀', 'line\nbreak', '%41', 'lone \uD800 surrogate'];
	it.each(values)('%j: the bytes URLSearchParams gives, and the server reads the value back', (value) => {
		const body = filled(value);
		expect(body).toBe(new URLSearchParams([['a', value], ['b', '1']]).toString());
		expect(new URLSearchParams(body).get('a')).toBe(value.replace(/\p{Cs}/gu, '\uFFFD'));
	});

	it('a number or an object (its JSON text) too', () => {
		expect(filled(12.5)).toBe('a=12.5&b=1');
		expect(filled({ k: 'v w' })).toBe(new URLSearchParams([['a', '{"k":"v w"}'], ['b', '1']]).toString());
	});

	it('neighbour: a text/plain body takes the value as it is', () => {
		expect(filled('a b+c', 'text/plain', `v=${placeholder}`)).toBe('v=a b+c');
	});
});
