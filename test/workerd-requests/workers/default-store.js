// The stale cache on the default store (autoStore: the Cache API in workerd); each call hands its
// background work to the request's waitUntil.
import { createClient } from 'steadfetch';
import { handler } from './handler.js';

const api = createClient({ name: 'default-store', retry: 0, breaker: false });
export default handler(api, { waitUntil: true });
