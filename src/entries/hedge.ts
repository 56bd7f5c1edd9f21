/** `steadfetch/hedge`: a second attempt when the first is slow, paid from the retry budget (the `hedge` slot). */
export { hedge, type HedgeOptions } from '../hedge/index.js';
export type { HedgeEvent } from '../hedge/events.js';
