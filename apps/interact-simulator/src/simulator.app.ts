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
    new FastifyAdapter(),
    { logger: ['error', 'warn'] },
  );
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.enableShutdownHooks();
  return app;
}
