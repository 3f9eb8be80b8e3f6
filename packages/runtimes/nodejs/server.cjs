'use strict';
// Dispatch's nodejs function server: loads one handler and serves many concurrent calls over
// funker (TCP or a Unix socket; the same port also speaks Dispatch's multiplexed wire protocol) or HTTP.
// Plain CommonJS without dependencies, so it runs on any Node 18+ image. One file on purpose, although it is
// longer than most: it is copied into every nodejs image and run as `node server.cjs`, with no package around it.
const fs = require('node:fs');
const net = require('node:net');
const http = require('node:http');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { AsyncLocalStorage } = require('node:async_hooks');

const MAX_REQUEST_BYTES = 64 * 1024 * 1024;
const IDLE_MS = 5 * 60 * 1000;
const DRAIN_MS = 5000;
const MAX_TIMER_MS = 2147483647;
const LOAD_FAILED = 3;
const STATUS = { InputError: 400, FunctionError: 500, SystemError: 500 };
const NO_LINES = '[]';

const env = process.env;
// How much a run keeps (the gateway reads the same variables): 6 MiB of output, 1 MiB of logs.
const MAX_OUTPUT_BYTES = positive(env.DISPATCH_MAX_OUTPUT_BYTES, 6 * 1024 * 1024);
const MAX_LOG_BYTES = positive(env.DISPATCH_MAX_LOG_BYTES, 1024 * 1024);

function positive(raw, fallback) {
  const value = Number(raw);
  return Number.isSafeInteger(value) && value > 0 ? value : fallback;
}
const calls = new AsyncLocalStorage();
let handler = null;
let defaultTimeout = 0;
let inflight = 0;
let draining = false;

// ---- configuration and loading -------------------------------------------------------------------

function functionDir() {
  if (env.DISPATCH_FUNCTION_DIR) return path.resolve(env.DISPATCH_FUNCTION_DIR);
  return fs.existsSync('/function') ? '/function' : process.cwd();
}

