import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, DEFAULTS, loadConfig, USAGE } from '../../src/server/config.js';

/** Asserts `fn` throws a ConfigError whose message contains every one of `names`. */
function assertConfigError(fn: () => unknown, ...names: string[]): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  for (const name of names) {
    assert.ok(caught.message.includes(name), `"${caught.message}" does not name ${name}`);
  }
  return caught;
}

describe('loadConfig', () => {
  describe('defaults', () => {
    it('uses the defaults when given no flags and no environment', () => {
      const { config, help } = loadConfig([], {});
      assert.equal(help, false);
      assert.deepEqual(config, { ...DEFAULTS, dataDir: resolve(DEFAULTS.dataDir) });
      assert.equal(config.host, '0.0.0.0');
      assert.equal(config.port, 8080);
      assert.equal(config.httpsPort, 8443);
      assert.equal(config.streamKey, null);
      assert.equal(config.logLevel, 'info');
      assert.equal(config.burstBytes, 256 * 1024);
    });

    it('resolves the data directory to an absolute path', () => {
      assert.equal(loadConfig(['--data', 'rel/dir'], {}).config.dataDir, resolve('rel/dir'));
    });

    it('returns a frozen object and leaves DEFAULTS alone', () => {
      const { config } = loadConfig(['--port', '9000'], {});
      assert.ok(Object.isFrozen(config));
      assert.equal(DEFAULTS.port, 8080);
    });

    it('ignores unrelated and empty environment variables', () => {
      const { config } = loadConfig([], { PORT: '1234', ONAIR_PORT: '', ONAIR_STREAM_KEY: '' });
      assert.equal(config.port, 8080);
      assert.equal(config.streamKey, null);
    });
  });

  describe('environment', () => {
    it('overrides the defaults with ONAIR_* variables', () => {
      const { config } = loadConfig([], {
        ONAIR_HOST: '127.0.0.1',
        ONAIR_PORT: '9000',
        ONAIR_HTTPS_PORT: '9443',
        ONAIR_DATA: '/var/lib/onair',
        ONAIR_LOG_LEVEL: 'debug',
        ONAIR_BURST_BYTES: '4096',
        ONAIR_MAX_LISTENER_BUFFER_BYTES: '100000',
        ONAIR_INGEST_IDLE_TIMEOUT_MS: '1500',
        ONAIR_STATUS_PING_INTERVAL_MS: '2000',
        ONAIR_STREAM_KEY: 'long-enough-key',
      });
      assert.equal(config.host, '127.0.0.1');
      assert.equal(config.port, 9000);
      assert.equal(config.httpsPort, 9443);
      assert.equal(config.dataDir, '/var/lib/onair');
      assert.equal(config.logLevel, 'debug');
      assert.equal(config.burstBytes, 4096);
      assert.equal(config.maxListenerBufferBytes, 100_000);
      assert.equal(config.ingestIdleTimeoutMs, 1500);
      assert.equal(config.statusPingIntervalMs, 2000);
      assert.equal(config.streamKey, 'long-enough-key');
    });

    it('turns HTTPS off with ONAIR_HTTPS_PORT=off', () => {
      assert.equal(loadConfig([], { ONAIR_HTTPS_PORT: 'off' }).config.httpsPort, null);
    });
  });

  describe('flags', () => {
    it('override the environment', () => {
      const { config } = loadConfig(['--port', '7000', '--host=::1', '--log-level', 'warn'], {
        ONAIR_PORT: '9000',
        ONAIR_HOST: '127.0.0.1',
        ONAIR_LOG_LEVEL: 'debug',
      });
      assert.equal(config.port, 7000);
      assert.equal(config.host, '::1');
      assert.equal(config.logLevel, 'warn');
    });

    it('reads every limit flag', () => {
      const { config } = loadConfig(
        [
          '--max-init-bytes=1000',
          '--max-element-bytes=2000',
          '--max-chunk-bytes=3000',
          '--burst-bytes=4000',
          '--max-listener-buffer-bytes=5000',
          '--ingest-idle-timeout-ms=6000',
          '--status-ping-interval-ms=7000',
          '--max-mounts=8',
          '--max-status-sockets=900',
          '--max-status-sockets-per-ip=90',
          '--header-timeout-ms=2500',
        ],
        {},
      );
      assert.equal(config.maxInitBytes, 1000);
      assert.equal(config.maxElementBytes, 2000);
      assert.equal(config.maxChunkBytes, 3000);
      assert.equal(config.burstBytes, 4000);
      assert.equal(config.maxListenerBufferBytes, 5000);
      assert.equal(config.ingestIdleTimeoutMs, 6000);
      assert.equal(config.statusPingIntervalMs, 7000);
      assert.equal(config.maxMounts, 8);
      assert.equal(config.maxStatusSockets, 900);
      assert.equal(config.maxStatusSocketsPerAddress, 90);
      assert.equal(config.headerTimeoutMs, 2500);
    });

    it('has safe defaults for the mount, status-socket and header-timeout limits', () => {
      const { config } = loadConfig([], {});
      assert.equal(config.maxMounts, 100);
      assert.equal(config.maxStatusSockets, 15_000);
      assert.equal(config.maxStatusSocketsPerAddress, 500);
      assert.equal(config.headerTimeoutMs, 10_000);
    });

    it('reads the new limits from the environment', () => {
      const { config } = loadConfig([], {
        ONAIR_MAX_MOUNTS: '3',
        ONAIR_MAX_STATUS_SOCKETS: '40',
        ONAIR_MAX_STATUS_SOCKETS_PER_IP: '4',
        ONAIR_HEADER_TIMEOUT_MS: '1000',
      });
      assert.deepEqual(
        [
          config.maxMounts,
          config.maxStatusSockets,
          config.maxStatusSocketsPerAddress,
          config.headerTimeoutMs,
        ],
        [3, 40, 4, 1000],
      );
    });

    it('turns HTTPS off with --https-port off', () => {
      assert.equal(loadConfig(['--https-port', 'off'], {}).config.httpsPort, null);
      assert.equal(loadConfig(['--https-port', 'none'], {}).config.httpsPort, null);
    });

    it('turns HTTPS back on with a flag when the environment turned it off', () => {
      assert.equal(loadConfig(['--https-port', '9443'], { ONAIR_HTTPS_PORT: 'off' }).config.httpsPort, 9443);
    });

    it('accepts port 0 for both listeners', () => {
      const { config } = loadConfig(['--port', '0', '--https-port', '0'], {});
      assert.equal(config.port, 0);
      assert.equal(config.httpsPort, 0);
    });

    it('accepts a certificate given together with its key', () => {
      const { config } = loadConfig(['--tls-cert', 'c.pem', '--tls-key', 'k.pem'], {});
      assert.equal(config.tlsCertFile, 'c.pem');
      assert.equal(config.tlsKeyFile, 'k.pem');
    });

    it('reports --help', () => {
      assert.equal(loadConfig(['--help'], {}).help, true);
    });
  });

  describe('overrides', () => {
    it('win over flags and environment and are validated too', () => {
      const { config } = loadConfig(
        ['--port', '7000'],
        { ONAIR_PORT: '9000' },
        { port: 0, streamKey: 'k'.repeat(8) },
      );
      assert.equal(config.port, 0);
      assert.equal(config.streamKey, 'kkkkkkkk');
      assertConfigError(() => loadConfig([], {}, { streamKey: 'short' }), 'ONAIR_STREAM_KEY');
    });
  });

  describe('validation', () => {
    const badValues: Array<[string, string, string]> = [
      ['port', 'ONAIR_PORT', 'abc'],
      ['port', 'ONAIR_PORT', '65536'],
      ['port', 'ONAIR_PORT', '80.5'],
      ['https-port', 'ONAIR_HTTPS_PORT', 'maybe'],
      ['log-level', 'ONAIR_LOG_LEVEL', 'loud'],
      ['burst-bytes', 'ONAIR_BURST_BYTES', '0'],
      ['burst-bytes', 'ONAIR_BURST_BYTES', '1k'],
      ['max-init-bytes', 'ONAIR_MAX_INIT_BYTES', '99999999999999999999'],
      ['ingest-idle-timeout-ms', 'ONAIR_INGEST_IDLE_TIMEOUT_MS', '2.5'],
    ];
    for (const [flag, env, raw] of badValues) {
      it(`rejects --${flag} ${raw}, naming the flag`, () => {
        const err = assertConfigError(() => loadConfig([`--${flag}=${raw}`], {}), `--${flag}`);
        assert.equal(err.name, 'ConfigError');
      });

      it(`rejects ${env}=${raw}, naming the variable`, () => {
        assertConfigError(() => loadConfig([], { [env]: raw }), env);
      });
    }

    it('rejects an empty string setting', () => {
      assertConfigError(() => loadConfig(['--host='], {}), '--host', 'empty');
    });

    it('rejects --tls-cert without --tls-key, and the other way round', () => {
      assertConfigError(() => loadConfig(['--tls-cert', 'c.pem'], {}), '--tls-cert', '--tls-key');
      assertConfigError(() => loadConfig(['--tls-key', 'k.pem'], {}), '--tls-cert', '--tls-key');
      assertConfigError(() => loadConfig([], { ONAIR_TLS_CERT: 'c.pem' }), '--tls-key');
    });

    it('rejects an ONAIR_STREAM_KEY shorter than 8 characters', () => {
      const err = assertConfigError(
        () => loadConfig([], { ONAIR_STREAM_KEY: '1234567' }),
        'ONAIR_STREAM_KEY',
      );
      assert.equal(err.key, 'ONAIR_STREAM_KEY');
      assert.equal(loadConfig([], { ONAIR_STREAM_KEY: '12345678' }).config.streamKey, '12345678');
    });

    it('never puts the rejected stream key in the error', () => {
      const err = assertConfigError(() => loadConfig([], { ONAIR_STREAM_KEY: 's3cr3t' }));
      assert.ok(!err.message.includes('s3cr3t'));
    });

    it('rejects the same port for HTTP and HTTPS', () => {
      assertConfigError(() => loadConfig(['--port', '8443'], {}), '--https-port', '8443');
    });

    it('rejects a per-address status-socket cap above the total one', () => {
      assertConfigError(
        () => loadConfig(['--max-status-sockets', '10', '--max-status-sockets-per-ip', '11'], {}),
        '--max-status-sockets-per-ip',
        '10',
      );
    });

    it('rejects a header timeout under a second or over a minute, and zero mounts', () => {
      assertConfigError(() => loadConfig(['--header-timeout-ms', '999'], {}), '--header-timeout-ms');
      assertConfigError(() => loadConfig(['--header-timeout-ms', '60001'], {}), '--header-timeout-ms');
      assertConfigError(() => loadConfig(['--max-mounts', '0'], {}), '--max-mounts');
    });

    it('rejects a burst smaller than 1024 bytes', () => {
      assertConfigError(() => loadConfig(['--burst-bytes', '1023'], {}), '--burst-bytes');
    });

    it('rejects an unknown flag, naming it', () => {
      assertConfigError(() => loadConfig(['--nope'], {}), '--nope');
    });

    it('rejects a flag without its value, naming it', () => {
      assertConfigError(() => loadConfig(['--port'], {}), '--port');
    });

    it('rejects positional arguments', () => {
      assertConfigError(() => loadConfig(['serve'], {}), 'serve');
    });
  });

  describe('USAGE', () => {
    it('lists every flag and the stream key variable', () => {
      for (const flag of [
        '--port',
        '--https-port',
        '--host',
        '--data',
        '--tls-cert',
        '--tls-key',
        '--log-level',
        '--max-mounts',
        '--max-status-sockets',
        '--max-status-sockets-per-ip',
        '--header-timeout-ms',
      ]) {
        assert.ok(USAGE.includes(flag), flag);
      }
      assert.ok(USAGE.includes('ONAIR_STREAM_KEY'));
    });
  });
});

