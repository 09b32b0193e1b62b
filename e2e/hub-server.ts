// A stand-in for the Hugging Face Hub for tests: serves folders with the Hub's URL layout
// /<repo>/resolve/<revision>/<file>, with Range/If-Range, ETags, private repos that need a
// Bearer token, and switches to cut a body short or to ignore Range like a plain server; and the
// two API routes the loader asks for a safetensors conversion, /api/models/<repo>/commits/<revision>
// and /api/models/<repo>/discussions?p=<page> (50 a page, as the Hub pages them).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface HubRepo {
  dir: string;
  revisions?: string[];
  /** Revisions served from another folder (a pull request's refs/pr/N with the converted weights). */
  revisionDirs?: Record<string, string>;
  /** Commit ids per revision, newest first (the API's /commits/<revision>). */
  commits?: Record<string, string[]>;
  /** The API's discussions, as the Hub lists them: {num, title, status, isPullRequest, author: {name}}. */
  discussions?: Record<string, unknown>[];
  /** Requests must carry "Authorization: Bearer <token>". */
  token?: string;
}

export interface HubRequestLog {
  method: string;
  path: string;
  range?: string;
  ifRange?: string;
  authorized: boolean;
  status: number;
}

export interface FakeHub {
  endpoint: string;
  log: HubRequestLog[];
  /** The next GET of this file whose body is longer than `bytes` sends only `bytes`, then drops the connection. */
  truncateNext(file: string, bytes: number): void;
  /** Serve whole files with 200 even when a Range is asked for. */
  setRangeSupport(on: boolean): void;
  close(): Promise<void>;
}

export async function startFakeHub(repos: Record<string, HubRepo>): Promise<FakeHub> {
  // keyed "<repo>/<file>", or "<repo>@<revision>/<file>" for a revision with a folder of its own
  const files = new Map<string, { bytes: Buffer; etag: string }>();
  const addFolder = (prefix: string, dir: string) => {
    for (const f of readdirSync(dir)) {
      if (!statSync(join(dir, f)).isFile()) continue;
      const bytes = readFileSync(join(dir, f));
      files.set(`${prefix}/${f}`, { bytes, etag: `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"` });
    }
  };
  for (const [repo, r] of Object.entries(repos)) {
    addFolder(repo, r.dir);
    for (const [rev, dir] of Object.entries(r.revisionDirs ?? {})) addFolder(`${repo}@${rev}`, dir);
  }
  const log: HubRequestLog[] = [];
  const truncations = new Map<string, number>();
  let rangeSupport = true;

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const entry: HubRequestLog = {
      method: req.method ?? 'GET',
      path: url.pathname,
      range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined,
      authorized: false,
      status: 0,
    };
    log.push(entry);
    const send = (status: number, body = '') => {
      entry.status = status;
      res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(commits\/([^/]+)|discussions)$/.exec(url.pathname);
    if (api) {
      const r = repos[api[1]];
      if (!r) return send(401, 'Invalid username or password.');
      const json = (body: unknown) => {
        const text = JSON.stringify(body);
        entry.status = 200;
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (api[3] !== undefined) {
        const ids = r.commits?.[decodeURIComponent(api[3])];
        return ids ? json(ids.map((id) => ({ id, title: 'a commit' }))) : send(404, 'Revision Not Found');
      }
      const all = r.discussions ?? [];
      const start = 50 * Number(url.searchParams.get('p') ?? 0);
      return json({ discussions: all.slice(start, start + 50), count: all.length, start, numClosedDiscussions: 0 });
    }
    const m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!m) return send(404, 'Not found');
    const [, repo, revEnc, fileEnc] = m;
    const revision = decodeURIComponent(revEnc);
    const file = decodeURIComponent(fileEnc);
    const r = repos[repo];
    if (!r) return send(401, 'Invalid username or password.'); // the Hub hides unknown repos behind 401
    if (r.token) {
      entry.authorized = req.headers.authorization === `Bearer ${r.token}`;
      if (!entry.authorized) return send(req.headers.authorization ? 403 : 401, 'Access to this repo is restricted.');
    }
    const own = r.revisionDirs?.[revision] !== undefined;
    if (!own && !(r.revisions ?? ['main']).includes(revision)) return send(404, 'Revision Not Found');
    const f = files.get(own ? `${repo}@${revision}/${file}` : `${repo}/${file}`);
    if (!f) return send(404, 'Entry not found');

    let start = 0;
    let end = f.bytes.length - 1;
    let status = 200;
    const rangeHeader = req.headers.range;
    const ifRange = req.headers['if-range'];
    if (rangeSupport && rangeHeader && (!ifRange || ifRange === f.etag)) {
      const rm = /^bytes=(\d+)-(\d*)$/.exec(rangeHeader);
      if (!rm) return send(400, 'bad range');
      start = Number(rm[1]);
      end = rm[2] ? Math.min(Number(rm[2]), f.bytes.length - 1) : f.bytes.length - 1;
      if (start >= f.bytes.length) {
        entry.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${f.bytes.length}` });
        return res.end();
      }
      status = 206;
    }
    const body = f.bytes.subarray(start, end + 1);
    entry.status = status;
    const headers: Record<string, string | number> = { 'Content-Length': body.length, ETag: f.etag, 'Content-Type': 'application/octet-stream' };
    if (rangeSupport) headers['Accept-Ranges'] = 'bytes';
    if (status === 206) headers['Content-Range'] = `bytes ${start}-${end}/${f.bytes.length}`;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return res.end();
    const cut = truncations.get(file);
    if (cut !== undefined && cut < body.length) {
      truncations.delete(file);
      res.write(body.subarray(0, cut), () => {
        // Content-Length promised more: dropping the socket is a truncated body.
        setTimeout(() => res.destroy(), 20);
      });
      return;
    }
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    truncateNext: (file, bytes) => truncations.set(file, bytes),
    setRangeSupport: (on) => {
      rangeSupport = on;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
