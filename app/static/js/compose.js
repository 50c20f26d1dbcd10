// Canoe's small helpers for writing, loaded on every page (no inline script: CSP 'self').
//
// 1. @mention completion in the text box of a form marked `data-mentions="<url>"`: typing `@`
//    and a few letters asks that URL (GET ?q=…, an HTML listbox of the group's members, see
//    app/archive/routes/compose.py) and offers them under the box. The box follows the ARIA
//    combobox pattern while the list is open: ArrowUp/ArrowDown move, Enter or Tab choose
//    (inserting `@handle `), Escape closes. Without JavaScript, `@handle` typed by hand works
//    just the same: mentions are read when the text is saved.
// 2. The top bar's menus also close with Escape or a click elsewhere.
// 3. On a narrow screen the group tabs scroll sideways; the current tab is brought into view
//    where the browser can't do it from CSS alone (`scroll-initial-target`).
(function () {
  "use strict";

  // An `@` where a mention may start (as app.core.markdown.MENTION reads it), then the letters so far.
  const TRIGGER = /(?:^|[^\p{L}\p{N}_@/])@([A-Za-z0-9가-힣]{1,30})$/u;
  const DELAY_MS = 150; // typing pauses this long before the server is asked
  let made = 0;

  class MentionBox {
    constructor(textarea, url) {
      this.textarea = textarea;
      this.url = url;
      this.id = (textarea.id || "compose-" + ++made) + "-mentions";
      this.cache = new Map(); // query -> listbox HTML, so going back and forth asks once
      this.empty = []; // queries nobody matched: nothing longer will match either
      this.asked = 0; // the latest request; earlier answers arriving late are dropped
      this.start = -1; // where the `@` being completed is
      this.dismissed = -1; // the `@` whose list Escape closed
      this.options = [];
      this.active = -1;
      this.popup = document.createElement("div");
      this.popup.className = "mention-popup";
      this.popup.hidden = true;
      this.status = document.createElement("span");
      this.status.className = "visually-hidden";
      this.status.setAttribute("role", "status");
      textarea.after(this.popup, this.status);
      textarea.setAttribute("aria-autocomplete", "list");
      this.popup.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the box
      this.popup.addEventListener("click", (event) => {
        const option = event.target.closest("[role=option]");
        if (option) this.choose(option);
      });
    }

    // Called on every input: is the caret just after `@letters`?
    update() {
      const box = this.textarea;
      const caret = box.selectionStart;
      const match = caret === box.selectionEnd ? TRIGGER.exec(box.value.slice(0, caret)) : null;
      if (!match) {
        this.dismissed = -1;
        return this.close();
      }
      const query = match[1];
      this.start = caret - query.length - 1;
      if (this.start === this.dismissed) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.ask(query), DELAY_MS);
    }

    async ask(query) {
      const asked = ++this.asked;
      if (this.empty.some((none) => query.startsWith(none))) return this.close();
      let html = this.cache.get(query);
      if (html === undefined) {
        try {
          const answer = await fetch(this.url + "?q=" + encodeURIComponent(query), {
            credentials: "same-origin", headers: { Accept: "text/html" },
          });
          if (!answer.ok) return this.close();
          html = await answer.text();
        } catch (error) {
          return this.close(); // offline: typing goes on as plain text
        }
        this.cache.set(query, html);
      }
      if (asked === this.asked) this.show(query, html);
    }

    show(query, html) {
      const holder = document.createElement("template");
      holder.innerHTML = html;
      const list = holder.content.querySelector("[role=listbox]");
      const options = list ? [...list.querySelectorAll("[role=option]")] : [];
      if (!options.length) {
        this.empty.push(query);
        return this.close();
      }
      list.id = this.id;
      options.forEach((option, i) => { option.id = this.id + "-" + i; });
      this.popup.replaceChildren(list);
      this.options = options;
      const box = this.textarea;
      const opening = this.popup.hidden;
      // Just under the box (its field is the popup's containing block), close to the caret:
      // a text box here is a few lines tall and scrolls inside.
      this.popup.style.top = box.offsetTop + box.offsetHeight + "px";
      this.popup.style.left = box.offsetLeft + "px";
      this.popup.hidden = false;
      // A combobox only while its list is open; otherwise the plain text box it always is.
      box.setAttribute("role", "combobox");
      box.setAttribute("aria-controls", this.id);
      box.setAttribute("aria-expanded", "true");
      this.highlight(0);
      if (opening || this.status.textContent !== list.dataset.status) this.status.textContent = list.dataset.status || "";
    }

    highlight(index) {
      this.active = (index + this.options.length) % this.options.length;
      this.options.forEach((option, i) => option.setAttribute("aria-selected", String(i === this.active)));
      const option = this.options[this.active];
      this.textarea.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }

    get isOpen() {
      return !this.popup.hidden;
    }

    close() {
      clearTimeout(this.timer);
      this.asked++;
      if (!this.isOpen) return;
      this.popup.hidden = true;
      this.popup.replaceChildren();
      this.options = [];
      this.active = -1;
      const box = this.textarea;
      box.removeAttribute("aria-activedescendant");
      box.removeAttribute("aria-expanded");
      box.removeAttribute("role");
      this.status.textContent = "";
    }

    // Replace `@letters` with `@handle ` (through the editing commands where they still exist,
    // so Undo takes it back).
    choose(option) {
      const box = this.textarea;
      const end = box.selectionStart;
      const text = "@" + option.dataset.handle + " ";
      box.focus();
      box.setSelectionRange(this.start, end);
      if (!document.execCommand || !document.execCommand("insertText", false, text)) {
        box.setRangeText(text, this.start, end, "end");
      }
      this.close();
    }

    keydown(event) {
      if (!this.isOpen || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        this.highlight(this.active + (event.key === "ArrowDown" ? 1 : -1));
      } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey && this.active >= 0) {
        this.choose(this.options[this.active]);
      } else if (event.key === "Escape") {
        this.dismissed = this.start;
        this.close();
      } else {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
    }
  }

  const boxes = new WeakMap();

  function mentionBox(target, create) {
    if (!(target instanceof HTMLTextAreaElement) || target.name !== "body") return null;
    const form = target.closest("form[data-mentions]");
    if (!form) return null;
    let box = boxes.get(target);
    if (!box && create) {
      box = new MentionBox(target, form.dataset.mentions);
      boxes.set(target, box);
    }
    return box || null;
  }

  // Listening on the document covers text boxes htmx adds later (a reply under a comment).
  document.addEventListener("input", (event) => {
    const box = mentionBox(event.target, true);
    if (box) box.update();
  });
  document.addEventListener("keydown", (event) => {
    const box = mentionBox(event.target, false);
    if (box) box.keydown(event);
  });
  document.addEventListener("focusout", (event) => {
    const box = mentionBox(event.target, false);
    if (box) box.close();
  });
  document.addEventListener("click", (event) => {
    // A click elsewhere in the text moves the caret away from the `@`.
    const box = mentionBox(event.target, false);
    if (box) box.update();
  });

  // The top bar's menus (<details>) open and close without script; with it, Escape or a click
  // elsewhere closes them too, and Escape gives focus back to the button that opened them.
  const MENUS = "header.topbar details[open]";
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = event.target.closest && event.target.closest(MENUS);
    if (!open) return;
    open.open = false;
    open.querySelector("summary").focus();
  });
  document.addEventListener("click", (event) => {
    for (const open of document.querySelectorAll(MENUS)) {
      if (!open.contains(event.target)) open.open = false;
    }
  });

  function showCurrentTab() {
    if (window.CSS && CSS.supports("scroll-initial-target", "nearest")) return;
    for (const current of document.querySelectorAll(".tabs [aria-current=page]")) {
      const tabs = current.closest(".tabs");
      const overflow = current.getBoundingClientRect().right - tabs.getBoundingClientRect().right;
      if (overflow > 0) tabs.scrollLeft += overflow + 32;
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showCurrentTab);
  } else {
    showCurrentTab();
  }
})();
