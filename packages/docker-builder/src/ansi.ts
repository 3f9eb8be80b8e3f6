/** CSI and OSC escape sequences, as the classic builder wraps a step's stderr in `\u001b[91m…\u001b[0m`. */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** Removes terminal colour and cursor codes from a line of build output. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
