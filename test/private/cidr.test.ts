/** CIDR arithmetic and the service CIDR rules (lib/private/cidr.ts). */
import { defaultServiceCidr, overlaps, parseCidr, serviceCidrProblem } from '../../lib/private/cidr';

describe('CIDR arithmetic', () => {
  test('overlap', () => {
    expect(overlaps(parseCidr('10.0.0.0/16')!, parseCidr('10.0.128.0/17')!)).toBe(true);
    expect(overlaps(parseCidr('10.0.0.0/16')!, parseCidr('10.1.0.0/16')!)).toBe(false);
  });

  test.each([
    [['10.0.0.0/16'], '172.20.0.0/16'],
    [['172.25.0.0/16'], '10.100.0.0/16'],
    [['192.168.0.0/16'], '10.100.0.0/16'],
    [['192.168.0.0/16', '10.10.0.0/16'], '172.20.0.0/16'],
    // EKS's pick overlaps a secondary block: the other candidate.
    [['10.0.0.0/16', '172.20.0.0/16'], '10.100.0.0/16'],
    [['172.25.0.0/16', '10.100.0.0/16'], '172.20.0.0/16'],
    [['10.0.0.0/8', '172.16.0.0/12'], undefined],
  ])('default service CIDR for %j is %s', (vpc, expected) => {
    expect(defaultServiceCidr(vpc)).toBe(expected);
  });

  test.each([
    ['10.0.0.0/16', /overlaps the VPC CIDR 10.0.0.0\/16/],
    ['10.0.0.0/8', /\/8 prefix/],
    ['172.20.0.0/25', /\/25 prefix/],
    ['100.64.0.0/16', /not inside/],
    ['172.20.0.1/16', /not an IPv4 network/],
    ['nonsense', /not an IPv4 network/],
  ])('service CIDR %s is rejected', (cidr, message) => {
    expect(serviceCidrProblem(cidr, ['10.0.0.0/16'])).toMatch(message);
  });

  test('a valid service CIDR passes', () => {
    expect(serviceCidrProblem('172.20.0.0/16', ['10.0.0.0/16'])).toBeUndefined();
  });
});
