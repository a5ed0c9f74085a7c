/** Dashboard entry: replaces the static shell with <App/>. */
import { render } from 'preact';
import { App } from './app.js';

const root = document.getElementById('app');
if (root) {
  root.replaceChildren();
  render(<App />, root);
}
