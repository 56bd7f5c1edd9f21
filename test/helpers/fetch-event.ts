/** A service worker's fetch event for a page's request (`input`, `init`), with what the handler answered (`answered.response`). */
export const fetchEvent = (input: string, init?: RequestInit) => {
	const answered: { response?: Promise<Response> } = {};
	return { request: new Request(input, init), respondWith: (response: Response | Promise<Response>) => {
		answered.response = Promise.resolve(response);
	}, answered };
};
