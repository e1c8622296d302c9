import { IS_DEFINED, ValidationTypes, getMetadataStorage } from 'class-validator';
import { StatedRule, isObject, type JsonSchema, type SettingsType } from './rules.js';

type Metadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

function partsOf(metadata: Metadata, where: string): StatedRule['schema'][] {
  if (metadata.type === IS_DEFINED || metadata.type === ValidationTypes.NESTED_VALIDATION) return [];
  const stated = metadata.constraints?.[0];
  // Any other rule would be checked by the gateway and unknown to editors: the two would disagree.
  if (!(stated instanceof StatedRule))
    throw new Error(`${where}: ${metadata.name ?? metadata.type} has no JSON Schema`);
  return [stated.schema];
}

/**
 * The JSON Schema of a class of settings, from the rules class-validator holds for it: each rule's
 * part, `required` from Required, `default` from the class's initial values, and no other property.
 */
export function jsonSchemaOf(type: SettingsType): JsonSchema {
  const defaults = new type() as Record<string, unknown>;
  const rules = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const name of new Set(rules.map((rule) => rule.propertyName))) {
    const own = rules.filter((rule) => rule.propertyName === name);
    const parts = own.flatMap((rule) => partsOf(rule, `${type.name}.${name}`));
    if (parts.includes('forbidden')) continue;
    if (own.some((rule) => rule.type === IS_DEFINED)) required.push(name);
    const schema: JsonSchema = Object.assign(
      {},
      ...parts.map((part) => (typeof part === 'function' ? part(jsonSchemaOf) : part)),
    );
    if (defaults[name] !== undefined && !isObject(defaults[name])) schema.default = defaults[name];
    properties[name] = schema;
  }
  return { type: 'object', ...(required.length > 0 && { required }), properties, additionalProperties: false };
}
