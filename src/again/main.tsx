/** Listen-again page entry: replaces the static "Loading…" shell with <App/>. */
import { render } from 'preact';
import { App } from './app.js';

const root = document.getElementById('app');
if (root) {
  root.replaceChildren();
  render(<App />, root);
}
