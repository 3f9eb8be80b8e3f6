/** The logger Dispatch and its drivers write to: pino's shape, so the gateway passes its own. */
export interface DispatchLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}
