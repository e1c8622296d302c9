// What tsc does not emit: the simulator's WSDL and XSD, which must sit beside its compiled code,
// and dist/build-info.json, the commit built, which the gateway's build_info metric reports.
import { execFileSync } from 'node:child_process';
import { cpSync, statSync, writeFileSync } from 'node:fs';

for (const root of ['apps', 'libs']) {
  cpSync(root, `dist/${root}`, {
    recursive: true,
    filter: (source) => statSync(source).isDirectory() || /\.(wsdl|xsd)$/.test(source),
  });
}

/** From git in a checkout; an image build, which has no .git, may pass it as REVISION. */
function commit() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return process.env.REVISION || undefined;
  }
}

writeFileSync('dist/build-info.json', `${JSON.stringify({ commit: commit() })}\n`);
