import { Transform, plainToInstance, type ClassTransformOptions } from 'class-transformer';
import { IS_DEFINED, ValidateBy, ValidateNested, type ValidationArguments } from 'class-validator';
import { decimal } from './environment.js';

/** A JSON Schema, or the part of one that a rule contributes to its setting's. */
export type JsonSchema = { [keyword: string]: unknown };

/** A class of settings: each property a setting, its initial value the default. */
export type SettingsType<T extends object = object> = new () => T;

/**
 * What a rule says in the JSON Schema: a fixed part, one built from a nested class's schema, or
 * 'forbidden' for a property named only to be refused (the schema leaves it out, and
 * additionalProperties refuses it there).
 */
export type RuleSchema = JsonSchema | ((schemaOf: (type: SettingsType) => JsonSchema) => JsonSchema) | 'forbidden';

/** Carried among class-validator's constraints, where the JSON Schema generator finds it. */
export class StatedRule {
  constructor(readonly schema: RuleSchema) {}
}

export interface RuleDefinition {
  name: string;
  schema: RuleSchema;
  test(value: unknown, args: ValidationArguments): boolean;
  /** Said after the setting's path: "must be a positive whole number". */
  message: string | ((args: ValidationArguments) => string);
}

/**
 * A class-validator rule that also states itself in the JSON Schema, so that what an editor checks
 * a file against and what the gateway checks at start-up are one declaration. An absent setting
 * passes every rule but Required: it takes its default.
 */
export function rule({ name, schema, test, message }: RuleDefinition): PropertyDecorator {
  return ValidateBy({
    name,
    constraints: [new StatedRule(schema)],
    validator: {
      validate: (value: unknown, args?: ValidationArguments) => value === undefined || test(value, args!),
      defaultMessage: typeof message === 'string' ? () => message : (args?: ValidationArguments) => message(args!),
    },
  });
}

export function allOf(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

/**
 * A setting without a default: missing, null or blank, it is reported as required. Registered as
 * class-validator's isDefined, which runs before a property's other rules, so that with
 * stopAtFirstError they do not add their own complaint about the missing value.
 */
export function Required(message = 'is required'): PropertyDecorator {
  return ValidateBy({
    name: IS_DEFINED,
    validator: {
      validate: (value: unknown) =>
        value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === ''),
      defaultMessage: () => message,
    },
  });
}

/** A property that must never be given, named so that giving it is explained rather than called unknown. */
export function Forbidden(message: string): PropertyDecorator {
  return rule({ name: 'forbidden', schema: 'forbidden', test: () => false, message });
}

const NON_BLANK = /\S/;

/** Text that is not blank, or that matches `pattern` (written without flags: the JSON Schema takes it as is). */
export function Text({ pattern, message = 'must be non-empty text' }: { pattern?: RegExp; message?: string } = {}) {
  const form = pattern ?? NON_BLANK;
  return rule({
    name: 'text',
    schema: { type: 'string', pattern: form.source },
    test: (value) => typeof value === 'string' && form.test(value),
    message,
  });
}

export function OneOf(
  values: readonly string[],
  message: RuleDefinition['message'] = `must be ${values.map((value) => `"${value}"`).join(' or ')}`,
) {
  return rule({ name: 'oneOf', schema: { enum: values }, test: (value) => values.includes(value as string), message });
}

export function PositiveWholeNumber() {
  return rule({
    name: 'positiveWholeNumber',
    schema: { type: 'integer', minimum: 1 },
    test: (value) => Number.isSafeInteger(value) && (value as number) > 0,
    message: 'must be a positive whole number',
  });
}

export function PositiveNumber() {
  return rule({
    name: 'positiveNumber',
    schema: { type: 'number', exclusiveMinimum: 0 },
    test: (value) => typeof value === 'number' && Number.isFinite(value) && value > 0,
    message: 'must be a positive number',
  });
}

