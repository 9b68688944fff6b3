// The hvport API reference page: fetches the served OpenAPI document
// (GET /v1/openapi.yaml, as JSON, with the caller's credentials) and has
// Redoc render it. The page itself holds no spec: a caller without reader
// credentials sees a token form, nothing else.
//
// It records every script error, unhandled rejection and content security
// policy violation in #hvport-docs-errors and sets <html data-docs-state>
// to loading, login, rendered or error: the browser check in CI
// (ci/docs-browser.sh) reads both from the rendered DOM.
(function () {
  'use strict';
  var KEY = 'hvport-token';
  var root = document.documentElement;
  var errors = [];

  function fail(msg) {
    errors.push(String(msg));
    root.setAttribute('data-docs-state', 'error');
    var el = document.getElementById('hvport-docs-errors');
    if (el) {
      el.textContent = errors.join('\n');
      el.hidden = false;
    }
  }
  window.addEventListener('error', function (e) {
    fail('script error: ' + (e.message || 'unknown') + (e.filename ? ' (' + e.filename + ':' + e.lineno + ')' : ''));
  });
  window.addEventListener('unhandledrejection', function (e) {
    var r = e.reason;
    fail('unhandled rejection: ' + (r && r.message ? r.message : r));
  });
  // Redoc's sidebar footer always asks for its logo from Redocly's CDN;
  // the policy blocks it (nothing leaves this host) and Redoc hides the
  // image. That one refusal is expected; any other is an error.
  var expectedBlocks = ['https://cdn.redoc.ly/redoc/logo-mini.svg'];
  document.addEventListener('securitypolicyviolation', function (e) {
    if (e.violatedDirective.indexOf('img-src') === 0 && expectedBlocks.indexOf(e.blockedURI) >= 0) {
      return;
    }
    fail('blocked by the content security policy: ' + e.violatedDirective + ' ' + e.blockedURI);
  });

  function status(text) {
    var el = document.getElementById('hvport-status');
    if (el) {
      el.textContent = text;
    }
  }

  // A token in the fragment (/docs#token=…, never sent to the server) is
  // taken into this tab's storage and removed from the address bar.
  function takeFragmentToken() {
    var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
  }

  function showLogin(message) {
    root.setAttribute('data-docs-state', 'login');
    status('Credentials needed');
    document.getElementById('hvport-login').hidden = false;
    document.getElementById('hvport-login-error').textContent = message || '';
    document.getElementById('hvport-forget').hidden = true;
  }

  function load() {
    var headers = { Accept: 'application/json' };
    var token = sessionStorage.getItem(KEY);
    if (token) {
      headers.Authorization = 'Bearer ' + token;
    }
    status('Loading the API description…');
    // Without a token the request still carries a client certificate the
    // browser has (mTLS), or reaches a server run with --insecure-no-auth.
    return fetch('/v1/openapi.yaml', { headers: headers, credentials: 'same-origin', cache: 'no-store' }).then(function (resp) {
      if (resp.status === 401 || resp.status === 403) {
        if (token) {
          sessionStorage.removeItem(KEY);
          showLogin(resp.status === 401 ? 'That token was refused (unknown, revoked or expired).' : 'That token may not read the API description: it needs the reader role or higher.');
        } else {
          showLogin('');
        }
        return;
      }
      if (!resp.ok) {
        throw new Error('GET /v1/openapi.yaml answered ' + resp.status);
      }
      return resp.json().then(render);
    });
  }

  function render(spec) {
    document.getElementById('hvport-login').hidden = true;
    document.getElementById('hvport-forget').hidden = !sessionStorage.getItem(KEY);
    status(spec.info.title + ' ' + spec.info.version);
    window.Redoc.init(spec, {
      expandResponses: '200,201,202',
      hideHostname: true,
      jsonSampleExpandLevel: 3,
      sortPropsAlphabetically: false
    }, document.getElementById('redoc'), function (err) {
      if (err) {
        fail('Redoc could not render the API description: ' + (err.message || err));
        return;
      }
      if (!errors.length) {
        root.setAttribute('data-docs-state', 'rendered');
      }
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.getElementById('hvport-login').addEventListener('submit', function (e) {
      e.preventDefault();
      sessionStorage.setItem(KEY, document.getElementById('hvport-token').value.trim());
      document.getElementById('hvport-token').value = '';
      load().catch(fail);
    });
    document.getElementById('hvport-forget').addEventListener('click', function () {
      sessionStorage.removeItem(KEY);
      location.reload();
    });
    takeFragmentToken();
    if (!window.Redoc) {
      fail('the renderer (/docs/redoc.standalone.js) did not load');
      return;
    }
    load().catch(fail);
  });
}());
