/**
 * Whether a browser can be opened from here: on Linux only with a display (a server over SSH or a container has
 * none, and xdg-open would fall back to a text browser or fail).
 */
export function canOpenBrowser(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** How long the opener may take to fail before it is taken to have handed the URL to a browser. */
const OPENER_GRACE_MS = 2000;

/**
 * Opens `url` in the user's browser with the `open` package (xdg-open, `open`, `start`). Resolves true once the
 * opener has run without failing, false when it could not be started or reported a failure.
 */
export async function openBrowser(url: string): Promise<boolean> {
  const { default: open } = await import('open');
  let child;
  try {
    child = await open(url, { wait: false });
  } catch {
    return false;
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), OPENER_GRACE_MS);
    timer.unref();
    child.once('error', () => (clearTimeout(timer), resolve(false)));
    child.once('exit', (code) => (clearTimeout(timer), resolve(code === 0)));
  });
}
