// Direct calls to the simulator, as the gateway's transports make them: the baselines of the miss
// path and of the large history.
import { ACCOUNTS } from './processes.mjs';

const SOAP_NAMESPACE = 'http://com/jacada/interact/interactiondata/soap';

const credentials = ({ tenantId, applicationKey, environmentName }) => ({
  'tenant-id': tenantId,
  'application-key': applicationKey,
  'environment-name': environmentName,
});

const soapEnvelope = (uniqueId) =>
  '<?xml version="1.0" encoding="utf-8"?>' +
  '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  `xmlns:soap="${SOAP_NAMESPACE}"><soapenv:Body>` +
  `<soap:GetInteractionFullFlowByUUIDRequest><soap:uniqueId>${uniqueId}</soap:uniqueId>` +
  '</soap:GetInteractionFullFlowByUUIDRequest></soapenv:Body></soapenv:Envelope>';

/** Request options (url, method, headers, body) of Get Full Interaction Flow straight to the simulator. */
export function directRequest(simulatorUrl, transport, interactionId) {
  const account = ACCOUNTS[transport];
  if (transport === 'rest') {
    return {
      url: `${simulatorUrl}/interact/agent/version/2/account/${account.id}/interactiondata/${encodeURIComponent(interactionId)}/fullFlow`,
      method: 'GET',
      headers: credentials(account),
    };
  }
  return {
    url: `${simulatorUrl}/interact/version/2/interactiondata/soap`,
    method: 'POST',
    headers: { ...credentials(account), 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
    body: soapEnvelope(interactionId),
  };
}
