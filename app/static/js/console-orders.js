/* gridpatrol console: the fate of orders on the alert panel (queued → sent → delivered →
   acknowledged, or failed / expired; a dead letter sent again in one click) and the console
   alarms (orders not acknowledged, messages not delivered, status timers), kept live by
   the "radio" and "alarm" events. Loaded beside console-dispatch.js, which calls
   renderAlert() when it draws an alert and listen() when it opens the event stream.      */
(function () {
  "use strict";

  var C = null;          // the dispatch panel's config (api, labels, csrf)
  var D = window.GridPatrolDom;
  var alarms = {};       // id -> alarm (open ones)
  var shownAlert = null; // id of the alert whose orders are shown

  function el(tag, cls, text) { return D.el(tag, cls ? { class: cls } : null, text); }

  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
                        headers: { "X-CSRFToken": C.csrf, "Content-Type": "application/json" },
                        body: JSON.stringify(body || {}) })
      .then(function (r) { return r.json().then(function (data) {
        if (!r.ok) { throw new Error(data.message || r.statusText); }
        return data;
      }); });
  }

  function time(iso) { return iso ? iso.substring(11, 19) : ""; }

  /* -- orders on the alert panel ------------------------------------------------------ */
  function orderItem(o) {
    var li = el("li", "gp-order gp-delivery-" + o.delivery);
    li.setAttribute("data-order-id", o.id);
    li.setAttribute("data-delivery", o.delivery);
    var head = el("div", "gp-order-head");
    head.appendChild(el("strong", null, o.callsign || ("#" + o.unit_id)));
    head.appendChild(el("span", "gp-order-kind", C.orderKinds[o.kind] || o.kind));
    head.appendChild(el("span", "gp-delivery", C.deliveries[o.delivery] || o.delivery));
    li.appendChild(head);
    var facts = [time(o.at)];
    if (o.sends > 1) { facts.push(C.labels.sentTimes.replace("%(n)s", o.sends)); }
    if (o.delivery_detail) { facts.push(o.delivery_detail); }
    li.appendChild(el("div", "gp-reason", facts.join(" · ")));
    if (o.delivery === "failed" && C.canDispatch) {
      var again = el("button", "gp-order-retry", C.labels.sendAgain);
      again.type = "button";
      again.addEventListener("click", function () {
        again.disabled = true;
        post(C.api.orders + "/" + o.id + "/retry", {}).then(updateOrder)
          .catch(function (err) { again.disabled = false; li.appendChild(
            el("div", "gp-error", err.message)); });
      });
      li.appendChild(again);
    }
    return li;
  }

  function renderAlert(panel, a) {
    shownAlert = a.id;
    var box = el("section", "gp-section");
    box.id = "gp-orders";
    box.appendChild(el("h3", null, C.labels.orders + " (" + (a.orders || []).length + ")"));
    var list = el("ol", "gp-list");
    (a.orders || []).forEach(function (o) { list.appendChild(orderItem(o)); });
    if (!(a.orders || []).length) { list.appendChild(el("li", "gp-empty", C.labels.none)); }
    box.appendChild(list);
    panel.appendChild(box);
  }

  function updateOrder(o) {
    var old = document.querySelector("#gp-orders [data-order-id='" + o.id + "']");
    if (old) { old.replaceWith(orderItem(o)); }
  }

  /* A radio event carries the row's delivery columns: update the order in place, and
     reload the alert when one of its orders is new (a cancellation, a re-dispatch). */
  function onRadio(entry) {
    if (entry.direction !== "out" || shownAlert === null || entry.alert_id !== shownAlert) {
      return;
    }
    var old = document.querySelector("#gp-orders [data-order-id='" + entry.id + "']");
    if (!old) { window.gridpatrol.dispatch.openAlert(shownAlert); return; }
    var callsign = old.querySelector("strong").textContent;
    updateOrder({ id: entry.id, at: entry.at, kind: entry.kind, unit_id: entry.unit_id,
                  callsign: callsign, delivery: entry.delivery, sends: entry.sends,
                  delivery_detail: entry.delivery_detail });
  }

  /* -- alarms ---------------------------------------------------------------------------- */
  function alarmItem(a) {
    var li = el("li", "gp-alarm gp-alarm-" + a.kind + (a.acknowledged_at ? " gp-seen" : ""));
    li.setAttribute("data-alarm-id", a.id);
    li.setAttribute("data-kind", a.kind);
    li.appendChild(el("span", "gp-alarm-time", time(a.raised_at)));
    li.appendChild(el("span", "gp-alarm-text", " " + a.message));
    if (a.alert_id) {
      var open = el("button", "gp-alarm-open", "#" + a.alert_id);
      open.type = "button";
      open.addEventListener("click", function () {
        window.gridpatrol.dispatch.openAlert(a.alert_id);
      });
      li.appendChild(open);
    }
    if (C.canDispatch && !a.acknowledged_at) {
      var seen = el("button", "gp-alarm-ack", C.labels.seen);
      seen.type = "button";
      seen.addEventListener("click", function () {
        post(C.api.alarms + "/" + a.id + "/acknowledge", {}).then(showAlarm);
      });
      li.appendChild(seen);
    }
    return li;
  }

  function drawAlarms() {
    var box = document.getElementById("gp-alarms");
    if (!box) { return; }
    var open = Object.keys(alarms).map(function (k) { return alarms[k]; })
      .sort(function (x, y) { return y.id - x.id; });
    box.replaceChildren(el("h3", null, C.labels.alarms + " (" + open.length + ")"));
    var list = el("ol", "gp-list");
    list.id = "gp-alarm-list";
    open.forEach(function (a) { list.appendChild(alarmItem(a)); });
    box.appendChild(list);
    box.hidden = open.length === 0;
    box.classList.toggle("gp-alarming", open.some(function (a) { return !a.acknowledged_at; }));
  }

  function showAlarm(a) {
    if (a.cleared_at) { delete alarms[a.id]; }
    else { alarms[a.id] = Object.assign(alarms[a.id] || {}, a); }
    drawAlarms();
  }

  function loadAlarms() {
    if (!C.api.alarms) { return Promise.resolve(); }
    return fetch(C.api.alarms, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { alarms: [] }; })
      .then(function (data) {
        Object.keys(alarms).forEach(function (k) { delete alarms[k]; });
        data.alarms.forEach(showAlarm);
        drawAlarms();
      });
  }

  function listen(source) {
    source.addEventListener("radio", function (e) { onRadio(JSON.parse(e.data)); });
    source.addEventListener("alarm", function (e) {
      // the event is the row as stored (English text): reload for the user's language
      var a = JSON.parse(e.data);
      if (a.cleared_at) { showAlarm(a); } else { loadAlarms(); }
    });
    source.addEventListener("resync", function () { setTimeout(loadAlarms, Math.random() * 3000); });
  }

  window.GridPatrolOrders = {
    init: function (config) {
      C = config;
      loadAlarms();
      window.gridpatrol.orders = { alarms: alarms, reload: loadAlarms };
    },
    renderAlert: renderAlert,
    listen: listen
  };
}());
