import type express from 'express';

/**
 * The methods an app serves at a path, for the 405 a route answers to another method (with `Allow`,
 * RFC 9110 §15.5.6) instead of a 404 that says the route does not exist.
 *
 * Read from the app's own routes, so a route added anywhere is covered: express 5 keeps them as
 * layers (`app.router.stack`; a mounted router's layer holds its `stack` and `rawPath`, a route's
 * layer its `route.path` and `route.methods`). The role matrix test walks the same structure.
 */
interface LayerLike {
  rawPath?: unknown;
  handle?: { stack?: LayerLike[] };
  route?: { path: unknown; methods: Record<string, boolean | undefined> };
}

interface RouteMethods {
  pattern: RegExp;
  methods: string[];
}

/**
 * A lookup of the methods served at a path (upper case, sorted; HEAD wherever GET is, as express
 * answers it), empty when no route has the path. The routes are read at the first lookup, when the
 * app has them all.
 */
export function methodsAllowedAt(app: express.Express): (path: string) => string[] {
  let routes: RouteMethods[] | undefined;
  return (path) => {
    routes ??= routesOf((app as unknown as { router: { stack: LayerLike[] } }).router.stack, '');
    const methods = new Set<string>();
    for (const route of routes) if (route.pattern.test(path)) for (const m of route.methods) methods.add(m);
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}

function routesOf(stack: LayerLike[], prefix: string): RouteMethods[] {
  const out: RouteMethods[] = [];
  for (const layer of stack) {
    if (layer.route && typeof layer.route.path === 'string') {
      const methods = Object.keys(layer.route.methods).filter((m) => layer.route?.methods[m]);
      // A route for every method (`router.all`) is never the wrong method.
      if (methods.includes('_all')) continue;
      out.push({
        pattern: patternOf(joinPaths(prefix, layer.route.path)),
        methods: methods.map((m) => m.toUpperCase()),
      });
    } else if (layer.handle?.stack && typeof (layer.rawPath ?? '/') === 'string') {
      out.push(...routesOf(layer.handle.stack, joinPaths(prefix, String(layer.rawPath ?? '/'))));
    }
  }
  return out;
}

function joinPaths(prefix: string, path: string): string {
  return `${prefix}/${path}`.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
}

/**
 * A route path (path-to-regexp 8: `:name` one segment, `*name` one or more, `{…}` optional, `\` escapes)
 * as a regex over a request path, matching as express does: any case, with or without a trailing slash.
 */
function patternOf(path: string): RegExp {
  let source = '';
  for (let i = 0; i < path.length;) {
    const param = /^([:*])([A-Za-z_$][\w$]*|"[^"]*")/.exec(path.slice(i));
    if (param) {
      source += param[1] === ':' ? '[^/]+' : '.+';
      i += param[0].length;
    } else if (path[i] === '{' || path[i] === '}') {
      source += path[i] === '{' ? '(?:' : ')?';
      i++;
    } else {
      const ch = path[i] === '\\' && i + 1 < path.length ? path[++i] : path[i];
      source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i++;
    }
  }
  return new RegExp(`^${source}/?$`, 'i');
}
