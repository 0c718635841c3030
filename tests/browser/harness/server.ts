import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

import { HARNESS_USER, INFLUX_PROXY_PREFIX, PROXY_PREFIX } from './constants';

/** @grafana/ui's Icon loads its SVGs from `public/build/img/icons/`, relative to the page, as in Grafana. */
const ICON_URL_PREFIX = '/public/build/img/icons/';
const ICON_DIR = join(__dirname, '../../../node_modules/@grafana/ui/dist/public/img/icons');
/** The provisioned dashboards, served to the page as Grafana's dashboard API would hand them over. */
const DASHBOARD_DIR = join(__dirname, '../../../dashboards');

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NOC AI triage panel</title></head>
<body><div id="root"></div><script src="/harness.js"></script></body></html>`;

/** InfluxDB behind the stand-in proxy: its URL and the database each InfluxDB data source uid reads. */
export interface InfluxBehindProxy {
  url: string;
  databases: Readonly<Record<string, string>>;
}

export interface HarnessServer {
  url: string;
  /** Requests the proxy forwarded (method and backend path), to assert on what the page sent. */
  forwarded: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

/**
 * Serves the bundled page and stands in for Grafana's data source proxy: `/proxy/api/<rest>` goes to
 * `<backendUrl>/<rest>` with the bearer token added here, so the token never reaches the page, and the
 * signed-in user in `X-Grafana-User` (Grafana's `[dataproxy] send_user_header`); no other header of the
 * page goes through. When the backend cannot be reached it answers 502 Bad Gateway, as Grafana's proxy does.
 * Likewise `/influx/<uid>/query?q=…&epoch=ms` goes to InfluxDB's `/query` on the database of that data source
 * uid (unknown uids get 404), and `/dashboards/<name>.json` serves a provisioned dashboard.
 */
export async function startHarnessServer(
  bundleDir: string,
  backendUrl: string,
  token: string,
  influx?: InfluxBehindProxy
): Promise<HarnessServer> {
  const forwarded: HarnessServer['forwarded'] = [];
  const routePrefix = `${PROXY_PREFIX}/api`;

  const proxy = async (req: IncomingMessage, res: ServerResponse, backendPath: string) => {
    forwarded.push({ method: req.method ?? 'GET', path: backendPath.split('?')[0] });
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, 'X-Grafana-User': HARNESS_USER };
    if (req.headers['content-type']) {
      headers['Content-Type'] = req.headers['content-type'];
    }
    try {
      const upstream = await fetch(`${backendUrl}${backendPath}`, {
        method: req.method,
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'text/plain' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end('Bad Gateway');
    }
  };

  const queryInflux = async (res: ServerResponse, uid: string, search: URLSearchParams) => {
    const database = influx?.databases[uid];
    if (!influx || database === undefined) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: `no InfluxDB data source with uid ${uid}` }));
      return;
    }
    // Only the statement and the time format pass: the database is the data source's, never the page's.
    const params = new URLSearchParams({ db: database, q: search.get('q') ?? '', epoch: search.get('epoch') ?? 'ms' });
    try {
      const upstream = await fetch(`${influx.url}/query?${params}`);
      res.writeHead(upstream.status, { 'Content-Type': 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end('Bad Gateway');
    }
  };

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith(`${routePrefix}/`)) {
      void proxy(req, res, url.slice(routePrefix.length));
      return;
    }
    const path = url.split('?')[0];
    const influxRoute = path.match(new RegExp(`^${INFLUX_PROXY_PREFIX}/([\\w-]+)/query$`));
    if (influxRoute) {
      void queryInflux(res, influxRoute[1], new URL(url, 'http://harness').searchParams);
      return;
    }
    const dashboard = path.match(/^\/dashboards\/([\w-]+)\.json$/);
    if (dashboard) {
      sendFile(res, join(DASHBOARD_DIR, `${dashboard[1]}.json`), 'application/json');
      return;
    }
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(PAGE);
      return;
    }
    const icon = path.startsWith(ICON_URL_PREFIX) ? normalize(path.slice(ICON_URL_PREFIX.length)) : undefined;
    if (icon && /^[\w-]+\/[\w-]+\.svg$/.test(icon)) {
      sendFile(res, join(ICON_DIR, icon), 'image/svg+xml');
      return;
    }
    // Only the bundle's own files: a flat folder, so no path can climb out of it.
    const file = path.slice(1);
    if (/^[\w.-]+\.js$/.test(file)) {
      sendFile(res, join(bundleDir, file), 'text/javascript; charset=utf-8');
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    close: () => new Promise((closed) => server.close(() => closed())),
  };
}

function sendFile(res: ServerResponse, file: string, contentType: string) {
  readFile(file).then(
    (body) => {
      res.writeHead(200, { 'Content-Type': contentType });
      res.end(body);
    },
    () => {
      res.writeHead(404);
      res.end();
    }
  );
}
