/* Baton: progressive enhancement only. Every page works without this file.
 *  - a signed-out visitor, shown UTC by default, sees times in the browser's zone,
 *    read with the server's time zone rules and names (from /tzdata);
 *  - a signed-in viewer keeps the zone of their profile, with the browser's
 *    time in each time's tooltip when the browser is elsewhere;
 *  - a handoff's permalink gets a "Copy link" button;
 *  - the dashboard refreshes itself every minute while nobody is using it. */
(function () {
  'use strict';

  var body = document.body;
  var pageZone = body.getAttribute('data-tz') || 'UTC';
  var rulesVersion = body.getAttribute('data-tzdata') || '';
  var signedIn = body.hasAttribute('data-signed-in');
  var browserZone;
  try {
    browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    browserZone = null;
  }

  /* A zone's offsets come from the server, from the same rules and with
   * the same names as the pages ("EST" where the zone has an abbreviation,
   * "UTC−05:00" where it has none): never from the browser's own
   * rules, which may be older, nor its names ("GMT-5"). */
  var UTC_RULES = { before: [0, 'UTC'], changes: [] };
  var rulesCache = {};

  function rulesFor(zone) {
    if (zone === 'UTC') {
      return Promise.resolve(UTC_RULES);
    }
    if (!rulesCache[zone]) {
      var url = '/tzdata?zone=' + encodeURIComponent(zone) + '&v=' + encodeURIComponent(rulesVersion);
      rulesCache[zone] = fetch(url, { credentials: 'same-origin' }).then(function (response) {
        if (!response.ok) {
          throw new Error('no rules for ' + zone + ': ' + response.status);
        }
        return response.json();
      });
    }
    return rulesCache[zone];
  }

  /* [offset in seconds, its name] in force at `seconds` (Unix time). */
  function offsetAt(rules, seconds) {
    var changes = rules.changes;
    var lo = 0;
    var hi = changes.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (changes[mid][0] <= seconds) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo === 0 ? rules.before : [changes[lo - 1][1], changes[lo - 1][2]];
  }

  var DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }

  /* "Sun 29 Nov 19:20 CET", or "19:20" when `clockOnly`, as the server
   * writes it. */
  function format(date, rules, clockOnly) {
    var offset = offsetAt(rules, Math.floor(date.getTime() / 1000));
    var wall = new Date(date.getTime() + offset[0] * 1000);
    var clock = pad(wall.getUTCHours()) + ':' + pad(wall.getUTCMinutes());
    if (clockOnly) {
      return clock;
    }
    return DAYS[wall.getUTCDay()] + ' ' + pad(wall.getUTCDate()) + ' ' + MONTHS[wall.getUTCMonth()] +
      ' ' + clock + ' ' + offset[1];
  }

  /* Times: the server renders them in the viewer's zone (UTC when signed
   * out). Marks the body `data-times="done"` once they are shown. */
  function convertTimes(root) {
    if (!browserZone || browserZone === pageZone) {
      body.setAttribute('data-times', 'done');
      return Promise.resolve();
    }
    var explicitZone = /[?&]tz=/.test(location.search);
    var convert = !signedIn && !explicitZone && pageZone === 'UTC';
    return rulesFor(browserZone).then(function (rules) {
      var times = root.querySelectorAll('time[datetime]');
      for (var i = 0; i < times.length; i++) {
        var t = times[i];
        var date = new Date(t.getAttribute('datetime'));
        if (isNaN(date.getTime())) {
          continue;
        }
        var clockOnly = /^\d\d:\d\d$/.test(t.textContent.trim());
        if (convert) {
          t.title = format(date, UTC_RULES, clockOnly) + ' (UTC)';
          t.textContent = format(date, rules, clockOnly);
        } else if (!t.title) {
          t.title = format(date, rules, false) + ' in your browser\u2019s zone (' + browserZone + ')';
        }
      }
      if (convert) {
        var note = document.querySelector('footer .times-in');
        if (note) {
          note.textContent = 'Times in your browser\u2019s zone, ' + browserZone + '.';
        }
      }
      body.setAttribute('data-times', 'done');
    }, function () {
      // Keep the server's times: they are right, in the zone the footer names.
      body.setAttribute('data-times', 'unavailable');
    });
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
        return convertTimes(document);
      })
      .then(function () {
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
