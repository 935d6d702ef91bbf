// mocha publishes no types for its command line's own tables; these are the two functions
// scripts/test-options.ts uses to tell an option mocha or Node takes from a typo.
declare module 'mocha/lib/cli/run-option-metadata.cjs' {
  export function isMochaFlag(flag: string): boolean;
}
declare module 'mocha/lib/cli/node-flags.cjs' {
  export function isNodeFlag(flag: string, bareword?: boolean): boolean;
}
