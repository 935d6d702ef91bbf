import { routeVariable } from './access-log.js';
import { preflightLine } from './answers.js';
import { block } from './nginx-text.js';

/** Methods the gateway lets through to the books API; anything else (TRACE, PROPFIND, ...) gets a JSON 405. */
export const allowedMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * Methods of the page: static files are only read. OPTIONS is listed because the gateway itself
 * answers it on every route (CORS preflights); it never reaches the page.
 */
export const pageMethods = ['GET', 'HEAD', 'OPTIONS'] as const;

/** A route's name (as its location sets `routeVariable`) and the methods it serves. */
export interface RouteMethods {
  route: string;
  methods: readonly string[];
}

/** `pass`, `preflight` (OPTIONS, answered by the gateway) or `refuse` (405), per method and route. */
const methodActionVariable = '$gateway_method_action';

/** The Allow header of the route serving a request. */
export const allowVariable = '$gateway_allow';

/** Allow on the gateway's answer to OPTIONS, empty for every other method. */
export const optionsAllowVariable = '$gateway_options_allow';

/** The Allow header's value for the books API, also the methods a CORS preflight is told of. */
export const allowHeaderValue = allowedMethods.join(', ');

/**
 * Which methods each route serves, decided in the route's location (after it set its route), so
 * the 405's Allow names what that route serves. Only route locations check: the gateway's own
 * error pages are reached by internal redirects and never refuse a method.
 */
export function methodMaps(routes: readonly RouteMethods[]): string[] {
  return [
    // Exact "METHOD route" keys: nginx finds them in a hash and runs the regex only for the
    // rest, which costs a regex match less per request (bench: -1.8k instructions, 4%).
    ...block(`map "$request_method ${routeVariable}" ${methodActionVariable}`, [
      '"~^OPTIONS " preflight;',
      ...routes.flatMap(({ route, methods }) =>
        methods.filter((method) => method !== 'OPTIONS').map((method) => `"${method} ${route}" pass;`),
      ),
      'default refuse;',
    ]),
    ...block(`map ${routeVariable} ${allowVariable}`, [
      ...routes.map(({ route, methods }) => `${route} "${methods.join(', ')}";`),
      // nginx refuses TRACE itself, before any location chose a route: every method some route serves.
      `default "${[...new Set(routes.flatMap(({ methods }) => methods))].join(', ')}";`,
    ]),
    ...block(`map $request_method ${optionsAllowVariable}`, [`OPTIONS ${allowVariable};`, 'default "";']),
  ];
}

/**
 * The first lines of a route location after it set its route: a 405 (its error page counts
 * the request in the limits, answers.ts) or the answer to OPTIONS.
 */
export function methodCheckLines(): string[] {
  return [
    `if (${methodActionVariable} = refuse) { return 405; }`,
    // CORS preflights (and any OPTIONS) are answered by the gateway; the CORS headers come from the maps.
    `if (${methodActionVariable} = preflight) { ${preflightLine()} }`,
  ];
}

/** The status port's route: it is only read (GET and HEAD). */
export const statusRoute: RouteMethods = { route: 'status', methods: ['GET', 'HEAD'] };

/**
 * A location of the status port: anything but GET and HEAD gets the JSON 405. No limits apply
 * there, so `return` is enough.
 */
export function statusMethodCheckLines(): string[] {
  return [`if (${methodActionVariable} != pass) { return 405; }`];
}
