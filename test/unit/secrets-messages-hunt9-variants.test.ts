/**
 * A URL's password kept out of the messages steadfetch's errors show (defect hunt, ninth round, second
 * pass, area I): round 5's "a URL's password is hidden in messages" and InvalidRequestError's TSDoc
 * "Its message never shows the password of a URL's userinfo", in every form the URL parser reads.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, createClient } from '../../src/entries/index.js';

/** Every message and cause (and their causes) an error shows, as one text. */
const shown = (error: unknown, seen = new Set<unknown>()): string => {
	if (!(error instanceof Error) || seen.has(error)) {
		return String(error);
	}

	seen.add(error);
	return `${String(error)} ${error.stack ?? ''} ${shown(error.cause, seen)}`;
};

const fetchNever = async (): Promise<Response> => {
	throw new Error('no request may go out');
};

/** The error `run` throws or rejects with. */
const failure = async (run: () => unknown): Promise<unknown> => {
	try {
		await run();
	} catch (error) {
		return error;
	}

	throw new Error('did not fail');
};
describe('a URL\'s password is hidden in an error\'s message whatever form the URL parser reads it in', () => {
	it('no slash, one slash, backslashes, an upper-case scheme, a tab or a space in the password', async () => {
		const api = createClient({ fetch: fetchNever });
		for (const input of [
			'https:u:SECRET-8@api.example.com/x', 'https:/u:SECRET-9@api.example.com/x', 'https:\\\\u:SECRET-10@api.example.com/x',
			'HTTPS://u:SECRET-11@api.example.com/x', 'https://u:SE\tCRET-12@api.example.com/x', 'https://u:SE CRET-13@api.example.com/x',
		]) {
			const error = await failure(() => api.get(input));
			expect(error).toBeInstanceOf(InvalidRequestError);
			// The user name kept, to say which URL.
			expect(shown(error)).toMatch(/u:@api\.example\.com/);
			// before: 'Invalid request: Request cannot be constructed from a URL that includes credentials: https:u:SECRET-8@api.example.com/x'
			expect(shown(error)).not.toMatch(/CRET/);
		}

		api.close();
	});
});
