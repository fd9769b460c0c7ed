import { blockingAddress, embeddedIpv4 } from '../src/webhooks/blocked-addresses.js';
import { resolveTarget } from '../src/webhooks/outbound-guard.js';

/** Public addresses webhooks must reach (checked only: nothing here connects anywhere). */
const PUBLIC: [string, string][] = [
  ['public IPv4 (Google DNS)', '8.8.8.8'],
  ['public IPv4 (Cloudflare DNS)', '1.1.1.1'],
  ['public IPv4 (example.com)', '93.184.215.14'],
  ['just below CGNAT', '100.63.255.255'],
  ['just above CGNAT', '100.128.0.0'],
  ['just below 172.16/12', '172.15.255.255'],
  ['just above 172.16/12', '172.32.0.0'],
  ['just above 127/8', '128.0.0.1'],
  ['public IPv6 (Cloudflare)', '2606:4700::1111'],
  ['public IPv6 (Google)', '2001:4860:4860::8888'],
  ['IPv4-mapped public', '::ffff:8.8.8.8'],
  ['IPv4-mapped public, hex form', '::ffff:808:808'],
  ['NAT64 of a public IPv4', '64:ff9b::808:808'],
  ['6to4 of a public IPv4', '2002:808:808::1'],
  ['Teredo, public server and client', '2001:0:4136:e378:8000:63bf:f7f7:f7f7'],
];

/** Addresses webhooks must not reach in production, with the address that makes each one refused. */
const REFUSED: [string, string, string][] = [
  ['"this network"', '0.1.2.3', '0.1.2.3'],
  ['unspecified IPv4', '0.0.0.0', '0.0.0.0'],
  ['private 10/8', '10.0.0.1', '10.0.0.1'],
  ['CGNAT low end', '100.64.0.1', '100.64.0.1'],
  ['CGNAT high end', '100.127.255.254', '100.127.255.254'],
  ['loopback', '127.0.0.1', '127.0.0.1'],
  ['loopback, elsewhere in 127/8', '127.255.255.254', '127.255.255.254'],
  ['cloud metadata', '169.254.169.254', '169.254.169.254'],
  ['private 172.16/12', '172.31.255.255', '172.31.255.255'],
  ['IETF protocol assignments', '192.0.0.170', '192.0.0.170'],
  ['private 192.168/16', '192.168.1.1', '192.168.1.1'],
  ['benchmarking', '198.18.0.1', '198.18.0.1'],
  ['multicast', '224.0.0.1', '224.0.0.1'],
  ['reserved', '240.0.0.1', '240.0.0.1'],
  ['broadcast', '255.255.255.255', '255.255.255.255'],
  ['unspecified IPv6', '::', '0.0.0.0'],
  ['IPv6 loopback', '::1', '0.0.0.1'],
  ['unique-local', 'fd12:3456::1', 'fd12:3456::1'],
  ['AWS IPv6 metadata', 'fd00:ec2::254', 'fd00:ec2::254'],
  ['link-local', 'fe80::1', 'fe80::1'],
  ['link-local with a zone', 'fe80::1%eth0', 'fe80::1%eth0'],
  ['site-local', 'fec0::1', 'fec0::1'],
  ['IPv6 multicast', 'ff02::1', 'ff02::1'],
  ['NAT64 local-use, even of a public IPv4', '64:ff9b:1::808:808', '64:ff9b:1::808:808'],
  ['IPv4-mapped loopback, dotted', '::ffff:127.0.0.1', '127.0.0.1'],
  ['IPv4-mapped loopback, hex (as URL writes it)', '::ffff:7f00:1', '127.0.0.1'],
  ['IPv4-mapped metadata', '::ffff:169.254.169.254', '169.254.169.254'],
  ['IPv4-mapped, fully written', '0:0:0:0:0:ffff:a00:1', '10.0.0.1'],
  ['IPv4-translated private', '::ffff:0:10.0.0.1', '10.0.0.1'],
  ['IPv4-compatible loopback', '::127.0.0.1', '127.0.0.1'],
  ['IPv4-compatible CGNAT, hex', '::6440:1', '100.64.0.1'],
  ['NAT64 of loopback', '64:ff9b::127.0.0.1', '127.0.0.1'],
  ['NAT64 of metadata, hex', '64:ff9b::a9fe:a9fe', '169.254.169.254'],
  ['6to4 of loopback', '2002:7f00:1::', '127.0.0.1'],
  ['6to4 of private 192.168.1.1', '2002:c0a8:101:1::1', '192.168.1.1'],
  ['6to4 of metadata', '2002:a9fe:a9fe::1', '169.254.169.254'],
  ['Teredo whose client is 127.0.0.1', '2001:0:4136:e378:8000:63bf:80ff:fffe', '127.0.0.1'],
  ['Teredo whose server is 10.0.0.1', '2001:0:a00:1:8000:63bf:f7f7:f7f7', '10.0.0.1'],
  ['not an address at all', 'example.com', 'example.com'],
];

