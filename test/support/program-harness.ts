// The program under mocks, as `npm run render` and `npm run rehearse` capture it.
export * from '../../scripts/capture/program-run.js';
