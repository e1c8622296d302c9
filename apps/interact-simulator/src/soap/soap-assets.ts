import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The hand-written service description, as a real Interact host publishes it. */
export const WSDL_FILE = fileURLToPath(new URL('./interactiondata.wsdl', import.meta.url));
export const WSDL_XML = readFileSync(WSDL_FILE, 'utf8');
export const XSD_XML = readFileSync(fileURLToPath(new URL('./interactiondata.xsd', import.meta.url)), 'utf8');

const PUBLISHED_ADDRESS = /(<soap:address location=")[^"]*(")/;

/** The WSDL with its endpoint pointing back at whichever host the caller reached. */
export function wsdlFor(endpointUrl: string): string {
  return WSDL_XML.replace(PUBLISHED_ADDRESS, `$1${endpointUrl}$2`);
}
