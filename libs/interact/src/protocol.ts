/** Facts of Interact's Interaction History API (version 2) that both sides must agree on. */

export const INTERACT_API_VERSION = 2;

export const CREDENTIAL_HEADERS = {
  tenantId: 'Tenant-Id',
  applicationKey: 'Application-Key',
  environmentName: 'Environment-Name',
} as const;

export const UNAUTHORIZED_CODE = '0x7000000';
export const UNAUTHORIZED_MESSAGE = 'Request is unauthorized, missing or wrong credentials';
export const UNAUTHORIZED_REASON_HEADER = 'Unauthenticated-Reason';
export const UNAUTHORIZED_BODY = {
  code: UNAUTHORIZED_CODE,
  message: UNAUTHORIZED_MESSAGE,
  moreInfoUrl: 'http://support.uniphore.com',
} as const;

/** Upstream's way of saying "found, but nothing in it", on both transports. */
export const EMPTY_HISTORY_BODY = 'EMPTY';

/** Uniphore writes an empty body as EMPTY in its tables; real hosts send either. */
export function isEmptyHistoryBody(text: string): boolean {
  const trimmed = text.trim();
  return trimmed === '' || trimmed === EMPTY_HISTORY_BODY;
}

/** REST body of an internal error. */
export const INTERNAL_ERROR_BODY = 'exception';

export const LOOKUP_KINDS = ['interactionId', 'callerAttribute'] as const;
export type LookupKind = (typeof LOOKUP_KINDS)[number];

/**
 * Uniphore's tables word it by lookup on REST, but say "attribute" for both lookups on SOAP; the
 * gateway accepts either wording on either transport.
 */
export function notFoundSentence(transport: 'rest' | 'soap', kind: LookupKind, value: string): string {
  return transport === 'rest' && kind === 'interactionId'
    ? `history for UUID ${value} was not found`
    : `history for attribute ${value} was not found`;
}

export const NOT_FOUND_SENTENCE = /^history for (UUID|attribute) .* was not found$/s;

export const SOAP_NAMESPACE = 'http://com/jacada/interact/interactiondata/soap';
/** SOAP "not found" arrives as a success body of this other operation, in this other namespace. */
export const SOAP_AGENT_NAMESPACE = 'http://com/jacada/interact/agent/soap';
export const SOAP_NOT_FOUND_ELEMENT = 'GetInteractionUniqueIdResponse';

export const SOAP_OPERATIONS = {
  interactionId: {
    operation: 'GetInteractionFullFlowByUUID',
    request: 'GetInteractionFullFlowByUUIDRequest',
    response: 'GetInteractionFullFlowByUUIDResponse',
    field: 'uniqueId',
  },
  callerAttribute: {
    operation: 'GetInteractionFullFlowByCallerAttribute',
    request: 'GetInteractionFullFlowByCallerAttributeRequest',
    response: 'GetInteractionFullFlowByCallerAttributeResponse',
    field: 'callerAttribute',
  },
} as const;

export const SOAP_SERVICE = 'InteractionDataService';
export const SOAP_PORT = 'InteractionDataSoap11';
export const SOAP_ENDPOINT_PATH = `/interact/version/${INTERACT_API_VERSION}/interactiondata/soap`;
export const SOAP_WSDL_PATH = `${SOAP_ENDPOINT_PATH}/interactiondata.wsdl`;
export const SOAP_XSD_PATH = `${SOAP_ENDPOINT_PATH}/interactiondata.xsd`;

/**
 * REST path of a full flow. Every caller-supplied value is percent-encoded here, the one place
 * upstream URLs are built, so nothing a client sends reaches upstream raw.
 */
export function restFullFlowPath(
  accountId: string,
  kind: LookupKind,
  value: string,
  apiVersion: number = INTERACT_API_VERSION,
): string {
  const base = `/interact/agent/version/${apiVersion}/account/${encodeURIComponent(accountId)}/interactiondata/${encodeURIComponent(value)}`;
  return kind === 'interactionId' ? `${base}/fullFlow` : `${base}/fullFlow/byCallerAttribute`;
}

/** Markup and references become text; a CR (and, in an attribute, tab, LF and quotes) would not come back as sent. */
const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

/**
 * A text as the soap package must be given it, client and server alike: escaped here and handed
 * over under its `$xml` key, which it writes verbatim (in document and RPC style). Its own escaping
 * passes any text that begins with `<![CDATA[` and ends with `]]>` unescaped (xmlEscape in soap's
 * utils). Escaped once, here, every character arrives as text.
 */
export function soapText(text: string): { $xml: string } {
  return { $xml: text.replace(/[&<>"'\t\n\r]/g, (character) => XML_ESCAPES[character]!) };
}

/** "Get Interaction Photo" answers a path it does not hold (flows may delete their images when they end) with this 404 body. */
export const PHOTO_NOT_FOUND_SENTENCE = 'photo was not found';

/** Its 400 body, for `uid`, `path` or `maxSize`. */
export function invalidParameterSentence(name: 'uid' | 'path' | 'maxSize'): string {
  return `missing or invalid parameter ${name}`;
}

/** What Interact calls every photo, whatever its format. */
export const PHOTO_CONTENT_TYPE = 'image/jpg;charset=UTF-8';

/** Older Interact versions wanted the `.` of a photo's file name sent as this. */
export const LEGACY_PHOTO_DOT = '@@@@@';

/**
 * REST path of "Get Interaction Photo". The device path is URL-encoded twice, as Interact wants it
 * (`/` becomes `%252F`): one encoding is taken off by Interact's web tier, the other by the method.
 * With legacyDot, the file name's dots are sent as LEGACY_PHOTO_DOT, as older versions wanted.
 */
export function restPhotoPath(
  accountId: string,
  uniqueId: string,
  photoPath: string,
  {
    apiVersion = INTERACT_API_VERSION,
    maxSize,
    legacyDot = false,
  }: { apiVersion?: number; maxSize?: number; legacyDot?: boolean } = {},
): string {
  const fileAt = photoPath.lastIndexOf('/') + 1;
  const sent = legacyDot
    ? photoPath.slice(0, fileAt) + photoPath.slice(fileAt).replaceAll('.', LEGACY_PHOTO_DOT)
    : photoPath;
  const path = `/interact/agent/version/${apiVersion}/account/${encodeURIComponent(accountId)}/photo/${encodeURIComponent(uniqueId)}/${encodeURIComponent(encodeURIComponent(sent))}`;
  return maxSize === undefined ? path : `${path}?maxSize=${maxSize}`;
}
