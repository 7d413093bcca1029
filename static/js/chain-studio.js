/* The contract studio, enhanced: line numbers that follow the text, compiling and calling through
   fetch (the page works without this script: every form posts), an error's line marked in the
   editor and reachable from its message. */
(function () {
  'use strict';
  var form = document.getElementById('compile-form');
  if (!form) { return; }
  var source = document.getElementById('source');
  var gutter = form.querySelector('.gutter');
  var marks = form.querySelector('.marks');
  var status = document.getElementById('compile-messages');
  var marked = [];

  function lineCount() { return source.value.split('\n').length; }

  function drawLines() {
    var count = lineCount();
    var spans = gutter.children;
    while (spans.length > count) { gutter.removeChild(gutter.lastChild); }
    for (var n = spans.length + 1; n <= count; n++) {
      var span = document.createElement('span');
      span.textContent = n;
      gutter.appendChild(span);
    }
    for (var i = 0; i < spans.length; i++) {
      spans[i].classList.toggle('marked', marked.indexOf(i + 1) !== -1);
    }
    source.rows = count + 1;
  }

  function mark(lines) {
    marked = lines;
    marks.textContent = '';
    lines.forEach(function (line) {
      var band = document.createElement('span');
      band.style.setProperty('--line', line);
      marks.appendChild(band);
    });
    if (lines.length) { source.setAttribute('aria-invalid', 'true'); } else { source.removeAttribute('aria-invalid'); }
    drawLines();
  }

  function goTo(line, column) {
    var lines = source.value.split('\n');
    var offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { offset += lines[i].length + 1; }
    offset += Math.max(0, column - 1);
    source.focus();
    source.setSelectionRange(offset, offset);
    var band = gutter.children[line - 1];
    if (band) { band.scrollIntoView({ block: 'center' }); }
  }

  function showMessages(answer) {
    status.textContent = '';
    var summary = document.createElement('p');
    summary.className = 'compile-summary ' + (answer.ok ? 'ok' : 'failed');
    summary.textContent = answer.summary;
    status.appendChild(summary);
    if (!answer.messages.length) { return; }
    var list = document.createElement('ul');
    list.className = 'compile-list';
    answer.messages.forEach(function (m) {
      var item = document.createElement('li');
      item.className = 'compile-' + m.severity;
      if (m.line) {
        var where = document.createElement('a');
        where.href = '#source';
        where.className = 'where';
        where.dataset.line = m.line;
        where.dataset.column = m.column;
        where.textContent = m.file + ':' + m.line + ':' + m.column;
        item.appendChild(where);
      }
      var severity = document.createElement('strong');
      severity.textContent = m.label;
      item.appendChild(severity);
      item.appendChild(document.createTextNode(': ' + m.message));
      list.appendChild(item);
    });
    status.appendChild(list);
  }

  function post(target, url) {
    return fetch(url, {
      method: 'POST',
      body: new FormData(target),
      headers: { 'Accept': 'application/json' },
      credentials: 'same-origin'
    }).then(function (response) { return response.json(); });
  }

  function busy(button, on, text) {
    if (on) { button.dataset.label = button.innerHTML; button.textContent = text; }
    else if (button.dataset.label) { button.innerHTML = button.dataset.label; }
    button.disabled = on;
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var button = document.getElementById('compile-button');
    busy(button, true, button.dataset.busy || '…');
    post(form, form.dataset.jsonUrl).then(function (answer) {
      showMessages(answer);
      mark(answer.messages.filter(function (m) { return m.severity === 'error' && m.line; })
        .map(function (m) { return m.line; }));
      if (answer.compiled_html) {
        document.getElementById('compiled').outerHTML = answer.compiled_html;
      }
    }).catch(function () { form.submit(); })
      .finally(function () { busy(button, false); });
  });

  document.addEventListener('click', function (event) {
    var where = event.target.closest('a.where[data-line]');
    if (!where) { return; }
    event.preventDefault();
    goTo(Number(where.dataset.line), Number(where.dataset.column));
  });

  document.addEventListener('submit', function (event) {
    var fn = event.target.closest('[data-fn-form]');
    if (!fn) { return; }
    event.preventDefault();
    var button = fn.querySelector('button[type="submit"]');
    var result = fn.querySelector('.fn-result');
    busy(button, true, '…');
    post(fn, fn.action).then(function (answer) {
      result.innerHTML = answer.html;
    }).catch(function () { fn.submit(); })
      .finally(function () { busy(button, false); });
  });

  source.addEventListener('input', drawLines);
  marked = Array.prototype.map.call(gutter.querySelectorAll('.marked'), function (s) {
    return Array.prototype.indexOf.call(gutter.children, s) + 1;
  });
  drawLines();
})();
