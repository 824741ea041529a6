/* Staff console: the live queue over a WebSocket (with reconnect), forms posted by fetch with the XSRF
   token, canned replies on Alt+digit. Every form also works as a plain form without this script. */
(function () {
  "use strict";
  var body = document.body;
  var page = body.dataset.page;
  var me = body.dataset.me;
  var supervisor = body.dataset.role === "supervisor" || body.dataset.role === "admin";
  var xsrf = (document.querySelector('meta[name="xsrf-token"]') || {}).content || "";

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-XSRFToken": xsrf },
      body: data instanceof FormData ? data : new URLSearchParams(data || {}),
    }).then(function (r) {
      if (r.status === 401) { location.href = "/console/login?next=" + encodeURIComponent(location.pathname); }
      return r.json().catch(function () { return { ok: false, error: "出错了（" + r.status + "）" }; });
    });
  }

  function flash(text) {
    var f = document.getElementById("flash");
    if (!f) return;
    f.textContent = text;
    f.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(function () { f.hidden = true; }, 8000);
  }

  // ---- waiting times ----
  var target = Number(body.dataset.target || 180);
  function minutesSince(iso) {
    var ms = Date.now() - new Date(iso).getTime();
    return Math.max(0, Math.floor(ms / 60000));
  }
  function duration(m) { return m < 60 ? m + " 分钟" : Math.floor(m / 60) + " 小时 " + (m % 60) + " 分"; }
  function waitText(iso, status) {
    var m = minutesSince(iso);
    if (status === "serving") return m < 1 ? "刚接待" : "已接待 " + duration(m);
    return m < 1 ? "刚刚" : "等了 " + duration(m);
  }
  function overTarget(li) {
    return li.dataset.status === "waiting" && (Date.now() - new Date(li.dataset.created).getTime()) / 1000 > target;
  }
  function updateWaits() {
    document.querySelectorAll(".wait[data-since]").forEach(function (el) {
      var li = el.closest(".chat");
      if (li && li.dataset.status === "closed") { el.textContent = "已结束"; return; }
      el.textContent = waitText(el.dataset.since, li && li.dataset.status);
      var over = li && overTarget(li);
      el.classList.toggle("long", !!over);
      if (li) li.classList.toggle("over", !!over);
    });
    sortWaiting();
  }
  // Complaints, then chats waiting longer than the target, then the rest, oldest first (the server's order too).
  function waitingKey(li) { return (li.dataset.complaint ? "0" : overTarget(li) ? "1" : "2") + li.dataset.created; }
  function sortWaiting() {
    var list = document.getElementById("waiting");
    if (!list) return;
    var rows = Array.prototype.slice.call(list.children);
    var sorted = rows.slice().sort(function (a, b) { return waitingKey(a) < waitingKey(b) ? -1 : waitingKey(a) > waitingKey(b) ? 1 : 0; });
    if (sorted.some(function (r, i) { return r !== rows[i]; })) sorted.forEach(function (r) { list.appendChild(r); });
  }
  setInterval(updateWaits, 15000);
  updateWaits();

  // ---- alerts: unread count in the title and the nav, optional sound and desktop notification ----
  var known = {};      // chat id -> latest summary seen
  var synced = false;  // the first full list sets the baseline: nothing rings for what was already there
  var baseTitle = document.title;
  var toggle = document.getElementById("alerts-toggle");
  var audio = null;
  function alertsOn() { try { return localStorage.getItem("govbot.alerts") === "on"; } catch (e) { return false; } }
  function showToggle() {
    if (!toggle) return;
    toggle.textContent = alertsOn() ? "提醒：开" : "提醒：关";
    toggle.setAttribute("aria-pressed", alertsOn() ? "true" : "false");
  }
  if (toggle) {
    showToggle();
    toggle.addEventListener("click", function () {
      var on = !alertsOn();
      try { localStorage.setItem("govbot.alerts", on ? "on" : "off"); } catch (e) { /* private mode: this page only */ }
      if (on) {
        // Asked once, from this click: browsers ignore permission requests that no user gesture started.
        if (window.Notification && Notification.permission === "default") Notification.requestPermission();
        unlockAudio();
      }
      showToggle();
    });
  }
  // Browsers start audio only after a user gesture on the page: with alerts on, the agent's first click or
  // key on each page opens the sound (without it, a page opened in a new tab or after a reload stays silent).
  function unlockAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!alertsOn() || !Ctx) return;
    if (!audio) audio = new Ctx();
    if (audio.state === "suspended") audio.resume();
  }
  ["pointerdown", "keydown"].forEach(function (type) { document.addEventListener(type, unlockAudio, true); });
  function needsMe(c) {
    if (c.status === "waiting") return true;
    return c.status === "serving" && c.staff === me && c.unread > 0;
  }
  function showCount() {
    var n = Object.keys(known).filter(function (id) { return needsMe(known[id]); }).length;
    document.title = (n ? "(" + n + ") " : "") + baseTitle;
    var badge = document.getElementById("nav-unread");
    if (badge) { badge.textContent = n; badge.hidden = !n; }
  }
  function beep() {
    if (!audio || audio.state !== "running") return;  // no gesture on this page yet: the browser would refuse
    body.dataset.beeps = Number(body.dataset.beeps || 0) + 1;
    var osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = 880; gain.gain.value = 0.15;
    osc.connect(gain); gain.connect(audio.destination);
    osc.start(); osc.stop(audio.currentTime + 0.25);
  }
  function ring(c, why) {
    body.dataset.alerts = Number(body.dataset.alerts || 0) + 1;
    if (!alertsOn()) return;
    beep();
    if (window.Notification && Notification.permission === "granted") {
      var n = new Notification(why + "：" + c.resident, { body: c.last_message, tag: c.id });
      n.onclick = function () { window.focus(); location.href = "/console/chats/" + c.id; };
    }
  }
  function track(c) {
    var old = known[c.id];
    if (old && old.rev >= c.rev) return;
    known[c.id] = c;
    if (synced) {
      if (c.status === "waiting" && (!old || old.status !== "waiting")) ring(c, c.complaint ? "投诉待接待" : "新会话待接待");
      else if (needsMe(c) && old && c.unread > (old.unread || 0) && !(chatId && c.id === chatId && !document.hidden)) ring(c, "新消息");
    }
    showCount();
  }

  // ---- the queue page ----
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function row(c) {
    var li = el("li", "chat status-" + c.status + (c.complaint ? " complaint" : ""));
    li.dataset.id = c.id; li.dataset.rev = c.rev; li.dataset.status = c.status; li.dataset.staff = c.staff || "";
    li.dataset.created = c.created_at; li.dataset.complaint = c.complaint ? "1" : "";
    var a = el("a", "open"); a.href = "/console/chats/" + c.id;
    var r1 = el("span", "row1");
    r1.appendChild(el("span", "who", c.resident));
    r1.appendChild(el("span", "tag reason-" + c.reason, c.reason_label));
    if (c.unread && c.status !== "closed") r1.appendChild(el("span", "unread", c.unread + " 条新消息"));
    if (c.undelivered) { var u = el("span", "tag undelivered", c.undelivered_count + " 条未送达"); u.title = c.undelivered; r1.appendChild(u); }
    var w = el("span", "wait"); w.dataset.since = c.status === "serving" && c.claimed_at ? c.claimed_at : c.created_at; r1.appendChild(w);
    a.appendChild(r1);
    a.appendChild(el("span", "last", c.last_message));
    var meta = el("span", "meta");
    if (c.staff) { meta.appendChild(document.createTextNode("接待：")); meta.appendChild(el("b", "staff", c.staff)); }
    else if (c.status !== "closed") meta.textContent = "等待接待";
    if (c.status === "closed") meta.appendChild(el("span", "rating", (c.staff ? " · " : "") + (c.rating ? "评价：" + c.rating : "居民未评价")));
    a.appendChild(meta);
    li.appendChild(a);
    if (c.status === "waiting") {
      var f = el("form", "claim-form"); f.method = "post"; f.action = "/console/chats/" + c.id + "/claim"; f.dataset.claim = "";
      var b = el("button", "primary claim", "接待"); b.type = "submit"; f.appendChild(b);
      li.appendChild(f);
    }
    li.appendChild(el("p", "row-notice"));
    return li;
  }
  function listFor(c) {
    if (c.status === "waiting") return document.getElementById("waiting");
    if (c.status === "serving" && (supervisor || c.staff === me)) return document.getElementById("serving");
    if (c.status === "closed" && supervisor) return document.getElementById("closed");
    return null;
  }
  function placeRow(c) {
    var old = document.querySelector('.chat[data-id="' + c.id + '"]');
    if (old && Number(old.dataset.rev) >= c.rev) return;
    var list = listFor(c);
    var li = row(c);
    if (old) old.remove();
    if (!list) return;
    if (c.status === "waiting") {
      list.appendChild(li);  // sortWaiting (in updateWaits) puts it in its place
    } else {
      list.insertBefore(li, c.status === "closed" ? list.firstChild : null);
    }
    li.classList.add("fresh");
    updateWaits();
    var count = document.getElementById("waiting-count");
    if (count) count.textContent = document.getElementById("waiting").children.length;
  }
  function showChat(c) { track(c); if (page === "queue") placeRow(c); }
  // Changes the socket brings before the first full list. They happened after the page subscribed, so they
  // may alert; were they simply tracked, the list (already holding them) would make them look old, and a
  // resident who asked for a person in that moment would never ring.
  var early = [];
  function resync() {
    fetch("/console/queue.json", { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        var changed = {};
        early.forEach(function (c) { changed[c.id] = true; });
        var chats = d.chats || [];
        chats.forEach(function (c) { if (!changed[c.id]) showChat(c); });
        synced = true;
        early.forEach(showChat);
        early = [];
        chats.forEach(function (c) { if (changed[c.id]) showChat(c); });  // a newer revision than the socket's
        showCount();
      });
  }

  // ---- the chat page ----
  var chatId = body.dataset.chat;
  var refreshing = null;
  function refreshLive() {
    var live = document.getElementById("live");
    if (!live) return;
    if (refreshing) { refreshing.again = true; return; }
    refreshing = {};
    fetch(live.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var t = document.getElementById("transcript");
        var atBottom = !t || t.scrollTop + t.clientHeight >= t.scrollHeight - 20;
        live.innerHTML = html;
        var t2 = document.getElementById("transcript");
        if (t2 && atBottom) t2.scrollTop = t2.scrollHeight;
      })
      .catch(function () {})
      .then(function () { var again = refreshing.again; refreshing = null; if (again) refreshLive(); });
  }
  var transcript = document.getElementById("transcript");
  if (transcript) transcript.scrollTop = transcript.scrollHeight;

  // ---- live socket with reconnect ----
  var status = document.getElementById("live-status");
  var delay = 500;
  function connect() {
    if (!me) return;
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/console/ws");
    ws.onopen = function () {
      delay = 500;
      if (status) { status.className = "live-status on"; status.title = "实时更新已连接"; }
      // Catch up on every open, the first included: anything published between the page's render
      // and this socket's subscription would otherwise never show.
      resync();
      if (chatId) refreshLive();
    };
    ws.onmessage = function (ev) {
      var data = JSON.parse(ev.data);
      if (data.type !== "chat") return;
      if (synced) showChat(data.chat); else early.push(data.chat);
      if (chatId && data.chat.id === chatId) refreshLive();
    };
    ws.onclose = function (ev) {
      if (status) { status.className = "live-status off"; status.title = "实时更新已断开，正在重连"; }
      if (ev.code === 4001) { location.href = "/console/login"; return; }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  connect();

  // ---- forms ----
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.matches("[data-claim]")) {
      ev.preventDefault();
      var holder = form.closest(".chat") || form.closest(".chat-head");
      var notice = holder && holder.querySelector(".row-notice");
      var btn = form.querySelector("button"); if (btn) btn.disabled = true;
      post(form.action, new FormData(form)).then(function (d) {
        if (d.ok) { location.href = d.url; return; }
        if (notice && document.body.contains(notice)) notice.textContent = d.error;
        flash(d.error);
        if (btn) btn.disabled = false;
      });
    } else if (form.id === "reply") {
      ev.preventDefault();
      sendReply(form);
    } else if (form.matches("[data-ajax]")) {
      ev.preventDefault();
      post(form.action, new FormData(form)).then(function (d) {
        if (!d.ok) { alert(d.error); return; }
        if (form.dataset.then) { location.href = form.dataset.then; return; }
        if (d.notified) flash("已通知居民。居民回到公众号发消息后，保存的回复会自动送达。");
        form.reset(); refreshLive();
      });
    }
  });
  function sendReply(form) {
    var text = form.querySelector("textarea");
    var err = form.querySelector(".form-error");
    var btn = form.querySelector(".send");
    if (!text.value.trim()) return;
    btn.disabled = true; err.textContent = "";
    post(form.action, new FormData(form)).then(function (d) {
      btn.disabled = false;
      if (!d.ok) { err.textContent = d.error; return; }
      text.value = "";
      var held = d.delivery && d.delivery.status === "held";  // kept and sent later: a note, not an error
      err.classList.toggle("held", !!held);
      if (held) err.textContent = "已保存，未送达：微信现在不让发，居民下次发消息时自动送出。";
      else if (d.delivery && d.delivery.status === "failed") err.textContent = d.delivery.error;
      refreshLive();
    }, function () { btn.disabled = false; err.textContent = "网络故障，没有发出去，请重试。"; });
  }
  document.addEventListener("click", function (ev) {
    var retry = ev.target.closest("[data-retry]");
    if (retry) {
      retry.disabled = true;
      post(retry.dataset.retry, {}).then(function (d) { if (!d.ok) alert(d.error); refreshLive(); });
      return;
    }
    var chip = ev.target.closest("[data-canned]");
    if (chip) insertCanned(chip.dataset.canned);
  });
  function insertCanned(text) {
    var ta = document.getElementById("reply-text");
    if (!ta) return;
    var start = ta.selectionStart || 0, end = ta.selectionEnd || 0;
    ta.value = ta.value.slice(0, start) + text + ta.value.slice(end);
    ta.focus();
    ta.selectionStart = ta.selectionEnd = start + text.length;
  }
  var replyText = document.getElementById("reply-text");
  if (replyText) {
    replyText.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); sendReply(document.getElementById("reply")); }
    });
    document.addEventListener("keydown", function (ev) {
      if (!ev.altKey || ev.ctrlKey || ev.metaKey) return;
      var m = /^(?:Digit|Numpad)([1-9])$/.exec(ev.code || "");
      if (!m) return;
      var chips = document.querySelectorAll("[data-canned]");
      var chip = chips[Number(m[1]) - 1];
      if (chip) { ev.preventDefault(); insertCanned(chip.dataset.canned); }
    });
  }
})();
