// The outbox on (the default store), writes queued with a 202, background work handed to waitUntil.
// The client is made by the first request, to take its `name` from the NAME binding (two Workers run
// this script); a client with the outbox made at module scope works too (outbox-module.js).
import { createClient, outbox } from 'steadfetch';
import { handler } from './handler.js';

export default handler((env) => createClient({ name: env.NAME, retry: 0, breaker: false, outbox: outbox({ queuedResponse: 'accepted' }) }), { waitUntil: true });
