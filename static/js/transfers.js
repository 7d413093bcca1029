// Deposits and withdrawals, enhanced. Without this script every page still works: addresses are
// there to select, the form posts, and a reload shows the latest state.
// - Copy buttons beside the deposit address and token contracts; "Add … to wallet" asks a browser
//   wallet to show a token (EIP-747 wallet_watchAsset); "Use" fills the destination address.
// - Live rows: the student's transfers arrive over the WebSocket /ws/transfers/ (their own feed,
//   every offering: events of other offerings are ignored). A changed row is fetched as an HTML
//   fragment and swapped in; a new one is added on top. On every (re)connection the rows still in
//   progress are fetched once, in case the page missed their change.
(function () {
  "use strict";
  const configNode = document.getElementById("transfers-config");
  const config = configNode ? JSON.parse(configNode.textContent) : {};
  const text = (key, fallback) => config[key] || fallback;

  function selectText(element) {
    const range = document.createRange();
    range.selectNodeContents(element);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyText(source) {
    const value = source.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(value);
    selectText(source);
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy"));
  }

  function flash(button, words) {
    const label = button.firstChild; // the visible text; the hidden rest names what is copied
    const before = label.textContent;
    label.textContent = words;
    window.setTimeout(() => { label.textContent = before; }, 2000);
  }

  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      copyText(source).then(
        () => flash(button, text("copied", "Copied")),
        () => { selectText(source); flash(button, text("copyFailed", "Copy it by hand.")); }
      );
    });
  });

  document.querySelectorAll("button[data-watch-asset]").forEach((button) => {
    const params = document.getElementById(button.dataset.watchAsset);
    const outcome = button.parentElement.querySelector(".watch-outcome");
    if (!params) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      if (!window.ethereum || typeof window.ethereum.request !== "function") {
        outcome.textContent = text("noWallet", "No browser wallet found.");
        return;
      }
      window.ethereum
        .request({ method: "wallet_watchAsset", params: JSON.parse(params.textContent) })
        .then(
          () => { outcome.textContent = text("watched", "Added."); },
          (error) => {
            outcome.textContent = text("refused", "Refused:") + " " + ((error && error.message) || error);
          }
        );
    });
  });

  const addressInput = document.getElementById("id_to_address");
  document.querySelectorAll("button[data-fill-address]").forEach((button) => {
    if (!addressInput) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      addressInput.value = button.dataset.fillAddress;
      addressInput.focus();
    });
  });

  // -- live rows ------------------------------------------------------------------------------
  if (!config.socket || !("WebSocket" in window)) return;
  const liveState = document.getElementById("live-state");
  const announcer = document.getElementById("transfer-live");
  let retryDelay = 1000;

  function rowUrl(kind, id) {
    return config.row.replace(/KIND\/0\/$/, kind + "/" + id + "/");
  }

  function setLiveState(state, words) {
    if (!liveState) return;
    liveState.hidden = false;
    liveState.dataset.liveState = state;
    liveState.querySelector("[data-live-text]").textContent = words;
  }

  function announce(transfer) {
    if (!announcer) return;
    announcer.textContent = config.announce
      .replace("{kind}", config.kinds[transfer.kind] || transfer.kind)
      .replace("{id}", transfer.id)
      .replace("{status}", config.labels[transfer.status] || transfer.status);
  }

  // One fetch at a time per row, in order: two quick changes must not add the row twice.
  const inFlight = new Map();
  function refresh(kind, id) {
    const key = kind + "-" + id;
    const next = (inFlight.get(key) || Promise.resolve()).then(() => load(kind, id)).catch(() => {});
    inFlight.set(key, next);
    next.then(() => { if (inFlight.get(key) === next) inFlight.delete(key); });
    return next;
  }

  async function load(kind, id) {
    const list = document.querySelector("[data-transfer-list='" + kind + "']");
    const current = document.getElementById(kind + "-" + id);
    if (!list && !current) return;
    const response = await fetch(rowUrl(kind, id), { credentials: "same-origin" });
    if (!response.ok) return;
    const holder = document.createElement("template");
    holder.innerHTML = (await response.text()).trim();
    const fresh = holder.content.querySelector("tr");
    if (!fresh) return;
    if (current) {
      if (current.classList.contains("is-new")) fresh.classList.add("is-new");
      if (current.outerHTML === fresh.outerHTML) return;
      current.replaceWith(fresh);
    } else {
      list.prepend(fresh);
      document.querySelectorAll("[data-table-for='" + kind + "']").forEach((n) => { n.hidden = false; });
      document.querySelectorAll("[data-empty-for='" + kind + "']").forEach((n) => { n.hidden = true; });
    }
    fresh.classList.add("just-changed");
  }

  function onUpdate(transfer) {
    if (!transfer || transfer.offering_id !== config.offering) return;
    if (transfer.kind !== "deposit" && transfer.kind !== "withdrawal") return;
    announce(transfer);
    refresh(transfer.kind, transfer.id);
  }

  function catchUp() {
    document.querySelectorAll("tr[data-transfer][data-final='false']").forEach((row) => {
      refresh(row.dataset.transfer, row.dataset.transferId);
    });
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + config.socket);
    socket.addEventListener("open", () => {
      retryDelay = 1000;
      setLiveState("open", config.live);
      catchUp();
    });
    socket.addEventListener("message", (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "transfer.update") onUpdate(event.transfer);
    });
    socket.addEventListener("close", () => {
      setLiveState("closed", config.offline);
      window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  connect();
})();
