// Live market news: each announcement of a running scenario is added to the list as it happens
// (the page renders the latest ones; this keeps them coming without a reload).
(() => {
  const list = document.getElementById("announcements");
  if (!list || !list.dataset.stream) return;
  const shown = Number(list.dataset.limit || 5);
  let delay = 1000;

  function add(news) {
    const item = document.createElement("li");
    const time = document.createElement("time");
    const at = new Date(news.E);
    time.dateTime = at.toISOString();
    time.textContent = at.toTimeString().slice(0, 5);
    const text = document.createElement("span");
    text.className = "announcement-text";
    const language = (document.documentElement.lang || "en").slice(0, 2);
    text.textContent = (news.tr && news.tr[language]) || news.t;
    item.append(time, " ", text);
    list.prepend(item);
    while (list.children.length > shown) list.lastElementChild.remove();
    const empty = document.getElementById("announcements-empty");
    if (empty) empty.hidden = true;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${list.dataset.stream}`);
    socket.onopen = () => { delay = 1000; };
    socket.onmessage = (message) => add(JSON.parse(message.data));
    socket.onclose = () => {
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