describe('loadConfig --allowed-origins', () => {
  it('reads a comma-separated list of origins from the flag or ONAIR_ALLOWED_ORIGINS', () => {
    const fromFlag = loadConfig(
      ['--allowed-origins', 'https://school.example, http://radio.example:8000'],
      {},
    );
    assert.deepEqual(fromFlag.config.allowedOrigins, ['https://school.example', 'http://radio.example:8000']);
    const fromEnv = loadConfig([], { ONAIR_ALLOWED_ORIGINS: 'https://a.example' });
    assert.deepEqual(fromEnv.config.allowedOrigins, ['https://a.example']);
    assert.deepEqual(loadConfig([], {}).config.allowedOrigins, []);
  });

  it('rejects anything that is not an http(s) origin, naming the flag', () => {
    for (const bad of ['school.example', 'https://school.example/path', 'ftp://x.example', '*']) {
      assert.throws(
        () => loadConfig(['--allowed-origins', bad], {}),
        (err: unknown) => err instanceof ConfigError && /--allowed-origins/.test(err.message),
        bad,
      );
    }
  });
});

describe('loadConfig --redis', () => {
  it('is off by default and reads redis:// or rediss:// URLs from the flag or ONAIR_REDIS_URL', () => {
    assert.equal(loadConfig([], {}).config.redisUrl, null);
    assert.equal(
      loadConfig(['--redis', 'redis://10.0.0.5:6379'], {}).config.redisUrl,
      'redis://10.0.0.5:6379',
    );
    const url = 'rediss://:s3cret@cache.example:6380/2';
    assert.equal(loadConfig([], { ONAIR_REDIS_URL: url }).config.redisUrl, url);
  });

  it('rejects other URLs, naming the flag without echoing a password', () => {
    for (const bad of ['localhost:6379', 'http://u:hunter2@x:6379', 'redis://', 'hunter2']) {
      const err = assertConfigError(() => loadConfig(['--redis', bad], {}), '--redis', 'ONAIR_REDIS_URL');
      assert.ok(!err.message.includes('hunter2'), err.message);
    }
  });
});

describe('loadConfig HLS', () => {
  it('has 200 ms parts, 1 s segments, a window of 6 and a cap on held requests by default; flags and env change them', () => {
    const { config } = loadConfig([], {});
    assert.deepEqual(
      [config.hlsPartMs, config.hlsSegmentMs, config.hlsWindowSegments, config.hlsMaxHeldRequests],
      [200, 1000, 6, 10_000],
    );
    const c2 = loadConfig(['--hls-part-ms', '250', '--hls-window-segments', '10'], {
      ONAIR_HLS_MAX_HELD: '5',
    }).config;
    assert.deepEqual([c2.hlsPartMs, c2.hlsWindowSegments, c2.hlsMaxHeldRequests], [250, 10, 5]);
  });

  it('refuses parts out of 100–1000 ms, a segment shorter than two parts, a window under 3', () => {
    assertConfigError(() => loadConfig(['--hls-part-ms', '50'], {}), '--hls-part-ms');
    assertConfigError(() => loadConfig(['--hls-segment-ms', '300'], {}), '--hls-segment-ms');
    assertConfigError(() => loadConfig(['--hls-window-segments', '2'], {}), '--hls-window-segments');
  });
});
