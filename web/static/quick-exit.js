/*
 * Quick exit: the button, or the Shift key pressed three times, blanks this page at once and
 * replaces it with a neutral site. Modelled on GOV.UK Frontend's "Exit this page" component:
 * the Shift presses are counted on keyup, a Shift used with another key does not count, a
 * 5-second timer restarts on each press, three lights show the count and a status region
 * announces it. Unlike GOV.UK we leave with location.replace(), so our page's history entry is
 * replaced instead of a new one being added.
 *
 * Without JavaScript the button is a plain link to the same neutral site.
 */
(function () {
  "use strict";

  var TIMEOUT_MS = 5000;
  var root = document.querySelector("[data-quick-exit]");
  if (!root) {
    return;
  }
  var button = root.querySelector("a.quick-exit-button");
  if (!button) {
    return;
  }
  var messages = {
    activated: root.getAttribute("data-msg-activated") || "",
    pressTwoMoreTimes: root.getAttribute("data-msg-two-more") || "",
    pressOneMoreTime: root.getAttribute("data-msg-one-more") || "",
    timedOut: root.getAttribute("data-msg-timed-out") || ""
  };

  var count = 0;
  var lastKeyWasModified = false;
  var keypressTimer = null;
  var messageTimer = null;
  var overlay = null;
  var title = document.title;

  // The screen-reader status region and the three lights exist only when the script runs.
  var status = document.createElement("span");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  root.appendChild(status);

  var indicator = document.createElement("span");
  indicator.className = "quick-exit-indicator";
  indicator.setAttribute("aria-hidden", "true");
  for (var i = 0; i < 3; i++) {
    var light = document.createElement("span");
    light.className = "quick-exit-light";
    indicator.appendChild(light);
  }
  button.appendChild(indicator);

  var hint = root.querySelector("[data-quick-exit-hint]");
  if (hint) {
    hint.hidden = false;
  }

  function updateIndicator() {
    indicator.classList.toggle("is-visible", count > 0);
    var lights = indicator.querySelectorAll(".quick-exit-light");
    for (var n = 0; n < lights.length; n++) {
      lights[n].classList.toggle("is-on", n < count);
    }
  }

  function clearTimer(id) {
    if (id !== null) {
      window.clearTimeout(id);
    }
    return null;
  }

  function exitPage() {
    status.textContent = "";
    // Hide everything first (also from screen readers and the Tab key), then say why the page
    // is blank, then leave. The title goes too, in case the neutral site is slow to load.
    document.documentElement.classList.add("quick-exit-active");
    document.title = "";
    overlay = document.createElement("div");
    overlay.className = "quick-exit-overlay";
    overlay.setAttribute("role", "alert");
    document.body.appendChild(overlay);
    overlay.textContent = messages.activated;
    window.location.replace(button.href);
  }

  function resetKeypresses() {
    keypressTimer = clearTimer(keypressTimer);
    count = 0;
    status.textContent = messages.timedOut;
    messageTimer = clearTimer(messageTimer);
    messageTimer = window.setTimeout(function () {
      status.textContent = "";
    }, TIMEOUT_MS);
    updateIndicator();
  }

  function onKeyup(event) {
    if (event.key === "Shift" && !lastKeyWasModified) {
      count += 1;
      updateIndicator();
      messageTimer = clearTimer(messageTimer);
      if (count >= 3) {
        count = 0;
        keypressTimer = clearTimer(keypressTimer);
        exitPage();
      } else {
        status.textContent = count === 1 ? messages.pressTwoMoreTimes : messages.pressOneMoreTime;
        keypressTimer = clearTimer(keypressTimer);
        keypressTimer = window.setTimeout(resetKeypresses, TIMEOUT_MS);
      }
    } else if (keypressTimer !== null) {
      // Any other key breaks the sequence.
      resetKeypresses();
    }
    // Shift+A sends two keyups: A (shiftKey true), then Shift (shiftKey false); the Shift one
    // must not count.
    lastKeyWasModified = event.shiftKey;
  }

  // A page restored from the back/forward cache would still be blank: show it again.
  function resetPage() {
    document.documentElement.classList.remove("quick-exit-active");
    document.title = title;
    if (overlay) {
      overlay.remove();
      overlay = null;
    }
    status.textContent = "";
    count = 0;
    keypressTimer = clearTimer(keypressTimer);
    messageTimer = clearTimer(messageTimer);
    updateIndicator();
  }

  button.addEventListener("click", function (event) {
    event.preventDefault();
    exitPage();
  });
  document.addEventListener("keyup", onKeyup, true);
  window.addEventListener("pageshow", resetPage);
})();
