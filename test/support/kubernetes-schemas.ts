// The schema check `npm run render` applies to every object it writes.
export * from '../../scripts/capture/kubernetes-schemas.js';
