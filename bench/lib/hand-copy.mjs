// The copy a user keeps by hand, the floor for any cache that copies bodies (issue 26): ky plus an
// `afterResponse` hook (ky hands each hook a clone of the response) that reads the body of every
// good GET and keeps its bytes in a Map by URL, behind the caller.

/** A ky instance made with `options` and that hook; `copies` is its Map (URL → ArrayBuffer). */
export const handCopy = (ky, options = {}) => {
	const copies = new Map();
	const client = ky.create({
		...options,
		hooks: {
			afterResponse: [({ request, response }) => {
				if (request.method === 'GET' && response.ok) {
					void response.arrayBuffer().then((bytes) => copies.set(request.url, bytes), () => undefined);
				}
			}],
		},
	});
	return Object.assign(client, { copies });
};
