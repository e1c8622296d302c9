import { readFileSync } from 'node:fs';

export interface BuildInfo {
  /** The package's version. */
  version: string;
  /** The commit built, as the build recorded it in dist/build-info.json; "unknown" when it could not tell. */
  commit: string;
  nodejsVersion: string;
}

const readJson = (url: URL): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

/** The first package.json up from this module: the gateway's own, whether it runs from dist/ or from its sources. */
function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    const manifest = readJson(new URL('package.json', dir));
    if (manifest) return String(manifest.version);
    if (dir.pathname === '/') return 'unknown';
  }
}

export function buildInfo(): BuildInfo {
  // dist/apps/gateway/src/metrics/ -> dist/build-info.json, written by the build (scripts/copy-assets.mjs).
  const built = readJson(new URL('../../../../build-info.json', import.meta.url));
  return {
    version: packageVersion(),
    commit: typeof built?.commit === 'string' ? built.commit : 'unknown',
    nodejsVersion: process.versions.node,
  };
}