function readPort(name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} is not a port: ${raw}`);
  return port;
}

function readTimeout(raw) {
  const ms = Number(raw);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

function pickHandler(mod) {
  if (typeof mod === 'function') return mod;
  if (mod === null || typeof mod !== 'object') return null;
  if (typeof mod.handle === 'function') return mod.handle;
  const fallback = mod.default;
  if (typeof fallback === 'function') return fallback;
  if (fallback !== null && typeof fallback === 'object' && typeof fallback.handle === 'function') return fallback.handle;
  return null;
}

// Node looks for packages in every node_modules above a module. Code in the function's folder must find only
// its own packages and its image's (NODE_PATH), never those of whatever project the folder happens to sit in.
function confineModuleLookup(dir) {
  const Module = require('node:module');
  const lookup = Module._nodeModulePaths;
  if (typeof lookup !== 'function') return;
  const inside = (candidate) => candidate === dir || candidate.startsWith(dir + path.sep);
  Module._nodeModulePaths = function (from) {
    const paths = lookup.call(this, from);
    return inside(path.resolve(from)) ? paths.filter((candidate) => inside(path.dirname(candidate))) : paths;
  };
}

// The same for ES modules, whose resolution has no Module._nodeModulePaths: a resolve hook refuses a package
// found in a node_modules outside the function's folder for an import made from inside it. Registered only for
// ESM handlers (the hooks run on a thread of their own).
const CONFINE_HOOKS = `
import { fileURLToPath } from 'node:url';
import { sep } from 'node:path';
let dir = '';
export function initialize(data) { dir = data.dir; }
const inside = (path) => path === dir || path.startsWith(dir + sep);
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const parent = context.parentURL;
  if (parent && parent.startsWith('file:') && result.url.startsWith('file:')) {
    const from = fileURLToPath(parent);
    const to = fileURLToPath(result.url);
    if (inside(from) && !inside(to) && to.includes(sep + 'node_modules' + sep)) {
      const error = new Error("Cannot find package '" + specifier + "' imported from " + from);
      error.code = 'ERR_MODULE_NOT_FOUND';
      throw error;
    }
  }
  return result;
}
`;

/** Whether the handler is an ES module: `.mjs`, or a file under a package.json with "type": "module". */
function isEsModule(file, dir) {
  let resolved;
  try {
    resolved = require.resolve(file);
  } catch {
    return false;
  }
  if (resolved.endsWith('.mjs')) return true;
  if (resolved.endsWith('.cjs')) return false;
  for (let folder = path.dirname(resolved); folder === dir || folder.startsWith(dir + path.sep); folder = path.dirname(folder)) {
    try {
      return JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')).type === 'module';
    } catch {
      // No package.json here (or not JSON): look further up, within the function's folder.
    }
    if (path.dirname(folder) === folder) break;
  }
  return false;
}

function confineImports(dir) {
  const { register } = require('node:module');
  if (typeof register !== 'function') return;
  register('data:text/javascript,' + encodeURIComponent(CONFINE_HOOKS), { data: { dir } });
}

async function loadHandler() {
  const name = env.DISPATCH_HANDLER;
  if (!name) throw new Error('DISPATCH_HANDLER is not set (expected a file relative to the function dir)');
  const dir = fs.realpathSync(functionDir());
  confineModuleLookup(dir);
  const file = path.resolve(functionDir(), name);
  if (isEsModule(file, dir)) confineImports(dir);
  let mod;
  try {
    mod = require(file);
  } catch (err) {
    if (!err || (err.code !== 'ERR_REQUIRE_ESM' && err.code !== 'ERR_REQUIRE_ASYNC_MODULE')) throw err;
    mod = await import(pathToFileURL(require.resolve(file)).href);
  }
  const fn = pickHandler(mod);
  if (fn === null) {
    throw new TypeError(
      `${name} exports no function (expected module.exports = function (context, payload), ` + 'module.exports.handle or export default)',
    );
  }
  return fn;
}

/** The loader's message on one line, with the location of a syntax error when Node gives one. */
function loaderMessage(err) {
  if (!(err instanceof Error)) return `Error: ${String(err)}`;
  const message = `${err.name}: ${String(err.message).split('\n')[0]}`;
  const where = err.name === 'SyntaxError' && typeof err.stack === 'string' ? /^(\/.+:\d+)\n/.exec(err.stack) : null;
  return where ? `${message} (${where[1]})` : message;
}

function report(status) {
  const line = JSON.stringify(status) + '\n';
  const fd = env.DISPATCH_STATUS_FD ? Number(env.DISPATCH_STATUS_FD) : NaN;
  if (!Number.isInteger(fd) || fd < 0) return void process.stderr.write(line);
  try {
    fs.writeSync(fd, line);
    fs.closeSync(fd);
  } catch {
    process.stderr.write(line);
  }
}

// ---- log capture ---------------------------------------------------------------------------------

// Writes made while a call is active land in that call's logs; anything else reaches the real stream.
const teeLogs = env.DISPATCH_TEE_LOGS === '1';

function capture(stream, key) {
  const write = stream.write;
  stream.write = function (chunk, encoding, callback) {
    const call = calls.getStore();
    if (call === undefined || call.done) return write.apply(this, arguments);
    let text = typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
    // A run keeps MAX_LOG_BYTES of logs: the rest is counted, not kept (a length in UTF-16 units bounds the bytes from below).
    const left = MAX_LOG_BYTES - call.logBytes;
    if (text.length > left) {
      const size = Buffer.byteLength(text);
      if (size > left) {
        const kept = left > 0 ? Buffer.from(text).subarray(0, left).toString('utf8') : '';
        call.cut += size - Buffer.byteLength(kept);
        text = kept;
      }
    }
    call.logBytes += text.length;
    if (text !== '') {
      call[key] = call[key] === null ? text : call[key] + text;
      // Container backends read their logs from the server's own streams: copy the call's output there too.
      if (teeLogs) write.call(this, text);
    }
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (typeof cb === 'function') process.nextTick(cb, null);
    return true;
  };
}

function linesJson(text) {
  if (text === null || text === '') return NO_LINES;
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return JSON.stringify(lines);
}

// ---- calls ---------------------------------------------------------------------------------------

function envelope(call, payloadJson, error) {
  let logs = '{"stdout":[],"stderr":[]}';
  if (call !== null) {
    let err = call.err;
    if (call.cut > 0) {
      const marker = `[dispatch] ${call.cut} bytes of output were cut: a run keeps at most ${MAX_LOG_BYTES} bytes of logs (DISPATCH_MAX_LOG_BYTES)\n`;
      err = err === null || err === '' ? marker : (err.endsWith('\n') ? err : err + '\n') + marker;
    }
    logs = '{"stdout":' + linesJson(call.out) + ',"stderr":' + linesJson(err) + '}';
  }
  const failure = error === undefined ? '' : ',"error":' + JSON.stringify(error);
  return '{"context":{"logs":' + logs + failure + '},"payload":' + payloadJson + '}';
}

function errorName(err) {
  if (err.name !== 'Error') return err.name;
  const ctor = err.constructor;
  return ctor && typeof ctor.name === 'string' && ctor.name !== '' ? ctor.name : 'Error';
}

function isErrorLike(err) {
  return err !== null && typeof err === 'object' && typeof err.name === 'string' && typeof err.message === 'string';
}

function describe(err) {
  if (!isErrorLike(err)) {
    let text;
    try {
      text = typeof err === 'string' ? err : JSON.stringify(err);
    } catch {
      text = String(err);
    }
    return { type: 'FunctionError', message: `Error: ${text}`, stacktrace: [] };
  }
  const type = err instanceof TypeError || err.name === 'TypeError' ? 'InputError' : 'FunctionError';
  return { type, message: `${errorName(err)}: ${err.message}`, stacktrace: handlerFrames(err.stack) };
}

// The frames below the handler (this server, the async context, the event loop) say nothing about the function.
function handlerFrames(stack) {
  if (typeof stack !== 'string') return [];
  const lines = stack.split('\n');
  let end = lines.findIndex((line) => line.includes(__filename));
  if (end === -1) end = lines.length;
  while (end > 0 && /\(node:async_hooks[:)]|\(node:internal\/|\(node:events[:)]/.test(lines[end - 1])) end--;
  return lines.slice(0, end);
}

function settle(call, error, payloadJson = 'null') {
  if (call.done) return;
  call.done = true;
  if (call.timer !== null) clearTimeout(call.timer);
  let body;
  try {
    body = envelope(call, payloadJson, error);
  } catch (err) {
    error = { type: 'SystemError', message: loaderMessage(err), stacktrace: [] };
    body = envelope(null, 'null', error);
  }
  call.reply(error === undefined ? undefined : error.type, body);
}

function succeed(call, value) {
  if (call.done) return;
  let json;
  try {
    json = value === undefined ? 'null' : JSON.stringify(value);
  } catch (err) {
    return settle(call, notSerialisable(err instanceof Error ? err.message : String(err)));
  }
  if (json === undefined) return settle(call, notSerialisable(`a ${typeof value} has no JSON form`));
  if (json.length * 3 > MAX_OUTPUT_BYTES && Buffer.byteLength(json) > MAX_OUTPUT_BYTES) {
    return settle(call, {
      type: 'FunctionError',
      message: `the return value is ${Buffer.byteLength(json)} bytes, more than a run keeps (${MAX_OUTPUT_BYTES} bytes, DISPATCH_MAX_OUTPUT_BYTES)`,
      stacktrace: [],
    });
  }
  settle(call, undefined, json);
}

function notSerialisable(reason) {
  return { type: 'FunctionError', message: `TypeError: the return value is not JSON-serialisable: ${reason}`, stacktrace: [] };
}

function fail(call, err) {
  settle(call, describe(err));
}

function timeOut(call, ms) {
  settle(call, { type: 'FunctionError', message: `function timed out after ${ms} ms`, stacktrace: [] });
}

function requestContext(context) {
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    return { secrets: {}, timeout: defaultTimeout };
  }
  const secrets = context.secrets;
  if (secrets === null || typeof secrets !== 'object' || Array.isArray(secrets)) context.secrets = {};
  context.timeout = readTimeout(context.timeout) || defaultTimeout;
  return context;
}

function rejectInput(reply, message) {
  reply('InputError', envelope(null, 'null', { type: 'InputError', message, stacktrace: [] }));
}

/** Runs one request (the decoded body) and calls `reply(errorType | undefined, envelopeJson)` exactly once. */
function serve(text, reply) {
  let request;
  try {
    request = JSON.parse(text);
  } catch (err) {
    return rejectInput(reply, `SyntaxError: request is not valid JSON: ${err.message}`);
  }
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    return rejectInput(reply, 'TypeError: request must be a JSON object {"context", "payload"}');
  }
  const context = requestContext(request.context);
  const payload = request.payload === undefined ? null : request.payload;
  const call = { out: null, err: null, logBytes: 0, cut: 0, done: false, timer: null, reply };
  let result;
  try {
    result = calls.run(call, handler, context, payload);
  } catch (err) {
    return fail(call, err);
  }
  if (result === null || (typeof result !== 'object' && typeof result !== 'function') || typeof result.then !== 'function') {
    return succeed(call, result);
  }
  const timeout = context.timeout;
  if (timeout > 0) call.timer = setTimeout(timeOut, Math.min(timeout, MAX_TIMER_MS), call, timeout);
  Promise.resolve(result).then(
    (value) => succeed(call, value),
    (err) => fail(call, err),
  );
}

// ---- funker mode ---------------------------------------------------------------------------------

function callDone() {
  inflight--;
  if (draining && inflight === 0) process.exit(0);
}

function destroyIdle() {
  this.destroy();
}

function onFunkerConnection(socket) {
  const chunks = [];
  let size = 0;
  socket.setTimeout(IDLE_MS);
  socket.on('timeout', destroyIdle);
  socket.on('error', () => {});
  socket.on('data', function onData(chunk) {
    // A funker request is JSON, which never starts with NUL: a NUL opens Dispatch's wire protocol instead.
    if (size === 0 && chunk.length > 0 && chunk[0] === 0) {
      socket.off('data', onData);
      socket.removeAllListeners('end');
      return onWireConnection(socket, chunk);
    }
    size += chunk.length;
    if (size <= MAX_REQUEST_BYTES) return void chunks.push(chunk);
    socket.removeAllListeners('data');
    socket.removeAllListeners('end');
    const body = envelope(null, 'null', { type: 'InputError', message: 'RangeError: request exceeds 64 MiB', stacktrace: [] });
    socket.end(body, () => socket.destroy());
  });
  socket.on('end', () => {
    socket.setTimeout(0);
    inflight++;
    const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
    serve(text, (type, body) => {
      if (socket.destroyed) return callDone();
      socket.end(body, callDone);
    });
  });
}

// ---- wire mode: many calls at once on one long-lived connection -----------------------------------
// The gateway's side and the frame format are in @dispatch/core (wire-frame.ts): after the 4-byte preface,
// frames of u32 body length | u32 call id | u8 kind (1 call, 2 reply, 3 ping, 4 pong) | body.

const WIRE_PREFACE = Buffer.from([0, 0x44, 0x57, 1]);
const WIRE_HEADER = 9;

function wireFrame(id, kind, body) {
  const length = body === '' ? 0 : Buffer.byteLength(body);
  const frame = Buffer.allocUnsafe(WIRE_HEADER + length);
  frame.writeUInt32BE(length, 0);
  frame.writeUInt32BE(id, 4);
  frame[8] = kind;
  if (length > 0) frame.write(body, WIRE_HEADER, 'utf8');
  return frame;
}

function onWireConnection(socket, first) {
  // The gateway keeps this connection for the life of the process and checks it with pings: no idle timeout.
  socket.setTimeout(0);
  socket.off('timeout', destroyIdle);
  let data = Buffer.alloc(0);
  let prefaced = false;
  // Replies finished in one turn of the event loop leave in one write: under load calls arrive many to a read,
  // and a write per reply would cost this process and the gateway a system call and a wake-up each.
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const send = (frame) => {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    socket.write(frame);
  };
  const take = (chunk) => {
    data = data.length === 0 ? chunk : Buffer.concat([data, chunk]);
    if (!prefaced) {
      if (data.length < WIRE_PREFACE.length) return;
      if (!data.subarray(0, WIRE_PREFACE.length).equals(WIRE_PREFACE)) return void socket.destroy();
      prefaced = true;
      data = data.subarray(WIRE_PREFACE.length);
    }
    let offset = 0;
    while (data.length - offset >= WIRE_HEADER) {
      const length = data.readUInt32BE(offset);
      // The gateway never sends more than it accepts itself; a stream this far off is not one to read on.
      if (length > MAX_REQUEST_BYTES) return void socket.destroy();
      if (data.length - offset - WIRE_HEADER < length) break;
      const id = data.readUInt32BE(offset + 4);
      const kind = data[offset + 8];
      const start = offset + WIRE_HEADER;
      offset = start + length;
      if (kind === 1) {
        inflight++;
        serve(data.toString('utf8', start, offset), (type, body) => {
          if (!socket.destroyed) send(wireFrame(id, 2, body));
          callDone();
        });
      } else if (kind === 3) {
        send(wireFrame(0, 4, ''));
      }
    }
    data = offset === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(offset));
  };
  socket.on('data', take);
  socket.on('end', () => socket.end());
  take(first);
}

// ---- http mode -----------------------------------------------------------------------------------

function sendJson(res, status, body, extraHeaders) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extraHeaders });
  res.end(body);
}

function rejectHttp(res, status, message, extraHeaders) {
  sendJson(res, status, envelope(null, 'null', { type: 'InputError', message, stacktrace: [] }), extraHeaders);
}

function onHttpRequest(req, res) {
  const route = req.url === undefined ? '/' : req.url.split('?', 1)[0];
  if (route === '/healthz') {
    if (req.method === 'GET') return sendJson(res, 200, '{}');
    return rejectHttp(res, 405, `MethodNotAllowed: ${req.method} /healthz (use GET)`, { allow: 'GET' });
  }
  if (req.method !== 'POST') return rejectHttp(res, 405, `MethodNotAllowed: ${req.method} (use POST)`, { allow: 'POST' });
  const tooLarge = () => {
    rejectHttp(res, 413, 'RangeError: request exceeds 64 MiB', { connection: 'close' });
    res.once('finish', () => req.destroy());
  };
  if (Number(req.headers['content-length']) > MAX_REQUEST_BYTES) return tooLarge();
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_REQUEST_BYTES) return void chunks.push(chunk);
    req.removeAllListeners('data');
    req.removeAllListeners('end');
    tooLarge();
  });
  req.on('end', () => {
    inflight++;
    res.once('close', callDone);
    const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
    serve(text, (type, body) => sendJson(res, type === undefined ? 200 : STATUS[type], body));
  });
}

function createHttpServer() {
  const server = http.createServer(onHttpRequest);
  // Idle keep-alive sockets outlive a proxy's own idle timeout; long runs are not cut by Node's request timer.
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 76_000;
  server.requestTimeout = 0;
  return server;
}

// ---- main ----------------------------------------------------------------------------------------

function drainOnSignal(server) {
  const drain = () => {
    if (draining) return;
    draining = true;
    server.close();
    if (typeof server.closeIdleConnections === 'function') server.closeIdleConnections();
    if (inflight === 0) process.exit(0);
    setTimeout(() => process.exit(0), DRAIN_MS);
  };
  process.once('SIGTERM', drain);
  process.once('SIGINT', drain);
}

// The local backend keeps a pipe to our stdin: when it closes, the gateway is gone (even if it was killed
// without stopping its children), and a function server must not outlive it.
function exitWithParent() {
  if (env.DISPATCH_EXIT_WITH_PARENT !== '1') return;
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

// A spare (DISPATCH_SPARE=1, the local backend's pre-warmed process) has no function yet: it says so on the status
// fd (left open for the ready line), then waits for one line on stdin that sets the function's environment, its
// handler and settings included. Nothing of a function is on its command line, and nothing is loaded before.
const MAX_CONTROL_BYTES = 8 * 1024 * 1024;

function awaitSpecialisation() {
  const fd = env.DISPATCH_STATUS_FD ? Number(env.DISPATCH_STATUS_FD) : NaN;
  const line = JSON.stringify({ status: 'spare', pid: process.pid }) + '\n';
  if (Number.isInteger(fd) && fd >= 0) fs.writeSync(fd, line);
  else process.stderr.write(line);
  return new Promise((resolve) => {
    let text = '';
    const stop = () => process.exit(0);
    const onData = (chunk) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline < 0) {
        if (text.length > MAX_CONTROL_BYTES) stop();
        return;
      }
      process.stdin.off('data', onData);
      process.stdin.off('end', stop);
      process.stdin.pause();
      try {
        const control = JSON.parse(text.slice(0, newline));
        for (const name of control.unset || []) delete env[name];
        Object.assign(env, control.env || {});
      } catch (err) {
        report({ status: 'error', message: loaderMessage(err) });
        process.exit(LOAD_FAILED);
      }
      resolve();
    };
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', onData);
    process.stdin.once('end', stop);
    process.stdin.on('error', stop);
  });
}

async function main() {
  const check = process.argv.slice(2).includes('--check');
  let server;
  let port;
  try {
    if (env.DISPATCH_SPARE === '1' && !check) await awaitSpecialisation();
    handler = await loadHandler();
    if (check) process.exit(0);
    defaultTimeout = readTimeout(env.DISPATCH_TIMEOUT_MS);
    const mode = env.DISPATCH_MODE || 'funker';
    if (mode !== 'funker' && mode !== 'http') throw new Error(`DISPATCH_MODE must be funker or http, not ${mode}`);
    port = mode === 'http' ? readPort('PORT', 8080) : readPort('DISPATCH_FUNKER_PORT', 9999);
    // The local backend reaches each process on a Unix socket of its own (funker and wire alike).
    if (mode === 'funker' && env.DISPATCH_SOCKET) port = env.DISPATCH_SOCKET;
    server = mode === 'http' ? createHttpServer() : net.createServer({ allowHalfOpen: true, noDelay: true }, onFunkerConnection);
  } catch (err) {
    const message = loaderMessage(err);
    if (check) process.stderr.write(message + '\n');
    else report({ status: 'error', message });
    process.exit(LOAD_FAILED);
  }
  capture(process.stdout, 'out');
  capture(process.stderr, 'err');
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
  });
  server.on('error', (err) => {
    report({ status: 'error', message: loaderMessage(err) });
    process.exit(LOAD_FAILED);
  });
  const where = typeof port === 'string' ? { path: port } : { port, host: env.DISPATCH_HOST || '0.0.0.0' };
  server.listen({ ...where, backlog: 511 }, () => {
    drainOnSignal(server);
    exitWithParent();
    const address = server.address();
    report({ status: 'ready', port: typeof address === 'string' ? 0 : address.port, pid: process.pid });
  });
}

main();
