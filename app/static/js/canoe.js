// Canoe's one script of its own: what a person using a keyboard or a screen reader needs after
// htmx swaps part of a page. Every page works without it (docs/ARCHITECTURE.md, "One htmx
// convention"). No inline script, no eval: the CSP is `script-src 'self'`.
//
// After every swap, once per request:
// 1. Focus moves to a sensible place, never to <body>:
//    - to the first field marked aria-invalid="true" in what was swapped in (a form sent back
//      with its errors);
//    - else to the element marked `data-focus` in it (the new reply box, a new comment, the
//      result of a vote), made focusable with tabindex=-1 if it is not already;
//    - else focus stays where it is, if it is still on the page (typing in the search box; a
//      control with an id, which htmx finds again itself);
//    - else to the pressed control found again (by its name and value inside its nearest
//      ancestor with an id, as a reaction button), or that ancestor (the care slot acted on);
//    - else to the first heading of the swapped region, or the region itself (tabindex=-1).
// 2. What the server said of the outcome (`flash()`, sent by app/core/announce.py in the
//    HX-Trigger header as "canoe:announce") is shown as a flash line just before the swapped
//    region, and said once through the page's one live region, #announce.
(function () {
  "use strict";

  var EVENT = "canoe:announce";
  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

  function focusOn(element) {
    if (!element.matches(FOCUSABLE) || element.disabled) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus({ preventScroll: false });
    if (typeof element.scrollIntoView === "function" && !inView(element)) {
      element.scrollIntoView({ block: "center" });
    }
  }

  function inView(element) {
    var box = element.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  }

  function focusLost() {
    var active = document.activeElement;
    return !active || active === document.body || active === document.documentElement || !active.isConnected;
  }

  // The element marked for focus in what a swap brought (the last one, if several). The marks a
  // page arrived with are taken off when it loads (below), so any mark found is new: this finds
  // those brought out of band too (a new comment added to its list).
  function marked() {
    var found = document.querySelectorAll("[data-focus]");
    return found.length ? found[found.length - 1] : null;
  }

  function unmarkAll() {
    document.querySelectorAll("[data-focus]").forEach(function (element) {
      element.removeAttribute("data-focus");
    });
  }

  function firstIn(regions, selector) {
    for (var i = 0; i < regions.length; i++) {
      var region = regions[i];
      if (region.matches && region.matches(selector)) {
        return region;
      }
      var found = region.querySelector && region.querySelector(selector);
      if (found) {
        return found;
      }
    }
    return null;
  }

  // The pressed control again, in what replaced it: by its id, else by its name and value
  // inside its nearest ancestor with an id (a reaction button in its bar); else that ancestor
  // itself (the care slot that was marked done).
  function pressedAgain(pressed) {
    if (!pressed) {
      return null;
    }
    if (pressed.id) {
      return document.getElementById(pressed.id);
    }
    var holder = pressed.parentElement;
    while (holder && !holder.id) {
      holder = holder.parentElement;
    }
    var place = holder && document.getElementById(holder.id);
    if (!place) {
      return null;
    }
    if (pressed.name) {
      var same = Array.prototype.filter.call(place.querySelectorAll("[name]"), function (control) {
        return control.name === pressed.name && control.value === pressed.value && control.tagName === pressed.tagName;
      });
      if (same.length) {
        return same[0];
      }
    }
    return place;
  }

  function placeFocus(regions, main, pressed) {
    var target = firstIn(regions, '[aria-invalid="true"]') || marked();
    unmarkAll();
    if (target) {
      focusOn(target);
      return;
    }
    // Still on the page (typing in the search box, or a control htmx found again by its id):
    // leave it there.
    if (!focusLost()) {
      return;
    }
    target = pressedAgain(pressed);
    if (target && target.isConnected) {
      focusOn(target);
    } else if (main) {
      focusOn(main.querySelector("h1, h2, h3, h4, legend") || main);
    }
  }

  function messagesOf(xhr) {
    var header = xhr && xhr.getResponseHeader("HX-Trigger");
    if (!header) {
      return [];
    }
    try {
      var events = JSON.parse(header);
      return Array.isArray(events[EVENT]) ? events[EVENT] : [];
    } catch (e) {
      return [];
    }
  }

  // The same line a page without JavaScript shows at the top (base.html's flashes), put where
  // the eyes are: just before the region that changed. Earlier lines of this kind go.
  function show(messages, region) {
    document.querySelectorAll("[data-canoe-said]").forEach(function (old) {
      old.remove();
    });
    if (!messages.length || !region || !region.parentNode) {
      return;
    }
    var list = document.createElement("ul");
    list.className = "flashes flashes-here";
    list.setAttribute("data-canoe-said", "");
    messages.forEach(function (message) {
      var item = document.createElement("li");
      item.className = "flash flash-" + (message.category || "info");
      item.textContent = message.text;
      list.appendChild(item);
    });
    region.parentNode.insertBefore(list, region);
  }

  // One persistent polite live region: emptied, then filled on the next frame, so the same
  // words said twice in a row are still spoken the second time.
  function say(messages) {
    var live = document.getElementById("announce");
    if (!live || !messages.length) {
      return;
    }
    live.textContent = "";
    var words = messages.map(function (m) { return m.text; }).join(" ");
    window.setTimeout(function () { live.textContent = words; }, 50);
  }

  // htmx fires afterSwap on each element it put in the page (and oobAfterSwap for out-of-band
  // ones, first), all in one go: the first event gathers the rest and the request is handled once.
  var batch = null;

  function collect(event) {
    var detail = event.detail || {};
    if (!batch) {
      batch = { regions: [], xhr: null, target: null, pressed: null };
      window.setTimeout(finish, 0);
    }
    batch.regions.push(event.target);
    if (event.type === "htmx:afterSwap") {
      batch.xhr = batch.xhr || detail.xhr || null;
      batch.target = batch.target || detail.target || null;
      batch.pressed = batch.pressed || pressedBy(detail.requestConfig);
    }
  }

  // What sent the request: the button a form was sent with, or the link itself.
  function pressedBy(config) {
    if (!config) {
      return null;
    }
    var event = config.triggeringEvent;
    return (event && event.submitter) || config.elt || null;
  }

  // The region the request swapped: its target, or (swapped outerHTML) the new element with its id.
  function mainRegion(current, regions) {
    var target = current.target;
    if (target && target.isConnected) {
      return target;
    }
    var again = target && target.id && document.getElementById(target.id);
    return again || regions[regions.length - 1] || null;
  }

  function finish() {
    var current = batch;
    batch = null;
    var regions = current.regions.filter(function (region) { return region.isConnected; });
    var main = mainRegion(current, regions);
    var messages = messagesOf(current.xhr);
    show(messages, main);
    placeFocus(regions, main, current.pressed);
    say(messages);
  }

  unmarkAll();  // the page as it loaded: its marks are for swaps only
  document.addEventListener("htmx:afterSwap", collect);
  document.addEventListener("htmx:oobAfterSwap", collect);
})();
