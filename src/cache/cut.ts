import type { PolicyCall } from '../core/policy.js';
import { requestScoped } from '../utils/runtime.js';
import { Superseded } from '../utils/superseded.js';
import type { Read } from './state.js';

// A read's run cut short when its copy answers at the deadline: only in Workers without `waitUntil`
// (`requestScoped`), where nothing may outlive the call, so no attempt goes out after the copy
// answered. Elsewhere the run goes on and its answer refreshes the copy. The `browser` build swaps
// this module for cut-browser.ts (no request there ends its I/O: nothing is ever cut).

/** The controller that cuts the call's run (`Read.cut`), or `undefined` when its run may go on after the copy answers. */
export const cutFor = (call: PolicyCall): AbortController | undefined => requestScoped() && !call.waitUntil ? new AbortController() : undefined;

/** The attempt's Request, carrying the cut's signal too when the read has one. */
export const withCut = (request: Request, read: Read): Request => {
	const cut = read.cut?.signal;
	return cut ? new Request(request, { signal: AbortSignal.any([request.signal, cut]) }) : request;
};

/** The copy answered: cut the read's run, if it has a cut. */
export const cutShort = (read: Read): void => {
	read.cut?.abort(new Superseded('A stored copy answered'));
};
