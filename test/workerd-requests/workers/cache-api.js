// The stale cache on the Cache API store, as the README's Worker recipe sets it; each call hands
// its background work to the request's waitUntil.
import { cacheApiStore, createClient } from 'steadfetch';
import { handler } from './handler.js';

const api = createClient({ name: 'cache-api', retry: 0, breaker: false, store: cacheApiStore });
export default handler(api, { waitUntil: true });
