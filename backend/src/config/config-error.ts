/** A configuration mistake, worded `FILE:LINE: <element>: problem`. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
