import type * as Full from './invocation.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';

// The `browser` build's `invocation.ts` (see tsup.config.ts): a browser serves no incoming request, so
// it has no request context (`withContext`), no subrequest count and no `deadlineHeader`. Each name
// has the type of the full module's; nothing here reads an option. `openInvocation` has no stand-in:
// only with-context.ts opens one, and the browser build swaps it for with-context-browser.ts.

export type { Admission, Invocation } from './invocation.js';

/** Never thrown in a browser (no request context counts subrequests); the class the core tells apart. */
export class SubrequestsSpent extends SteadfetchError {}

/** As the full build's (a number, for code that names it). */
export const freePlanSubrequests: typeof Full.freePlanSubrequests = 50;

/** A browser's FormData stream may be cancelled at any time: an attempt's body is left to ky. */
export const unread: typeof Full.unread = (_, sent) => sent;

/** No call of a browser client has a request's deadline: `deadlineHeader` is ignored. */
export const deadlines: typeof Full.deadlines = () => undefined;

/** Never called (no call has a deadline): an attempt is never stamped. */
export const stamping: typeof Full.stamping = () => () => undefined;

/** No call of a browser client belongs to a request context: nothing stops its retries but the budget. */
export const retryStops: typeof Full.retryStops = () => () => undefined;

/** No call of a browser client belongs to a request context: none has an admission (its attempts are all its caller's). */
export const admission: typeof Full.admission = () => undefined;

/** No `waitUntil` belongs to a request context in a browser. */
export const invocationOf: typeof Full.invocationOf = () => undefined;

/** No call of a browser client belongs to a request context: its signal is the caller's. */
export const callSignal: typeof Full.callSignal = (own) => own;

/** No call of a browser client has a request's deadline. */
export const racesDeadline: typeof Full.racesDeadline = () => false;

/** No call of a browser client has a request's deadline: a run ends with ky's error. */
export const givenUp: typeof Full.givenUp = (_call, error) => error;
