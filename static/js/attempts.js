// The exercise page follows the student's attempts live: each state change arrives over the
// WebSocket (/ws/attempts/, the student's own feed); the status chip changes at once, and when
// an attempt finishes its feedback is fetched as an HTML fragment and replaces it. On every
// (re)connection the page fetches the attempts still pending once, in case it missed their end.
(function () {
  "use strict";
  const configNode = document.getElementById("attempts-config");
  const list = document.getElementById("attempt-list");
  if (!configNode || !list || !("WebSocket" in window)) return;
  const config = JSON.parse(configNode.textContent);
  const announcer = document.getElementById("attempt-live");
  const liveState = document.getElementById("live-state");
  let retryDelay = 1000;

  function feedbackUrl(id) {
    return config.feedback.replace(/\/0\/feedback$/, "/" + id + "/feedback");
  }

  function setLiveState(state, text) {
    if (!liveState) return;
    liveState.dataset.liveState = state;
    if (text) liveState.querySelector("[data-live-text]").textContent = text;
  }

  function announce(attempt) {
    if (!announcer) return;
    const label = config.labels[attempt.status] || attempt.status;
    announcer.textContent = config.announce
      .replace("{number}", attempt.number)
      .replace("{status}", label);
  }

  function showStatus(item, attempt) {
    const chip = item.querySelector("[data-attempt-status]");
    if (!chip) return;
    chip.className = "chip chip-" + attempt.status;
    chip.textContent = config.labels[attempt.status] || attempt.status;
  }

  async function refresh(id, highlight) {
    const response = await fetch(feedbackUrl(id), { credentials: "same-origin" });
    if (!response.ok) return null;
    const holder = document.createElement("template");
    holder.innerHTML = (await response.text()).trim();
    const fresh = holder.content.querySelector("li.attempt");
    if (!fresh) return null;
    const current = document.getElementById("attempt-" + id);
    if (highlight || (current && current.classList.contains("is-new"))) {
      fresh.classList.add("is-new");
    }
    if (current) current.replaceWith(fresh);
    else list.prepend(fresh);
    const empty = document.getElementById("no-attempts");
    if (empty) empty.remove();
    return fresh;
  }

  // The exercise's own chip: passed wins over anything; otherwise it follows the last result.
  function showProgress(status) {
    const summary = document.querySelector("[data-summary-status] .chip");
    if (!summary || summary.classList.contains("chip-passed")) return;
    const state = { passed: "passed", failed: "started", errored: "errored" }[status];
    if (!state) return;
    if (state === "passed") document.querySelectorAll("[data-due-cue]").forEach((cue) => cue.remove());
    summary.className = "chip chip-" + state;
    summary.textContent = (state === "passed" ? "✓ " : "") + config.progress[state];
  }

  function finishGrading(attempt) {
    document.querySelectorAll("[data-grading-notice]").forEach((node) => node.remove());
    document.querySelectorAll("[data-wait-for-grading]").forEach((button) => {
      button.disabled = false;
    });
    showProgress(attempt.status);
    const best = document.querySelector("[data-best-points]");
    if (best && attempt.score !== null && attempt.score !== undefined) {
      const points = Math.round(parseFloat(attempt.score) * config.points * 10) / 10;
      const holder = best.closest("[data-best]");
      if (holder.hidden || points > parseFloat(best.textContent)) best.textContent = String(points);
      holder.hidden = false;
    }
  }

  async function onUpdate(attempt) {
    if (attempt.exercise_id !== config.exercise || attempt.offering_id !== config.offering) return;
    const item = document.getElementById("attempt-" + attempt.id);
    if (item) showStatus(item, attempt);
    announce(attempt);
    if (attempt.finished || !item) {
      await refresh(attempt.id, !item);
      if (attempt.finished) finishGrading(attempt);
    }
  }

  function catchUp() {
    list.querySelectorAll("li.attempt[data-finished='false']").forEach((item) => {
      refresh(item.dataset.attemptId, false).then((fresh) => {
        if (fresh && fresh.dataset.finished === "true") {
          const status = ["passed", "failed", "errored"].find((name) =>
            fresh.classList.contains("attempt-" + name)
          );
          finishGrading({ status: status || "", score: null });
        }
      });
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
      if (event.type === "attempt.update" && event.attempt) onUpdate(event.attempt);
    });
    socket.addEventListener("close", () => {
      setLiveState("closed", config.offline);
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  connect();
})();
