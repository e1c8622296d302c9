import { describe, expect, it } from 'vitest';
import { SimulatorConfigError, loadSimulatorConfig } from '../apps/interact-simulator/src/simulator.config.js';

describe('simulator configuration', () => {
  it.each([
    ['SIMULATOR_PORT', '0x50', /^SIMULATOR_PORT must be a port number, got "0x50"$/],
    ['SIMULATOR_PORT', ' 3001 ', /^SIMULATOR_PORT must be a port number, got " 3001 "$/],
    ['SIMULATOR_PORT', '3001.0', /^SIMULATOR_PORT must be a port number, got "3001.0"$/],
    ['SIMULATOR_REST_LATENCY_MS', '1e3', /^SIMULATOR_REST_LATENCY_MS must be whole milliseconds from 0 to 600000/],
    ['SIMULATOR_SOAP_LATENCY_MS', '+500', /^SIMULATOR_SOAP_LATENCY_MS must be whole milliseconds from 0 to 600000/],
    ['SIMULATOR_REST_ERROR_RATE', '5e-1', /^SIMULATOR_REST_ERROR_RATE must be a number from 0 to 1, got "5e-1"$/],
    ['SIMULATOR_SOAP_ERROR_RATE', ' 0.5', /^SIMULATOR_SOAP_ERROR_RATE must be a number from 0 to 1, got " 0.5"$/],
  ])('stops on %s="%s" with a message naming the setting', (name, value, message) => {
    const attempt = () => loadSimulatorConfig({ [name]: value });
    expect(attempt).toThrow(SimulatorConfigError);
    expect(attempt).toThrow(message);
  });
});
