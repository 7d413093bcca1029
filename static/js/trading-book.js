/* The trading page's order book, kept live from the depth stream by Binance's documented
   procedure: buffer the diffs, fetch a REST snapshot, drop diffs with u <= its lastUpdateId, apply
   the rest in order, and start again from a new snapshot whenever a diff's U is not the previous
   u + 1. Also the exact decimal arithmetic the page needs (amounts are strings with eight places;
   no float touches a figure the student reads). */
(function () {
  'use strict';
  var T = (window.BlockCampusTrading = window.BlockCampusTrading || {});
  var SCALE = 100000000n;

  /* "1234.5" -> 123450000000n (eight places). */
  function units(text) {
    text = String(text || '0');
    var negative = text.charAt(0) === '-';
    var parts = text.replace('-', '').split('.');
    var value = BigInt(parts[0] || '0') * SCALE + BigInt(((parts[1] || '') + '00000000').slice(0, 8));
    return negative ? -value : value;
  }

  function decimal(value) {
    var sign = value < 0n ? '-' : '';
    if (value < 0n) { value = -value; }
    return sign + (value / SCALE) + '.' + (value % SCALE).toString().padStart(8, '0');
  }

  /* As the server's plain(): grouped thousands, no trailing zeros ("1,000,000.5"). */
  function plain(text) {
    text = String(text);
    var sign = text.charAt(0) === '-' ? '-' : '';
    var parts = text.replace('-', '').split('.');
    var whole = (parts[0].replace(/^0+(?=\d)/, '') || '0').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    var fraction = (parts[1] || '').replace(/0+$/, '');
    return sign + whole + (fraction ? '.' + fraction : '');
  }

  /* a / b rounded half to even to `places` decimals ("990000", "0.01", 0 -> "99000000"). */
  function quotient(a, b, places) {
    var scale = 10n ** BigInt(places);
    var n = units(a) * scale, d = units(b);
    var q = n / d, twice = (n % d) * 2n;
    if (twice > d || (twice === d && q % 2n === 1n)) { q += 1n; }
    return decimal(q * SCALE / scale);
  }

  T.units = units;
  T.decimal = decimal;
  T.quotient = quotient;
  T.plain = plain;
  T.product = function (a, b) { return decimal(units(a) * units(b) / SCALE); };
  T.difference = function (a, b) { return decimal(units(a) - units(b)); };

  /* Python's %(name)s in a translated string, filled in ("%%" is a percent sign). */
  T.format = function (words, values) {
    return words.replace(/%\((\w+)\)s|%%/g, function (all, name) { return name ? values[name] : '%'; });
  };

  function OrderBook(snapshotUrl, changed) {
    this.snapshotUrl = snapshotUrl;
    this.changed = changed;
    this.bids = new Map();  // price text -> quantity text
    this.asks = new Map();
    this.lastUpdateId = null;  // null: not synced, diffs are buffered
    this.buffer = [];
    this.retryMs = 250;
    this.timer = null;
  }

  /* Start over from a new snapshot (on a new socket, or after a gap). */
  OrderBook.prototype.resync = function (delayMs) {
    this.lastUpdateId = null;
    this.buffer = [];
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(this.fetchSnapshot.bind(this), delayMs || 0);
  };

  OrderBook.prototype.receive = function (event) {
    if (this.lastUpdateId === null) {
      this.buffer.push(event);
    } else if (this.apply(event)) {
      this.changed();
    }
  };

  /* False when the diff shows a gap (and a resync has started). */
  OrderBook.prototype.apply = function (event) {
    if (event.u <= this.lastUpdateId) { return true; }
    if (event.U > this.lastUpdateId + 1) {
      this.resync(this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 8000);
      return false;
    }
    setLevels(this.bids, event.b);
    setLevels(this.asks, event.a);
    this.lastUpdateId = event.u;
    return true;
  };

  OrderBook.prototype.fetchSnapshot = function () {
    var book = this;
    fetch(this.snapshotUrl, { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) { throw new Error('depth ' + response.status); }
        return response.json();
      })
      .then(function (snapshot) {
        book.bids = new Map();
        book.asks = new Map();
        setLevels(book.bids, snapshot.bids);
        setLevels(book.asks, snapshot.asks);
        book.lastUpdateId = snapshot.lastUpdateId;
        var buffered = book.buffer;
        book.buffer = [];
        for (var i = 0; i < buffered.length; i += 1) {
          if (!book.apply(buffered[i])) { return; }
        }
        book.retryMs = 250;
        book.changed();
      })
      .catch(function () { book.resync(2000); });
  };

  /* The best `count` levels of a side: [[price, quantity], ...], best first. */
  OrderBook.prototype.top = function (side, count) {
    var descending = side === 'bids';
    return Array.from(this[side].entries())
      .map(function (level) { return [units(level[0]), level]; })
      .sort(function (a, b) { return (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0) * (descending ? -1 : 1); })
      .slice(0, count)
      .map(function (pair) { return pair[1]; });
  };

  function setLevels(side, levels) {
    levels.forEach(function (level) {
      if (units(level[1]) === 0n) { side.delete(level[0]); } else { side.set(level[0], level[1]); }
    });
  }

  /* Re-renders the book's two tables and the spread line, at most every 100 ms. */
  function BookView(book, levels) {
    this.book = book;
    this.levels = levels;
    this.timer = null;
    this.spread = document.getElementById('book-spread');
  }

  BookView.prototype.schedule = function () {
    if (this.timer === null) {
      this.timer = window.setTimeout(this.render.bind(this), 100);
    }
  };

  BookView.prototype.render = function () {
    this.timer = null;
    var asks = this.book.top('asks', this.levels);
    var bids = this.book.top('bids', this.levels);
    var deepest = 0;
    asks.concat(bids).forEach(function (level) { deepest = Math.max(deepest, Number(level[1])); });
    renderSide(document.getElementById('book-asks'), asks, deepest);
    renderSide(document.getElementById('book-bids'), bids, deepest);
    if (this.spread) {
      this.spread.hidden = !(asks.length && bids.length);
      if (!this.spread.hidden) {
        var spread = plain(T.difference(asks[0][0], bids[0][0]));
        this.spread.textContent = this.spread.dataset.words.replace('{spread}', spread);
      }
    }
  };

  function renderSide(tbody, levels, deepest) {
    if (!tbody) { return; }
    var rows = levels.map(function (level) {
      var row = document.createElement('tr');
      row.className = 'level';
      row.style.setProperty('--depth', (deepest ? Math.floor(Number(level[1]) * 100 / deepest) : 0) + '%');
      [[plain(level[0]), 'num price'], [plain(level[1]), 'num'], [plain(T.product(level[0], level[1])), 'num']]
        .forEach(function (cell) { row.appendChild(T.cell(cell[0], cell[1])); });
      return row;
    });
    if (!rows.length) {
      var empty = T.cell(tbody.closest('table').dataset.empty, 'meta');
      empty.colSpan = 3;
      rows.push(document.createElement('tr'));
      rows[0].appendChild(empty);
    }
    tbody.replaceChildren.apply(tbody, rows);
  }

  T.cell = function (text, className) {
    var cell = document.createElement('td');
    if (className) { cell.className = className; }
    if (text instanceof Node) { cell.appendChild(text); } else { cell.textContent = text; }
    return cell;
  };

  T.OrderBook = OrderBook;
  T.BookView = BookView;
})();
