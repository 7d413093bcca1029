/* The trading page, live: the market's combined stream (book, trades, candles, ticker) and the
   student's user data stream (their orders, fills and balances), reconnecting with backoff.
   Without this script the page is complete as the server rendered it; this only keeps it current.
   Settings and words (in the page's language) come from the "trading-live" JSON. */
(function () {
  'use strict';
  var settings = document.getElementById('trading-live');
  var T = window.BlockCampusTrading;
  if (!settings || !T || !window.WebSocket || !window.fetch) { return; }
  var live = JSON.parse(settings.textContent);
  var words = live.words;
  var socketBase = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;
  var KEEP_ALIVE_MS = 30 * 60 * 1000;
  var ENDED = ['FILLED', 'CANCELED', 'EXPIRED', 'EXPIRED_IN_MATCH', 'REJECTED'];
  var clock = new Intl.DateTimeFormat('en-GB', {
    timeZone: live.timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'
  });
  var stamp = new Intl.DateTimeFormat('sv-SE', {
    timeZone: live.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit'
  });

  // --- the page's parts ---------------------------------------------------------------------------

  function byId(id) { return document.getElementById(id); }

  function time(ms, format) {
    var element = document.createElement('time');
    element.dateTime = new Date(ms).toISOString();
    element.textContent = format.format(ms);
    return element;
  }

  function sideCell(side) {
    return T.cell(live.sides[side] || side, 'side-' + side.toLowerCase());
  }

  /* Puts `row` at the top of a table that may have been empty (and hidden) until now. */
  function prepend(name, row, keep) {
    var rows = byId(name + '-rows');
    row.classList.add('fresh');
    rows.prepend(row);
    while (rows.rows.length > keep) { rows.deleteRow(-1); }
    showRows(name);
  }

  function showRows(name) {
    var any = byId(name + '-rows').rows.length > 0;
    byId(name + '-table').hidden = !any;
    byId(name + '-empty').hidden = any;
    return any;
  }

  function row(cells) {
    var tr = document.createElement('tr');
    cells.forEach(function (cell) { tr.appendChild(cell); });
    return tr;
  }

  // --- market data ----------------------------------------------------------------------------------

  var views = [];
  var book = new T.OrderBook(live.depth, function () {
    views.forEach(function (view) { view.schedule(); });
  });
  views.push(new T.BookView(book, live.bookLevels));
  if (T.DepthChart && byId('depth-chart')) { views.push(new T.DepthChart(book, live)); }

  var chart = null;
  var chartElement = byId('price-chart');
  if (chartElement && window.LightweightCharts) {
    chart = new T.PriceChart(chartElement, live);
    chart.load(live.klines).catch(function () {});
  }

  var lastTrade = { element: byId('last-trade'), shownAt: 0, pending: null, timer: null };

  function onTrade(event) {
    var taker = event.m ? 'SELL' : 'BUY';  // the buyer was the maker: a seller took the bid
    prepend('recent-trades', row([
      T.cell(time(event.T, clock)), sideCell(taker), T.cell(T.plain(event.p), 'num'), T.cell(T.plain(event.q), 'num')
    ]), live.recentTrades);
    byId('ticker-price').textContent = T.plain(event.p);
    byId('ticker-last').hidden = false;
    byId('ticker-none').hidden = true;
    if (chart) { chart.trade(event); }
    announceTrade({ side: live.sides[taker], quantity: T.plain(event.q), base: live.base, price: T.plain(event.p), quote: live.quote });
  }

  /* The "last trade" line is read out by screen readers, so it changes at most every 3 s. */
  function announceTrade(values) {
    lastTrade.pending = values;
    if (lastTrade.timer !== null || !lastTrade.element) { return; }
    var wait = Math.max(0, lastTrade.shownAt + 3000 - Date.now());
    lastTrade.timer = window.setTimeout(function () {
      lastTrade.timer = null;
      lastTrade.shownAt = Date.now();
      lastTrade.element.textContent = T.format(words.lastTrade, lastTrade.pending);
    }, wait);
  }

  function onTicker(event) {
    var change = byId('ticker-change');
    var percent = event.P.charAt(0) === '-' ? event.P : '+' + event.P;
    change.textContent = T.format(words.change24h, { change: T.plain(percent) });
    change.className = 'ticker-change ' + (event.P.charAt(0) === '-' ? 'loss' : 'gain');
    change.hidden = false;
    if (T.units(event.c) !== 0n) { byId('ticker-price').textContent = T.plain(event.c); }
  }

  function onMarketMessage(message) {
    var event = message.data || {};
    if (event.e === 'depthUpdate') { book.receive(event); }
    else if (event.e === 'trade') { onTrade(event); }
    else if (event.e === 'kline' && chart) { chart.kline(event.k); }
    else if (event.e === '24hrTicker') { onTicker(event); }
  }

  // --- the student's orders, fills and balances -----------------------------------------------
  // Rows come from the tables' <template>s, so they carry the same cells and labels (shown as
  // the cards' captions on narrow screens) as the rows the server rendered.

  function fromTemplate(name, values) {
    var tr = byId(name + '-row').content.firstElementChild.cloneNode(true);
    fill(tr, values);
    return tr;
  }

  function fill(tr, values) {
    Object.keys(values).forEach(function (field) {
      var cell = tr.querySelector('[data-field="' + field + '"]');
      if (values[field] instanceof Node) { cell.replaceChildren(values[field]); } else { cell.textContent = values[field]; }
    });
  }

  function setSide(tr, side) {
    var cell = tr.querySelector('[data-field="side"]');
    cell.textContent = live.sides[side] || side;
    cell.classList.add('side-' + side.toLowerCase());
  }

  function statusWords(status) { return live.statuses[status] || status; }

  /* What every order row shows, from an execution report. */
  function orderValues(report) {
    return {
      id: '#' + report.i,
      placed: time(report.O, stamp),
      type: live.types[report.o] || report.o,
      price: report.o === 'MARKET' ? words.market : T.plain(report.p),
      quantity: T.units(report.q) !== 0n ? T.plain(report.q) : T.plain(report.Q) + ' ' + live.quote,
      filled: T.plain(report.z),
      status: statusWords(report.X)
    };
  }

  function findRow(name, id) {
    return byId(name + '-rows').querySelector('tr[data-order-id="' + id + '"]');
  }

  function openRow(report) {
    var values = orderValues(report);
    values.stop = T.units(report.P) !== 0n ? T.plain(report.P) : '';
    var tr = fromTemplate('open-orders', values);
    tr.dataset.orderId = report.i;
    setSide(tr, report.S);
    var form = tr.querySelector('form');
    form.action = form.getAttribute('action').replace('/orders/0/', '/orders/' + report.i + '/');
    var name = form.querySelector('.visually-hidden');
    name.textContent = name.textContent.replace('{id}', report.i);
    prepend('open-orders', tr, Infinity);
    return tr;
  }

  /* An order that ended leaves the open orders for the history (once, however often told). */
  function finish(report) {
    var open = findRow('open-orders', report.i);
    if (open) { open.remove(); }
    if (findRow('history', report.i)) { return; }
    var values = orderValues(report);
    values.average = T.units(report.z) !== 0n ? T.plain(T.quotient(report.Z, report.z, live.quotePlaces)) : '';
    var tr = fromTemplate('history', values);
    tr.dataset.orderId = report.i;
    setSide(tr, report.S);
    prepend('history', tr, live.historyRows);
  }

  /* What a resting order still locks: the quote for what is left to buy, or the base left to sell. */
  function locked(report) {
    var left = T.difference(report.q, report.z);
    if (T.units(left) <= 0n || T.units(report.p) === 0n) { return ''; }
    return report.S === 'BUY'
      ? T.plain(T.product(report.p, left)) + ' ' + live.quote
      : T.plain(left) + ' ' + live.base;
  }

  function onExecutionReport(report) {
    if (report.s !== live.symbol) { return; }
    if (ENDED.indexOf(report.X) !== -1) {
      finish(report);
    } else {
      var tr = findRow('open-orders', report.i) || openRow(report);
      fill(tr, { filled: T.plain(report.z), status: statusWords(report.X), locked: locked(report) });
    }
    byId('cancel-all').hidden = !showRows('open-orders');
    if (report.x === 'TRADE') {
      var fillRow = fromTemplate('my-trades', {
        time: time(report.T, stamp), price: T.plain(report.L), quantity: T.plain(report.l),
        total: T.plain(report.Y), fee: T.plain(report.n) + ' ' + report.N, role: report.m ? words.maker : words.taker
      });
      setSide(fillRow, report.S);
      prepend('my-trades', fillRow, live.historyRows);
    }
  }

  function onAccountPosition(event) {
    event.B.forEach(function (balance) {
      var tr = document.querySelector('#balances tr[data-asset="' + balance.a + '"]');
      if (tr) { fill(tr, { available: T.plain(balance.f), locked: T.plain(balance.l) }); }
    });
  }

  function onUserMessage(event) {
    if (event.e === 'executionReport') { onExecutionReport(event); }
    else if (event.e === 'outboundAccountPosition') { onAccountPosition(event); }
  }

  // --- sockets --------------------------------------------------------------------------------------

  var status = { element: byId('live-status'), open: 0 };

  function showStatus() {
    if (!status.element) { return; }
    var ok = status.open === 2;
    status.element.hidden = false;
    status.element.textContent = ok ? words.live : words.reconnecting;
    status.element.className = 'live-status ' + (ok ? 'online' : 'offline');
  }

  /* A socket that reopens after 1 s, 2 s, 4 s ... (at most 30 s, with jitter) when it closes. */
  function keepOpen(address, onMessage, onOpen) {
    var delayMs = 1000;
    var handle = { socket: null };
    function retry() {
      window.setTimeout(open, delayMs * (0.75 + Math.random() / 2));
      delayMs = Math.min(delayMs * 2, 30000);
    }
    function open() {
      address().then(function (url) {
        var socket = new WebSocket(url);
        var opened = false;
        handle.socket = socket;
        socket.onopen = function () {
          opened = true;
          delayMs = 1000;
          status.open += 1;
          showStatus();
          if (onOpen) { onOpen(); }
        };
        socket.onmessage = function (message) { onMessage(JSON.parse(message.data)); };
        socket.onclose = function () {
          if (opened) { status.open -= 1; }
          showStatus();
          retry();
        };
      }, retry);
    }
    open();
    return handle;
  }

  keepOpen(function () { return Promise.resolve(socketBase + live.stream); }, onMarketMessage, function () {
    book.resync(250);  // a new socket may have missed diffs: start from a snapshot
  });

  var listenKey = null;

  function keyRequest(method, body) {
    var token = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return fetch(live.listenKey, {
      method: method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token ? token.value : '' },
      body: body ? JSON.stringify(body) : undefined
    });
  }

  var userStream = keepOpen(function () {
    return keyRequest('POST')
      .then(function (response) {
        if (!response.ok) { throw new Error('listen key ' + response.status); }
        return response.json();
      })
      .then(function (answer) {
        listenKey = answer.listenKey;
        return socketBase + live.userStream + listenKey;
      });
  }, onUserMessage);

  /* Keys live an hour; renew every 30 minutes, and if one lapsed anyway, reconnect with a new one. */
  window.setInterval(function () {
    if (listenKey === null) { return; }
    keyRequest('PUT', { listenKey: listenKey }).then(function (response) {
      if (response.status === 404 && userStream.socket) { userStream.socket.close(); }
    }, function () {});
  }, KEEP_ALIVE_MS);
})();
