/* The trading page's candlestick chart (TradingView Lightweight Charts, served from
   node_modules): 1-minute candles from REST /api/v3/klines, then kept current by the kline stream
   and, between its beats, by each trade. Times are shown in the site's time zone, as the tables
   show them. */
(function () {
  'use strict';
  var T = (window.BlockCampusTrading = window.BlockCampusTrading || {});
  var UP = '#17693a';
  var DOWN = '#a3121f';

  function PriceChart(container, live) {
    var charts = window.LightweightCharts;
    container.hidden = false;
    var clock = new Intl.DateTimeFormat('en-GB', { timeZone: live.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    var stamp = new Intl.DateTimeFormat('sv-SE', {
      timeZone: live.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit'
    });
    var places = (live.tick.split('.')[1] || '').length;
    this.chart = charts.createChart(container, {
      autoSize: true,
      layout: { attributionLogo: false, background: { color: '#ffffff' }, textColor: '#4f5d6e' },
      grid: { vertLines: { color: '#eef1f5' }, horzLines: { color: '#eef1f5' } },
      rightPriceScale: { borderColor: '#d5dbe3', scaleMargins: { top: 0.1, bottom: 0.25 } },
      timeScale: {
        borderColor: '#d5dbe3',
        timeVisible: true,
        rightOffset: 4,
        barSpacing: 9,
        tickMarkFormatter: function (time) { return clock.format(time * 1000); }
      },
      localization: {
        timeFormatter: function (time) { return stamp.format(time * 1000); },
        priceFormatter: function (price) { return T.plain(price.toFixed(places)); }
      }
    });
    this.candles = this.chart.addSeries(charts.CandlestickSeries, {
      upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN,
      priceFormat: { type: 'price', precision: places, minMove: Number(live.tick) }
    });
    this.volume = this.chart.addSeries(charts.HistogramSeries, {
      priceFormat: { type: 'volume' }, priceScaleId: '', lastValueVisible: false, priceLineVisible: false
    });
    this.volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    this.last = null;  // the newest candle, as the chart has it
  }

  PriceChart.prototype.load = function (url) {
    var chart = this;
    return fetch(url, { credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (klines) {
        var candles = klines.map(function (k) {
          return { time: k[0] / 1000, open: +k[1], high: +k[2], low: +k[3], close: +k[4], volume: +k[5] };
        });
        chart.candles.setData(candles);
        chart.volume.setData(candles.map(volumeBar));
        chart.last = candles.length ? candles[candles.length - 1] : null;
        chart.chart.timeScale().scrollToRealTime();
      });
  };

  /* A kline event's candle (the stream's word for it is final). */
  PriceChart.prototype.kline = function (k) {
    this.put({ time: k.t / 1000, open: +k.o, high: +k.h, low: +k.l, close: +k.c, volume: +k.v });
  };

  /* A trade moves the current minute's candle, or opens the next one. */
  PriceChart.prototype.trade = function (event) {
    var time = Math.floor(event.T / 60000) * 60;
    var price = +event.p;
    var last = this.last;
    if (last && last.time > time) { return; }  // older than what the chart has
    var candle = last && last.time === time
      ? { time: time, open: last.open, high: Math.max(last.high, price), low: Math.min(last.low, price), close: price, volume: last.volume + Number(event.q) }
      : { time: time, open: price, high: price, low: price, close: price, volume: +event.q };
    this.put(candle);
  };

  PriceChart.prototype.put = function (candle) {
    if (this.last && candle.time < this.last.time) { return; }
    this.candles.update(candle);
    this.volume.update(volumeBar(candle));
    this.last = candle;
  };

  function volumeBar(candle) {
    return { time: candle.time, value: candle.volume, color: candle.close >= candle.open ? '#9fcdb0' : '#e5a3a9' };
  }

  T.PriceChart = PriceChart;
})();
