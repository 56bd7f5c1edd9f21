// The breaker without waitUntil: the state it writes behind a call must be dropped and reported,
// never left running past the request (API.md "Request contexts").
import { createClient } from 'steadfetch/core';
import { breaker } from 'steadfetch/breaker';
import { handler } from './handler.js';

const api = createClient({ name: 'breaker-dropped', retry: 0, breaker: breaker() });
export default handler(api);
