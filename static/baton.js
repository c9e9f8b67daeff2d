/* Baton: progressive enhancement only. Every page works without this file.
 *  - a signed-out visitor, shown UTC by default, sees times in the browser's zone;
 *  - a signed-in viewer keeps the zone of their profile, with the browser's
 *    time in each time's tooltip when the browser is elsewhere;
 *  - a handoff's permalink gets a "Copy link" button;
 *  - the dashboard refreshes itself every minute while nobody is using it. */
(function () {
  'use strict';

  var body = document.body;
  var pageZone = body.getAttribute('data-tz') || 'UTC';
  var signedIn = body.hasAttribute('data-signed-in');
  var browserZone;
  try {
    browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    browserZone = null;
  }

  /* "Sun 29 Nov 19:20 CET", or "19:20" when `clockOnly`, in `zone`. */
  function format(date, zone, clockOnly) {
    var options = { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    if (!clockOnly) {
      options.weekday = 'short';
      options.day = '2-digit';
      options.month = 'short';
      options.timeZoneName = 'short';
    }
    var parts = {};
    new Intl.DateTimeFormat('en-GB', options).formatToParts(date).forEach(function (p) {
      parts[p.type] = p.value;
    });
    var clock = parts.hour + ':' + parts.minute;
    if (clockOnly) {
      return clock;
    }
    return parts.weekday + ' ' + parts.day + ' ' + parts.month + ' ' + clock + ' ' + parts.timeZoneName;
  }

  /* Times: the server renders them in the viewer's zone (UTC when signed out). */
  function convertTimes(root) {
    if (!browserZone || browserZone === pageZone) {
      return;
    }
    var explicitZone = /[?&]tz=/.test(location.search);
    var convert = !signedIn && !explicitZone && pageZone === 'UTC';
    var times = root.querySelectorAll('time[datetime]');
    for (var i = 0; i < times.length; i++) {
      var t = times[i];
      var date = new Date(t.getAttribute('datetime'));
      if (isNaN(date.getTime())) {
        continue;
      }
      var clockOnly = /^\d\d:\d\d$/.test(t.textContent.trim());
      if (convert) {
        t.title = format(date, 'UTC', clockOnly) + ' (UTC)';
        t.textContent = format(date, browserZone, clockOnly);
      } else if (!t.title) {
        t.title = format(date, browserZone, false) + ' in your browser\u2019s zone (' + browserZone + ')';
      }
    }
    if (convert) {
      var note = document.querySelector('footer .times-in');
      if (note) {
        note.textContent = 'Times in your browser\u2019s zone, ' + browserZone + '.';
      }
    }
  }

  /* "Copy link" beside a handoff's permalink. */
  function addCopyButtons() {
    var links = document.querySelectorAll('a.permalink');
    for (var i = 0; i < links.length; i++) {
      (function (link) {
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'copy';
        button.textContent = 'Copy link';
        button.addEventListener('click', function () {
          copy(link.href).then(function () {
            button.textContent = 'Link copied';
          }, function () {
            button.textContent = 'Select the link to copy it';
          });
        });
        link.parentNode.insertBefore(button, link.nextSibling);
        link.parentNode.insertBefore(document.createTextNode(' '), button);
      })(links[i]);
    }
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.className = 'visually-hidden';
      body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand('copy');
      } catch (e) {
        ok = false;
      }
      body.removeChild(area);
      if (ok) {
        resolve();
      } else {
        reject(new Error('copy refused'));
      }
    });
  }

  /* The dashboard: fetch it again and swap the page's content, unless the
   * reader is busy (focus in the page, or the tab is hidden). */
  var REFRESH_MS = 60000;

  function busy() {
    var active = document.activeElement;
    var main = document.querySelector('main');
    if (document.visibilityState === 'hidden') {
      return true;
    }
    // Focus on anything in the page (a link, a button, a field) means
    // someone is using it: swapping the content would lose their place.
    return !!(active && active !== body && main && main.contains(active));
  }

  function refreshDashboard() {
    return fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          throw new Error('not refreshed: ' + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        ['main', '.oncall-strip'].forEach(function (selector) {
          var now = document.querySelector(selector);
          var next = fresh.querySelector(selector);
          if (now && next) {
            now.replaceWith(document.importNode(next, true));
          }
        });
        convertTimes(document);
        body.setAttribute('data-refreshed', new Date().toISOString());
      });
  }

  convertTimes(document);
  addCopyButtons();
  if (location.pathname === '/') {
    window.batonRefresh = refreshDashboard;
    window.setInterval(function () {
      if (!busy()) {
        refreshDashboard().catch(function () { /* keep the page as it is */ });
      }
    }, REFRESH_MS);
  }
})();
