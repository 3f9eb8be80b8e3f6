// A STAND-IN FOR KANIKO'S EXECUTOR, for tests only: kaniko's image cannot be pulled on the test machine, so the
// knative backend's build Jobs run this instead. It honours the part of kaniko's command line the driver passes
// (--context=tar://<file>, --dockerfile, --destination, --build-arg, the --insecure* / --skip-tls-verify* flags) and
// reads the registry login where kaniko does (/kaniko/.docker/config.json), but it builds with the Docker engine
// whose socket is mounted at /var/run/docker.sock, pushes from there, and removes its local copy. It is not kaniko.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

const SOCKET = '/var/run/docker.sock';
const IGNORED = new Set(['--insecure', '--insecure-pull', '--skip-tls-verify', '--skip-tls-verify-pull']);

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

const options = { destinations: [], buildArgs: {} };
for (const arg of process.argv.slice(2)) {
  const [flag, ...rest] = arg.split('=');
  const value = rest.join('=');
  if (IGNORED.has(arg)) continue;
  if (flag === '--context') options.context = value;
  else if (flag === '--dockerfile') options.dockerfile = value;
  else if (flag === '--destination') options.destinations.push(value);
  else if (flag === '--build-arg') {
    const [key, ...parts] = value.split('=');
    options.buildArgs[key] = parts.join('=');
  } else fail(`unknown flag: ${flag}`);
}
if (!options.context?.startsWith('tar://')) fail('--context must be tar://<path to a .tar.gz> in this stand-in');
if (options.destinations.length === 0) fail('no --destination given');

const auths = (() => {
  try {
    return JSON.parse(readFileSync('/kaniko/.docker/config.json', 'utf8')).auths ?? {};
  } catch {
    return {};
  }
})();
const login = (host) => {
  const auth = auths[host]?.auth;
  if (auth === undefined) return { serveraddress: host };
  const [username, ...password] = Buffer.from(auth, 'base64').toString('utf8').split(':');
  return { username, password: password.join(':'), serveraddress: host };
};
const hostOf = (ref) => ref.split('/')[0];

/** One Docker API call whose answer is a stream of JSON messages; prints them as kaniko prints its progress. */
function engine(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: SOCKET, method, path, headers }, (res) => {
      let buffer = '';
      let failure;
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buffer += chunk;
        let newline;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line === '') continue;
          let message;
          try {
            message = JSON.parse(line);
          } catch {
            message = { stream: line };
          }
          if (message.error) failure = message.error;
          const text = message.stream ?? message.error ?? (message.status ? `${message.status} ${message.id ?? ''}` : message.aux?.Digest);
          if (text) process.stdout.write(`${String(text).trimEnd()}\n`);
        }
      });
      res.on('end', () =>
        res.statusCode >= 400 || failure ? reject(new Error(failure ?? `HTTP ${res.statusCode} ${buffer}`)) : resolve(),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64');
const [first, ...others] = options.destinations;
const registryConfig = Object.fromEntries(Object.keys(auths).map((host) => [host, login(host)]));
const query = new URLSearchParams({
  t: first,
  dockerfile: options.dockerfile ?? 'Dockerfile',
  buildargs: JSON.stringify(options.buildArgs),
  rm: '1',
  forcerm: '1',
});
try {
  const context = readFileSync(options.context.slice('tar://'.length));
  await engine('POST', `/build?${query}`, { 'content-type': 'application/x-tar', 'x-registry-config': encode(registryConfig) }, context);
  for (const destination of [first, ...others]) {
    const colon = destination.lastIndexOf(':');
    const [name, tag] =
      colon > destination.lastIndexOf('/') ? [destination.slice(0, colon), destination.slice(colon + 1)] : [destination, 'latest'];
    if (destination !== first) await engine('POST', `/images/${first}/tag?repo=${encodeURIComponent(name)}&tag=${tag}`, {});
    await engine('POST', `/images/${name}/push?tag=${tag}`, { 'x-registry-auth': encode(login(hostOf(destination))) });
  }
} catch (error) {
  // Not fail(): exiting here would skip the clean-up below.
  console.error(`error: ${error.message}`);
  process.exitCode = 1;
} finally {
  for (const destination of options.destinations) await engine('DELETE', `/images/${destination}?force=1`, {}).catch(() => undefined);
}
