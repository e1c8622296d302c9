import { Injectable, ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { ProblemException, type FieldError } from './problems/problem.js';

/** Distinct valid inputs remembered per class; pollers repeat a few thousand lookups at most. */
const REMEMBERED_PER_CLASS = 10_000;

const notAParameter = (field: string): FieldError => ({
  field,
  message: `${field} is not a parameter of this operation`,
});

function fieldErrors(errors: ValidationError[]): FieldError[] {
  return errors.flatMap((error) =>
    Object.entries(error.constraints ?? {}).map(([constraint, message]) =>
      constraint === 'whitelistValidation' ? notAParameter(error.property) : { field: error.property, message },
    ),
  );
}

function validationFailed(list: FieldError[]): ProblemException {
  return new ProblemException(
    'validation-failed',
    `The request has ${list.length} invalid field${list.length === 1 ? '' : 's'}.`,
    { errors: list },
  );
}

type Metatype = NonNullable<ArgumentMetadata['metatype']>;

const declared = new Map<Metatype, Set<string>>();

/** The properties a class has rules for, inherited ones included: what the whitelist lets through. */
function declaredBy(metatype: Metatype): Set<string> {
  let names = declared.get(metatype);
  if (!names) {
    const rules = getMetadataStorage().getTargetValidationMetadatas(metatype, '', false, false);
    declared.set(metatype, (names = new Set(rules.map((rule) => rule.propertyName))));
  }
  return names;
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
@Injectable()
export class GatewayValidationPipe extends ValidationPipe {
  private readonly passed = new Map<ArgumentMetadata['metatype'], Set<string>>();

  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      // One error per field, the first its rules find: the DTOs order their rules from the most telling.
      stopAtFirstError: true,
      exceptionFactory: (errors) => validationFailed(fieldErrors(errors)),
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
    const result: unknown = await this.transformOwn(value as Record<string, string>, metadata);
    if (!passed) this.passed.set(metadata.metatype, (passed = new Set()));
    // The oldest goes first: a Set iterates in insertion order.
    if (passed.size >= REMEMBERED_PER_CLASS) passed.delete(passed.values().next().value!);
    passed.add(key);
    return result;
  }

  /**
   * The whitelist judges the class instance made of a value, and Nest's pipe deletes "__proto__"
   * and "constructor" from the value before making it: left to them, `?__proto__=x` passed. Every
   * own property of the value is checked here instead; the ones the class declares are validated
   * as usual, on a copy, and all failures are listed together.
   */
  private async transformOwn(value: Record<string, string>, metadata: ArgumentMetadata): Promise<unknown> {
    if (!this.toValidate(metadata)) return super.transform(value, metadata);
    const names = declaredBy(metadata.metatype!);
    const foreign = Object.keys(value).filter((name) => !names.has(name));
    if (foreign.length === 0) return super.transform(value, metadata);
    const errors = foreign.map(notAParameter);
    const known = Object.fromEntries(Object.entries(value).filter(([name]) => names.has(name)));
    await super.transform(known, metadata).catch((error: unknown) => {
      if (!(error instanceof ProblemException)) throw error;
      errors.push(...(error.extensions.errors ?? []));
    });
    throw validationFailed(errors);
  }
}
