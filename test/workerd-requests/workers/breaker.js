// The breaker alone (5 consecutive failures open it), persisted in the default store; each call
// hands its background work to the request's waitUntil.
import { createClient } from 'steadfetch/core';
import { breaker } from 'steadfetch/breaker';
import { handler } from './handler.js';

const api = createClient({ name: 'breaker', retry: 0, breaker: breaker() });
export default handler(api, { waitUntil: true });
