import { IsInt } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { EnvNumber, Nested, PositiveWholeNumber, Required, Text } from './rules.js';
import { jsonSchemaOf } from './json-schema.js';
import { readEnvironment, readSettings } from './settings.js';

class Part {
  @PositiveWholeNumber() size = 2;
}

class Sample {
  @Required() @Text() name!: string;
  @PositiveWholeNumber() count = 3;
  @Nested(Part) part = new Part();
}

class Variables {
  @EnvNumber({ whole: true, min: 1 }) WORKERS = 2;
  @Text() NAME = 'sample';
}

/** A class-validator rule of its own, which says nothing to the JSON Schema. */
class Unstated {
  @IsInt() count = 1;
}

describe('settings classes', () => {
  it('keep the defaults of what a document leaves out, nested ones included', () => {
    const { settings, problems } = readSettings(Sample, { name: 'a', part: {} });
    expect(problems).toEqual([]);
    expect(settings).toBeInstanceOf(Sample);
    expect(settings).toEqual({ name: 'a', count: 3, part: { size: 2 } });
  });

  it('name every problem by its path, unknown settings included', () => {
    const { problems } = readSettings(Sample, { count: 0, part: { size: 'big', colour: 'red' } });
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'name', text: 'is required' },
        { path: 'count', text: 'must be a positive whole number' },
        { path: 'part.size', text: 'must be a positive whole number' },
        { path: 'part.colour', text: 'is not a known setting' },
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('read only their own variables, an empty one as unset, and tell which were given', () => {
    const read = readEnvironment(Variables, { WORKERS: '', NAME: 'other', PATH: '/bin' });
    expect(read.problems).toEqual([]);
    expect(read.settings).toEqual({ WORKERS: 2, NAME: 'other' });
    expect([...read.given]).toEqual(['NAME']);
    expect(readEnvironment(Variables, { WORKERS: '0x2' }).problems).toEqual([
      { path: 'WORKERS', text: 'must be a whole number of at least 1, got "0x2"' },
    ]);
  });

  it('state each rule in their JSON Schema', () => {
    expect(jsonSchemaOf(Sample)).toEqual({
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '\\S' },
        count: { type: 'integer', minimum: 1, default: 3 },
        part: {
          type: 'object',
          properties: { size: { type: 'integer', minimum: 1, default: 2 } },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    });
  });

  it('refuse a rule that the JSON Schema would not know, which editors and the gateway would disagree on', () => {
    expect(() => jsonSchemaOf(Unstated)).toThrow('Unstated.count: isInt has no JSON Schema');
  });
});
