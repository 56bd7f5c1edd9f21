/** `steadfetch/dedupe`: identical in-flight GET/HEAD calls share one request (the `dedupe` slot). */
export { dedupe } from '../dedupe/index.js';
