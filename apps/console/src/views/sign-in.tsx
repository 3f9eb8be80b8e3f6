import { useState } from 'preact/hooks';
import { ApiError, get } from '../api/client.js';
import { forgetToken, saveToken } from '../api/token.js';

/**
 * The sign-in prompt: nothing is read from the gateway before a token is given, and a given token is tried
 * once (`/v1/version`) before any page loads. `refused` says that the gateway refused the last one.
 */
export function SignIn({ refused, onSignedIn }: { refused: boolean; onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [checking, setChecking] = useState(false);
  const [problem, setProblem] = useState<string>();
  return (
    <main id="main" class="sign-in">
      <h1>Dispatch console</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const given = token.trim();
          if (given === '') return;
          saveToken(given);
          setChecking(true);
          setProblem(undefined);
          get('/v1/version').then(onSignedIn, (error: Error) => {
            // A 401 has already brought `refused` back through the client; anything else is said here.
            if (!(error instanceof ApiError && error.code === 401)) {
              forgetToken();
              setProblem(`The gateway could not be reached: ${error.message}`);
            }
            setChecking(false);
          });
        }}
      >
        <label for="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          autoFocus
          required
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        {refused && (
          <p class="error" role="alert">
            The gateway refused that token. Paste the gateway's admin token again.
          </p>
        )}
        {problem && (
          <p class="error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" disabled={checking}>
          {checking ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">
          The token is the one the CLI uses (<code>dispatch ui</code> opens this page signed in). It stays in this tab only and is forgotten
          when the tab closes.
        </p>
      </form>
    </main>
  );
}
