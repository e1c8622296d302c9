import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { SimulatorConfig } from './simulator.config.js';
import { SimulatorModule } from './simulator.module.js';

/** Builds the simulator without listening, so tests can start it on an ephemeral port. */
export async function createSimulatorApp(config: SimulatorConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    SimulatorModule.forConfig(config),
    // Interact takes long ids and attributes; the router's default cap of 100 characters would 404 them.
    new FastifyAdapter({ routerOptions: { maxParamLength: 16_384 } }),
    { logger: ['error', 'warn'] },
  );
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.enableShutdownHooks();
  return app;
}
