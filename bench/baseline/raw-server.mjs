// The floor for a Node service answering a cache hit: plain node:http, one Redis GET per request
// through ioredis, the stored entry decoded with the gateway's own codec, and its body sent. No
// framework, no validation, no logging, no metrics: whatever the gateway costs above this is its
// own. Run by the bench as a child process, like the gateway, so the two are measured alike.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { decodeEntry } from '../../dist/libs/cache/src/index.js';

const port = Number(process.env.PORT);
const key = process.env.BENCH_CACHE_KEY;
const redis = new Redis(process.env.REDIS_URL);

const server = createServer(async (_request, response) => {
  try {
    const raw = await redis.getBuffer(key);
    const entry = raw && (await decodeEntry(raw));
    if (!entry) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': entry.body.length,
    });
    response.end(entry.body);
  } catch (error) {
    console.error(error);
    response.writeHead(500).end();
  }
});

server.listen(port, '127.0.0.1');

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  redis.disconnect();
});
