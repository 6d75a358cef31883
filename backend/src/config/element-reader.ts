/**
 * The strict-reading helpers every configuration element uses: known
 * attributes only, required ones present, optional ones not empty, numbers
 * in range, and every mistake worded `FILE:LINE: <element>: problem`.
 */
import { ConfigError } from './config-error.ts';
import type { XmlElement } from './xml-tree.ts';

export class ElementReader {
  constructor(
    private readonly fileName: string,
    private readonly variables: Readonly<Record<string, string>> = {},
  ) {}

  /** Returns the values of `required` then `optional` attributes, refusing any other. */
  attributes(element: XmlElement, required: string[], optional: string[]): (string | undefined)[] {
    for (const name of Object.keys(element.attributes)) {
      if (!required.includes(name) && !optional.includes(name)) {
        const allowed = [...required, ...optional];
        this.fail(element, `unknown attribute "${name}"${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`);
      }
    }
    for (const name of required) {
      const value = element.attributes[name];
      if (value === undefined || value.trim() === '') this.fail(element, `missing required attribute "${name}"`);
    }
    for (const name of optional) {
      if (element.attributes[name]?.trim() === '') this.fail(element, `attribute "${name}" must not be empty`);
    }
    return [...required, ...optional].map((name) => element.attributes[name]?.trim());
  }

  positiveInt(element: XmlElement, attribute: string, value: string, unit = 'number of milliseconds'): number {
    if (!/^\d+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
      this.fail(element, `attribute ${attribute} must be a positive whole ${unit}, got "${value}"`);
    }
    return Number(value);
  }

  nonNegativeInt(element: XmlElement, attribute: string, value: string): number {
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      this.fail(element, `attribute ${attribute} must be a whole number of milliseconds (0 or more), got "${value}"`);
    }
    return Number(value);
  }

  oneOf<T extends string>(element: XmlElement, attribute: string, value: string, allowed: readonly T[]): T {
    if (!(allowed as readonly string[]).includes(value)) {
      this.fail(element, `attribute ${attribute} must be ${allowed.map((a) => `"${a}"`).join(' or ')}, got "${value}"`);
    }
    return value as T;
  }

  /** Replaces `${name}` placeholders with the backend's variables. */
  substitute(element: XmlElement, value: string): string {
    return value.replace(/\$\{([\w.-]+)\}/g, (_, name: string) => {
      const replacement = this.variables[name];
      if (replacement === undefined) this.fail(element, `unknown variable \${${name}}`);
      return replacement;
    });
  }

  noChildren(element: XmlElement): void {
    const child = element.children[0];
    if (child) this.unknownElement(child, element);
  }

  unknownElement(element: XmlElement, parent: XmlElement): never {
    this.fail(element, `unknown element <${element.name}> inside <${parent.name}>`);
  }

  /** Throws the ConfigError; `tag` shows more of the element than its name when that says which one, e.g. `parameter key="port"`. */
  fail(element: XmlElement, problem: string, tag = element.name): never {
    throw new ConfigError(`${this.fileName}:${element.line}: <${tag}>: ${problem}`);
  }
}
