import ipaddr from 'ipaddr.js';

/**
 * Which addresses a handler may be delivered to (docs/delivery.md, SSRF guard). Only public unicast
 * addresses pass. Refused: loopback, private (RFC 1918, IPv6 unique local), link-local
 * (which holds the cloud metadata address 169.254.169.254), carrier-grade NAT, multicast,
 * broadcast, unspecified, reserved and documentation ranges. IPv6 forms that embed an IPv4
 * address (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) are judged by the IPv4 address
 * they carry.
 */
export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** The AWS metadata service's IPv6 address (inside fd00::/8, refused as unique local anyway). */
const METADATA = ['169.254.169.254', 'fd00:ec2::254'];

export function classifyAddress(text: string): AddressVerdict {
  if (!ipaddr.isValid(text)) return { allowed: false, reason: `not an IP address: ${text}` };
  let address = ipaddr.parse(text);
  if (address.kind() === 'ipv6') {
    const embedded = embeddedIpv4(address as ipaddr.IPv6);
    if (embedded) address = embedded;
  }
  const normalized = address.toNormalizedString();
  if (METADATA.some((m) => ipaddr.parse(m).toNormalizedString() === normalized)) return { allowed: false, reason: `${text} is a cloud metadata address` };
  const range = address.range();
  return range === 'unicast' ? { allowed: true } : { allowed: false, reason: `${text} is in the ${range} range` };
}

/** The IPv4 address an IPv6 address carries, for the forms that route to it. */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = address.range();
  const parts = address.toByteArray();
  const lastFour = (bytes: number[]) => new ipaddr.IPv4(bytes.slice(-4));
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return lastFour(parts);
  if (range === '6to4') return new ipaddr.IPv4(parts.slice(2, 6));
  if (range === 'teredo') return new ipaddr.IPv4(parts.slice(12, 16).map((b) => b ^ 0xff));
  // IPv4-compatible (::a.b.c.d, deprecated): the first 96 bits are zero.
  if (parts.slice(0, 12).every((b) => b === 0) && !(parts[15]! <= 1 && parts.slice(12, 15).every((b) => b === 0))) return lastFour(parts);
  return undefined;
}
