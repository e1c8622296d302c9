import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/** helmet's headers for every response, and those of Swagger UI's pages, which differ by one source of images. */
export interface SecurityHeaders {
  api: Record<string, string>;
  docs: Record<string, string>;
}

/**
 * helmet's headers, computed once: they are the same for every response of a kind, and deriving
 * them per request (the CSP especially) cost a few percent of a cache hit.
 */
export function securityHeaders(): SecurityHeaders {
  return {
    api: helmetHeaders([]),
    // Try it out draws an image answer (a photo) from a blob: URL it makes of the bytes; only
    // Swagger UI's page needs that, and it holds no content of a caller's.
    docs: helmetHeaders(['blob:']),
  };
}

function helmetHeaders(extraImageSources: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet({
    // Swagger UI styles itself inline and draws images from data: URLs; nothing else is allowed.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', ...extraImageSources],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        // Internal deployments often serve plain http; upgrading would break Swagger UI's assets there.
        upgradeInsecureRequests: null,
      },
    },
  })({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}
