// The stale cache without waitUntil: what a call cannot finish must be dropped and reported, never
// left pending for a later request (API.md "Request contexts").
import { createClient } from 'steadfetch';
import { handler } from './handler.js';

const api = createClient({ name: 'cache-dropped', retry: 0, breaker: false });
export default handler(api);
