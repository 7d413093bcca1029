/* My chain and Students' chains, enhanced: Copy buttons beside URLs, the mnemonic and the network
   settings, and "Add to wallet" asking a browser wallet to add the chain (EIP-3085). Without this
   script the buttons stay hidden and everything is still there to select and copy by hand. */
(function () {
  'use strict';
  var strings = JSON.parse(document.getElementById('chain-mine-strings').textContent);

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyText(source) {
    var text = source.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    selectText(source);
    return document.execCommand('copy') ? Promise.resolve() : Promise.reject();
  }

  function flash(button, text) {
    var label = button.firstChild;  // the visible text; the hidden rest names what is copied
    var before = label.textContent;
    label.textContent = text;
    window.setTimeout(function () { label.textContent = before; }, 2000);
  }

  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener('click', function () {
      copyText(source).then(
        function () { flash(button, strings.copied); },
        function () { selectText(source); flash(button, strings.copyFailed); }
      );
    });
  });

  var add = document.getElementById('add-to-wallet');
  var network = document.getElementById('wallet-network');
  if (!add || !network) { return; }
  var outcome = document.getElementById('wallet-outcome');
  var settings = document.getElementById('wallet-settings');
  add.hidden = false;
  add.addEventListener('click', function () {
    if (!window.ethereum || typeof window.ethereum.request !== 'function') {
      outcome.textContent = strings.noWallet;
      settings.open = true;
      settings.querySelector('summary').focus();
      return;
    }
    window.ethereum.request({
      method: 'wallet_addEthereumChain',
      params: [JSON.parse(network.textContent)]
    }).then(function () {
      outcome.textContent = strings.added;
    }, function (error) {
      outcome.textContent = strings.refused + ' ' + ((error && error.message) || error);
      settings.open = true;
    });
  });
})();