describe('which addresses webhooks may reach (the one classifier registration and delivery use)', () => {
  it.each(PUBLIC)('accepts %s: %s', (_name, address) => {
    expect(blockingAddress(address)).toBeNull();
  });

  it.each(REFUSED)('refuses %s: %s (because of %s)', (_name, address, because) => {
    expect(blockingAddress(address)).toBe(because);
  });

  it('reads the IPv4 addresses every embedding form carries', () => {
    expect(embeddedIpv4('::ffff:7f00:1')).toEqual(['127.0.0.1']);
    expect(embeddedIpv4('::ffff:0:a00:1')).toEqual(['10.0.0.1']);
    expect(embeddedIpv4('::7f00:1')).toEqual(['127.0.0.1']);
    expect(embeddedIpv4('64:ff9b::c0a8:101')).toEqual(['192.168.1.1']);
    expect(embeddedIpv4('2002:7f00:1::')).toEqual(['127.0.0.1']);
    // Teredo: the server in bits 32–63, the client in the last 32 bits, inverted.
    expect(embeddedIpv4('2001:0:4136:e378:8000:63bf:80ff:fffe')).toEqual(['65.54.227.120', '127.0.0.1']);
    expect(embeddedIpv4('2606:4700::1111')).toEqual([]);
    expect(embeddedIpv4('2001:4860:4860::8888')).toEqual([]);
  });
});

describe('resolveTarget with URL host names as WHATWG URL gives them (IP literals: no DNS, no connection)', () => {
  const hostOf = (url: string) => new URL(url).hostname;

  it.each([
    ['https://8.8.8.8/hook', '8.8.8.8', 4],
    ['https://1.1.1.1/hook', '1.1.1.1', 4],
    ['https://[2606:4700::1111]/hook', '2606:4700::1111', 6],
    ['https://[::ffff:8.8.8.8]/hook', '::ffff:808:808', 6],
  ])('accepts %s', async (url, address, family) => {
    await expect(resolveTarget(hostOf(url), false)).resolves.toEqual([{ address, family }]);
  });

  it.each([
    ['http://2130706433/', /127\.0\.0\.1, a loopback/],
    ['http://0x7f.1/', /127\.0\.0\.1, a loopback/],
    ['http://017700000001/', /127\.0\.0\.1, a loopback/],
    ['http://[::ffff:127.0.0.1]/', /::ffff:7f00:1 \(which carries 127\.0\.0\.1\)/],
    ['http://[::127.0.0.1]/', /::7f00:1 \(which carries 127\.0\.0\.1\)/],
    ['http://[64:ff9b::169.254.169.254]/', /which carries 169\.254\.169\.254/],
    ['http://[2002:7f00:1::]/', /2002:7f00:1:: \(which carries 127\.0\.0\.1\)/],
    ['http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', /which carries 127\.0\.0\.1/],
    ['http://[fd00:ec2::254]/', /fd00:ec2::254, a loopback/],
  ])('refuses %s naming the address', async (url, message) => {
    await expect(resolveTarget(hostOf(url), false)).rejects.toMatchObject({ reason: 'TARGET_NOT_ALLOWED', message: expect.stringMatching(message) });
  });

  it('lets every address through when private targets are allowed', async () => {
    await expect(resolveTarget(hostOf('http://[2002:7f00:1::]/'), true)).resolves.toEqual([{ address: '2002:7f00:1::', family: 6 }]);
  });
});
