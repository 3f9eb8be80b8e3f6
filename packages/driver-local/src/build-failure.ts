/**
 * Turns the output of a failed dependency install into the message a person reads in the image's
 * `reason`: the installer's own error lines, and a plain explanation when the cause is the network.
 */

const MAX_LINES = 8;

/** Signs, in pip's output, that it could not reach a package index. */
const PIP_NETWORK = [
  /Failed to establish a new connection: ([^'")]+)/,
  /(Temporary failure in name resolution)/,
  /(Name or service not known)/,
  /(Network is unreachable)/,
  /(No route to host)/,
  /(Connection refused)/,
  /(ConnectTimeoutError[^'")]*)/,
  /(ProxyError[^'")]*)/,
  /(Read timed out)/,
  /Could not fetch URL [^ ]+: (.*)/,
];

/** The message of a failed `pip install`. */
export function pipFailure(lines: readonly string[], code: number | null): string {
  const errors = lines.filter((line) => line.startsWith('ERROR:'));
  const said = (errors.length > 0 ? errors : lastLines(lines)).slice(-MAX_LINES).join('\n');
  const network = findCause(lines, PIP_NETWORK);
  if (network !== undefined) {
    return `pip could not reach a package index (${network}); install from a local wheel path or a system package. ` + `pip said: ${said}`;
  }
  return `pip install failed (${exitWords(code)}): ${said}`;
}

const NPM_NETWORK = [/\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|ECONNRESET)\b/];

/** The message of a failed `npm install`. */
export function npmFailure(lines: readonly string[], code: number | null): string {
  const errors = lines.filter((line) => line.startsWith('npm error') || line.startsWith('npm ERR!'));
  const said = (errors.length > 0 ? errors : lastLines(lines)).slice(0, MAX_LINES).join('\n');
  const network = findCause(errors, NPM_NETWORK);
  if (network !== undefined) {
    return `npm could not reach the package registry (${network}); check the network or the registry in .npmrc. npm said: ${said}`;
  }
  return `npm install failed (${exitWords(code)}): ${said}`;
}

function findCause(lines: readonly string[], patterns: readonly RegExp[]): string | undefined {
  for (const line of lines) {
    for (const pattern of patterns) {
      const match = pattern.exec(line);
      if (match?.[1] !== undefined) return match[1].trim();
    }
  }
  return undefined;
}

function lastLines(lines: readonly string[]): string[] {
  return lines.filter((line) => line.trim() !== '').slice(-MAX_LINES);
}

function exitWords(code: number | null): string {
  return code === null ? 'killed' : `exit code ${code}`;
}
