import { CREDENTIAL_HEADERS } from '@app/interact';

export type UpstreamTransportKind = 'rest' | 'soap';

/** One configured Interact account: where it lives, how to reach it, and its credentials. */
export interface UpstreamAccount {
  accountId: string;
  baseUrl: string;
  transport: UpstreamTransportKind;
  apiVersion: number;
  tenantId: string;
  applicationKey: string;
  /** Upstream requires it only of accounts with several environments; unset, none is sent. */
  environmentName?: string;
  /** Overall deadline of one upstream call, connection included. */
  timeoutMs: number;
  /** Answers larger than this are cut off while reading and treated as upstream errors. */
  maxResponseBytes: number;
  /** SOAP only: where the WSDL is read from, a URL or a file path. */
  wsdl?: string;
  /** SOAP only: replaces the endpoint address the WSDL publishes. */
  soapEndpoint?: string;
}

/** The headers Interact authenticates a call by, the same on REST and SOAP. */
export function credentialHeaders(account: UpstreamAccount): Record<string, string> {
  return {
    [CREDENTIAL_HEADERS.tenantId]: account.tenantId,
    [CREDENTIAL_HEADERS.applicationKey]: account.applicationKey,
    ...(account.environmentName !== undefined && { [CREDENTIAL_HEADERS.environmentName]: account.environmentName }),
  };
}
