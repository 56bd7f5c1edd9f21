/**
 * Secrets kept out of what is shown, in the variants earlier rounds did not cover (defect hunt,
 * ninth round, area G: auth, identity and secrets).
 */
import { describe, expect, it } from 'vitest';
import { AuthError, InvalidRequestError, createClient } from '../../src/entries/index.js';
import { auth } from '../../src/entries/auth.js';
import { queryOptionsFor } from '../../src/entries/tanstack-query.js';
import { fetchNever, shown } from '../helpers/shown.js';

describe('a header value fetch refuses (a line break, a NUL) is never named by an error: it may be a credential', () => {
	it('a call\'s Authorization, Cookie or sensitiveHeaders header: an InvalidRequestError that names no value, neither in its message nor in its cause', async () => {
		const api = createClient({ prefix: 'https://api.example.com/', fetch: fetchNever, retry: 0, sensitiveHeaders: ['x-api-key'] });
		for (const [index, headers] of [
			{ Authorization: 'Bearer part\nSECRET-1' },
			{ cookie: 'sid=a\u0000SECRET-2' },
			{ 'X-Api-Key': 'SECRET-3\u0000' },
			new Headers([['x-other', 'ok']]),
		].entries()) {
			const error = await api.get('x', { headers: index === 3 ? [['Authorization', 'Bearer x\nSECRET-4']] as [string, string][] : headers as Record<string, string> }).catch((error_: unknown) => error_);
			expect(error).toBeInstanceOf(InvalidRequestError);
			expect(shown(error)).toMatch(/invalid header value/);
			expect(shown(error)).not.toMatch(/SECRET/);
		}

		api.close();
	});

	it('the client\'s headers given to createClient: the TypeError names the option, not the value', () => {
		let error: unknown;
		try {
			createClient({ prefix: 'https://api.example.com/', headers: { Authorization: 'Bearer part\nSECRET-5' } });
		} catch (error_) {
			error = error_;
		}

		expect(error).toBeInstanceOf(TypeError);
		expect(shown(error)).toMatch(/`headers` is refused by fetch/);
		expect(shown(error)).not.toMatch(/SECRET/);
	});

	it('auth.token() giving a token fetch refuses in a header: an AuthError whose cause does not name the token; nothing sent', async () => {
		const api = createClient({
			prefix: 'https://api.example.com/', fetch: fetchNever, retry: 0,
			auth: auth({ token: () => 'part\nSECRET-6', refresh: async () => undefined }),
		});
		const error = await api.get('x').catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(AuthError);
		expect(shown(error)).toMatch(/auth\.token\(\)/);
		expect(shown(error)).not.toMatch(/SECRET/);
		api.close();
	});
});

describe('TanStack query meta (queryOptionsFor\'s steadfetchUrl) of a URL that does not resolve', () => {
	it('shows neither a sensitive query value (the defaults\', the client\'s sensitiveParams) nor a userinfo password', () => {
		const api = createClient({ fetch: fetchNever, sensitiveParams: ['session'] });
		const urls = ['https://api.example.com:8O80/x?token=SECRET-7&session=SECRET-8&page=2', 'https://u:SECRET-9@api.example.com/x', 'https://api.example.com:8O80/x#access_token=SECRET-10'].map((url) => queryOptionsFor(api, url).meta.steadfetchUrl);
		expect(urls).toEqual(['https://api.example.com:8O80/x?token=&session=&page=2', 'https://u:@api.example.com/x', 'https://api.example.com:8O80/x#access_token=']);
		api.close();
	});
});

describe('a URL\'s password is hidden in an error\'s message whatever form the URL parser reads it in (second pass, area I)', () => {
	it('no slash, one slash, backslashes, an upper-case scheme, a tab or a space in the password', async () => {
		const api = createClient({ fetch: fetchNever });
		for (const input of [
			'https:u:SECRET-21@api.example.com/x', 'https:/u:SECRET-22@api.example.com/x', 'https:\\\\u:SECRET-23@api.example.com/x',
			'HTTPS://u:SECRET-24@api.example.com/x', 'https://u:SE\tCRET-25@api.example.com/x', 'https://u:SE CRET-26@api.example.com/x',
		]) {
			const error = await api.get(input).catch((error_: unknown) => error_);
			expect(error).toBeInstanceOf(InvalidRequestError);
			// The user name kept, to say which URL.
			expect(shown(error)).toMatch(/u:@api\.example\.com/);
			// before: 'Invalid request: Request cannot be constructed from a URL that includes credentials: https:u:SECRET-21@api.example.com/x'
			expect(shown(error)).not.toMatch(/CRET/);
		}

		api.close();
	});
});
