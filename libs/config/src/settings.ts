import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError, type ValidatorOptions } from 'class-validator';
import { variable } from './environment.js';
import { TO_INSTANCE, isObject, type SettingsType } from './rules.js';

/** A setting that is wrong, and why: `accounts[1].timeoutMs` and `must be a positive whole number`. */
export interface Problem {
  path: string;
  text: string;
}

export const describeProblem = ({ path, text }: Problem): string => (path === '' ? text : `${path} ${text}`);

/** Whether the setting at `path`, and every setting that holds it, passed its own rules. */
export function passed(problems: readonly Problem[], path: string): boolean {
  return !problems.some(
    (problem) => problem.path === path || path.startsWith(`${problem.path}.`) || path.startsWith(`${problem.path}[`),
  );
}

export interface Settings<T> {
  settings: T;
  /** Every setting that broke its rules, each once; the settings are sound only when there is none. */
  problems: Problem[];
}

const VALIDATION: ValidatorOptions = {
  // A misspelt setting would otherwise be ignored and its default used without a word.
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  // Every setting is checked, each reported by its first broken rule.
  stopAtFirstError: true,
};

const UNKNOWN = 'is not a known setting';

/** Settings from a parsed document: defaults for what it leaves out, and every problem at once. */
export function readSettings<T extends object>(type: SettingsType<T>, document: Record<string, unknown>): Settings<T> {
  const settings = plainToInstance(type, document, TO_INSTANCE);
  return { settings, problems: [...droppedKeys(document, ''), ...problemsOf(validateSync(settings, VALIDATION), '')] };
}

/** The properties a class has rules for: its settings. */
export function settingNames(type: SettingsType): string[] {
  const rules = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
  return [...new Set(rules.map((rule) => rule.propertyName))];
}

/**
 * Settings from the environment, each variable named as its property. Unlike a file, the
 * environment holds much else, so only the class's own names are read; `given` tells which were
 * set, for rules that depend on a default having been chosen.
 */
export function readEnvironment<T extends object>(
  type: SettingsType<T>,
  env: NodeJS.ProcessEnv,
): Settings<T> & { given: ReadonlySet<string> } {
  const present = settingNames(type).flatMap((name) => {
    const raw = variable(env, name);
    return raw === undefined ? [] : [[name, raw] as const];
  });
  return { ...readSettings(type, Object.fromEntries(present)), given: new Set(present.map(([name]) => name)) };
}

function problemsOf(errors: ValidationError[], parent: string): Problem[] {
  return errors.flatMap((error) => {
    const path = Array.isArray(error.target)
      ? `${parent}[${error.property}]`
      : parent === ''
        ? error.property
        : `${parent}.${error.property}`;
    const own = Object.entries(error.constraints ?? {}).map(([rule, text]) => ({
      path,
      text: rule === 'whitelistValidation' ? UNKNOWN : text,
    }));
    return [...own, ...problemsOf(error.children ?? [], path)];
  });
}

/** class-transformer drops these keys before the whitelist looks, which would let them pass unnamed. */
const DROPPED = ['__proto__', 'constructor'];

function droppedKeys(value: unknown, path: string): Problem[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => droppedKeys(item, `${path}[${index}]`));
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const at = path === '' ? key : `${path}.${key}`;
    return DROPPED.includes(key) ? [{ path: at, text: UNKNOWN }] : droppedKeys(item, at);
  });
}

/** Every problem of a configuration, each naming its setting, so that one start-up shows them all. */
export class SettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      problems.length === 1 ? problems[0] : `${problems.length} problems:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  }
}
