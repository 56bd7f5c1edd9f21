// outbox.ref() across request contexts: a write queued (202) in one request, a dependent written with
// its placeholder in another, both replayed by a flush in a third. One module-level client, the
// default store (the Cache API in workerd).
import { createClient, outbox } from 'steadfetch';

const api = createClient({ name: 'outbox-refs', retry: 0, breaker: false, outbox: outbox({ queuedResponse: 'accepted' }) });
const events = [];
api.on('*', (event) => events.push({ type: event.type, entryId: event.entryId, dependsOn: event.dependsOn }));

const told = async (call) => {
	try {
		const response = await call;
		return { status: response.status, entryId: response.headers.get('steadfetch-outbox-entry') };
	} catch (error) {
		return { error: error.name, message: error.message };
	}
};

export default {
	async fetch(request, _env, ctx) {
		const url = new URL(request.url);
		const to = url.searchParams.get('to');
		const waitUntil = (promise) => ctx.waitUntil(promise);
		switch (url.pathname) {
			case '/post':
				return Response.json(await told(api.post(to, { json: { title: 'made offline' }, waitUntil })));
			case '/patch-ref': {
				// The dependent: the parent's id in its URL and in its JSON body.
				const id = api.outbox.ref(url.searchParams.get('entry'), '/id');
				return Response.json(await told(api.patch(`${to}/${id}`, { json: { done: true, parent: id }, waitUntil })));
			}

			case '/flush':
				return Response.json(await api.withContext(ctx).outbox.flush());
			case '/list':
				return Response.json((await api.outbox.list()).map(({ id, dependsOn }) => ({ id, dependsOn })));
			case '/dead-letters':
				return Response.json(await api.outbox.deadLetters());
			case '/events':
				return Response.json(events.splice(0));
			default:
				return new Response('unknown', { status: 404 });
		}
	},
};
