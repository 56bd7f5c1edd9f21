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

/** What a build of the library gives a counted outcome: its `classify`, `createClient` and `memoryStore`. */
export interface OutcomeLibrary {
	classify(error: unknown): { code: string };
	createClient(options: any): any;
	memoryStore: unknown;
}

/**
 * What a call ends with through a client of `lib` (a name `<prefix>-<n>` of its own, `store: memoryStore`, no retries, a
 * `fetch` that answers 200 without I/O, then `clientOptions`): its status, or its error's code (read by `classify`) and
 * message; then how many times that `fetch` was called. Where `createClient` throws: `createClient throws <class> <message>`.
 */
export const countedOutcome = ({ classify, createClient, memoryStore }: OutcomeLibrary, prefix: string) => {
	let made = 0;
	return async (call: (api: any, url: string) => Promise<Response>, clientOptions: object = {}): Promise<string> => {
		let fetched = 0;
		let api: any;
		try {
			api = createClient({ store: memoryStore, name: `${prefix}-${++made}`, retry: 0, fetch: async () => {
				fetched++;
				return new Response('ok');
			}, ...clientOptions });
		} catch (error) {
			return `createClient throws ${(error as Error).constructor.name} ${(error as Error).message}`;
		}

		const result = await call(api, 'https://api.test/x').then((response: Response) => String(response.status), (error: unknown) => `${classify(error).code} ${(error as Error).message}`);
		api.close();
		return `${result}; fetch ${fetched}`;
	};
};

/** What `make` throws: its class and message, or 'made' (the client it made closed at once). */
export const thrownBy = (make: () => { close(): void }): string => {
	try {
		make().close();
		return 'made';
	} catch (error) {
		return `${(error as Error).constructor.name} ${(error as Error).message}`;
	}
};
