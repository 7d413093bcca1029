"""The rolling 24-hour figures the `@ticker` stream sends each second, kept as per-minute buckets
folded from the new trades the beat already reads for the candles (stream_candles.py).

Reading the whole day of trades every second for every market that traded cost the beat ~200 ms;
folding only the new trades into a minute's bucket and summing the day's (at most 1441) buckets
costs well under a millisecond.

Edge rule, for the stream only: Binance's window is to the millisecond; the stream's starts at the
opening of the minute that holds `now - 24 h` (`window_start`), so it may count up to 59.999 s
more of the oldest trades, and its `O` field says where it starts. Within that rule the figures
are exact: they equal `selectors.trade_window(market, since=window_start(now))`. REST
/api/v3/ticker/24hr still reads the trades and keeps Binance's exact window.

Amounts are kept as integers of 10^-MONEY_PLACES (every amount has that scale): the sums stay
exact, and the state, which goes to and from the cache every beat, pickles ten times faster than
Decimals would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

from sandbox.exchange.selectors import TradeWindow
from sandbox.wallet.models import MONEY_PLACES

MINUTE_MS = 60_000
DAY_MS = 86_400_000
# open, high, low, close, volume, quote volume, count, first id, last id, last quantity
Bucket = list


def window_start(at_ms: int) -> int:
    """Where the stream's 24-hour window starts: the minute that holds `at_ms - 24 h`."""
    edge = at_ms - DAY_MS
    return edge - edge % MINUTE_MS


@dataclass
class DayBuckets:
    """A market's trades of the last day, one bucket per minute that had any."""

    minutes: dict[int, Bucket] = field(default_factory=dict)
    # (minute, close) of the last trade older than every bucket: the window's previous close
    before: tuple[int, int] | None = None

    def add(self, pk: int, price: Decimal, qty: Decimal, quote: Decimal, at_ms: int) -> None:
        """Count one trade (trades come in id order) in its minute's bucket."""
        minute = at_ms - at_ms % MINUTE_MS
        p, q, v = _units(price), _units(qty), _units(quote)
        bucket = self.minutes.get(minute)
        if bucket is None:
            self.minutes[minute] = [p, p, p, p, q, v, 1, pk, pk, q]
            return
        bucket[1], bucket[2], bucket[3] = max(bucket[1], p), min(bucket[2], p), p
        bucket[4] += q
        bucket[5] += v
        bucket[6] += 1
        bucket[8], bucket[9] = pk, q

    def start_after(self, pk: int, price: Decimal, at_ms: int) -> None:
        """Begin from the trade `pk` (not counted): its price is the previous close."""
        self.before = (at_ms - at_ms % MINUTE_MS, _units(price))

    def forget_before(self, at_ms: int) -> bool:
        """Drop the minutes that left the window at `at_ms`, keeping the last one's close; say
        whether any did."""
        edge = window_start(at_ms)
        old = [minute for minute in self.minutes if minute < edge]
        if not old:
            return False
        latest = max(old)
        if self.before is None or self.before[0] <= latest:
            self.before = (latest, self.minutes[latest][3])
        for minute in old:
            del self.minutes[minute]
        return True

    def window(self, at_ms: int, *, last_price: Decimal | None) -> TradeWindow:
        """The window's figures, as `selectors.trade_window(since=window_start(at_ms))` reads
        them; call `forget_before(at_ms)` first."""
        prev_close = _amount(self.before[1]) if self.before else None
        buckets = list(self.minutes.values())
        if not buckets:
            last = last_price
            zero = Decimal(0)
            return TradeWindow(last, last, last, last, zero, zero, zero, -1, -1, 0, prev_close)
        first = min(buckets, key=itemgetter(7))
        last = max(buckets, key=itemgetter(8))
        return TradeWindow(
            open=_amount(first[0]),
            high=_amount(max(bucket[1] for bucket in buckets)),
            low=_amount(min(bucket[2] for bucket in buckets)),
            last=_amount(last[3]),
            last_qty=_amount(last[9]),
            volume=_amount(sum(bucket[4] for bucket in buckets)),
            quote_volume=_amount(sum(bucket[5] for bucket in buckets)),
            first_id=first[7],
            last_id=last[8],
            count=sum(bucket[6] for bucket in buckets),
            prev_close=prev_close,
        )


def _units(value: Decimal) -> int:
    return int(value.scaleb(MONEY_PLACES))


def _amount(units: int) -> Decimal:
    return Decimal(units).scaleb(-MONEY_PLACES)
