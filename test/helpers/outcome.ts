/**
 * What a call does: `['thrown', error]` when the client method throws, else how its promise settles:
 * `['resolved', status]` for a Response (`['resolved', value]` for anything else), `['rejected', error]`.
 */
export const outcomeOf = async (call: () => Promise<unknown>): Promise<unknown[]> => {
	let promise: Promise<unknown>;
	try {
		promise = call();
	} catch (thrown) {
		return ['thrown', thrown];
	}

	return promise.then((response) => ['resolved', response instanceof Response ? response.status : response], (error: unknown) => ['rejected', error]);
};

/** What a call ends in: its status, or its error's class. */
export const statusOrClass = (promise: Promise<Response>): Promise<string> => promise.then((response) => String(response.status), (error: Error) => error.constructor.name);
