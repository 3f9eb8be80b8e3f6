import { render } from 'preact';
import { App } from './app.js';
import { takeTokenFromFragment } from './api/token.js';
import './styles.css';

takeTokenFromFragment();
const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  render(<App />, root);
}
