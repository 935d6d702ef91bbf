// Until test/gateway/support/echo-gateway.ts imports the toolkit's ports itself (issue 22).
export { freePort, waitUntilListening } from '../toolkit/ports.js';
