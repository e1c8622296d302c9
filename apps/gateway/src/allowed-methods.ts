import type { RouteOptions } from 'fastify';

interface KnownPath {
  /** The route's URL as a pattern of concrete paths: each parameter one segment. */
  pattern: RegExp;
  methods: Set<string>;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The methods of every route the API serves, as Fastify registers them (HEAD with each GET
 * included), so that a request whose method no route has, on a path that one has, is answered 405
 * with Allow rather than 404. Catch-all routes (CORS's preflight, static assets) are left out: they
 * would make every unknown path look known.
 */
export class AllowedMethods {
  private readonly paths = new Map<string, KnownPath>();

  /** For Fastify's onRoute hook, added before any route. */
  add(route: RouteOptions): void {
    if (route.url.includes('*')) return;
    let known = this.paths.get(route.url);
    if (!known) {
      const pattern = route.url
        .split('/')
        .map((segment) => (segment.startsWith(':') ? '[^/]+' : escapeRegExp(segment)))
        .join('/');
      known = { pattern: new RegExp(`^${pattern}$`), methods: new Set() };
      this.paths.set(route.url, known);
    }
    for (const method of [route.method].flat()) known.methods.add(method);
  }

  /** The Allow field of a path some route serves, sorted; undefined when none does. */
  allowedOn(path: string): string | undefined {
    const methods = new Set<string>();
    for (const { pattern, methods: ofPath } of this.paths.values())
      if (pattern.test(path)) for (const method of ofPath) methods.add(method);
    return methods.size === 0 ? undefined : [...methods].sort().join(', ');
  }
}
