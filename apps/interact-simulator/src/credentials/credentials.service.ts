import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { CREDENTIAL_HEADERS } from '@app/interact';
import { SIMULATOR_CONFIG, type SimulatorConfig } from '../simulator.config.js';

export type CredentialCheck = { ok: true } | { ok: false; reason: string };

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Interact checks the same headers, per account, on REST and SOAP alike. */
@Injectable()
export class CredentialsService {
  constructor(@Inject(SIMULATOR_CONFIG) private readonly config: SimulatorConfig) {}

  check(headers: IncomingHttpHeaders, accountId?: string): CredentialCheck {
    const tenantId = header(headers, CREDENTIAL_HEADERS.tenantId);
    const applicationKey = header(headers, CREDENTIAL_HEADERS.applicationKey);
    const environmentName = header(headers, CREDENTIAL_HEADERS.environmentName);
    if (!tenantId || !applicationKey) return { ok: false, reason: 'missing credentials' };
    // SOAP requests carry no account in their body or path: the tenant names it.
    const account = this.config.accounts.find((candidate) =>
      accountId === undefined ? candidate.tenantId === tenantId : candidate.accountId === accountId,
    );
    if (
      account === undefined ||
      !sameText(account.tenantId, tenantId) ||
      !sameText(account.applicationKey, applicationKey)
    ) {
      return { ok: false, reason: 'wrong credentials' };
    }
    if (account.environmentName === undefined) {
      // Upstream answers security headers it cannot match with 401; whether a single-environment
      // account ignores an Environment-Name instead is not documented. Refused as a wrong credential,
      // so that a client sending one where none is configured is caught against the simulator.
      return environmentName ? { ok: false, reason: 'wrong credentials' } : { ok: true };
    }
    if (!environmentName) return { ok: false, reason: 'missing credentials' };
    return sameText(account.environmentName, environmentName)
      ? { ok: true }
      : { ok: false, reason: 'wrong credentials' };
  }
}
