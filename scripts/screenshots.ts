/**
 * Regenerates the README screenshots (docs/*.png): starts a real server, goes live from the
 * broadcaster page with the fake 440 Hz mic, and photographs both pages at laptop and phone size.
 * Run: node scripts/build.mjs && node build/node/scripts/screenshots.js
 */
import { join } from 'node:path';
import type { ChannelCreated } from '../src/shared/protocol.js';
import { paths } from '../src/shared/protocol.js';
import { launchChromium } from '../tools/chromium.js';
import { startFfmpegSource } from '../tools/ffmpeg.js';
import { startTestServer, TEST_ADMIN_TOKEN } from '../tools/server.js';

const out = join(process.cwd(), 'docs');
const server = await startTestServer();
const browser = await launchChromium({ autoplay: true });
try {
  const laptop = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const listenerPhoneOffline = await phone.newPage();
  await listenerPhoneOffline.goto(`${server.baseUrl}/`);
  await listenerPhoneOffline.locator('#status', { hasText: 'OFFLINE' }).waitFor();
  await listenerPhoneOffline.screenshot({ path: join(out, 'listen-phone-offline.png') });

  const host = await laptop.newPage();
  await host.goto(`${server.baseUrl}/broadcast`);
  await host.fill('#key', server.streamKey);
  await host.fill('#title', 'Year 9 assembly');
  await host.click('#golive');
  const hostPhone = await phone.newPage();
  await hostPhone.goto(`${server.baseUrl}/broadcast?mount=music`);
  await hostPhone.fill('#key', server.streamKey);
  await hostPhone.click('#test-mic');
  await hostPhone.locator('#preflight [data-check="key"][data-result="ok"]').waitFor({ timeout: 5_000 });
  const listenerPhone = await phone.newPage();
  await listenerPhone.goto(`${server.baseUrl}/`);
  const listenerLaptop = await laptop.newPage();
  await listenerLaptop.goto(`${server.baseUrl}/`);
  for (const p of [listenerPhone, listenerLaptop]) {
    await p.locator('#note', { hasText: 'Playing live.' }).waitFor({ timeout: 10_000 });
  }
  await host.waitForTimeout(3_000);
  await host.screenshot({ path: join(out, 'broadcast-laptop.png'), fullPage: true });
  await hostPhone.screenshot({ path: join(out, 'broadcast-phone.png'), fullPage: true });
  await listenerPhone.screenshot({ path: join(out, 'listen-phone-live.png') });
  await listenerLaptop.screenshot({ path: join(out, 'listen-laptop-live.png') });
  await host.click('#stop');

  // Channels (issue 16): the organiser's dashboard and the join prompt, on a phone.
  const create = async (body: Record<string, unknown>): Promise<ChannelCreated> => {
    const res = await fetch(`${server.baseUrl}${paths.adminChannels}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as ChannelCreated;
  };
  const year9 = await create({ name: 'year-9', title: 'Year 9 French', visibility: 'private' });
  await create({ name: 'open-day', title: 'Open day tour' });
  const source = startFfmpegSource({
    url: `icecast://source:${year9.streamKey}@127.0.0.1:${server.server.httpPort}/year-9`,
    format: 'ogg',
    seconds: 30,
  });
  try {
    const organiser = await phone.newPage();
    await organiser.goto(`${server.baseUrl}${paths.adminPage}`);
    await organiser.fill('#admin-token', TEST_ADMIN_TOKEN);
    await organiser.click('#sign-in button[type=submit]');
    await organiser
      .locator('[data-channel="year-9"] .badge', { hasText: 'LIVE' })
      .waitFor({ timeout: 15_000 });
    await organiser.screenshot({ path: join(out, 'admin-phone.png'), fullPage: true });
    const stranger = await phone.newPage();
    await stranger.goto(`${server.baseUrl}/listen/year-9`);
    await stranger.locator('#join-code').waitFor();
    await stranger.screenshot({ path: join(out, 'join-phone.png') });
  } finally {
    source.stop();
  }
  console.log(`screenshots written to ${out}`);
} finally {
  await browser.close();
  await server.close();
}