/** A share strictly between none and all. */
export function Fraction() {
  return rule({
    name: 'fraction',
    schema: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    test: (value) => typeof value === 'number' && value > 0 && value < 1,
    message: 'must be a number above 0 and below 1',
  });
}

function urlProblem(value: unknown): string | undefined {
  let url: URL;
  try {
    url = new URL(value as string);
  } catch {
    return 'must be an absolute URL';
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'must be an http or https URL';
}

export function HttpUrl() {
  return rule({
    name: 'httpUrl',
    // URL schemes are case-insensitive, and WHATWG URLs need no slashes after "http:".
    schema: { type: 'string', pattern: '^[Hh][Tt][Tt][Pp][Ss]?:' },
    test: (value) => typeof value === 'string' && urlProblem(value) === undefined,
    message: ({ value }) => urlProblem(value) ?? 'must be an absolute URL',
  });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Settings left out keep the class's initial values, which are their defaults. */
export const TO_INSTANCE: ClassTransformOptions = { exposeDefaultValues: true };

const toInstance = (type: SettingsType, value: unknown) =>
  isObject(value) ? plainToInstance(type, value, TO_INSTANCE) : value;

/**
 * Settings grouped under one key. Made an instance here rather than by class-transformer's @Type,
 * which needs reflect-metadata loaded, and the gateway validates its configuration before Nest
 * loads it.
 */
export function Nested(type: SettingsType): PropertyDecorator {
  return allOf(
    Transform(({ value }) => toInstance(type, value)),
    rule({ name: 'object', schema: (schemaOf) => schemaOf(type), test: isObject, message: 'must be an object' }),
    ValidateNested(),
  );
}

export function ListOf(type: SettingsType, { nonEmpty = false } = {}): PropertyDecorator {
  return allOf(
    Transform(({ value }) => (Array.isArray(value) ? value.map((item) => toInstance(type, item)) : value)),
    rule({
      name: 'list',
      schema: (schemaOf) => ({ type: 'array', ...(nonEmpty && { minItems: 1 }), items: schemaOf(type) }),
      test: (value) => Array.isArray(value) && value.length >= (nonEmpty ? 1 : 0) && value.every(isObject),
      message: `must be a ${nonEmpty ? 'non-empty ' : ''}list of objects`,
    }),
    ValidateNested(),
  );
}

export function NonEmptyTextList(message: string) {
  return rule({
    name: 'nonEmptyTextList',
    schema: { type: 'array', minItems: 1, items: { type: 'string', pattern: NON_BLANK.source } },
    test: (value) =>
      Array.isArray(value) &&
      value.length > 0 &&
      value.every((item) => typeof item === 'string' && NON_BLANK.test(item)),
    message,
  });
}

/**
 * A number from a variable's text, read by `decimal`. Text that is not a plain number stays text,
 * so that the message shows what was given.
 */
export function EnvNumber({
  whole = false,
  min,
  max,
  expectation = `a ${whole ? 'whole number' : 'number'} ${max === undefined ? `of at least ${min}` : `from ${min} to ${max}`}`,
}: {
  whole?: boolean;
  min: number;
  max?: number;
  /** What the message says the variable must be, in place of the range. */
  expectation?: string;
}): PropertyDecorator {
  return allOf(
    Transform(({ value }) => (typeof value === 'string' ? (decimal(value, whole) ?? value) : value)),
    rule({
      name: 'envNumber',
      schema: { type: whole ? 'integer' : 'number', minimum: min, ...(max !== undefined && { maximum: max }) },
      test: (value) => typeof value === 'number' && value >= min && (max === undefined || value <= max),
      message: ({ value }) => `must be ${expectation}, got "${value}"`,
    }),
  );
}

export function EnvBoolean(): PropertyDecorator {
  return allOf(
    Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value)),
    rule({
      name: 'envBoolean',
      schema: { type: 'boolean' },
      test: (value) => typeof value === 'boolean',
      message: ({ value }) => `must be "true" or "false", got "${value}"`,
    }),
  );
}
