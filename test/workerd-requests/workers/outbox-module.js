// The outbox on, the client made at module scope as a user's Worker makes it.
import { createClient, outbox } from 'steadfetch';
import { handler } from './handler.js';

const api = createClient({ name: 'outbox-module', retry: 0, breaker: false, outbox: outbox({ queuedResponse: 'accepted' }) });
export default handler(api, { waitUntil: true });
