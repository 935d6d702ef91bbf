// Until local-system.ts, bench/nginx-server.ts and test/gateway/support/echo-gateway.ts import the toolkit's ports themselves (issue 22).
export { ensurePortFree, freePort, freePorts, waitUntilListening } from '../toolkit/ports.js';
