/* The trading page's depth chart: how much is bid and offered at each price or better, drawn as
   two stepped areas (SVG) from the live book trading-book.js keeps, with its summary in words
   (the chart's text alternative, as the server first wrote it). Prices and quantities are exact
   (BigInt units) until they become pixels. */
(function () {
  'use strict';
  var T = (window.BlockCampusTrading = window.BlockCampusTrading || {});
  var SVG = 'http://www.w3.org/2000/svg';
  var LEVELS = 200;     // drawn per side, at most
  var HEIGHT = 130;     // px; the width follows the panel
  var TOP = 4;          // room for the steps' stroke

  function DepthChart(book, live) {
    this.book = book;
    this.live = live;
    this.plot = document.getElementById('depth-plot');
    this.svg = document.getElementById('depth-chart');
    this.summary = document.getElementById('depth-summary');
    this.tick = T.units(live.tick);
    this.timer = null;
    if (window.ResizeObserver) {
      new ResizeObserver(this.schedule.bind(this)).observe(this.plot.parentElement);
    }
  }

  DepthChart.prototype.schedule = function () {
    if (this.timer === null) { this.timer = window.setTimeout(this.render.bind(this), 100); }
  };

  /* [{price, quantity, total}] best first, in units; total: the quantity at this price or better. */
  function cumulative(levels) {
    var total = 0n;
    return levels.map(function (level) {
      var quantity = T.units(level[1]);
      total += quantity;
      return { price: T.units(level[0]), quantity: quantity, total: total };
    });
  }

  DepthChart.prototype.render = function () {
    this.timer = null;
    if (this.book.lastUpdateId === null) { return; }  // not synced yet: the server's words stand
    var bids = cumulative(this.book.top('bids', LEVELS));
    var asks = cumulative(this.book.top('asks', LEVELS));
    this.summary.textContent = this.describe(bids, asks);
    var empty = !bids.length && !asks.length;
    this.plot.hidden = empty;
    if (!empty) { this.draw(bids, asks); }
  };

  /* The summary, as views_book.depth_summary() words it: best prices, and what rests within 1% of
     the middle price (of the one side's best, when the other is empty). */
  DepthChart.prototype.describe = function (bids, asks) {
    var words = this.live.words, quote = this.live.quote;
    if (!bids.length && !asks.length) { return words.depthEmpty; }
    var price = function (side) { return side.length ? T.plain(T.decimal(side[0].price)) + ' ' + quote : words.none; };
    var twice = bids.length && asks.length ? bids[0].price + asks[0].price : 2n * (bids.length ? bids : asks)[0].price;
    var near = function (side, inside) {
      return side.reduce(function (sum, level) { return inside(level.price) ? sum + level.quantity : sum; }, 0n);
    };
    return T.format(words.depthBest, { bid: price(bids), ask: price(asks) }) + ' ' + T.format(words.depthWithin, {
      bids: T.plain(T.decimal(near(bids, function (p) { return p * 200n >= twice * 99n; }))),
      asks: T.plain(T.decimal(near(asks, function (p) { return p * 200n <= twice * 101n; }))),
      base: this.live.base
    });
  };

  /* The window: the middle price +- the furthest level drawn, at least 1% and at most 10% of it
     (wider if the best prices themselves are further out). */
  function priceWindow(bids, asks) {
    var middle = bids.length && asks.length ? (bids[0].price + asks[0].price) / 2n : (bids.length ? bids : asks)[0].price;
    var away = function (level) { return level.price > middle ? level.price - middle : middle - level.price; };
    var furthest = 0n, best = 0n;
    [bids, asks].forEach(function (side) {
      if (!side.length) { return; }
      furthest = larger(furthest, away(side[side.length - 1]));
      best = larger(best, away(side[0]));
    });
    var half = larger(middle / 100n, furthest * 11n / 10n);
    if (half > middle / 10n) { half = middle / 10n; }
    half = larger(larger(half, best * 12n / 10n), 1n);
    return { low: middle - half, middle: middle, high: middle + half };
  }

  function larger(a, b) { return a > b ? a : b; }

  DepthChart.prototype.draw = function (bids, asks) {
    var width = Math.max(this.plot.clientWidth, 100);
    var range = priceWindow(bids, asks);
    bids = bids.filter(function (level) { return level.price >= range.low; });
    asks = asks.filter(function (level) { return level.price <= range.high; });
    var deepest = [bids, asks].reduce(function (most, side) {
      return side.length ? larger(most, side[side.length - 1].total) : most;
    }, 0n);
    var span = Number(range.high - range.low);
    var x = function (price) { return (Number(price - range.low) / span * width).toFixed(1); };
    var base = HEIGHT - 1;
    var y = function (total) { return (base - Number(total) / Number(deepest || 1n) * (base - TOP)).toFixed(1); };
    var svg = this.svg;
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + HEIGHT);
    svg.setAttribute('height', HEIGHT);
    svg.replaceChildren(
      line(0, base, width, base, 'depth-axis'),
      area(bids, x, y, base, 0, 'depth-bids'),
      area(asks, x, y, base, width, 'depth-asks')
    );
    // the scales are HTML beside the SVG: they wrap and read as the page's other numbers do
    this.scale('deepest', T.plain(T.decimal(deepest)) + ' ' + this.live.base);
    this.scale('low', this.price(range.low));
    this.scale('middle', this.price(range.middle));
    this.scale('high', this.price(range.high));
  };

  DepthChart.prototype.scale = function (name, text) {
    this.plot.querySelector('[data-scale="' + name + '"]').textContent = text;
  };

  /* A price on the scale, to the tick. */
  DepthChart.prototype.price = function (units) {
    return T.plain(T.decimal(this.tick ? units / this.tick * this.tick : units));
  };

  /* A side's stepped area, from its best price out to the chart's edge (`edge`). */
  function area(levels, x, y, base, edge, className) {
    var path = element('path', { 'class': className });
    if (!levels.length) { return path; }
    var d = ['M', x(levels[0].price), base];
    levels.forEach(function (level, i) {
      if (i > 0) { d.push('H', x(level.price)); }
      d.push('V', y(level.total));
    });
    d.push('H', edge, 'V', base, 'Z');
    path.setAttribute('d', d.join(' '));
    return path;
  }

  function line(x1, y1, x2, y2, className) {
    return element('line', { x1: x1, y1: y1, x2: x2, y2: y2, 'class': className });
  }

  function element(name, attributes) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    return node;
  }

  T.DepthChart = DepthChart;
})();
