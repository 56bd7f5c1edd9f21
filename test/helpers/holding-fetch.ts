/**
 * A transport that records each request's path in `sent` and answers with `answer(path)`; a request
 * for `heldPath` waits first, until `release()` (which lets the latest one held go; before one is
 * held, it does nothing).
 */
export const holdingFetch = (heldPath: string, answer: (path: string) => Response) => {
	const sent: string[] = [];
	let release = (): void => undefined;
	const fetch = (async (request: Request) => {
		const path = new URL(request.url).pathname;
		sent.push(path);
		if (path === heldPath) {
			await new Promise<void>((resolve) => {
				release = resolve;
			});
		}

		return answer(path);
	}) as typeof globalThis.fetch;
	return { sent, fetch, release: () => release() };
};
