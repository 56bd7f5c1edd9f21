/**
 * The app of the auth tests about sessions (test/unit/auth-hunt16b/17/18, test/browser/auth-tabs-app.ts): its stored
 * token (`state.token`, shared by its tabs as localStorage is) is that of the session signed in (`state.who`,
 * `state.session`: a new one at each sign-in or clear). Its `refresh()` gets a new token for the session it started in
 * and stores it (also when that session ended meanwhile: the naive app; `careful` stores nothing then); the first one is
 * held until `finish()`. The API answers 200 only to a refreshed token (`<session>-new`), as that session; else 401.
 */
export const sessions = ({ careful = false } = {}) => {
	const state: { who: string | undefined; session: string; token: string } = { who: 'alice', session: 'alice', token: 'alice-old' };
	const sent: Array<string | null> = [];
	const refreshed: string[] = [];
	let finish!: () => void;
	const first = new Promise<void>((resolve) => {
		finish = resolve;
	});
	/** Note the token `request` was sent with (in `sent`) and give it back. */
	const note = (request: Request): string | null => {
		const token = request.headers.get('authorization');
		sent.push(token);
		return token;
	};

	/** The API's answer to a request sent with `token`. */
	const answer = (token: string | null): Response => token?.endsWith('-new') ? Response.json({ as: token.slice(7, -4) }) : new Response('expired', { status: 401 });
	const fetch = async (request: Request): Promise<Response> => answer(note(request));
	const refresh = async (): Promise<void> => {
		const session = state.session;
		refreshed.push(session);
		if (refreshed.length === 1) {
			await first;
		}

		if (!careful || state.session === session) {
			state.token = `${session}-new`;
		}
	};

	/** Who answered the call (the session of the token it was last sent with), or its error's code (`AuthError` by name). */
	const outcome = async (call: Promise<Response>): Promise<unknown> => call.then(async (response) => ((await response.json()) as { as: string }).as, (error: { code?: string; name?: string }) => error?.name === 'AuthError' ? 'AuthError' : error.code);
	return { state, sent, refreshed, finish, note, answer, fetch, refresh, outcome };
};
