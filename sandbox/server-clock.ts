/**
 * How 2Checkout's servers write dates: in their own time zone (its IPN fixtures say `TIMEZONE_OFFSET=GMT+03:00`,
 * Bucharest in summer), `Y-m-d H:i:s` in IPNs and REST answers, `YmdHis` for IPN_DATE. The REST authentication
 * header alone is in UTC (lib/twocheckout).
 */
export interface ServerClock {
  readonly timeZone: string;
  /** `Y-m-d H:i:s` in the server's zone. */
  dateTime(at: Date): string;
  /** `YmdHis` in the server's zone. */
  ymdHis(at: Date): string;
  /** `Y-m-d` in the server's zone: what REST search dates (StartDate, EndDate) are compared with. */
  date(at: Date): string;
  /** `GMT+03:00`, `GMT-05:00`, `GMT+00:00`: the zone's offset at that instant. */
  offset(at: Date): string;
}

/** A server clock for an IANA time zone; throws a RangeError naming the zone when there is no such zone. */
export function serverClock(timeZone: string): ServerClock {
  let parts: Intl.DateTimeFormat;
  let offsets: Intl.DateTimeFormat;
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsets = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  } catch {
    throw new RangeError(`${JSON.stringify(timeZone)} is not an IANA time zone (e.g. Europe/Bucharest, UTC)`);
  }
  const fields = (at: Date) => {
    const p = Object.fromEntries(parts.formatToParts(at).map((x) => [x.type, x.value]));
    return { y: p.year!.padStart(4, '0'), m: p.month!, d: p.day!, H: p.hour!, M: p.minute!, S: p.second! };
  };
  return {
    timeZone,
    dateTime(at) {
      const { y, m, d, H, M, S } = fields(at);
      return `${y}-${m}-${d} ${H}:${M}:${S}`;
    },
    ymdHis(at) {
      const { y, m, d, H, M, S } = fields(at);
      return `${y}${m}${d}${H}${M}${S}`;
    },
    date(at) {
      const { y, m, d } = fields(at);
      return `${y}-${m}-${d}`;
    },
    offset(at) {
      const name = offsets.formatToParts(at).find((x) => x.type === 'timeZoneName')?.value ?? 'GMT';
      return name === 'GMT' ? 'GMT+00:00' : name;
    },
  };
}
