// tsc emits only JavaScript; the simulator's WSDL and XSD must sit beside its compiled code.
import { cpSync, statSync } from 'node:fs';

for (const root of ['apps', 'libs']) {
  cpSync(root, `dist/${root}`, {
    recursive: true,
    filter: (source) => statSync(source).isDirectory() || /\.(wsdl|xsd)$/.test(source),
  });
}
