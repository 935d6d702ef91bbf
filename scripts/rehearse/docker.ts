// Until scripts/rehearse/gateway-container.ts imports the toolkit's Docker client itself (issue 22).
export { docker, dockerLines } from '../toolkit/docker.js';
