import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { ProblemException, type FieldError } from './problems/problem.js';

/** Distinct valid inputs remembered per class; pollers repeat a few thousand lookups at most. */
const REMEMBERED_PER_CLASS = 10_000;

function fieldErrors(errors: ValidationError[]): FieldError[] {
  return errors.flatMap((error) =>
    Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({
      field: error.property,
      message:
        constraint === 'whitelistValidation' ? `${error.property} is not a parameter of this operation` : message,
    })),
  );
}

/** Route parameters and query strings: flat objects of strings, whose validity depends on nothing else. */
function isFlatTextRecord(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) if (typeof (value as Record<string, unknown>)[key] !== 'string') return false;
  return true;
}

const memoKey = (value: unknown, metadata: ArgumentMetadata) =>
  metadata.metatype && isFlatTextRecord(value) ? `${metadata.type}:${JSON.stringify(value)}` : undefined;

/**
 * class-validator with every rule of the DTOs, its failures as validation-failed problems. It
 * remembers the parameters and queries it passed: the same lookups come back again and again, and
 * validating one costs about as much as answering it from the cache. Invalid input is never
 * remembered, so it is checked, and explained, every time.
 */
export class GatewayValidationPipe extends ValidationPipe {
  private readonly passed = new Map<ArgumentMetadata['metatype'], Set<string>>();

  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      stopAtFirstError: false,
      exceptionFactory: (errors) => {
        const list = fieldErrors(errors);
        return new ProblemException(
          'validation-failed',
          `The request has ${list.length} invalid field${list.length === 1 ? '' : 's'}.`,
          { errors: list },
        );
      },
    });
  }

  /** Whether this value passed before: answered at once, without a promise. */
  passedBefore(value: unknown, metadata: ArgumentMetadata): boolean {
    const key = memoKey(value, metadata);
    return key !== undefined && this.passed.get(metadata.metatype)?.has(key) === true;
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const key = memoKey(value, metadata);
    if (key === undefined) return super.transform(value, metadata);
    let passed = this.passed.get(metadata.metatype);
    if (passed?.has(key)) return value;
    const result: unknown = await super.transform(value, metadata);
    if (!passed) this.passed.set(metadata.metatype, (passed = new Set()));
    // The oldest goes first: a Set iterates in insertion order.
    if (passed.size >= REMEMBERED_PER_CLASS) passed.delete(passed.values().next().value!);
    passed.add(key);
    return result;
  }
}
