/** Pre-flight checks shown before Go live: secure context, recording support, server reachable, stream key. */
import { useEffect, useState } from 'preact/hooks';
import { checkRecorderSupport } from './recorder.js';
import { checkKey, fetchServerInfo } from './session.js';

/** The key is checked this long after the last keystroke. */
const KEY_CHECK_DELAY_MS = 600;

type Result = 'ok' | 'fail' | 'pending' | 'unknown';

interface Check {
  id: 'secure' | 'codec' | 'server' | 'key';
  label: string;
  result: Result;
  hint: string;
}

const MARK: Readonly<Record<Result, string>> = { ok: '✓', fail: '✗', pending: '…', unknown: '–' };

export function Checklist({ mount, streamKey }: { mount: string; streamKey: string }) {
  const [server, setServer] = useState<Result>('pending');
  const [key, setKey] = useState<{ result: Result; hint: string }>({ result: 'unknown', hint: '' });

  useEffect(() => {
    const ac = new AbortController();
    void fetchServerInfo(ac.signal).then((info) => {
      if (!ac.signal.aborted) setServer(info ? 'ok' : 'fail');
    });
    return () => ac.abort();
  }, []);

  useEffect(() => {
    const k = streamKey.trim();
    if (!k) {
      setKey({ result: 'unknown', hint: 'Enter the stream key.' });
      return;
    }
    setKey({ result: 'pending', hint: 'Checking…' });
    const ac = new AbortController();
    const timer = setTimeout(() => {
      void checkKey(mount, k, ac.signal).then((r) => {
        if (ac.signal.aborted) return;
        if (r === 'ok') setKey({ result: 'ok', hint: 'The server accepts this key.' });
        else if (r === 'wrong') setKey({ result: 'fail', hint: 'The server does not accept this key.' });
        else if (r === 'limited') setKey({ result: 'fail', hint: 'Too many wrong keys: wait a minute.' });
        else setKey({ result: 'unknown', hint: 'Could not check the key.' });
      });
    }, KEY_CHECK_DELAY_MS);
    return () => {
      clearTimeout(timer);
      ac.abort();
    };
  }, [mount, streamKey]);

  const secure = window.isSecureContext;
  const codec = checkRecorderSupport() === null;
  const checks: Check[] = [
    {
      id: 'secure',
      label: 'Secure page (HTTPS or this computer)',
      result: secure ? 'ok' : 'fail',
      hint: secure ? '' : 'The microphone needs HTTPS.',
    },
    {
      id: 'codec',
      label: 'Browser records WebM/Opus',
      result: codec ? 'ok' : 'fail',
      hint: codec ? '' : 'Use a recent Chrome, Edge or Firefox.',
    },
    {
      id: 'server',
      label: 'Server reachable',
      result: server,
      hint: server === 'fail' ? 'The onair server does not answer.' : '',
    },
    { id: 'key', label: 'Stream key', result: key.result, hint: key.hint },
  ];
  return (
    <section class="checklist" aria-label="Before going live">
      <h2>Before going live</h2>
      <ul id="preflight">
        {checks.map((c) => (
          <li key={c.id} data-check={c.id} data-result={c.result} class={`check check--${c.result}`}>
            <span class="check__mark" aria-hidden="true">
              {MARK[c.result]}
            </span>{' '}
            {c.label}
            <span class="sr-only">
              : {c.result === 'ok' ? 'passed' : c.result === 'fail' ? 'failed' : 'not known yet'}
            </span>
            {c.hint && <span class="check__hint"> — {c.hint}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
