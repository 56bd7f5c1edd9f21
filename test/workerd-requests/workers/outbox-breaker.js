// The outbox with the breaker on (as in the preset, tighter so the test is quick), the client made at
// module scope; writes queued with a 202, background work handed to waitUntil; an entry is a dead
// letter after 2 attempts that reached the origin.
import { createClient, outbox } from 'steadfetch';
import { handler } from './handler.js';

const api = createClient({
	name: 'outbox-breaker', retry: 0, breaker: { consecutiveFailures: 2, openMs: 500 },
	outbox: outbox({ queuedResponse: 'accepted', maxAttempts: 2 }),
});
export default handler(api, { waitUntil: true });
